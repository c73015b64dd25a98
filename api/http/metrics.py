"""The API's Prometheus metrics, in a registry the app owns (never the process-global one).

- ``govledger_http_requests_total{method, route, status}``: requests answered, by route
  template (``/v1/models/{name}``, never the raw path; ``unmatched`` for no route);
- ``govledger_http_request_duration_seconds{method, route}``: their latency;
- read at each scrape from the ledger: ``govledger_log_size`` (leaves),
  ``govledger_read_side_position`` and ``govledger_read_side_lag`` (leaves not yet projected),
  ``govledger_checkpoint_size`` (leaves the latest signed checkpoint covers);
  ``govledger_ledger_up`` is 0 when they could not be read.

``RequestMetrics`` is the ASGI middleware that counts every HTTP request, refused ones included.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi.routing import iter_route_contexts
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.composition import Ledger
from api.read_side import log_size, read_view

__all__ = ["HttpMetrics", "RequestMetrics", "metrics_of"]

_LOG = logging.getLogger("govledger.http")
_UNMATCHED = "unmatched"
_CREATING = threading.Lock()


class _LedgerCollector(Collector):
    """Gauges read from the ledger at each scrape."""

    def __init__(self, ledger: Callable[[], Ledger]) -> None:
        self._ledger = ledger

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("govledger_ledger_up", "1 when the ledger's figures were read")
        try:
            figures = _figures(self._ledger())
        except Exception:  # a scrape reports a broken database; it never fails
            _LOG.warning("metrics: cannot read the ledger's figures", exc_info=True)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        families = self._families()
        for family in families:
            family.add_metric([], figures[family.name])
        return [up, *families]

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("govledger_log_size", "Leaves in the transparency log"),
            GaugeMetricFamily("govledger_read_side_position", "Leaves the read side projected"),
            GaugeMetricFamily("govledger_read_side_lag", "Leaves not yet projected"),
            GaugeMetricFamily(
                "govledger_checkpoint_size", "Leaves the latest signed checkpoint covers"
            ),
        ]


def _figures(ledger: Ledger) -> dict[str, float]:
    size = log_size(ledger)
    position = read_view(ledger).size()
    with ledger.tree.reading() as cursor:
        latest = ledger.tree.latest_checkpoint(cursor)
    return {
        "govledger_log_size": size,
        "govledger_read_side_position": position,
        "govledger_read_side_lag": max(size - position, 0),
        "govledger_checkpoint_size": 0 if latest is None else latest.size,
    }


def _templates(routes: Sequence[BaseRoute]) -> dict[int, list[tuple[str, re.Pattern[str]]]]:
    """Each route object's full path templates, as included (a router may be included twice)."""
    found: dict[int, list[tuple[str, re.Pattern[str]]]] = {}
    for context in iter_route_contexts(routes):
        template = context.path_format
        if template is not None:
            pattern, _, _ = compile_path(template)
            found.setdefault(id(context.original_route), []).append((template, pattern))
    return found


class HttpMetrics:
    """One app's metrics and their registry."""

    def __init__(
        self, ledger: Callable[[], Ledger], routes: Callable[[], Sequence[BaseRoute]]
    ) -> None:
        self._app_routes = routes
        self._templates: dict[int, list[tuple[str, re.Pattern[str]]]] = {}
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "govledger_http_requests",
            "HTTP requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "govledger_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(_LedgerCollector(ledger))

    def templates_of(self, route: object) -> list[tuple[str, re.Pattern[str]]]:
        """The full path templates (prefixes included) under which ``route`` is served."""
        found = self._templates.get(id(route))
        if found is None:
            self._templates = _templates(self._app_routes())
            found = self._templates.get(id(route), [])
        return found

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def metrics_of(app: Any) -> HttpMetrics:
    """The metrics of ``app`` (a FastAPI app), created on first use in ``app.state.metrics``."""
    found = getattr(app.state, "metrics", None)
    if found is None:
        with _CREATING:
            found = getattr(app.state, "metrics", None)
            if found is None:
                found = HttpMetrics(lambda: app.state.services.ledger, lambda: app.routes)
                app.state.metrics = found
    assert isinstance(found, HttpMetrics)
    return found


def _route_template(scope: Scope) -> str:
    """The full path template of the route that answered (bounded label values)."""
    route = scope.get("route")
    if route is None:
        return _UNMATCHED
    path = str(scope.get("path", ""))
    for template, pattern in metrics_of(scope["app"]).templates_of(route):
        if pattern.fullmatch(path):
            return template
    found = getattr(route, "path", None)
    return found if isinstance(found, str) else _UNMATCHED


class RequestMetrics:
    """ASGI middleware: count each HTTP request and time it, by method, route and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics_of(scope["app"]).observe(
                scope["method"], _route_template(scope), status, time.perf_counter() - started
            )
