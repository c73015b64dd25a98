"""Explanations of single predictions, recorded by the monitor service (events.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.development_commands import DevelopmentCommands
from domain.errors import InvalidArgumentError
from domain.explanation import Explanation, check_fidelity
from domain.roles import Command
from domain.vocabulary import check_digest

__all__ = ["ExplanationCommands"]


class ExplanationCommands(DevelopmentCommands):
    """Commands of the monitor service that record how predictions were explained."""

    def record_explanation(
        self,
        *,
        actor: str,
        version_id: UUID,
        prediction_ref: str,
        method: str,
        parameters: Mapping[str, Any],
        seed: int,
        weights_digest: str,
        fidelity: float,
    ) -> UUID:
        """Record the explanation of one prediction of a version; return its id."""
        with self._command(actor, Command.RECORD_EXPLANATION):
            if not prediction_ref or not method:
                raise InvalidArgumentError("an explanation names its prediction and its method")
            digest = check_digest(weights_digest, "weights digest")
            fit = check_fidelity(fidelity)
            version = self.get_model_version(version_id)
        explanation = Explanation(
            model_version_id=version.id,
            prediction_ref=prediction_ref,
            method=method,
            parameters=dict(parameters),
            seed=int(seed),
            weights_digest=digest,
            fidelity=fit,
            actor=actor,
        )
        self.save(explanation)
        return explanation.id

    def get_explanation(self, explanation_id: UUID) -> Explanation:
        """Return the explanation with this id."""
        return self._get(Explanation, explanation_id, f"no explanation with id {explanation_id}")
