"""Merkle proofs and verification from the stored tree, beside the naive O(n) recomputation.

For each engine (SQLite, PostgreSQL) a real store is opened the way ``govledger init`` and the
tests open one (keys, Alembic migrations, ``api.composition.open_ledger``). ``--leaves``
synthetic leaves are then bulk-loaded with SQL straight into ``ledger_leaves`` (SQLite:
executemany in one transaction per stage; PostgreSQL: COPY), each with an unsigned stand-in
event whose state hashes to the leaf (a cut checks new leaves against their stored envelopes),
in ``--checkpoints`` equal stages, and after each stage the project's checkpointer cuts a
checkpoint (``govledger checkpoint``'s checks: the new leaves against their envelopes, the roots
recomputed from every leaf, consistency with the previous checkpoint; then it stores the subtree
hashes and signs the note). Nothing is signed per event, and full verification reads only the
tree's tables: these figures are the tree's alone. The loads and the cuts are timed and reported.

Measured, after a few untimed warm-up proofs:

* proof generation from the store: ``--samples`` inclusion proofs (random leaf, random
  checkpointed size) and as many consistency proofs (random pair of checkpointed sizes), shuffled
  together, each in its own read transaction as one API request would take it;
* verification of one proof: the pure RFC 9162 verifiers of ``ledger.merkle`` on each proof just
  generated, against the checkpoints' signed roots (so every sample is also checked correct);
* full verification of the Merkle layer: ``ledger.verify.tree.verify_tree`` as
  ``govledger verify`` runs it (every leaf rehashed, every checkpoint checked), in leaves/s;
* beside them, the naive O(n) figures, in the whole tree: read every leaf hash from the database
  and compute the proof (or the root) with the pure functions of ``ledger.merkle``. These run
  ``--rounds`` times only, shuffled with the full verifications, since each reads and hashes the
  whole log.

How to read it: p50 is the typical request and p99 (nearest rank of the samples) the figure the
targets judge: proof generation p99 <= 5 ms, verifying one proof p99 <= 0.5 ms, and a full
verification at >= 300,000 leaves/s (median of the rounds). The naive column is what a store
without the subtree hashes would pay per proof; the ratio between the columns, not the absolute
figures, is what stays put when the machine is busy. Run with ``python -m bench.merkle_proofs``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from uuid import UUID, uuid4

import psycopg

from api import migrations
from api.composition import Ledger, keystore_for, open_ledger, published_checkpoint
from api.database import parse_database_url
from api.settings import Settings
from bench.stores import (
    _CREATE,
    _DROP,
    EngineUnavailableError,
    _admin_execute,
    _database_url,
    _reachable,
)
from ledger import merkle
from ledger.store.tables import EVENTS_TABLE, LEAVES_TABLE
from ledger.tlog.tree_store import TreeStore
from ledger.verify.tree import verify_tree

TARGET_PROOF_P99_MS = 5.0
TARGET_VERIFY_P99_MS = 0.5
TARGET_LEAVES_PER_SECOND = 300_000
WARMUP_PROOFS = 50
"""Untimed proofs of each kind before the samples."""
POSTGRES_URL_VARIABLES = ("GOVLEDGER_BENCH_POSTGRES_URL", "GOVLEDGER_TEST_POSTGRES_URL")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ORIGINATOR = UUID("6f1c1b6e-8d5e-4c1a-9a57-0b3c2f3e9d01")
"""The one aggregate every synthetic leaf names."""
NEVER = 10**9
"""Checkpoint policy thresholds that never trigger: only the benchmark cuts checkpoints."""

INCLUSION, CONSISTENCY = "inclusion", "consistency"
KINDS = (INCLUSION, CONSISTENCY)
_COLUMNS = "leaf_index, originator_id, originator_version, leaf_hash"
_SQLITE_INSERT = f"INSERT INTO {LEAVES_TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?)"
_POSTGRES_COPY = f"COPY {LEAVES_TABLE} ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_POSTGRES_TYPES = ("int8", "uuid", "int8", "bytea")
# Each synthetic leaf has a stored event whose state hashes to it: a checkpoint checks the new
# leaves against their envelopes before signing.
_EVENT_COLUMNS = "originator_id, originator_version, topic, state"
_SQLITE_EVENT_INSERT = f"INSERT INTO {EVENTS_TABLE} ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?)"
_POSTGRES_EVENT_COPY = f"COPY {EVENTS_TABLE} ({_EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_POSTGRES_EVENT_TYPES = ("uuid", "int8", "text", "bytea")
_TOPIC = "bench:SyntheticLeaf"

LeafLoader = Callable[[int, int], None]
"""Bulk-load the synthetic leaves ``[start, end)``."""


@dataclass(frozen=True)
class Store:
    """An opened ledger on one engine and the bulk loader of its leaves table."""

    engine: str
    settings: Settings
    ledger: Ledger
    load: LeafLoader
    how: str
    """How the leaves are bulk-loaded, for the report."""


@dataclass(frozen=True)
class Task:
    """One proof to generate: leaf ``first`` in ``size``, or from size ``first`` to ``size``."""

    kind: str
    first: int
    size: int


@dataclass
class EngineResult:
    """Everything measured on one engine; durations in seconds."""

    engine: str
    leaves: int
    how: str
    loads: list[float] = field(default_factory=list)
    cuts: dict[int, float] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    verify_rates: list[float] = field(default_factory=list)
    naive_root_rates: list[float] = field(default_factory=list)

    def record(self, name: str, seconds: float) -> None:
        """Add one timed sample under ``name``."""
        self.samples.setdefault(name, []).append(seconds)

    def percentile_ms(self, name: str, fraction: float) -> float:
        """The nearest-rank percentile of the samples of ``name``, in milliseconds."""
        ordered = sorted(self.samples[name])
        return 1000 * ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

    def median_ms(self, name: str) -> float:
        """The median of the samples of ``name``, in milliseconds."""
        return 1000 * statistics.median(self.samples[name])


@dataclass(frozen=True)
class Run:
    """The whole run: wall time, and the machine's 1-minute load average around it."""

    seconds: float
    load_at_start: float
    load_at_end: float
    cpus: int | None = field(default_factory=os.cpu_count)

    def describe(self) -> str:
        """One line for the report."""
        return (
            f"ran in {self.seconds:.1f} s; load average {self.load_at_start:.2f} at start, "
            f"{self.load_at_end:.2f} at end, on {self.cpus} CPUs"
        )


@dataclass(frozen=True)
class Target:
    """One PASS/FAIL line."""

    engine: str
    name: str
    value: float
    limit: float
    unit: str
    at_least: bool = False

    @property
    def passed(self) -> bool:
        """Whether the figure meets its limit."""
        return self.value >= self.limit if self.at_least else self.value <= self.limit


# Opening the stores.


def _settings(database_url: str, home: Path) -> Settings:
    return Settings(
        database_url=database_url,
        home=home,
        key_passphrase=None,
        checkpoint_every_leaves=NEVER,
        checkpoint_every_seconds=NEVER,
    )


def _opened_ledger(stack: ExitStack, settings: Settings) -> Ledger:
    """What ``govledger init`` does (keys, migrations), then the ledger, closed on exit."""
    keystore_for(settings).create_missing()
    migrations.upgrade(parse_database_url(settings.database_url))
    ledger = open_ledger(settings)
    stack.callback(ledger.close)
    return ledger


@contextmanager
def sqlite_store() -> Iterator[Store]:
    """A ledger in a SQLite file of a temporary directory."""
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govledger-bench-")))
        path = root / "ledger.db"
        settings = _settings(f"sqlite:///{path}", root / "home")
        ledger = _opened_ledger(stack, settings)
        loader = _sqlite_loader(path)
        yield Store("sqlite", settings, ledger, loader, "executemany, one transaction per stage")


@contextmanager
def postgres_store(admin_url: str) -> Iterator[Store]:
    """A ledger in a fresh PostgreSQL database, dropped WITH (FORCE) afterwards."""
    admin = _reachable(admin_url)
    name = f"govledger_bench_merkle_{uuid4().hex[:12]}"
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="govledger-bench-")))
        _admin_execute(admin_url, _CREATE, name)
        stack.callback(_admin_execute, admin_url, _DROP, name)
        url = _database_url(admin, name)
        # Registered after the drop, so the ledger closes first (also on Ctrl-C).
        ledger = _opened_ledger(stack, _settings(url, root / "home"))
        yield Store("postgresql", ledger.settings, ledger, _postgres_loader(url), "COPY (binary)")


def _leaf_data(index: int) -> bytes:
    return index.to_bytes(8, "big")


def _sqlite_loader(path: Path) -> LeafLoader:
    originator = ORIGINATOR.hex

    def load(start: int, end: int) -> None:
        connection = sqlite3.connect(path)
        try:
            with connection:
                connection.executemany(
                    _SQLITE_INSERT,
                    (
                        (i, originator, i + 1, merkle.leaf_hash(_leaf_data(i)))
                        for i in range(start, end)
                    ),
                )
                connection.executemany(
                    _SQLITE_EVENT_INSERT,
                    ((originator, i + 1, _TOPIC, _leaf_data(i)) for i in range(start, end)),
                )
        finally:
            connection.close()

    return load


def _postgres_loader(url: str) -> LeafLoader:
    def load(start: int, end: int) -> None:
        with (
            psycopg.connect(url) as connection,
            connection.cursor() as cursor,
            cursor.copy(_POSTGRES_COPY) as copy,
        ):
            copy.set_types(_POSTGRES_TYPES)
            for i in range(start, end):
                copy.write_row((i, ORIGINATOR, i + 1, merkle.leaf_hash(_leaf_data(i))))
        with (
            psycopg.connect(url) as connection,
            connection.cursor() as cursor,
            cursor.copy(_POSTGRES_EVENT_COPY) as copy,
        ):
            copy.set_types(_POSTGRES_EVENT_TYPES)
            for i in range(start, end):
                copy.write_row((ORIGINATOR, i + 1, _TOPIC, _leaf_data(i)))

    return load


# Measuring.


def grow(store: Store, result: EngineResult, stages: int) -> None:
    """Bulk-load the leaves in ``stages`` stages, cutting (and timing) a checkpoint after each."""
    loaded = 0
    for stage in range(1, stages + 1):
        size = result.leaves * stage // stages
        started = perf_counter()
        store.load(loaded, size)
        cutting = perf_counter()
        checkpoint = store.ledger.checkpointer.cut()
        finished = perf_counter()
        if checkpoint is None or checkpoint.size != size:
            raise RuntimeError(f"the checkpointer did not sign the tree of {size} leaves")
        result.loads.append(cutting - started)
        result.cuts[size] = finished - cutting
        loaded = size


def _tasks(rng: random.Random, sizes: Sequence[int], count: int) -> list[Task]:
    """``count`` proofs of each kind at random checkpointed sizes, shuffled together."""
    tasks = [Task(INCLUSION, rng.randrange(size), size) for size in rng.choices(sizes, k=count)]
    for _ in range(count):
        old, new = sorted(rng.sample(sizes, 2))
        tasks.append(Task(CONSISTENCY, old, new))
    rng.shuffle(tasks)
    return tasks


def _prove(tree: TreeStore, task: Task, roots: Mapping[int, bytes]) -> tuple[float, float]:
    """Generate one proof in its own read transaction, then verify it: (seconds, seconds)."""
    if task.kind == INCLUSION:
        leaf = merkle.leaf_hash(_leaf_data(task.first))
        started = perf_counter()
        with tree.reading() as c:
            proof = tree.inclusion_proof(c, task.first, task.size)
        generated = perf_counter()
        merkle.verify_inclusion(leaf, task.first, task.size, proof, roots[task.size])
    else:
        started = perf_counter()
        with tree.reading() as c:
            proof = tree.consistency_proof(c, task.first, task.size)
        generated = perf_counter()
        merkle.verify_consistency(task.first, task.size, roots[task.first], roots[task.size], proof)
    return generated - started, perf_counter() - generated


def measure_proofs(
    store: Store, result: EngineResult, samples: int, rng: random.Random
) -> dict[int, bytes]:
    """Time proof generation and verification; return the checkpoints' roots by size."""
    tree = store.ledger.tree
    with tree.reading() as c:
        roots = {checkpoint.size: checkpoint.root for checkpoint in tree.checkpoints(c)}
    sizes = sorted(roots)
    for task in _tasks(rng, sizes, WARMUP_PROOFS):
        _prove(tree, task, roots)
    for task in _tasks(rng, sizes, samples):
        generate, verify = _prove(tree, task, roots)
        result.record(f"{task.kind} proof", generate)
        result.record(f"{task.kind} verify", verify)
    return roots


def _full_verify(store: Store, result: EngineResult, roots: Mapping[int, bytes]) -> None:
    ledger, published = store.ledger, published_checkpoint(store.settings).read()
    started = perf_counter()
    report = verify_tree(
        ledger.tree,
        origin=store.settings.log_origin,
        verifiers=[ledger.log_verifier()],
        published=[published] if published else [],
    )
    seconds = perf_counter() - started
    if not report.intact or (report.leaves, report.checkpoints) != (result.leaves, len(roots)):
        raise RuntimeError(f"verify_tree did not verify the whole tree: {report}")
    result.verify_rates.append(report.leaves / seconds)


def _all_leaf_hashes(tree: TreeStore, size: int) -> list[bytes]:
    with tree.reading() as c:
        return tree.leaf_hashes(c, 0, size)


def _naive_root(store: Store, result: EngineResult, roots: Mapping[int, bytes]) -> None:
    size = max(roots)
    started = perf_counter()
    root = merkle.root_hash(_all_leaf_hashes(store.ledger.tree, size))
    seconds = perf_counter() - started
    if root != roots[size]:
        raise RuntimeError(f"the naive root of {size} leaves differs from the signed one")
    result.naive_root_rates.append(size / seconds)


def _naive_proof(
    store: Store, result: EngineResult, roots: Mapping[int, bytes], rng: random.Random
) -> None:
    """One naive proof of each kind in the whole tree, checked equal to the store's."""
    tree, size = store.ledger.tree, max(roots)
    old = rng.choice([checkpointed for checkpointed in roots if checkpointed < size])
    tasks = [Task(INCLUSION, rng.randrange(size), size), Task(CONSISTENCY, old, size)]
    for task in rng.sample(tasks, len(tasks)):
        started = perf_counter()
        hashes = _all_leaf_hashes(tree, task.size)
        if task.kind == INCLUSION:
            naive = merkle.inclusion_proof(hashes, task.first)
        else:
            naive = merkle.consistency_proof(hashes, task.first)
        result.record(f"naive {task.kind} proof", perf_counter() - started)
        with tree.reading() as c:
            stored = (
                tree.inclusion_proof(c, task.first, task.size)
                if task.kind == INCLUSION
                else tree.consistency_proof(c, task.first, task.size)
            )
        if naive != stored:
            raise RuntimeError(f"the naive and stored proofs differ for {task}")


def measure_full(
    store: Store, result: EngineResult, roots: Mapping[int, bytes], options: argparse.Namespace
) -> None:
    """Full verifications and the naive O(n) figures, shuffled within each round."""
    rng: random.Random = options.rng
    steps: list[Callable[[], None]] = [
        lambda: _full_verify(store, result, roots),
        lambda: _naive_root(store, result, roots),
        lambda: _naive_proof(store, result, roots, rng),
    ]
    for _ in range(options.rounds):
        rng.shuffle(steps)
        for step in steps:
            step()


def measure(store: Store, options: argparse.Namespace) -> EngineResult:
    """Everything, on one opened store."""
    result = EngineResult(store.engine, options.leaves, store.how)
    _progress(options, f"{store.engine}: loading {options.leaves:,} leaves, cutting checkpoints")
    grow(store, result, options.checkpoints)
    _progress(options, f"{store.engine}: {options.samples} proofs of each kind")
    roots = measure_proofs(store, result, options.samples, options.rng)
    _progress(options, f"{store.engine}: {options.rounds} rounds of full and naive verification")
    measure_full(store, result, roots, options)
    return result


def _progress(options: argparse.Namespace, message: str) -> None:
    if not options.quiet:
        print(f"... {message}", file=sys.stderr, flush=True)


# Reporting.


def targets(result: EngineResult) -> list[Target]:
    """The target lines of one engine."""
    engine = result.engine
    checks = [
        Target(
            engine,
            f"{kind} proof from the store, p99",
            result.percentile_ms(f"{kind} proof", 0.99),
            TARGET_PROOF_P99_MS,
            "ms",
        )
        for kind in KINDS
    ]
    checks += [
        Target(
            engine,
            f"verify one {kind} proof, p99",
            result.percentile_ms(f"{kind} verify", 0.99),
            TARGET_VERIFY_P99_MS,
            "ms",
        )
        for kind in KINDS
    ]
    rate = statistics.median(result.verify_rates)
    name = "full Merkle-layer verify, median leaves/s"
    checks.append(Target(engine, name, rate, TARGET_LEAVES_PER_SECOND, "leaves/s", at_least=True))
    return checks


def _figure(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if unit == "leaves/s" else f"{value:.3f} {unit}"


def _latency_row(result: EngineResult, label: str, name: str, target: str, naive: str) -> str:
    p50, p99 = result.percentile_ms(name, 0.5), result.percentile_ms(name, 0.99)
    return f"{label:<36}{p50:>10.3f}{p99:>10.3f}{target:>16}{naive:>24}"


def _rate_row(label: str, rates: list[float], note: str) -> str:
    median, low, high = statistics.median(rates), min(rates), max(rates)
    return f"{label:<36}{median:>12,.0f} leaves/s (min {low:,.0f}, max {high:,.0f}; {note})"


def print_engine(result: EngineResult, options: argparse.Namespace) -> None:
    """One engine's table."""
    print(
        f"== {result.engine}: {result.leaves:,} leaves, bulk-loaded with {result.how} "
        f"in {sum(result.loads):.1f} s (synthetic leaves with unsigned stand-in events: "
        "verify_tree reads only the tree's tables)"
    )
    cuts = ", ".join(f"{size:,}: {seconds:.2f} s" for size, seconds in result.cuts.items())
    print(f"checkpoint cuts (checkpointer.cut() after each stage): {cuts}")
    naive = f"naive O(n), median of {options.rounds}"
    print(f"{'':<36}{'p50 ms':>10}{'p99 ms':>10}{'target':>16}{naive:>24}")
    for kind in KINDS:
        naive_ms = f"{result.median_ms(f'naive {kind} proof'):,.0f} ms"
        target = f"p99 <= {TARGET_PROOF_P99_MS:g} ms"
        label = f"{kind} proof from the store"
        print(_latency_row(result, label, f"{kind} proof", target, naive_ms))
    for kind in KINDS:
        target = f"p99 <= {TARGET_VERIFY_P99_MS:g} ms"
        print(_latency_row(result, f"verify one {kind} proof", f"{kind} verify", target, ""))
    target = f"target >= {TARGET_LEAVES_PER_SECOND:,}"
    print(_rate_row("full Merkle verify (verify_tree)", result.verify_rates, target))
    print(_rate_row("naive root_hash(all leaf hashes)", result.naive_root_rates, "reads included"))
    print()


def print_report(
    results: list[EngineResult], checks: list[Target], options: argparse.Namespace, run: Run
) -> None:
    """The human-readable report."""
    for result in results:
        print_engine(result, options)
    for check in checks:
        limit = f"{'>=' if check.at_least else '<='} {_figure(check.limit, check.unit)}"
        print(
            f"{'PASS' if check.passed else 'FAIL'}  {check.engine}: {check.name} "
            f"{_figure(check.value, check.unit)} (target {limit})"
        )
    print(
        f"\n{options.samples} proofs of each kind per engine at random checkpointed sizes "
        f"({options.checkpoints} checkpoints), shuffled together after {WARMUP_PROOFS} untimed, "
        "each generated in its own read transaction (as one API request would be) and verified "
        "against the signed roots; p99 is the nearest rank. Naive proofs, in the whole tree (a "
        "random leaf; from a random checkpoint to the latest), read every leaf hash from the "
        "database, then compute with ledger.merkle "
        f"({options.rounds} of each kind, shuffled with the full verifications). "
        f"Seed {options.seed}; {run.describe()}."
    )


def as_document(
    results: list[EngineResult],
    checks: list[Target],
    skipped: dict[str, str],
    options: argparse.Namespace,
    run: Run,
) -> dict[str, object]:
    """The figures as one JSON-ready document."""
    engines = []
    for result in results:
        figures = {
            name: {
                "p50_ms": result.percentile_ms(name, 0.5),
                "p99_ms": result.percentile_ms(name, 0.99),
                "median_ms": result.median_ms(name),
                "samples": len(result.samples[name]),
            }
            for name in result.samples
        }
        engines.append(asdict(result) | {"samples": figures})
    settings = {key: value for key, value in vars(options).items() if key != "rng"}
    return {
        "options": settings,
        "engines": engines,
        "targets": [asdict(check) | {"passed": check.passed} for check in checks],
        "skipped": skipped,
        "run": asdict(run),
    }


# Running.


def store_openers() -> dict[str, Callable[[], AbstractContextManager[Store]]]:
    """Each engine's store opener."""
    admin_url = next(
        (url for url in map(os.environ.get, POSTGRES_URL_VARIABLES) if url), DEFAULT_POSTGRES_URL
    )
    return {"sqlite": sqlite_store, "postgresql": lambda: postgres_store(admin_url)}


def run_engines(options: argparse.Namespace) -> tuple[list[EngineResult], dict[str, str]]:
    """Benchmark every selected engine; return the results and the engines skipped, with why."""
    results: list[EngineResult] = []
    skipped: dict[str, str] = {}
    for engine in options.engines:
        try:
            with store_openers()[engine]() as store:
                results.append(measure(store, options))
        except EngineUnavailableError as exc:
            skipped[engine] = str(exc)
            print(
                f"{engine} skipped: cannot use the server ({exc}); point "
                f"{POSTGRES_URL_VARIABLES[0]} at a maintenance database to benchmark it",
                file=sys.stderr,
            )
    return results, skipped


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the module docstring's paragraphs and show each option's default."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.merkle_proofs", description=__doc__)
    parser.formatter_class = _HelpFormatter
    parser.add_argument("--leaves", type=int, default=1_000_000, help="leaves in the log")
    parser.add_argument("--samples", type=int, default=1000, help="proofs of each kind")
    parser.add_argument(
        "--checkpoints", type=int, default=8, help="load stages, each ending in a checkpoint"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="full verifications and naive figures of each kind"
    )
    parser.add_argument(
        "--engines", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"]
    )
    parser.add_argument("--seed", type=int, default=None, help="of the random choices")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    options = parser.parse_args(argv)
    if min(options.samples, options.rounds) < 1 or options.checkpoints < 2:
        parser.error("--samples and --rounds must be positive, --checkpoints at least 2")
    if options.leaves < options.checkpoints:
        parser.error("--leaves must be at least --checkpoints")
    options.seed = random.randrange(2**32) if options.seed is None else options.seed
    options.rng = random.Random(options.seed)
    return options


def main(argv: list[str] | None = None) -> int:
    """Run, report, and return 0 (targets met), 1 (a target missed), 2 (nothing ran) or 130."""
    options = parse_args(argv)
    load_at_start, started = os.getloadavg()[0], perf_counter()
    try:
        results, skipped = run_engines(options)
    except KeyboardInterrupt:
        print("interrupted: the benchmark's databases are dropped", file=sys.stderr)
        return 130
    timing = Run(perf_counter() - started, load_at_start, os.getloadavg()[0])
    if not results:
        print("no engine could run", file=sys.stderr)
        return 2
    checks = [check for result in results for check in targets(result)]
    if options.json:
        print(json.dumps(as_document(results, checks, skipped, options, timing), indent=2))
    else:
        print_report(results, checks, options, timing)
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
