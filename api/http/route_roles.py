"""Which roles each API route admits, read off its dependencies and written into OpenAPI.

A route admits the roles of the ``require_roles`` dependencies it has (``api.http.auth``);
``document_roles`` copies them into the route's OpenAPI operation as ``x-roles`` so a client (and
the authorization-matrix test) reads them from ``/openapi.json``. A route without one is public.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.http.auth import allowed_roles_of
from domain.rules.roles import Role

__all__ = ["document_roles", "route_roles"]


def route_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles ``route`` admits (the intersection of its role checks); None when public."""
    found = list(_role_checks(route.dependant))
    if not found:
        return None
    admitted = found[0]
    for roles in found[1:]:
        admitted &= roles
    return admitted


def document_roles(router: APIRouter) -> None:
    """Write the admitted roles of each of ``router``'s routes into its OpenAPI operation as
    ``x-roles`` (call it before the router is included)."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            roles = route_roles(route)
            if roles is not None:
                route.openapi_extra = {**(route.openapi_extra or {}), "x-roles": sorted(roles)}


def _role_checks(dependant: Dependant) -> Iterator[frozenset[Role]]:
    roles = allowed_roles_of(dependant.call)
    if roles is not None:
        yield roles
    for sub in dependant.dependencies:
        yield from _role_checks(sub)
