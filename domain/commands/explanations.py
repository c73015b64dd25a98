"""Explanations of single predictions, recorded by the monitor service (docs/events.md).

The monitor service either reports an explanation made elsewhere (``record_explanation``) or
has the ports make it (``explain_prediction``): the version's artifact, checked against its
digest, is scored and explained, and the weights are stored as RFC 8785 JSON by their digest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeGuard
from uuid import UUID

from domain.aggregates.explanation import Explanation, check_fidelity
from domain.commands.arguments import check_json, check_number, check_seed, check_text, json_object
from domain.commands.development import DevelopmentCommands
from domain.commands.service import required
from domain.errors import InvalidArgumentError, PortError
from domain.rules.policy import canonical_policy_bytes
from domain.rules.roles import Command
from domain.rules.vocabulary import check_digest

__all__ = ["PREDICTED_SCORE", "ExplanationCommands"]

PREDICTED_SCORE = "predicted_score"
"""The parameter under which ``explain_prediction`` records the score it explained."""


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
        with self._command(
            actor,
            Command.RECORD_EXPLANATION,
            subject=version_id,
            prediction_ref=prediction_ref,
            method=method,
            parameters=parameters,
        ):
            if not check_text(prediction_ref, "prediction ref") or not check_text(method, "method"):
                raise InvalidArgumentError("an explanation names its prediction and its method")
            check_seed(seed, "explanation seed")
            recorded = json_object(parameters, "explanation parameters")
            digest = check_digest(weights_digest, "weights digest")
            fit = check_fidelity(fidelity)
            version = self.get_model_version(version_id)
        explanation = Explanation(
            model_version_id=version.id,
            prediction_ref=prediction_ref,
            method=method,
            parameters=recorded,
            seed=seed,
            weights_digest=digest,
            fidelity=fit,
            actor=actor,
        )
        self.save(explanation)
        return explanation.id

    def explain_prediction(
        self,
        *,
        actor: str,
        version_id: UUID,
        prediction_ref: str,
        row: Mapping[str, object],
        seed: int,
    ) -> UUID:
        """Score and explain ``row`` with the version's stored artifact and record it; its id.

        The score explained is recorded among the parameters, as ``PREDICTED_SCORE``.
        """
        needed_by = "explaining a prediction"
        with self._command(
            actor, Command.RECORD_EXPLANATION, subject=version_id, prediction_ref=prediction_ref
        ):
            if not check_text(prediction_ref, "prediction ref"):
                raise InvalidArgumentError("an explanation names its prediction")
            check_seed(seed, "explanation seed")
            store = required(self.artifacts, argument="artifacts", needed_by=needed_by)
            scorer = required(self.scorer, argument="scorer", needed_by=needed_by)
            explainer = required(self.explainer, argument="explainer", needed_by=needed_by)
            version = self.get_model_version(version_id)
            artifact = self._fetch_artifact(
                store, version.artifact_digest, f"the artifact of version {version.number}"
            )
            scores = scorer.score(artifact, [row])
            if len(scores) != 1 or not _finite(scores[0]):
                raise PortError(f"the scorer gave {scores!r} for one row, not one finite score")
            method, parameters, weights, fidelity = _explanation_parts(
                explainer.explain(artifact, row, seed=seed)
            )
            weights_digest = self._store_artifact(
                store, canonical_policy_bytes(weights), "the explanation's weights"
            )
        return self.record_explanation(
            actor=actor,
            version_id=version_id,
            prediction_ref=prediction_ref,
            method=method,
            parameters={**parameters, PREDICTED_SCORE: float(scores[0])},
            seed=seed,
            weights_digest=weights_digest,
            fidelity=fidelity,
        )

    def get_explanation(self, explanation_id: UUID) -> Explanation:
        """Return the explanation with this id."""
        return self._get(Explanation, explanation_id, f"no explanation with id {explanation_id}")


def _explanation_parts(
    explained: Mapping[str, object],
) -> tuple[str, dict[str, Any], dict[str, float], float]:
    """The explainer's method, parameters, weights and fidelity; PortError if malformed."""
    method = explained.get("method")
    parameters = explained.get("parameters")
    weights = explained.get("weights")
    fidelity = explained.get("fidelity")
    if (
        not isinstance(method, str)
        or not method
        or not isinstance(parameters, Mapping)
        or not _recordable(parameters)
        or not isinstance(weights, Mapping)
        or not _finite(fidelity)
        or not all(isinstance(name, str) and _finite(w) for name, w in weights.items())
    ):
        raise PortError(
            "the explainer must return a method (str), parameters (mapping of JSON values), "
            "weights (feature name to finite number) and a fidelity (number); "
            f"it returned {explained!r}"
        )
    return method, dict(parameters), {n: float(w) for n, w in weights.items()}, float(fidelity)


def _finite(value: object) -> TypeGuard[int | float]:
    """True for a number the ledger records exactly (not a bool, NaN or infinity)."""
    try:
        check_number(value, "value")
    except InvalidArgumentError:
        return False
    return True


def _recordable(value: object) -> bool:
    """True for a value the ledger records exactly."""
    try:
        check_json(value, "value")
    except InvalidArgumentError:
        return False
    return True
