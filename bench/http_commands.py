"""Governance commands over HTTP against MLflow's model registry, and p99 at 100 clients.

Figures 1 and 2 (issue 11): a release of a model version, through our HTTP API with personal
signatures, the signed hash chain and the transparency log, against MLflow's model registry
(SQLite backend store, its Python client straight to the store, no server), at 1 and at 16
concurrent clients (threads, closed loop, one model per client on both sides). Ours per release:
record a version, start and conclude its signed validation (an approval needs one), approve it
(signed) and deploy it to dev: five commands (``bench.http_commands_release``). MLflow's: create
a version, tag it, move an alias to it: three operations (``bench.http_commands_mlflow``). Both
count ops/s the same way: successful operations per second of wall time; releases per second are
printed beside. Target: ours >= 10x MLflow's ops/s at 1 and at 16 clients.

Figure 3: the latency of one governance command (record-model-version) at 100 concurrent clients
on the embedded default (SQLite), closed loop, each client on a model of its own that figures 1
and 2 did not touch: p50, p90, p99 and throughput. Target: p99 <= 20 ms.

Our API runs in its own process (uvicorn on ``create_app``, ``bench.http_commands_server``) on a
ledger made by ``govledger init`` in a temporary home; the clients run in this process. Timings
are figures to compare in the same run, never a test. Run with ``python -m bench.http_commands``
(``make bench-http-commands``, which installs the bench extra: MLflow).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import http_commands_mlflow
from bench.http_commands_ledger import ServedLedger, served_ledger
from bench.http_commands_load import Load, Operation, percentile, run_clients
from bench.http_commands_release import Release
from bench.ml_common import Check, Figure, HelpFormatter, print_report

__all__ = ["main"]

TARGET_RATIO = 10.0
TARGET_P99_MS = 20.0
CONCURRENCY = (1, 16)
P99_CLIENTS = 100
FRESH_MODELS = max(CONCURRENCY)
"""Figure 3's clients use the models after the first ``FRESH_MODELS`` (those of figures 1, 2)."""
OURS_OPS = 5
MLFLOW_OPS = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_commands", description=__doc__, formatter_class=HelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed run")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 s runs, the baseline only if installed"
    )
    parser.add_argument(
        "--without-mlflow", action="store_true", help="run our side only (no baseline)"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a variable in the API server's environment only, to compare a setting with "
        "the default (e.g. GOVLEDGER_GROUP_COMMIT=off); repeatable",
    )
    options = parser.parse_args(argv)
    if any("=" not in item for item in options.server_env):
        parser.error("--server-env takes NAME=VALUE")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; 0 when every target is met, 1 if not, 2 when
    the baseline is missing and was not waived."""
    options = parse_args(argv)
    seconds = 1.0 if options.quick else options.seconds
    with_mlflow = http_commands_mlflow.available() and not options.without_mlflow
    server_environment = dict(item.split("=", 1) for item in options.server_env)
    if not http_commands_mlflow.available() and not (options.quick or options.without_mlflow):
        print(
            "MLflow, the baseline, is not installed: run `make bench-http-commands` (it installs "
            "the bench extra), or pass --without-mlflow to run our side only"
        )
        return 2
    if not with_mlflow:
        reason = "--without-mlflow" if options.without_mlflow else "the bench extra is missing"
        print(f"MLflow baseline skipped: {reason} (MLflow is not installed or not asked for)\n")
    with (
        served_ledger(FRESH_MODELS + P99_CLIENTS, server_environment) as served,
        tempfile.TemporaryDirectory(prefix="govledger-bench-mlflow-") as directory,
    ):
        registry = (
            http_commands_mlflow.MlflowRegistry(Path(directory), max(CONCURRENCY))
            if with_mlflow
            else None
        )
        figures = [
            against_mlflow(number, clients, served, registry, seconds=seconds)
            for number, clients in enumerate(CONCURRENCY, start=1)
        ]
        figures.append(latency_at(P99_CLIENTS, served, seconds=seconds))
        fallback = ", ".join(served.fallback_paths) or "none (every path served by the API)"
    return print_report(
        figures,
        {
            "store": "SQLite, the embedded default; API: uvicorn, one process",
            "bench fallback routes (in-process, not the API's own)": fallback,
            "seconds per run": seconds,
            "server environment beyond the default": options.server_env or "none",
            "cores, load average (1 min) at the end": f"{os.cpu_count()}, {os.getloadavg()[0]:.1f}",
        },
    )


def against_mlflow(
    number: int,
    clients: int,
    served: ServedLedger,
    registry: http_commands_mlflow.MlflowRegistry | None,
    *,
    seconds: float,
) -> Figure:
    """Figure ``number``: ours and MLflow's ops/s at ``clients`` concurrent clients (our side
    only when ``registry`` is None)."""
    ours = _ours(served, lambda release: release.iteration, clients, seconds)
    title = f"a governed release over HTTP against MLflow's model registry, {clients} client(s)"
    measured = _describe(ours, OURS_OPS, "commands")
    if registry is None:
        return Figure(number, title, measured, "not run: the MLflow baseline was skipped")
    baseline = run_clients(clients, registry.iteration, seconds=seconds)
    ratio = ours.rate / baseline.rate if baseline.rate else float("inf")
    releases = ours.iteration_rate / baseline.iteration_rate if baseline.iterations else 0.0
    return Figure(
        number,
        title,
        measured,
        _describe(baseline, MLFLOW_OPS, "operations"),
        [Check(f"ops/s ours / MLflow's at {clients} client(s)", ratio, TARGET_RATIO)],
        [
            f"releases/s ours / MLflow's: {releases:.2f}x (ours does {OURS_OPS} commands a "
            f"release, MLflow {MLFLOW_OPS} operations)"
        ],
    )


def latency_at(clients: int, served: ServedLedger, *, seconds: float) -> Figure:
    """Figure 3: latency of record-model-version at ``clients`` concurrent clients."""

    def record_only(release: Release) -> Callable[[int], list[Operation]]:
        # Models of their own: the command's cost does not depend on what figures 1 and 2 left.
        return lambda client: release.iteration(FRESH_MODELS + client)[:1]

    ours = _ours(served, record_only, clients, seconds)
    p50, p90, p99 = (percentile(ours.latencies, q) * 1000 for q in (0.5, 0.9, 0.99))
    return Figure(
        3,
        f"one governance command (record-model-version) at {clients} concurrent clients, SQLite",
        f"p50 {p50:.1f} ms, p90 {p90:.1f} ms, p99 {p99:.1f} ms; {ours.rate:,.0f} commands/s; "
        f"{ours.successes} commands, errors: {ours.error_summary()}",
        "none: the target is absolute",
        [Check("p99 latency", p99, TARGET_P99_MS, at_most=True, unit="ms")],
        ["latency as a client thread sees it: it includes waiting for the GIL of this process"],
    )


def _ours(
    served: ServedLedger,
    operations: Callable[[Release], Callable[[int], list[Operation]]],
    clients: int,
    seconds: float,
) -> Load:
    release = Release(served)
    try:
        return run_clients(clients, operations(release), seconds=seconds)
    finally:
        release.close()


def _describe(load: Load, per_iteration: int, what: str) -> str:
    if not load.successes:
        return f"no operation succeeded; errors: {load.error_summary()}"
    p50, p99 = (percentile(load.latencies, q) * 1000 for q in (0.5, 0.99))
    return (
        f"{load.rate:,.0f} ops/s ({load.iteration_rate:,.1f} releases/s of {per_iteration} "
        f"{what}); p50 {p50:.1f} ms, p99 {p99:.1f} ms; errors: {load.error_summary()}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
