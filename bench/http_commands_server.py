"""The API for the HTTP command benchmark: uvicorn on ``create_app``, one process.

Run as ``python -m bench.http_commands_server --port N`` with ``GOVLEDGER_*`` naming an
initialised ledger. A command path of the benchmark that the API does not serve yet is served by
a FALLBACK route tagged ``bench fallback``: it authenticates the bearer token as the API does and
calls the same application method in process. The benchmark reads the tags off
``/openapi.json`` and prints which paths, if any, were served this way.
"""

from __future__ import annotations

import argparse
import base64
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

import uvicorn
from fastapi import APIRouter, Body, Depends, FastAPI

from api.http.app import create_app
from api.http.auth import Caller, authenticated
from api.http.services import Services, services
from api.settings import Settings
from domain.application import GovernanceApplication

__all__ = ["FALLBACK_TAG", "build_app"]

FALLBACK_TAG = "bench fallback"

Command = Callable[[GovernanceApplication, str, dict[str, Any]], dict[str, Any]]


def _record(app: GovernanceApplication, actor: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(
            app.train_model_version(actor=actor, **{**body, "model_id": UUID(body["model_id"])})
        )
    }


def _start(app: GovernanceApplication, actor: str, body: dict[str, Any]) -> dict[str, Any]:
    app.start_validation(actor=actor, version_id=UUID(body["version_id"]))
    return {}


def _conclude(app: GovernanceApplication, actor: str, body: dict[str, Any]) -> dict[str, Any]:
    signed = {**body, "signature": base64.b64decode(body["signature"])}
    app.conclude_validation(actor=actor, **{**signed, "version_id": UUID(body["version_id"])})
    return {}


def _approve(app: GovernanceApplication, actor: str, body: dict[str, Any]) -> dict[str, Any]:
    signed = {**body, "signature": base64.b64decode(body["signature"])}
    app.grant_approval(actor=actor, **{**signed, "version_id": UUID(body["version_id"])})
    return {}


def _deploy(app: GovernanceApplication, actor: str, body: dict[str, Any]) -> dict[str, Any]:
    app.deploy(actor=actor, **{**body, "version_id": UUID(body["version_id"])})
    return {}


FALLBACKS: dict[str, Command] = {
    "/v1/models/versions": _record,
    "/v1/validations/start": _start,
    "/v1/validations/conclude": _conclude,
    "/v1/approvals": _approve,
    "/v1/deployments": _deploy,
}


def build_app(settings: Settings) -> FastAPI:
    """The API, plus a labelled fallback for each benchmark path it does not serve."""
    app = create_app(settings)
    served = {path for path, operations in app.openapi()["paths"].items() if "post" in operations}
    router = APIRouter(tags=[FALLBACK_TAG])
    for path, command in FALLBACKS.items():
        if path not in served:
            router.add_api_route(path, _endpoint(command), methods=["POST"])
    if router.routes:
        app.include_router(router)
        app.openapi_schema = None  # published again with the fallback routes
    return app


def _endpoint(command: Command) -> Callable[..., dict[str, Any]]:
    def endpoint(
        body: Annotated[dict[str, Any], Body()],
        caller: Annotated[Caller, Depends(authenticated)],
        found: Annotated[Services, Depends(services)],
    ) -> dict[str, Any]:
        return command(found.ledger.application, caller.name, body)

    return endpoint


def main() -> None:
    """Serve the API on 127.0.0.1 until terminated."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args()
    uvicorn.run(
        build_app(Settings()),
        host="127.0.0.1",
        port=options.port,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
