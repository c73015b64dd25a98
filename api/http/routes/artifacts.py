"""Routes: the content-addressed artifact store (datasets, evidence, model files).

Commands carry only digests; a client uploads the bytes first. ``POST /v1/artifacts`` stores the
raw body and answers its ``sha256:<hex>`` digest (storing the same bytes twice is harmless: the
name is the content's digest, so an upload can never replace other bytes). ``GET
/v1/artifacts/{digest}`` answers the bytes after checking them against their name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel

from api.http.auth import reader, require_roles
from api.http.problems import HttpError
from api.http.services import Services, services
from domain.rules.roles import Role
from ledger.encoding.digests import sha256_digest

__all__ = ["router"]

router = APIRouter(tags=["artifacts"])

UPLOADERS = frozenset(
    {Role.DATA_STEWARD, Role.MODEL_DEVELOPER, Role.VALIDATOR, Role.DEPLOYER, Role.MODEL_OWNER}
)
"""Who brings bytes the ledger's commands then cite: data, models, evidence, UAT reports."""

DIGEST = r"^sha256:[0-9a-f]{64}$"


class ArtifactStored(BaseModel):
    """The digest commands cite for the uploaded bytes."""

    digest: str
    size: int


@router.post(
    "/artifacts",
    status_code=201,
    summary="Store bytes in the artifact store; answer their digest",
    response_model=ArtifactStored,
    dependencies=[require_roles(UPLOADERS, "store an artifact")],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def store_artifact(
    request: Request, found: Annotated[Services, Depends(services)]
) -> ArtifactStored:
    content = await request.body()
    if not content:
        raise HttpError(422, "invalid_request", "the body is empty: send the artifact's bytes")
    store = found.ledger.application.artifacts
    if store is None:
        raise HttpError(503, "not_configured", "this server has no artifact store")
    digest = store.put(content)
    return ArtifactStored(digest=digest, size=len(content))


@router.get(
    "/artifacts/{digest}",
    summary="The bytes stored under a digest",
    response_class=Response,
    dependencies=[reader("read an artifact")],
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def read_artifact(
    digest: Annotated[str, Path(pattern=DIGEST, description="sha256:<64 lowercase hex>")],
    found: Annotated[Services, Depends(services)],
) -> Response:
    store = found.ledger.application.artifacts
    if store is None:
        raise HttpError(503, "not_configured", "this server has no artifact store")
    try:
        content = store.get(digest)
    except KeyError:
        raise HttpError(404, "not_found", f"no artifact stored under {digest}") from None
    if sha256_digest(content) != digest:
        raise HttpError(
            500, "integrity_failure", f"the artifact stored under {digest} has other bytes"
        )
    return Response(content, media_type="application/octet-stream")
