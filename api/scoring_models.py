"""The bodies of scoring and feedback requests and answers: the HTTP routes' and the CLI's."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "FeedbackAnswer",
    "FeedbackRequest",
    "Label",
    "PredictAnswer",
    "PredictRequest",
    "Scored",
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PredictRequest(_Body):
    """Rows to score: each maps every feature column of the training data to its value.

    The cap on rows per request is ``settings.scoring_batch_max_rows`` (checked by the scorer)."""

    rows: list[dict[str, Any]] = Field(min_length=1)


class Scored(_Body):
    """One prediction: its id in the prediction log, its score and its decision."""

    id: str
    score: float
    decision: int


class LogPosition(_Body):
    """The ledger's size and root when the answer was given."""

    size: int = Field(ge=0)
    root: str


class PredictAnswer(_Body):
    """The version that scored the rows and one prediction per row, in row order."""

    version_id: str
    predictions: list[Scored]
    log: LogPosition


class Label(_Body):
    """The true outcome of an earlier prediction."""

    prediction_id: str = Field(min_length=1, max_length=64)
    label: str = Field(min_length=1, max_length=200)


class FeedbackRequest(_Body):
    """The true outcomes of earlier predictions of the version deployed."""

    labels: list[Label] = Field(min_length=1)


class FeedbackAnswer(_Body):
    """How many labels were logged, against which version."""

    version_id: str
    logged: int
    log: LogPosition
