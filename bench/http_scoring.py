"""Benchmark: scoring one row per request over HTTP, with the prediction log, against a bare
FastAPI endpoint calling the same trained pipeline's ``predict_proba`` per request.

Both servers run in their own process (uvicorn, one worker) on the demo's ledger (``govledger
demo`` runs into a temporary home first unless ``--home``/``--database-url`` name one):

- ours: the real API (``create_app``), ``POST /v1/deployments/prod/credit-risk/predict`` with a
  scoring client's bearer token; every prediction is logged, segments seal and are recorded on
  the ledger; concurrent requests are grouped (one log append per group);
- baseline: a bare FastAPI app whose endpoint calls ``pipeline.predict_proba`` on a one-row
  DataFrame of the same version's artifact (no auth, no log).

16 client threads (httpx) send N one-row requests each, per side. Printed: both throughputs,
their ratio (target >= 2x), p50/p99 latencies; the scores of every row must be identical float
for float on both sides (asserted).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.ml_common import Check, Figure, HelpFormatter, print_report

__all__ = ["main"]

MODEL, ENVIRONMENT, CLIENT = "credit-risk", "prod", "scoring-service"
OURS_PATH = f"/v1/deployments/{ENVIRONMENT}/{MODEL}/predict"
BASELINE_PATH = "/predict"
GOVLEDGER = Path(sys.executable).parent / "govledger"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=HelpFormatter)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads")
    parser.add_argument("--requests", type=int, default=300, help="requests per client per side")
    parser.add_argument("--quick", action="store_true", help="a tiny run (a smoke test)")
    parser.add_argument("--home", type=Path, help="a GOVLEDGER_HOME where the demo ran")
    parser.add_argument("--database-url", help="its database (with --home)")
    parser.add_argument("--serve", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when the target is met, 1 when not."""
    options = parse_args(argv)
    if options.serve:
        return _serve(options.serve, options.port)
    if options.quick:
        options.requests = min(options.requests, 10)
    with _demo_home(options) as env:
        rows = _applications()
        token = _token(env)
        with _server("ours", env) as ours_url, _server("baseline", env) as base_url:
            headers = {"Authorization": f"Bearer {token}"}
            _load(ours_url + OURS_PATH, headers, rows[:32], 2, 4)  # warm both up
            _load(base_url + BASELINE_PATH, {}, rows[:32], 2, 4)
            ours = _load(ours_url + OURS_PATH, headers, rows, options.clients, options.requests)
            base = _load(base_url + BASELINE_PATH, {}, rows, options.clients, options.requests)
    _check_identical(ours.scores, base.scores)
    ratio = ours.rate / base.rate
    figure = Figure(
        number=5,
        title=f"scoring over HTTP, one row per request, {options.clients} concurrent clients",
        ours=f"{ours.rate:,.0f} req/s, p50 {ours.p(50):.2f} ms, p99 {ours.p(99):.2f} ms "
        "(API with auth and the prediction log)",
        baseline=f"{base.rate:,.0f} req/s, p50 {base.p(50):.2f} ms, p99 {base.p(99):.2f} ms "
        "(bare FastAPI, pipeline.predict_proba per request)",
        checks=[Check("throughput, ours / bare FastAPI", ratio, 2.0)],
        notes=[
            f"{options.clients} clients x {options.requests} requests per side; uvicorn, one "
            "worker each; scores identical for every row on both sides"
        ],
    )
    return print_report([figure], {"requests per side": options.clients * options.requests})


class _Measured:
    """Latencies (ms) and scores of one side's load, and its throughput."""

    def __init__(self, seconds: float, latencies: list[float], scores: dict[int, float]) -> None:
        self.rate = len(latencies) / seconds
        self.latencies = sorted(latencies)
        self.scores = scores

    def p(self, percent: int) -> float:
        index = min(len(self.latencies) - 1, int(len(self.latencies) * percent / 100))
        return self.latencies[index]


def _load(
    url: str, headers: dict[str, str], rows: list[dict[str, Any]], clients: int, each: int
) -> _Measured:
    latencies: list[float] = []
    scores: dict[int, float] = {}
    lock = threading.Lock()
    errors: list[str] = []

    def client(number: int) -> None:
        with httpx.Client(headers=headers, timeout=60) as http:
            for request in range(each):
                index = (number * each + request) % len(rows)
                start = time.perf_counter()
                answer = http.post(url, json={"rows": [rows[index]]})
                elapsed = (time.perf_counter() - start) * 1000
                if answer.status_code != 200:
                    errors.append(f"{answer.status_code} {answer.text[:200]}")
                    return
                score = float(answer.json()["predictions"][0]["score"])
                with lock:
                    latencies.append(elapsed)
                    if scores.setdefault(index, score) != score:
                        errors.append(f"row {index}: two different scores on one side")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise AssertionError(f"{url}: {errors[0]}")
    return _Measured(seconds, latencies, scores)


def _check_identical(ours: dict[int, float], baseline: dict[int, float]) -> None:
    if ours.keys() != baseline.keys():
        raise AssertionError("the two sides scored different rows")
    for index in sorted(ours):
        if ours[index] != baseline[index]:
            raise AssertionError(f"row {index}: ours {ours[index]!r} != bare {baseline[index]!r}")


def _applications() -> list[dict[str, Any]]:
    from adapters.credit import german
    from adapters.credit.generator import rows

    return [
        {k: v for k, v in row.items() if k != german.TARGET}
        for row in rows(german.german_credit_csv())
    ]


@contextmanager
def _demo_home(options: argparse.Namespace) -> Iterator[dict[str, str]]:
    """The environment naming a ledger where the demo ran (run now into a temporary home)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GOVLEDGER_")}
    if options.home:
        env = {**base, "GOVLEDGER_HOME": str(options.home)}
        if options.database_url:
            env["GOVLEDGER_DATABASE_URL"] = options.database_url
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="bench-http-scoring-") as folder:
        env = {**base, "GOVLEDGER_HOME": str(Path(folder) / "home")}
        env["GOVLEDGER_DATABASE_URL"] = f"sqlite:///{Path(folder) / 'ledger.db'}"
        for command in (["init"], ["demo"]):
            subprocess.run([str(GOVLEDGER), *command], env=env, check=True, capture_output=True)
        yield env


def _settings(env: dict[str, str]) -> Any:
    from api.settings import Settings

    home, url = Path(env["GOVLEDGER_HOME"]), env.get("GOVLEDGER_DATABASE_URL")
    return Settings(home=home, database_url=url) if url else Settings(home=home)


def _token(env: dict[str, str]) -> str:
    from api.composition import open_ledger
    from api.tokens import TokenStore

    ledger = open_ledger(_settings(env))
    try:
        expires = datetime.now(UTC) + timedelta(hours=1)
        return TokenStore(ledger.database).issue(CLIENT, label="bench", expires_at=expires).secret
    finally:
        ledger.close()


@contextmanager
def _server(side: str, env: dict[str, str]) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "bench.http_scoring", "--serve", side, "--port", str(port)]
    process = subprocess.Popen(command, env=env, cwd=Path(__file__).parent.parent)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(url + "/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the {side} server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def _serve(side: str, port: int) -> int:
    """Run one side's server (in the child process) until terminated."""
    import uvicorn

    from api.settings import get_settings

    settings = get_settings()
    app = _ours(settings) if side == "ours" else _baseline(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    return 0


def _ours(settings: Any) -> Any:
    from api.http.app import create_app

    return create_app(settings)


def _baseline(settings: Any) -> Any:
    """A bare FastAPI app: the deployed version's pipeline, ``predict_proba`` per request."""
    import pandas as pd
    from fastapi import FastAPI

    from adapters.artifacts.file_store import FileArtifactStore
    from adapters.artifacts.model_files import load_model
    from api.composition import open_ledger
    from api.serving import checked_content
    from domain.aggregates.model import Model

    ledger = open_ledger(settings)
    application = ledger.application
    versions = [
        application.get_model_version(v)
        for v in application.get_model(Model.create_id(MODEL)).version_ids
    ]
    live = max((v for v in versions if ENVIRONMENT in v.environments), key=lambda v: v.number)
    store = FileArtifactStore.in_home(settings.home)
    model = load_model(checked_content(store, live.artifact_digest, "the artifact"))
    ledger.close()
    pipeline, columns = model.pipeline, [*model.numeric, *model.categorical]
    numeric = set(model.numeric)
    bare = FastAPI()

    @bare.post(BASELINE_PATH)
    def predict(body: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        rows = [
            {c: float(row[c]) if c in numeric else str(row[c]) for c in columns}
            for row in body["rows"]
        ]
        scores = pipeline.predict_proba(pd.DataFrame(rows, columns=columns))[:, 1]
        return {"predictions": [{"score": float(s)} for s in scores]}

    return bare


if __name__ == "__main__":
    sys.exit(main())
