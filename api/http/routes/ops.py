"""Routes: ops. ``/healthz``, ``/readyz`` and ``/metrics``, for probes and scrapers (no token).

- ``GET /healthz``: the process answers (200 ``{"status": "ok"}``); it touches nothing else;
- ``GET /readyz``: 200 when the database answers, its schema is this govledger's, the read side
  is within ``READY_LAG_LEAVES`` of the log and no background worker of ``govledger serve`` has
  failed; otherwise 503 ``{"error": "not_ready", "detail": ..., "checks": ...}`` naming each
  failed check;
- ``GET /metrics``: Prometheus text from the app's own registry (``api.http.metrics``).
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import migrations
from api.composition import Ledger
from api.errors import ConfigurationError
from api.http.metrics import metrics_of
from api.http.services import Services, services
from api.read_side import log_size, read_view

__all__ = ["READY_LAG_LEAVES", "Background", "router"]

READY_LAG_LEAVES = 100
"""The most leaves the read side may trail the log by and the API still be ready."""

router = APIRouter(tags=["ops"])


@runtime_checkable
class Background(Protocol):
    """What ``govledger serve`` puts in ``app.state.background``: its workers' failures."""

    def failures(self) -> list[str]:
        """One line per background worker that stopped on an error (empty when all run)."""


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    """Always 200 while the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Ready to serve: database, schema, read side, background workers",
    responses={503: {"description": "not ready: the failed checks"}},
)
def readyz(request: Request, found: Annotated[Services, Depends(services)]) -> JSONResponse:
    """200 with every check when ready; 503 naming the checks that failed."""
    checks = _checks(found.ledger)
    background = getattr(request.app.state, "background", None)
    if isinstance(background, Background):
        failures = background.failures()
        checks["workers"] = {"ok": not failures, "detail": "; ".join(failures) or "running"}
    failed = [f"{name}: {check['detail']}" for name, check in checks.items() if not check["ok"]]
    if failed:
        body = {"error": "not_ready", "detail": "; ".join(failed), "checks": checks}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", "checks": checks})


def _checks(ledger: Ledger) -> dict[str, dict[str, Any]]:
    database = ledger.database
    try:
        database.check_reachable()
    except ConfigurationError as exc:
        skipped = {"ok": False, "detail": "not checked: the database does not answer"}
        return {"database": {"ok": False, "detail": str(exc)}, "schema": skipped}
    checks: dict[str, dict[str, Any]] = {"database": {"ok": True, "detail": database.describe()}}
    try:
        current, head = migrations.current_revision(database), migrations.head_revision()
    except ConfigurationError as exc:
        checks["schema"] = {"ok": False, "detail": str(exc)}
        return checks
    checks["schema"] = {
        "ok": current == head,
        "detail": f"at {current}" if current == head else f"at {current}, not {head}: run init",
    }
    if current != head:
        return checks
    size, position = log_size(ledger), read_view(ledger).size()
    lag = size - position
    checks["read_side"] = {
        "ok": lag <= READY_LAG_LEAVES,
        "detail": f"projected {position} of {size} leaves"
        + ("" if lag <= READY_LAG_LEAVES else f", more than {READY_LAG_LEAVES} behind"),
        "position": position,
        "log_size": size,
    }
    return checks


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request) -> Response:
    """The app's metrics in the Prometheus text format."""
    registry = metrics_of(request.app).registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
