"""The app factory: ``create_app(settings)`` opens the ledger and serves the whole API.

Routes live under ``/v1`` (commands, ledger, scoring, auditor questions), ``/console`` (pages)
and at the root (``/healthz``, ``/readyz``, ``/metrics``); OpenAPI is at ``/openapi.json`` and
its docs at ``/docs``. Bodies larger than ``settings.http_max_body_bytes`` are refused with 413
before they are read whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.composition import Ledger, open_ledger
from api.console import routes as console
from api.http.body_limit import BodyLimit
from api.http.metrics import RequestMetrics
from api.http.problems import install_error_handlers
from api.http.route_roles import document_roles
from api.http.routes import (
    artifacts,
    auditor,
    commands,
    exports,
    ledger,
    ops,
    resources,
    scoring,
    statements,
)
from api.http.scorers import ScorerPool
from api.http.services import Services
from api.settings import Settings
from api.tokens import TokenStore

__all__ = ["create_app"]


def create_app(settings: Settings, *, opened: Ledger | None = None) -> FastAPI:
    """The API over the ledger ``settings`` name (or over ``opened``, which the caller closes).

    The ledger is opened with the real ML adapters, so scoring, training and explaining work."""
    owned = opened is None
    the_ledger = open_ledger(settings, with_ml=True) if opened is None else opened

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()
        if owned:
            the_ledger.close()

    app = FastAPI(
        title="govledger",
        version="1",
        summary="A signed, verifiable governance ledger for machine-learning models.",
        lifespan=lifespan,
    )
    pool = app.state.scorers = ScorerPool(the_ledger)
    app.state.services = Services(
        settings=settings, ledger=the_ledger, tokens=TokenStore(the_ledger.database)
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.http_max_body_bytes)
    app.add_middleware(RequestMetrics)
    for router in [
        *commands.routers(),
        statements.router,
        artifacts.router,
        ledger.router,
        scoring.router,
        auditor.router,
        resources.router,
        exports.router,
    ]:
        document_roles(router)
        app.include_router(router, prefix="/v1")
    app.include_router(ops.router)
    app.include_router(console.router, prefix="/console")
    return app
