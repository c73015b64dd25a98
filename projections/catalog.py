"""The catalog: names for the ids events carry, the lookup every other read model starts from.

Events name their subject by id (a version's ``model_id``, a finding's ``model_version_id``);
read models answer by name (``credit-risk`` version 3). The catalog keeps, per id, the names
and numbers known from earlier events, as documents of the kinds below. It runs first.
"""

from __future__ import annotations

from typing import Any

from projections.events import event_name
from projections.read_state import ReadState

__all__ = [
    "DATASET",
    "FINDING",
    "MODEL",
    "PREDICTION_LOG",
    "VERSION",
    "CatalogProjection",
    "VersionName",
    "version_name",
]

MODEL = "catalog.model"
"""Model id -> ``{"name"}``."""
VERSION = "catalog.version"
"""Version id -> ``{"model", "model_id", "number"}``."""
DATASET = "catalog.dataset"
"""Dataset id -> ``{"name"}``."""
FINDING = "catalog.finding"
"""Finding id -> ``{"model", "number", "version_id", "severity"}``."""
PREDICTION_LOG = "catalog.prediction_log"
"""Prediction log id -> ``{"model", "number", "version_id", "environment", "kind"}``."""


class VersionName(tuple[str, int]):
    """A version by name: (model name, version number)."""

    @property
    def model(self) -> str:
        """The model's name."""
        return self[0]

    @property
    def number(self) -> int:
        """The version's number within its model."""
        return self[1]


def version_name(state: ReadState, version_id: object) -> VersionName | None:
    """The model name and number of a version id, or None when no event named it yet."""
    found = state.get(VERSION, str(version_id))
    return None if found is None else VersionName((found["model"], found["number"]))


class CatalogProjection:
    """Keeps the names of models, versions, datasets, findings and prediction logs by id."""

    name = "catalog"

    def apply(self, event: Any, state: ReadState) -> None:
        """Record the names an event introduces."""
        name = event_name(event)
        if name == "Model.Registered":
            state.put(MODEL, str(event.originator_id), {"name": event.name})
        elif name == "Dataset.Registered":
            state.put(DATASET, str(event.originator_id), {"name": event.name})
        elif name == "ModelVersion.Trained":
            model = state.get(MODEL, str(event.model_id))
            name = model["name"] if model else str(event.model_id)
            body = {"model": name, "model_id": str(event.model_id), "number": event.number}
            state.put(VERSION, str(event.originator_id), body, scope=name)
        elif name == "Finding.Raised":
            self._subject(state, FINDING, event, {"severity": event.severity})
        elif name == "PredictionLog.Opened":
            extra = {"environment": event.environment, "kind": event.kind}
            self._subject(state, PREDICTION_LOG, event, extra)

    @staticmethod
    def _subject(state: ReadState, kind: str, event: Any, extra: dict[str, Any]) -> None:
        version_id = str(event.model_version_id)
        version = state.get(VERSION, version_id) or {"model": "", "number": 0}
        body = {"model": version["model"], "number": version["number"], "version_id": version_id}
        state.put(kind, str(event.originator_id), {**body, **extra}, scope=version["model"])
