"""``/healthz``, ``/readyz`` and ``/metrics`` on SQLite and on PostgreSQL: no token needed, each
readiness check able to fail on its own, metrics from the app's own registry."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import prometheus_client
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api import migrations
from api.composition import Ledger
from api.database import Database
from api.http.app import create_app
from api.http.routes import ops
from api.http.services import Services
from api.read_side import log_size, projector
from api.settings import Settings

ITEMS = "/v1/test-only/items/{item}"


def _item(item: str) -> dict[str, str]:
    return {"item": item}


class Workers:
    def __init__(self, failures: list[str]) -> None:
        self._failures = failures

    def failures(self) -> list[str]:
        return self._failures


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _requests(method: str, route: str, status: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    labels = {"method": method, "route": route, "status": status}
    return "govledger_http_requests_total", tuple(sorted(labels.items()))


class HttpOpsContract:
    @pytest.fixture
    def app(self, settings: Settings, ledger: Ledger) -> FastAPI:
        assert ledger.application.bootstrap_admin("root")
        ledger.application.register_principal(actor="root", name="aud", roles=["auditor"])
        app = create_app(settings, opened=ledger)
        app.add_api_route(ITEMS, _item)
        return app

    @pytest.fixture
    def client(self, app: FastAPI) -> Iterator[TestClient]:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client

    def test_healthz_answers_ok_without_a_token(self, client: TestClient) -> None:
        answer = client.get("/healthz")

        assert answer.status_code == 200
        assert answer.json() == {"status": "ok"}

    def test_readyz_is_ready_once_the_read_side_caught_up(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        size = projector(ledger).catch_up()

        answer = client.get("/readyz")

        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "ready"
        assert body["checks"]["database"]["ok"]
        assert body["checks"]["schema"] == {
            "ok": True,
            "detail": f"at {migrations.head_revision()}",
        }
        assert body["checks"]["read_side"]["position"] == size == log_size(ledger) == 2

    def test_readyz_is_503_when_the_read_side_trails_too_far(
        self, client: TestClient, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(ops, "READY_LAG_LEAVES", 1)

        behind = client.get("/readyz")
        projector(ledger).catch_up()
        caught_up = client.get("/readyz")

        assert behind.status_code == 503, behind.text
        body = behind.json()
        assert body["error"] == "not_ready"
        assert "read_side: projected 0 of 2 leaves, more than 1 behind" in body["detail"]
        assert body["checks"]["read_side"]["ok"] is False
        assert body["checks"]["database"]["ok"] is True
        assert caught_up.status_code == 200, caught_up.text

    def test_readyz_is_503_when_the_schema_is_not_at_head(
        self, client: TestClient, database: Database
    ) -> None:
        migrations.downgrade(database, "0004")

        answer = client.get("/readyz")

        assert answer.status_code == 503, answer.text
        assert answer.json()["checks"]["schema"]["ok"] is False
        assert "schema: at 0004, not" in answer.json()["detail"]

    def test_readyz_is_503_when_the_database_does_not_answer(
        self, app: FastAPI, client: TestClient, ledger: Ledger, tmp_path: Path
    ) -> None:
        found: Services = app.state.services
        gone = self.unreachable(ledger.database, tmp_path)
        app.state.services = dataclasses.replace(
            found, ledger=dataclasses.replace(ledger, database=gone)
        )

        answer = client.get("/readyz")

        assert answer.status_code == 503, answer.text
        assert answer.json()["checks"]["database"]["ok"] is False
        assert answer.json()["detail"].startswith("database: ")

    def test_readyz_is_503_when_a_background_worker_failed(
        self, app: FastAPI, client: TestClient, ledger: Ledger
    ) -> None:
        projector(ledger).catch_up()
        app.state.background = Workers([])
        running = client.get("/readyz")
        app.state.background = Workers(["projection worker stopped: integrity failure"])

        failed = client.get("/readyz")

        assert running.status_code == 200
        assert running.json()["checks"]["workers"] == {"ok": True, "detail": "running"}
        assert failed.status_code == 503
        assert "workers: projection worker stopped" in failed.json()["detail"]

    def test_metrics_count_requests_by_route_template_and_status(self, client: TestClient) -> None:
        client.get("/healthz")
        client.get("/healthz")
        client.get("/v1/test-only/items/a")
        client.get("/v1/test-only/items/b")
        client.get("/no/such/path")
        client.get("/v1/ledger/keys")  # a read without a token: 401

        samples = _samples(client)

        assert samples[_requests("GET", "/healthz", "200")] == 2
        assert samples[_requests("GET", ITEMS, "200")] == 2
        assert samples[_requests("GET", "unmatched", "404")] == 1
        assert samples[_requests("GET", "/v1/ledger/keys", "401")] == 1
        assert not any("/v1/test-only/items/a" in str(labels) for _, labels in samples)
        latency = ("govledger_http_request_duration_seconds_count", (("method", "GET"),))
        assert samples[(latency[0], (*latency[1], ("route", "/healthz")))] == 2

    def test_metrics_give_the_log_read_side_and_checkpoint_figures(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        before = _samples(client)
        projector(ledger).catch_up()
        ledger.application.register_principal(actor="root", name="bea", roles=["auditor"])
        ledger.checkpointer.cut()
        after = _samples(client)

        assert before[("govledger_ledger_up", ())] == 1
        assert before[("govledger_log_size", ())] == 2
        assert before[("govledger_read_side_position", ())] == 0
        assert before[("govledger_read_side_lag", ())] == 2
        assert after[("govledger_log_size", ())] == 3
        assert after[("govledger_read_side_position", ())] == 2
        assert after[("govledger_read_side_lag", ())] == 1
        assert after[("govledger_checkpoint_size", ())] == 3

    def test_each_app_has_its_own_registry_not_the_global_one(
        self, client: TestClient, settings: Settings, ledger: Ledger
    ) -> None:
        client.get("/healthz")
        with TestClient(create_app(settings, opened=ledger)) as other:
            other_samples = _samples(other)

        assert _requests("GET", "/healthz", "200") not in other_samples
        assert prometheus_client.REGISTRY.get_sample_value("govledger_http_requests_total") is None
        names = {name for family in prometheus_client.REGISTRY.collect() for name in [family.name]}
        assert not any(name.startswith("govledger_") for name in names)

    def unreachable(self, database: Database, tmp_path: Path) -> Database:
        raise NotImplementedError


class TestHttpOpsOnSQLite(HttpOpsContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def unreachable(self, database: Database, tmp_path: Path) -> Database:
        return dataclasses.replace(database, sqlite_path=tmp_path / "gone" / "ledger.db")


class TestHttpOpsOnPostgres(HttpOpsContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def unreachable(self, database: Database, tmp_path: Path) -> Database:
        return dataclasses.replace(database, name=f"{database.name}_gone")
