"""The auditor's read side (issue 10): rebuilding it from the signed log, and as-of questions.

Figure 1, per engine (SQLite, PostgreSQL): a ledger of ``--rebuild-events`` events of a
realistic mix (``bench.read_side_history``: models, datasets, versions trained, validated,
approved, deployed and rolled back, prediction log segments sealed, monitoring windows, drift
flags, findings) is projected from scratch: ``clear_read_side`` then ``Projector.replay()``,
which checks every entry as ``govledger verify`` does (leaf hash, canonical envelope, Ed25519
signature, chain, key window) before applying every read model. Its events per second are set
beside the machine's verification ceiling measured in the same run: the cores times the Ed25519
verifications one core does per second, with the library and keyring the worker verifies with,
over the same stored envelopes. Target: at least half the ceiling.

Figure 2, on PostgreSQL: ``--events`` events (default 1,000,000) are written (many per
transaction; the signed store signs each), projected once and a checkpoint cut, and the
database settled as a running one is (``VACUUM (ANALYZE)``, ``CHECKPOINT``); then each
question of the CLI (why, inventory, risk register, deployments, a timeline page, lineage
upstream and downstream at depth 5) is asked ``--samples`` times at random log sizes, timing
the whole cited answer. Target: p99 <= 50 ms for each. Beside each: how long a replay to the
sampled sizes takes instead (the log size divided by the rate of the load's projection, which
checks every entry from leaf 0 as a replay does). Run with ``python -m bench.read_side``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass
from time import perf_counter

from api.composition import Ledger
from api.read_side import clear_read_side, log_size, projector
from bench.read_side_history import write_history
from bench.read_side_queries import Latencies, time_questions
from bench.read_side_setup import (
    POSTGRES_URL_VARIABLE,
    Ceiling,
    EngineUnavailableError,
    fresh_ledger,
    settle,
    verification_ceiling,
)

TARGET_RATIO = 0.5
TARGET_P99_SECONDS = 0.050
LOAD_BATCH = 5000
"""Leaves per projection transaction when loading figure 2's ledger."""


@dataclass(frozen=True)
class Verdict:
    """One target: met or not, and the line that says so."""

    passed: bool
    line: str

    def print(self) -> None:
        """``  PASS  line`` or ``  FAIL  line``."""
        print(f"  {'PASS' if self.passed else 'FAIL'}  {self.line}")


def rebuild_figure(engine: str, ledger: Ledger, options: argparse.Namespace) -> Verdict:
    """Figure 1 on one engine: write, project once, then time clear + replay beside the
    verification ceiling."""
    started = perf_counter()
    write_history(ledger.application, options.rebuild_events)
    size = log_size(ledger)
    written = perf_counter() - started
    ceiling = verification_ceiling(ledger, size)
    worker = projector(ledger)
    started = perf_counter()
    clear_read_side(ledger)
    worker.replay()
    seconds = perf_counter() - started
    rate = size / seconds
    ratio = rate / ceiling.rate
    print(f"figure 1  rebuild from the log, every signature verified: {engine}, {size:,} events")
    print(f"  written        {size / written:>10,.0f} events/s ({written:.1f} s, untimed)")
    print(f"  ours           {rate:>10,.0f} events/s (clear_read_side + replay(): {seconds:.1f} s)")
    print(f"  ceiling        {ceiling.rate:>10,.0f} events/s ({_ceiling_text(ceiling)})")
    return Verdict(
        ratio >= TARGET_RATIO,
        f"{engine}: rebuild/ceiling {ratio:.3f} (target >= {TARGET_RATIO})",
    )


def _ceiling_text(ceiling: Ceiling) -> str:
    return (
        f"{ceiling.cores} cores x {ceiling.single_core:,.0f} Ed25519 verifies/s on one core, "
        f"over {ceiling.envelopes:,} stored envelopes"
    )


def questions_figure(engine: str, ledger: Ledger, options: argparse.Namespace) -> list[Verdict]:
    """Figure 2: load, project once, cut a checkpoint, then time the questions."""
    started = perf_counter()
    history = write_history(ledger.application, options.events)
    written = perf_counter() - started
    size = log_size(ledger)
    started = perf_counter()
    projector(ledger, batch_size=LOAD_BATCH).catch_up()
    projected = perf_counter() - started
    ledger.checkpointer.cut(recheck=False)
    settle(ledger)
    replay_rate = size / projected
    print()
    print(f"figure 2  as-of questions: {engine}, {size:,} events")
    print(f"  written        {size / written:>10,.0f} events/s ({written:.1f} s, untimed)")
    print(f"  projected      {replay_rate:>10,.0f} events/s ({projected:.1f} s, from leaf 0)")
    key_leaves = size - history.events  # the ledger's own key events, before the history
    timings = time_questions(ledger, history.models, key_leaves, options.samples, options.seed)
    _print_latencies(timings, replay_rate, options.samples)
    return [
        Verdict(t.p99 <= TARGET_P99_SECONDS, f"{t.question}: p99 {t.p99 * 1000:.1f} ms")
        for t in timings
    ]


def _print_latencies(timings: list[Latencies], replay_rate: float, samples: int) -> None:
    print(
        f"  {'question':<47}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'replay to those sizes instead, s (median, max)':>49}"
    )
    for t in timings:
        replays = [size / replay_rate for size in t.sizes]
        print(
            f"  {t.question:<47}{t.p50 * 1000:>8.1f}{t.p99 * 1000:>8.1f}"
            f"{statistics.median(replays):>40.1f}{max(replays):>9.1f}"
        )
    print(f"  ({samples} answers each, at random log sizes; target p99 <= 50 ms)")


def run(options: argparse.Namespace) -> tuple[list[Verdict], list[str]]:
    """Every figure on every engine that can run; the verdicts, and the engines skipped."""
    verdicts: list[Verdict] = []
    skipped: list[str] = []
    for engine in options.engines:
        try:
            with fresh_ledger(engine) as ledger:
                verdict = rebuild_figure(engine, ledger, options)
            verdict.print()
            verdicts.append(verdict)
            if engine == options.query_engine:
                with fresh_ledger(engine) as ledger:
                    answered = questions_figure(engine, ledger, options)
                for verdict in answered:
                    verdict.print()
                verdicts += answered
        except EngineUnavailableError as exc:
            skipped.append(engine)
            print(
                f"{engine} skipped: cannot use the server ({exc}); point "
                f"{POSTGRES_URL_VARIABLE} at a maintenance database to benchmark it"
            )
        print()
    return verdicts, skipped


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the module docstring's paragraphs and show each option's default."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; ``--quick`` is the smoke size ``make test`` runs."""
    parser = argparse.ArgumentParser(prog="python -m bench.read_side", description=__doc__)
    parser.formatter_class = _HelpFormatter
    parser.add_argument("--events", type=int, default=1_000_000, help="figure 2's ledger")
    parser.add_argument("--rebuild-events", type=int, default=20_000, help="figure 1's ledger")
    parser.add_argument("--samples", type=int, default=200, help="answers timed per question")
    parser.add_argument(
        "--engines", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument(
        "--query-engine",
        choices=("sqlite", "postgresql"),
        default="postgresql",
        help="the engine of figure 2",
    )
    parser.add_argument("--seed", type=int, default=7, help="of the history and the samples")
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes: proves it runs, measures nothing"
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.events, options.rebuild_events, options.samples = 3000, 1500, 5
    if min(options.events, options.rebuild_events, options.samples) < 1:
        parser.error("--events, --rebuild-events and --samples must be positive")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run, report, and return 0 (targets met), 1 (a target missed) or 2 (nothing ran)."""
    options = parse_args(argv)
    started = perf_counter()
    verdicts, skipped = run(options)
    if not verdicts:
        print("no engine could run", file=sys.stderr)
        return 2
    print(f"ran in {perf_counter() - started:.0f} s" + (f"; skipped {skipped}" if skipped else ""))
    return 0 if all(verdict.passed for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
