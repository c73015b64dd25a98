"""Route: ``POST /v1/exports`` answers a model's evidence bundle as one reproducible ``.tar.gz``.

The same bundle ``govledger export --out NAME.tar.gz`` writes, byte for byte, for the same
ledger state and checkpoint; ``govledger verify-bundle`` checks it offline.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from api.exports.archive import tar_gz
from api.exports.assemble import gather
from api.exports.bundle import bundle_files
from api.exports.predictions import extract_predictions
from api.http.auth import reader
from api.http.services import Services, services

__all__ = ["router"]

router = APIRouter(tags=["auditor"])

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ExportRequest(BaseModel):
    """Which bundle: a model, optionally one version, cut at a checkpoint."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="the model, e.g. credit-risk")
    version: int | None = Field(default=None, ge=1, description="only this version")
    as_of: str | None = Field(
        default=None,
        max_length=64,
        description="cut at the latest checkpoint signed at or before this log size or RFC 3339 "
        "time (default: the log as it is now, checkpointed first)",
    )


@router.post(
    "/exports",
    summary="A model's evidence bundle (.tar.gz), verifiable offline",
    response_class=Response,
    dependencies=[reader("export an evidence bundle")],
    responses={200: {"content": {"application/gzip": {}}}},
)
def export_bundle(
    request: ExportRequest, found: Annotated[Services, Depends(services)]
) -> Response:
    evidence = gather(found.ledger, request.model, request.version, request.as_of)
    files = bundle_files(evidence, extract_predictions(found.ledger, evidence.context))
    context = evidence.context
    version = f"-v{context.version}" if context.version is not None else ""
    # A model's name may hold characters a header or a folder name must not: keep the safe ones.
    name = _UNSAFE.sub("_", f"{context.model}-{context.checkpoint.size}{version}")
    return Response(
        tar_gz(files, name),
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}.tar.gz"'},
    )
