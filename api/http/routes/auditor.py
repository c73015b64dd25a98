"""Routes: the auditor's questions, answered from the read side as the CLI's ``--json`` does.

Each answers as of ``as_of`` (a log size or an RFC 3339 time; default the latest), carries the
log size and root it reflects, and cites the leaves of its source events in every row. Unknown
models or names are 404 ``not_found`` naming what exists; an ``as_of`` out of range 422
``invalid_as_of``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from api.http.problems import HttpError
from api.http.reading import AsOf, Cited, Page, Paging, Row, cited, read_access
from api.http.services import Services, services
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory
from projections.lineage.queries import MAX_DEPTH, lineage
from projections.risk.register import risk_register
from projections.search_index import search
from projections.timeline import timeline
from projections.times import parse_time

__all__ = ["router"]

router = APIRouter(tags=["auditor"])

Found = Annotated[Services, Depends(services)]
ModelFilter = Annotated[str | None, Query(max_length=200, description="only this model")]
ModelName = Annotated[str, Path(max_length=200, description="the model's name")]


class LineageAnswer(Cited):
    """The nodes and edges within ``depth`` of ``root``."""

    root: str
    direction: Literal["upstream", "downstream", "both"]
    depth: int
    nodes: list[Row]
    edges: list[Row]


class InventoryAnswer(Cited, Paging):
    """A page of the model inventory (SR 11-7 fields) and the count of all models."""

    rows: list[Row]
    count: int


class RiskRegisterAnswer(Cited):
    """Every model version with its risks, and the policy in force."""

    policy: Row
    rows: list[Row]


class TimelineAnswer(Cited, Paging):
    """A page of the events about a model, in log order (``count``: rows on this page)."""

    model: str
    rows: list[Row]
    count: int


class WhyAnswer(Cited):
    """Why each version asked about is allowed, or not, where it runs."""

    model: str
    risk_tier: Row
    policy: Row
    versions: list[Row]


class DeploymentsAnswer(Cited):
    """Which version runs where since when, and the history of deploys and rollbacks."""

    rows: list[Row]
    history: list[Row]


class SearchAnswer(Cited, Paging):
    """A page of the predictions sealed, explanations or refusals found (``count``: on it)."""

    kind: str
    rows: list[Row]
    count: int


@router.get(
    "/lineage/{name}",
    response_model=LineageAnswer,
    dependencies=read_access("read lineage"),
    summary="The lineage of a model, version or dataset",
)
def get_lineage(
    found: Found,
    name: Annotated[
        str,
        Path(
            max_length=300,
            description="credit-risk, credit-risk@2, german-credit or german-credit@1",
        ),
    ],
    as_of: AsOf = None,
    direction: Literal["upstream", "downstream", "both"] = "both",
    depth: Annotated[int, Query(ge=1, le=MAX_DEPTH, description="edges to follow")] = 5,
) -> Row:
    """What ``name`` came from (upstream), what came from it (downstream), or both."""
    way = None if direction == "both" else direction
    return cited(
        found.ledger,
        as_of,
        lambda view, size: lineage(view, size, name, direction=way, depth=depth),
    )


@router.get(
    "/inventory",
    response_model=InventoryAnswer,
    dependencies=read_access("read inventory"),
    summary="The model inventory (SR 11-7 fields), a page at a time",
)
def get_inventory(found: Found, page: Page, as_of: AsOf = None) -> Row:
    """The models registered, by name, each field citing its leaves."""
    return cited(
        found.ledger,
        as_of,
        lambda view, size: inventory(view, size, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/risk-register",
    response_model=RiskRegisterAnswer,
    dependencies=read_access("read risk register"),
    summary="The risk register, one row per model version",
)
def get_risk_register(found: Found, model: ModelFilter = None, as_of: AsOf = None) -> Row:
    """Open findings, monitoring, approvals, accepted risks and residual risk per version."""
    return cited(found.ledger, as_of, lambda view, size: risk_register(view, size, model))


@router.get(
    "/models/{name}/timeline",
    response_model=TimelineAnswer,
    dependencies=read_access("read timeline"),
    summary="Every event about a model, in log order",
)
def get_timeline(found: Found, name: ModelName, page: Page, as_of: AsOf = None) -> Row:
    """The timeline of model ``name``, a page at a time."""
    return cited(
        found.ledger,
        as_of,
        lambda view, size: timeline(view, size, name, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/models/{name}/why",
    response_model=WhyAnswer,
    dependencies=read_access("read why"),
    summary="Why a version is allowed where it runs, every statement cited",
)
def get_why(
    found: Found,
    name: ModelName,
    version: Annotated[
        int | None, Query(ge=1, description="a version number (default: those live)")
    ] = None,
    as_of: AsOf = None,
) -> Row:
    """The gates, signatures and policy behind ``version`` (default: each live version)."""
    return cited(found.ledger, as_of, lambda view, size: why(view, size, name, version))


@router.get(
    "/deployments",
    response_model=DeploymentsAnswer,
    dependencies=read_access("read deployments"),
    summary="Which version runs where, since when",
)
def get_deployments(found: Found, model: ModelFilter = None, as_of: AsOf = None) -> Row:
    """The live versions per model and environment, and their deploy history."""
    return cited(found.ledger, as_of, lambda view, size: deployments(view, size, model))


@router.get(
    "/search/{kind}",
    response_model=SearchAnswer,
    dependencies=read_access("search"),
    summary="Search sealed prediction segments, explanations or refusals",
)
def get_search(
    found: Found,
    *,
    kind: Literal["prediction_segment", "explanation", "refusal"],
    page: Page,
    model: ModelFilter = None,
    actor: Annotated[str | None, Query(max_length=200, description="only this actor")] = None,
    start: Annotated[
        str | None, Query(max_length=64, description="recorded at or after (RFC 3339)")
    ] = None,
    end: Annotated[
        str | None, Query(max_length=64, description="recorded at or before (RFC 3339)")
    ] = None,
    as_of: AsOf = None,
) -> Row:
    """Entries of ``kind`` in log order, filtered, a page at a time."""
    for parameter, text in (("start", start), ("end", end)):
        _check_time(parameter, text)
    return cited(
        found.ledger,
        as_of,
        lambda view, size: search(
            view,
            size,
            kind,
            model=model,
            actor=actor,
            since=start,
            until=end,
            limit=page.limit,
            offset=page.offset,
        ),
    )


def _check_time(parameter: str, text: str | None) -> None:
    """422 naming ``parameter`` unless ``text`` is None or an RFC 3339 time."""
    if text is None:
        return
    try:
        parse_time(text)
    except ValueError as exc:
        raise HttpError(422, "invalid_request", f"{parameter}: {exc}") from None
