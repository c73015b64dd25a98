"""Routes: the state of models, datasets, principals and findings, as of a log size.

Every answer carries the log size and root it reflects and the ``as_of`` asked for; lists are
``{data, count}`` pages (``count``: all there are). Unknown names are 404 ``not_found`` naming
those that exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import Field

from api.http.principal_state import principal_state, principals
from api.http.reading import AsOf, Cited, Listing, Page, Row, cited, read_access
from api.http.resource_state import dataset_page, dataset_state, findings, model_page, model_state
from api.http.services import Services, services

__all__ = ["router"]

router = APIRouter(tags=["state"])

Found = Annotated[Services, Depends(services)]
Name = Annotated[str, Path(max_length=200)]


class ModelPublic(Cited):
    """A model's inventory row and each version's state."""

    model: Row
    versions: list[Row]


class DatasetPublic(Cited):
    """A dataset's lineage node and its versions' nodes."""

    dataset: Row
    versions: list[Row]


class PrincipalPublic(Cited):
    """A principal: its roles and personal keys with their status."""

    name: str
    roles: list[str]
    registered_by: str
    keys: list[Row]
    sources: list[int]


class FindingsPublic(Cited):
    """Every finding, with its status and the leaves of its events."""

    data: list[Row]
    count: int = Field(ge=0)


@router.get(
    "/models",
    response_model=Listing,
    dependencies=read_access("read models"),
    summary="The models registered, a page at a time",
)
def list_models(found: Found, page: Page, as_of: AsOf = None) -> Row:
    """Each model's inventory row, by name."""
    return cited(
        found.ledger,
        as_of,
        lambda view, size: model_page(view, size, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/models/{name}",
    response_model=ModelPublic,
    dependencies=read_access("read a model"),
    summary="A model and the state of each of its versions",
)
def get_model(found: Found, name: Name, as_of: AsOf = None) -> Row:
    """Model ``name``: its inventory row and its versions, by number."""
    return cited(found.ledger, as_of, lambda view, size: model_state(view, size, name))


@router.get(
    "/datasets",
    response_model=Listing,
    dependencies=read_access("read datasets"),
    summary="The datasets registered, a page at a time",
)
def list_datasets(found: Found, page: Page, as_of: AsOf = None) -> Row:
    """Each registered dataset's lineage node, by name."""
    return cited(
        found.ledger,
        as_of,
        lambda view, size: dataset_page(view, size, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/datasets/{name}",
    response_model=DatasetPublic,
    dependencies=read_access("read a dataset"),
    summary="A dataset and its versions",
)
def get_dataset(found: Found, name: Name, as_of: AsOf = None) -> Row:
    """Dataset ``name`` and each of its versions."""
    return cited(found.ledger, as_of, lambda view, size: dataset_state(view, size, name))


@router.get(
    "/principals",
    response_model=Listing,
    dependencies=read_access("read principals"),
    summary="The principals registered, a page at a time",
)
def list_principals(found: Found, page: Page, as_of: AsOf = None) -> Row:
    """Each principal's roles and keys, by name."""
    ledger = found.ledger

    def query(_: object, size: int) -> Row:
        every = principals(ledger, size)
        chosen = every[page.offset : page.offset + page.limit]
        return {"data": chosen, "count": len(every), "limit": page.limit, "offset": page.offset}

    return cited(ledger, as_of, query)


@router.get(
    "/principals/{name}",
    response_model=PrincipalPublic,
    dependencies=read_access("read a principal"),
    summary="A principal: roles, and keys with their status",
)
def get_principal(found: Found, name: Name, as_of: AsOf = None) -> Row:
    """Principal ``name`` as of ``as_of``."""
    ledger = found.ledger
    return cited(ledger, as_of, lambda _, size: principal_state(ledger, size, name))


@router.get(
    "/findings",
    response_model=FindingsPublic,
    dependencies=read_access("read findings"),
    summary="Findings, with their status",
)
def list_findings(
    found: Found,
    model: Annotated[str | None, Query(max_length=200, description="only this model")] = None,
    as_of: AsOf = None,
) -> Row:
    """Every finding (of ``model``), by model, version and severity."""
    return cited(found.ledger, as_of, lambda view, size: findings(view, size, model))
