"""The monitor service's explanations of single predictions: recorded, or computed here.

``explain-prediction`` sends the row explained in the body (at most ``MAX_COLUMNS`` columns);
the version's stored artifact scores and explains it with the ML adapters.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import Field

from api.registry.fields import Created, Digest, Number, Scalar, Seed
from api.registry.spec import AnySpec, CommandContext, CommandSpec, Request
from domain.rules.roles import Command

__all__ = ["MAX_COLUMNS", "SPECS", "ExplanationCompute", "ExplanationCreate"]

MAX_COLUMNS = 200
"""The most columns of the row an explanation is computed for."""

_Name = Annotated[str, Field(min_length=1, max_length=200)]
_Reference = Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]


class ExplanationCreate(Request):
    """An explanation of one prediction of a version, made elsewhere."""

    version_id: UUID = Field(description="the model version that made the prediction")
    prediction_ref: _Reference = Field(description="the prediction explained, e.g. its id")
    method: _Name = Field(description="the explanation method, e.g. lime")
    parameters: dict[_Name, Any] = Field(
        default_factory=dict, max_length=100, description="the method's parameters (JSON values)"
    )
    seed: Seed
    weights_digest: Digest = Field(description="the digest of the stored feature weights")
    fidelity: Number = Field(ge=0, le=1, description="how well the explanation fits, 0 to 1")


class ExplanationCompute(Request):
    """Score and explain one row with the version's stored artifact, and record it."""

    version_id: UUID = Field(description="the model version that made the prediction")
    prediction_ref: _Reference = Field(description="the prediction explained, e.g. its id")
    row: dict[_Name, Scalar] = Field(
        max_length=MAX_COLUMNS,
        description=f"the record scored: column to value (at most {MAX_COLUMNS} columns)",
    )
    seed: Seed


def _record(context: CommandContext, actor: str, request: ExplanationCreate) -> Created:
    explanation_id = context.application.record_explanation(
        actor=actor,
        version_id=request.version_id,
        prediction_ref=request.prediction_ref,
        method=request.method,
        parameters=request.parameters,
        seed=request.seed,
        weights_digest=request.weights_digest,
        fidelity=request.fidelity,
    )
    return Created(id=explanation_id)


def _compute(context: CommandContext, actor: str, request: ExplanationCompute) -> Created:
    explanation_id = context.application.explain_prediction(
        actor=actor,
        version_id=request.version_id,
        prediction_ref=request.prediction_ref,
        row=request.row,
        seed=request.seed,
    )
    return Created(id=explanation_id)


SPECS: tuple[AnySpec, ...] = (
    CommandSpec(
        name="record-explanation",
        command=Command.RECORD_EXPLANATION,
        resource="explanations",
        path="/explanations",
        request=ExplanationCreate,
        response=Created,
        run=_record,
        summary="Record how one prediction was explained",
        status_code=201,
    ),
    CommandSpec(
        name="explain-prediction",
        command=Command.RECORD_EXPLANATION,
        resource="explanations",
        path="/explanations/compute",
        request=ExplanationCompute,
        response=Created,
        run=_compute,
        summary="Score and explain one row with the version's artifact, and record it",
        status_code=201,
        needs_ml=True,
    ),
)
