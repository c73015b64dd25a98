"""Where the prediction log's segment files live under ``GOVLEDGER_HOME`` (no ML imported)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

__all__ = ["prediction_directory"]


def prediction_directory(home: Path, version_id: UUID, environment: str, kind: str) -> Path:
    """Where the segments of one version's predictions (or feedback) in one environment live."""
    return home / "predictions" / str(version_id) / environment / kind
