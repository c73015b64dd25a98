"""The explanation aggregate: how one prediction of a model version was explained (docs/events.md,
``ExplanationRecorded``), recorded so the explanation can be reproduced from its method,
parameters and seed and checked against its weights by digest."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.commands.arguments import check_number
from domain.errors import InvalidArgumentError

__all__ = ["Explanation", "check_fidelity"]


def check_fidelity(fidelity: float) -> float:
    """``fidelity`` as a float if it lies in [0, 1], else InvalidArgumentError."""
    value = check_number(fidelity, "fidelity")
    if not 0.0 <= value <= 1.0:
        raise InvalidArgumentError(f"fidelity {fidelity!r} is outside [0, 1]")
    return value


class Explanation(Aggregate):
    """The explanation of one prediction: the method and its inputs, the weights, the fit."""

    @event("Recorded")
    def __init__(
        self,
        *,
        model_version_id: UUID,
        prediction_ref: str,
        method: str,
        parameters: dict[str, Any],
        seed: int,
        weights_digest: str,
        fidelity: float,
        actor: str,
    ) -> None:
        self.model_version_id = model_version_id
        self.prediction_ref = prediction_ref
        self.method = method
        self.parameters = dict(parameters)
        self.seed = seed
        self.weights_digest = weights_digest
        self.fidelity = float(fidelity)  # declared float: canonical JSON stores 1.0 as 1
        self.recorded_by = actor
