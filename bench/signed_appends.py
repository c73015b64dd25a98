"""Appends per second of govledger's signed event store beside plain eventsourcing appends.

For each engine (SQLite, PostgreSQL) the same Application subclass and aggregate are opened
twice: over eventsourcing's own recorder ("plain") and over the signed store ("signed", which
signs every event as an Ed25519 DSSE envelope over RFC 8785 canonical JSON, chains it to its
aggregate's previous event and writes a transparency-log leaf in the same transaction). Each
round appends ``--events`` events one per transaction, then ``--batch-events`` events 100 per
transaction, on both sides, alternating which side goes first, for ``--repeats`` rounds.

Read the ratio, not the absolute rates: signed/plain is the fraction of plain throughput the
signed store keeps on this machine, in this run (1.0 means signing is free, 0.5 means appends
take twice as long). Absolute rates move with the machine's load; the ratio, measured with the
two sides interleaved, moves far less. The target is a ratio of at least 0.7 for single-event
transactions on each engine. Run with ``python -m bench.signed_appends`` (``make bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from time import perf_counter
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.stores import EngineUnavailableError, Pair, postgres_pair, sqlite_pair

TARGET_RATIO = 0.7
TARGET_BATCH = 1
BATCH_SIZES = (1, 100)
WARMUP_TRANSACTIONS = 20
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

ACTOR = "alice@example.org"
DIGEST = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
NOTE = "quarterly fairness review"


class BenchAggregate(Aggregate):
    """A governance-like aggregate: each attestation names an actor, a digest and a count."""

    @event("Registered")
    def __init__(self, name: str) -> None:
        self.name = name
        self.attestations = 0

    @event("Attested")
    def attest(self, actor: str, digest: str, note: str, row_count: int) -> None:
        """Record one attestation."""
        self.attestations += 1


class BenchApplication(Application[UUID]):
    """The one application both sides run; only its persistence environment differs."""

    name = "bench"


PairOpener = Callable[[], AbstractContextManager[Pair[BenchApplication]]]


@dataclass
class Lane:
    """One store under test and the aggregate it appends to."""

    app: BenchApplication
    aggregate: BenchAggregate = field(default_factory=lambda: BenchAggregate(name="bench"))

    def append(self, events: int, batch: int) -> float:
        """Append ``events`` events, ``batch`` per transaction; return events per second."""
        transactions = max(1, events // batch)
        aggregate, save = self.aggregate, self.app.save
        started = perf_counter()
        for _ in range(transactions):
            for _ in range(batch):
                aggregate.attest(ACTOR, DIGEST, NOTE, aggregate.attestations)
            save(aggregate)
        return transactions * batch / (perf_counter() - started)


@dataclass(frozen=True)
class Row:
    """The rates of one engine and batch size, one per round and side."""

    engine: str
    batch: int
    plain_rates: list[float]
    signed_rates: list[float]
    statistic: str

    def summary(self, rates: list[float]) -> float:
        """The rounds' median or best rate."""
        return max(rates) if self.statistic == "best" else statistics.median(rates)

    @property
    def ratio(self) -> float:
        """Signed over plain throughput."""
        return self.summary(self.signed_rates) / self.summary(self.plain_rates)

    def as_dict(self) -> dict[str, object]:
        """The figures as JSON-ready values."""
        plain, signed = self.summary(self.plain_rates), self.summary(self.signed_rates)
        return asdict(self) | {"plain": plain, "signed": signed, "ratio": self.ratio}


def measure(engine: str, pair: Pair[BenchApplication], options: argparse.Namespace) -> list[Row]:
    """Warm both sides up, then time interleaved rounds of each batch size."""
    lanes = {"plain": Lane(pair.plain), "signed": Lane(pair.signed)}
    for lane in lanes.values():
        for batch in BATCH_SIZES:
            lane.append(WARMUP_TRANSACTIONS * batch, batch)
    rates: dict[tuple[int, str], list[float]] = {}
    for round_index in range(options.repeats):
        order = ("plain", "signed") if round_index % 2 == 0 else ("signed", "plain")
        for batch in BATCH_SIZES:
            events = options.events if batch == 1 else options.batch_events
            for side in order:
                rates.setdefault((batch, side), []).append(lanes[side].append(events, batch))
    return [
        Row(engine, batch, rates[batch, "plain"], rates[batch, "signed"], options.statistic)
        for batch in BATCH_SIZES
    ]


def openers() -> dict[str, PairOpener]:
    """Each engine's store opener."""
    admin_url = (
        os.environ.get("GOVLEDGER_BENCH_POSTGRES_URL")
        or os.environ.get("GOVLEDGER_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES_URL
    )
    return {
        "sqlite": lambda: sqlite_pair(_application),
        "postgresql": lambda: postgres_pair(_application, admin_url),
    }


def _application(env: dict[str, str]) -> BenchApplication:
    return BenchApplication(env=env)


def run(options: argparse.Namespace) -> tuple[list[Row], dict[str, str]]:
    """Benchmark every selected engine; return the rows and the engines skipped, with why."""
    rows: list[Row] = []
    skipped: dict[str, str] = {}
    for engine in options.engines:
        try:
            with openers()[engine]() as pair:
                rows += measure(engine, pair, options)
        except EngineUnavailableError as exc:
            skipped[engine] = str(exc)
            print(f"{engine}: skipped, server unreachable: {exc}", file=sys.stderr)
    return rows, skipped


def targets(rows: list[Row]) -> list[dict[str, object]]:
    """The target lines: signed/plain >= TARGET_RATIO for single-event transactions."""
    return [
        {
            "engine": row.engine,
            "batch": row.batch,
            "minimum_ratio": TARGET_RATIO,
            "ratio": row.ratio,
            "passed": row.ratio >= TARGET_RATIO,
        }
        for row in rows
        if row.batch == TARGET_BATCH
    ]


def print_table(rows: list[Row], checks: list[dict[str, object]], seconds: float) -> None:
    """The human-readable report."""
    print(f"{'engine':<12}{'batch':>6}{'plain ev/s':>14}{'signed ev/s':>14}{'signed/plain':>14}")
    for row in rows:
        plain, signed = row.summary(row.plain_rates), row.summary(row.signed_rates)
        print(f"{row.engine:<12}{row.batch:>6}{plain:>14,.0f}{signed:>14,.0f}{row.ratio:>14.2f}")
    print()
    for check in checks:
        verdict = "PASS" if check["passed"] else "FAIL"
        print(
            f"{verdict}  {check['engine']}, {TARGET_BATCH} event per transaction: "
            f"signed/plain {check['ratio']:.2f} (target >= {TARGET_RATIO:.2f})"
        )
    print(f"\n{rows[0].statistic} of interleaved rounds; ran in {seconds:.1f} s")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.signed_appends", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--events", type=int, default=1500, help="events per single-event run")
    parser.add_argument("--batch-events", type=int, default=10000, help="events per 100-batch run")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds per engine")
    parser.add_argument("--statistic", choices=("median", "best"), default="median")
    parser.add_argument(
        "--engines", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    options = parser.parse_args(argv)
    if min(options.events, options.batch_events, options.repeats) < 1:
        parser.error("--events, --batch-events and --repeats must be positive")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run, report, and return 0 (targets met), 1 (a target missed) or 2 (nothing ran)."""
    options = parse_args(argv)
    started = perf_counter()
    rows, skipped = run(options)
    seconds = perf_counter() - started
    if not rows:
        print("no engine could run", file=sys.stderr)
        return 2
    checks = targets(rows)
    if options.json:
        document = {
            "options": vars(options),
            "rows": [row.as_dict() for row in rows],
            "targets": checks,
            "skipped": skipped,
            "seconds": seconds,
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(rows, checks, seconds)
    return 0 if all(check["passed"] for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
