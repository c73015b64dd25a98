"""Errors of the read side.

ReadSideError
├── NotFoundError      a model, dataset or version the read side does not know (at that size)
├── AsOfError          an ``as_of`` that is neither an RFC 3339 time nor a log size in range
├── NotCaughtUpError   the read side has not processed the log size asked for
└── ProjectionError    the log could not be projected (an event failed verification, ...)
"""

from __future__ import annotations

__all__ = ["AsOfError", "NotCaughtUpError", "NotFoundError", "ProjectionError", "ReadSideError"]


class ReadSideError(Exception):
    """Base class of the read side's errors; the message says what to fix."""


class NotFoundError(ReadSideError):
    """The read side knows no such model, dataset or version at the log size asked about."""


class AsOfError(ReadSideError):
    """``as_of`` is neither an RFC 3339 time nor a log size the ledger has."""


class NotCaughtUpError(ReadSideError):
    """The read side is behind the log size asked about: run the projection worker."""


class ProjectionError(ReadSideError):
    """An event could not be projected: it failed verification, or the log has a hole."""
