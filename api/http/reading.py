"""What every read of the API shares: ``as_of``, paging, and answers citing the log they reflect.

``cited`` brings the read side up to date with the log (as the CLI's questions do), then runs a
query as of ``as_of`` (an RFC 3339 time or a log size; None: the latest). Every answer carries
``log: {size, root}`` (the root in base64, as signed checkpoints print it) and ``as_of``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, params
from pydantic import BaseModel, ConfigDict, Field

from api import read_side
from api.composition import Ledger
from api.http.auth import reader
from api.http.problems import HttpError
from projections.errors import AsOfError

__all__ = [
    "MAX_LIMIT",
    "MAX_POSITION",
    "AsOf",
    "Cited",
    "Listing",
    "LogState",
    "Page",
    "Paging",
    "Row",
    "cited",
    "read_access",
]

MAX_LIMIT = 1000
"""The most rows or entries one page holds."""
MAX_POSITION = 2**62
"""Above every leaf index, size or offset a log reaches, and within both engines' 64-bit
integers (a larger one is refused as invalid, never sent to the database)."""

Row = dict[str, Any]
"""A read model's document as its query returns it (each row cites its leaves)."""

AsOf = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a log size (e.g. 42) or an RFC 3339 time (e.g. 2026-01-31T12:00:00Z); "
        "default: the latest the read side has projected",
        examples=["42", "2026-01-31T12:00:00Z"],
    ),
]


class LogState(BaseModel):
    """The log an answer reflects: its size and Merkle root (base64)."""

    size: int = Field(ge=0)
    root: str


class Cited(BaseModel):
    """An answer of the read side: the log it reflects and the ``as_of`` asked for."""

    model_config = ConfigDict(extra="forbid")

    log: LogState
    as_of: str = Field(description="the as_of asked for, or 'latest'")


class Paging(BaseModel):
    """A page: at most ``limit`` rows after the first ``offset``."""

    limit: int = Field(ge=1, le=MAX_LIMIT)
    offset: int = Field(ge=0, le=MAX_POSITION)


class Listing(Cited, Paging):
    """A page of documents and how many there are in all."""

    data: list[Row]
    count: int = Field(ge=0, description="how many there are in all, not only on this page")


def _page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_POSITION, description="rows to skip")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


Page = Annotated[Paging, Depends(_page)]
"""The ``limit`` (1..1000, default 100) and ``offset`` (>= 0) query parameters."""


def read_access(request_name: str) -> list[params.Depends]:
    """A route's ``dependencies``: a reading role (every role but ``scoring_client``); a refused
    ``request_name`` is recorded on the ledger and answered 403."""
    check = reader(request_name)
    assert isinstance(check, params.Depends)
    return [check]


def cited(ledger: Ledger, as_of: str | None, query: read_side.Query) -> dict[str, Any]:
    """Project what the log added, then answer ``query`` as of ``as_of`` with the log size and
    root it reflects. 422 ``invalid_as_of`` for an ``as_of`` out of range or unreadable, 422
    ``invalid_request`` for an argument the query refuses."""
    read_side.projector(ledger).catch_up()
    view = read_side.read_view(ledger)
    try:
        return read_side.cited_answer(ledger, view, as_of, query)
    except AsOfError as exc:
        raise HttpError(422, "invalid_as_of", str(exc).replace("--as-of", "as_of")) from None
    except ValueError as exc:  # an argument the query refuses (depth, kind, time)
        raise HttpError(422, "invalid_request", str(exc)) from None
