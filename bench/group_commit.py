"""Commands per second through the application on the signed store, with and without group commit.

For each engine (SQLite, PostgreSQL) one application is opened over the signed store, exactly as
it ships. Each command is one ``save`` of one aggregate (one signed event), as an HTTP request
handled on a worker thread would be; every thread has its own aggregates. A round runs
``--commands`` commands with 1 thread and with ``--threads`` threads, each with group commit on
and off (``committer.enabled``, what ``GOVLEDGER_GROUP_COMMIT=off`` sets), the order alternating
between rounds, for ``--repeats`` rounds.

Read the ratios, not the absolute rates: "on/off" at N threads is the gain group commit brings
under contention on this machine, in this run; "on/off" at 1 thread shows what it costs a solo
command (1.0: nothing). The run also reports how many calls shared each transaction. Run with
``python -m bench.group_commit`` (``make bench-group-commit``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
from dataclasses import asdict, dataclass
from time import perf_counter
from typing import Any

from bench.signed_appends import (
    ACTOR,
    DIGEST,
    NOTE,
    POSTGRES_URL_VARIABLE,
    BenchAggregate,
    BenchApplication,
)
from bench.stores import EngineUnavailableError, Pair, postgres_pair, sqlite_pair
from ledger.store.group_commit import GroupCommitter

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MODES = ("on", "off")


@dataclass(frozen=True)
class Row:
    """The rates of one engine and thread count, one per round and mode."""

    engine: str
    threads: int
    on_rates: list[float]
    off_rates: list[float]
    calls_per_transaction: float

    @property
    def on(self) -> float:
        """Median commands/s with group commit."""
        return statistics.median(self.on_rates)

    @property
    def off(self) -> float:
        """Median commands/s without group commit."""
        return statistics.median(self.off_rates)

    @property
    def ratio(self) -> float:
        """With over without group commit."""
        return self.on / self.off

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON-ready values."""
        return asdict(self) | {"on": self.on, "off": self.off, "ratio": self.ratio}


def committer_of(app: BenchApplication) -> GroupCommitter:
    """The group committer of the application's signed recorder."""
    committer = getattr(app.recorder, "committer", None)
    if not isinstance(committer, GroupCommitter):
        raise TypeError("the application is not on the signed store")
    return committer


def run_commands(app: BenchApplication, threads: int, commands: int) -> float:
    """Run ``commands`` saves split over ``threads`` threads; return commands per second."""
    per_thread = max(1, commands // threads)
    aggregates = [BenchAggregate(name=f"bench-{n}") for n in range(threads)]
    app.save(*aggregates)
    start = threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def work(aggregate: BenchAggregate) -> None:
        start.wait()
        try:
            for _ in range(per_thread):
                aggregate.attest(ACTOR, DIGEST, NOTE, aggregate.attestations)
                app.save(aggregate)
        except BaseException as exc:  # reported below, after every thread ended
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(a,)) for a in aggregates]
    for worker in workers:
        worker.start()
    start.wait()
    started = perf_counter()
    for worker in workers:
        worker.join()
    elapsed = perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} threads failed; first: {failures[0]!r}")
    return per_thread * threads / elapsed


def measure(engine: str, pair: Pair[BenchApplication], options: argparse.Namespace) -> list[Row]:
    """Warm up, then time interleaved rounds of each thread count and mode."""
    app = pair.signed
    committer = committer_of(app)
    rates: dict[tuple[int, str], list[float]] = {}
    shared: dict[int, list[float]] = {}
    for threads in (1, options.threads):
        run_commands(app, threads, options.commands // 5)
    for round_index in range(options.repeats):
        order = MODES if round_index % 2 == 0 else MODES[::-1]
        for threads in (1, options.threads):
            for mode in order:
                committer.enabled = mode == "on"
                calls, transactions = committer.stats.calls, committer.stats.transactions
                rate = run_commands(app, threads, options.commands)
                rates.setdefault((threads, mode), []).append(rate)
                if mode == "on":
                    done = committer.stats.transactions - transactions
                    shared.setdefault(threads, []).append(
                        (committer.stats.calls - calls) / max(1, done)
                    )
    committer.enabled = True
    return [
        Row(
            engine,
            threads,
            rates[threads, "on"],
            rates[threads, "off"],
            statistics.median(shared[threads]),
        )
        for threads in (1, options.threads)
    ]


def run(options: argparse.Namespace) -> tuple[list[Row], dict[str, str]]:
    """Benchmark every selected engine; return the rows and the engines skipped, with why."""
    admin_url = (
        os.environ.get(POSTGRES_URL_VARIABLE)
        or os.environ.get("GOVLEDGER_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL
    )
    rows: list[Row] = []
    skipped: dict[str, str] = {}
    for engine in options.engines:
        opened = (
            sqlite_pair(_application)
            if engine == "sqlite"
            else postgres_pair(_application, admin_url)
        )
        try:
            with opened as pair:
                rows += measure(engine, pair, options)
        except EngineUnavailableError as exc:
            skipped[engine] = str(exc)
            print(
                f"{engine} skipped: cannot use the server ({exc}); point {POSTGRES_URL_VARIABLE} "
                "at a maintenance database to benchmark it",
                file=sys.stderr,
            )
    return rows, skipped


def _application(env: dict[str, str]) -> BenchApplication:
    return BenchApplication(env=env)


def print_table(rows: list[Row], options: argparse.Namespace, seconds: float) -> None:
    """The human-readable report."""
    print(
        f"{'engine':<12}{'threads':>8}{'on cmd/s':>12}{'off cmd/s':>12}{'on/off':>9}"
        f"{'calls/txn':>11}"
    )
    for row in rows:
        print(
            f"{row.engine:<12}{row.threads:>8}{row.on:>12,.0f}{row.off:>12,.0f}"
            f"{row.ratio:>9.2f}{row.calls_per_transaction:>11.1f}"
        )
    print(
        f"\nmedian of {options.repeats} interleaved rounds of {options.commands} commands "
        f"(one signed event each) per thread count and mode; ran in {seconds:.1f} s"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.group_commit", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--commands", type=int, default=800, help="per thread count and mode")
    parser.add_argument("--threads", type=int, default=16, help="the concurrent thread count")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds per engine")
    parser.add_argument(
        "--engines", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    options = parser.parse_args(argv)
    if min(options.commands, options.repeats) < 1 or options.threads < 2:
        parser.error("--commands and --repeats must be positive and --threads at least 2")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run and report; return 0, or 2 when no engine could run."""
    options = parse_args(argv)
    started = perf_counter()
    rows, skipped = run(options)
    seconds = perf_counter() - started
    if not rows:
        print("no engine could run", file=sys.stderr)
        return 2
    if options.json:
        document: dict[str, Any] = {
            "options": vars(options),
            "rows": [row.as_dict() for row in rows],
            "skipped": skipped,
            "seconds": seconds,
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(rows, options, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
