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
WARMUP_FRACTION = 5
"""Each side first appends a fifth of a timed run, untimed."""
POSTGRES_URL_VARIABLE = "GOVLEDGER_BENCH_POSTGRES_URL"
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


@dataclass(frozen=True)
class Target:
    """signed/plain must reach TARGET_RATIO for this engine and batch size."""

    engine: str
    batch: int
    ratio: float
    minimum_ratio: float = TARGET_RATIO

    @property
    def passed(self) -> bool:
        """Whether the target is met."""
        return self.ratio >= self.minimum_ratio


def measure(engine: str, pair: Pair[BenchApplication], options: argparse.Namespace) -> list[Row]:
    """Warm both sides up, then time interleaved rounds of each batch size."""
    lanes = {"plain": Lane(pair.plain), "signed": Lane(pair.signed)}
    for lane in lanes.values():
        for batch in BATCH_SIZES:
            lane.append(_run_length(batch, options) // WARMUP_FRACTION, batch)
    rates: dict[tuple[int, str], list[float]] = {}
    for round_index in range(options.repeats):
        order = ("plain", "signed") if round_index % 2 == 0 else ("signed", "plain")
        for batch in BATCH_SIZES:
            for side in order:
                rate = lanes[side].append(_run_length(batch, options), batch)
                rates.setdefault((batch, side), []).append(rate)
    return [
        Row(engine, batch, rates[batch, "plain"], rates[batch, "signed"], options.statistic)
        for batch in BATCH_SIZES
    ]


def _run_length(batch: int, options: argparse.Namespace) -> int:
    """Events per timed run of this batch size."""
    events: int = options.events if batch == 1 else options.batch_events
    return events


def openers() -> dict[str, PairOpener]:
    """Each engine's store opener."""
    admin_url = (
        os.environ.get(POSTGRES_URL_VARIABLE)
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
            print(
                f"{engine} skipped: cannot use the server ({exc}); point {POSTGRES_URL_VARIABLE} "
                "at a maintenance database to benchmark it",
                file=sys.stderr,
            )
    return rows, skipped


def targets(rows: list[Row]) -> list[Target]:
    """The target lines: one per engine, for single-event transactions."""
    return [Target(row.engine, row.batch, row.ratio) for row in rows if row.batch == TARGET_BATCH]


def print_table(
    rows: list[Row], checks: list[Target], options: argparse.Namespace, seconds: float
) -> None:
    """The human-readable report."""
    print(f"{'engine':<12}{'batch':>6}{'plain ev/s':>14}{'signed ev/s':>14}{'signed/plain':>14}")
    for row in rows:
        plain, signed = row.summary(row.plain_rates), row.summary(row.signed_rates)
        print(f"{row.engine:<12}{row.batch:>6}{plain:>14,.0f}{signed:>14,.0f}{row.ratio:>14.2f}")
    print()
    for check in checks:
        print(
            f"{'PASS' if check.passed else 'FAIL'}  {check.engine}, {check.batch} event per "
            f"transaction: signed/plain {check.ratio:.2f} (target >= {check.minimum_ratio:.2f})"
        )
    print(
        f"\n{options.statistic} of {options.repeats} interleaved rounds, each appending "
        f"{options.events} events one per transaction and {options.batch_events} in "
        f"transactions of 100, per side; ran in {seconds:.1f} s"
    )


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the module docstring's paragraphs and show each option's default."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.signed_appends", description=__doc__)
    parser.formatter_class = _HelpFormatter
    parser.add_argument(
        "--events", type=int, default=3000, help="per side and round, one per transaction"
    )
    parser.add_argument(
        "--batch-events", type=int, default=20000, help="per side and round, 100 per transaction"
    )
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds per engine")
    parser.add_argument(
        "--statistic", choices=("median", "best"), default="median", help="of the rounds' rates"
    )
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
            "targets": [asdict(check) | {"passed": check.passed} for check in checks],
            "skipped": skipped,
            "seconds": seconds,
        }
        print(json.dumps(document, indent=2))
    else:
        print_table(rows, checks, options, seconds)
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
