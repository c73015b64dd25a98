"""Routes: every command of the registry as ``POST /v1<path>``, one router per resource.

Each route is built from its spec: the body is ``spec.request``, the answer ``spec.response``
with ``spec.status_code``, the operation id ``spec.name``. A caller holding none of the
command's roles is refused with 403 before its body is read, and the refusal recorded on the
ledger (as the domain records it); the domain then checks the roles again, with every other
rule, and records any refusal of its own.
"""

# No ``from __future__ import annotations``: FastAPI reads the endpoint's annotations as
# objects, and the body's type is a local of the factory.

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.http.auth import Caller, require_roles
from api.http.services import Services, services
from api.registry.catalog import COMMANDS
from api.registry.spec import AnySpec, Request, Response

__all__ = ["ErrorBody", "routers"]


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    error: str = Field(description="a stable code: not_found, not_authorized, invalid_request...")
    detail: str = Field(description="what went wrong and what to fix, in one line")


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        400: "The body is not valid JSON",
        401: "No valid bearer token",
        403: "The caller may not issue this command (the refusal is recorded on the ledger)",
        404: "An id in the body names nothing",
        409: "A rule of the governance process refuses the command (recorded on the ledger)",
        422: "A field is missing, of the wrong type or out of bounds (the detail names it)",
    }.items()
}


def routers() -> list[APIRouter]:
    """One router per resource of the registry, in the registry's order."""
    built: dict[str, APIRouter] = {}
    for spec in COMMANDS:
        router = built.setdefault(spec.resource, APIRouter(tags=[spec.resource]))
        _add_route(router, spec)
    return list(built.values())


def _add_route(router: APIRouter, spec: AnySpec) -> None:
    roles = ", ".join(sorted(spec.roles))
    router.add_api_route(
        spec.path,
        _endpoint(spec),
        methods=["POST"],
        operation_id=spec.name,
        summary=spec.summary,
        description=f"{spec.request.__doc__ or spec.summary}\n\nRoles allowed: {roles}. "
        f"CLI: `govledger {spec.name} --actor NAME`.",
        response_model=spec.response,
        status_code=spec.status_code,
        responses=_ERRORS,
    )


def _endpoint(spec: AnySpec) -> Any:
    """The endpoint of ``spec``, its body parameter annotated with ``spec.request`` so FastAPI
    reads, validates and documents it."""
    request_model: type[Request] = spec.request

    async def endpoint(
        body: request_model,  # type: ignore[valid-type]
        caller: Annotated[Caller, require_roles(spec.roles, spec.command.value)],
        found: Annotated[Services, Depends(services)],
    ) -> Response:
        answer: Response = await run_in_threadpool(spec.run, found.context, caller.name, body)
        return answer

    endpoint.__name__ = spec.name.replace("-", "_")
    return endpoint
