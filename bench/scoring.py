"""Scoring with the provable prediction log, one row at a time and in batches (figures 1 and 2).

Ours is the serving path of ``api.serving.ScoringService.predict`` without the ledger: rows are
checked against the data's schema (``TableSchema.check_rows``), scored and decided by the compiled
model (``adapters.scoring.compiled.CompiledModel``, no pandas per row), given time-ordered ids,
and appended as canonical records to a ``PredictionLog`` that seals a segment every
``--seal-every`` records with its monitoring summary (``summarise_predictions``). Left out: the
one signed ledger event per sealed segment (one per 10,000 predictions by default).

Figure 1, one row at a time: ours (one row per ``predict`` call, each logged before it returns)
against the demo pipeline's ``predict_proba`` on a one-row DataFrame, which logs nothing. The
scores must be identical, float for float (asserted for every row). Target: ours >= 3x the
throughput of the baseline.

Figure 2, batches of ``--batch`` rows: ours in logged predictions per second (target >= 20,000
on this 2-core machine) against the cost floor measured in the same run: for the same rows with
no model and no checks, build each record (id and dict), encode it with the log's own RFC 8785
encoder (checked equal to ``ledger.encoding.canonical.canonical_json`` on a sample), hash it
(``ledger.merkle.leaf_hash``) and write it compressed in blocks (zlib at the log's level),
flushing each block. Target: ours >= 0.5x the floor.

Rounds alternate which side goes first; each figure is the median of the rounds. Run with
``python -m bench.scoring`` (``make bench-scoring``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import time

import pandas as pd

from adapters.monitoring.summaries import summarise_predictions
from adapters.prediction_log.ids import new_id, new_ids
from adapters.prediction_log.log import PredictionLog
from adapters.prediction_log.records import encode_record, format_time
from adapters.scoring.compiled import CompiledModel
from bench.ml_common import (
    SEED,
    Check,
    DemoModel,
    Figure,
    HelpFormatter,
    applicants,
    demo_model,
    median,
    print_report,
    seconds,
)
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest
from ledger.merkle import leaf_hash

TARGET_SINGLE = 3.0
TARGET_BATCH_RATE = 20_000
TARGET_FLOOR_RATIO = 0.5
VERSION = "00000000-0000-4000-8000-000000000001"
ENVIRONMENT = "prod"
DIGEST = "sha256:" + "ab" * 32
FLOOR_BLOCK_RECORDS = 256
FLOOR_ZLIB_LEVEL = 1
"""The zlib level and block size of the log's segment files (``segment_file``)."""

Row = Mapping[str, object]


class LoggedScorer:
    """``ScoringService.predict`` minus the ledger: check, score, decide, log every prediction."""

    def __init__(self, demo: DemoModel, directory: Path, *, seal_every: int) -> None:
        self.schema = demo.schema
        self.compiled = CompiledModel.compile(demo.model)
        self.digest = sha256_digest(demo.artifact)
        self.log = PredictionLog(
            directory,
            seal_every=seal_every,
            seal_after=timedelta(days=1),
            summariser=summarise_predictions(demo.reference),
            clock=lambda: datetime.now(UTC),
            kind="prediction",
        )

    def predict(self, rows: Sequence[Row]) -> list[float]:
        """Score and log ``rows``; their scores, once every record is appended."""
        typed = self.schema.check_rows(rows, max_rows=100_000)
        scores = self.compiled.score_rows(typed)
        decisions = self.compiled.decide(typed, scores)
        now = datetime.now(UTC)
        stamp, milliseconds = format_time(now), int(now.timestamp() * 1000)
        ids = new_ids(len(typed), milliseconds)
        records = [
            {
                "id": prediction_id,
                "kind": "prediction",
                "model_version": VERSION,
                "artifact_digest": self.digest,
                "environment": ENVIRONMENT,
                "time": stamp,
                "inputs": row,
                "output": {"score": score, "decision": decision},
            }
            for prediction_id, row, score, decision in zip(
                ids, typed, scores.tolist(), decisions.tolist(), strict=True
            )
        ]
        self.log.append(records)
        for segment in self.log.unrecorded():
            self.log.mark_recorded(segment.sequence)
        return [float(score) for score in scores]


def floor(rows: Sequence[Row], path: Path) -> None:
    """The cost floor of logging ``rows``: records built, encoded, hashed, written compressed.
    Every record gets the same output, a score with the digits of a real one."""
    with path.open("ab") as out:
        block: list[bytes] = []
        stamp = format_time(datetime.now(UTC))
        milliseconds = int(time() * 1000)
        for row in rows:
            record = {
                "id": new_id(milliseconds),
                "kind": "prediction",
                "model_version": VERSION,
                "artifact_digest": DIGEST,
                "environment": ENVIRONMENT,
                "time": stamp,
                "inputs": row,
                "output": {"score": 0.7318471203947621, "decision": 1},
            }
            encoded = encode_record(record)
            leaf_hash(encoded)
            block.append(len(encoded).to_bytes(4, "big") + encoded)
            if len(block) == FLOOR_BLOCK_RECORDS:
                out.write(zlib.compress(b"".join(block), FLOOR_ZLIB_LEVEL))
                out.flush()
                block = []
        if block:
            out.write(zlib.compress(b"".join(block), FLOOR_ZLIB_LEVEL))
            out.flush()


def single_rows(demo: DemoModel, rows: Sequence[Row], options: argparse.Namespace) -> Figure:
    """Figure 1: ``--single`` rows one at a time per side and round."""
    pipeline = demo.model.pipeline
    rates: dict[str, list[float]] = {"ours": [], "baseline": []}
    with tempfile.TemporaryDirectory() as directory:
        scorer = LoggedScorer(demo, Path(directory), seal_every=options.seal_every)
        ours_scores: list[float] = []
        baseline_scores: list[float] = []

        def ours() -> None:
            ours_scores.extend(scorer.predict([row])[0] for row in rows)

        def baseline() -> None:
            baseline_scores.extend(
                float(pipeline.predict_proba(pd.DataFrame([row]))[0, 1]) for row in rows
            )

        sides = {"ours": ours, "baseline": baseline}
        for round_index in range(options.rounds):
            ours_scores.clear()
            baseline_scores.clear()
            for side in sorted(sides, reverse=round_index % 2 == 1):
                rates[side].append(len(rows) / seconds(sides[side]))
            _check_identical(ours_scores, baseline_scores)
    ours_rate, baseline_rate = median(rates["ours"]), median(rates["baseline"])
    return Figure(
        number=1,
        title="scoring one row at a time with the prediction log (demo LR model)",
        ours=f"check + compiled score + log, one row per call: {ours_rate:,.0f} rows/s",
        baseline=f"pipeline.predict_proba(one-row DataFrame), no log: {baseline_rate:,.0f} rows/s",
        checks=[Check("ours / baseline throughput", ours_rate / baseline_rate, TARGET_SINGLE)],
        notes=[
            f"median of {options.rounds} interleaved rounds of {len(rows):,} rows per side; "
            "scores identical for every row"
        ],
    )


def batches(demo: DemoModel, rows: Sequence[Row], options: argparse.Namespace) -> Figure:
    """Figure 2: ``--rows`` rows in batches of ``--batch`` per side and round."""
    _check_encoder(rows[:100])
    rates: dict[str, list[float]] = {"ours": [], "floor": []}
    chunks = [rows[start : start + options.batch] for start in range(0, len(rows), options.batch)]
    with tempfile.TemporaryDirectory() as directory:
        for round_index in range(options.rounds):
            scorer = LoggedScorer(
                demo, Path(directory, f"log{round_index}"), seal_every=options.seal_every
            )
            sides = {
                "ours": lambda scorer=scorer: [scorer.predict(chunk) for chunk in chunks],
                "floor": lambda i=round_index: floor(rows, Path(directory, f"floor{i}.bin")),
            }
            for side in sorted(sides, reverse=round_index % 2 == 1):
                rates[side].append(len(rows) / seconds(sides[side]))
    ours_rate, floor_rate = median(rates["ours"]), median(rates["floor"])
    return Figure(
        number=2,
        title="batch scoring with the prediction log",
        ours=f"check + compiled score + log, batches of {options.batch:,}: "
        f"{ours_rate:,.0f} logged predictions/s",
        baseline=f"cost floor (record, encode, leaf hash, zlib write; no model): "
        f"{floor_rate:,.0f} records/s",
        checks=[
            Check("logged predictions per second", ours_rate, TARGET_BATCH_RATE, unit="/s"),
            Check("ours / cost floor", ours_rate / floor_rate, TARGET_FLOOR_RATIO),
        ],
        notes=[
            f"median of {options.rounds} interleaved rounds of {len(rows):,} rows per side; "
            f"ours seals a segment (Merkle root, summary) every {options.seal_every:,} records"
        ],
    )


def _check_identical(ours: Sequence[float], baseline: Sequence[float]) -> None:
    for index, (mine, theirs) in enumerate(zip(ours, baseline, strict=True)):
        if mine != theirs:
            raise AssertionError(f"row {index}: logged score {mine!r} != pipeline's {theirs!r}")


def _check_encoder(rows: Sequence[Row]) -> None:
    for index, row in enumerate(rows):
        record = {
            "id": new_id(int(time() * 1000)),
            "kind": "prediction",
            "model_version": VERSION,
            "artifact_digest": DIGEST,
            "environment": ENVIRONMENT,
            "time": format_time(datetime.now(UTC)),
            "inputs": row,
            "output": {"score": 0.123456789, "decision": 1},
        }
        if encode_record(record) != canonical_json(record):
            raise AssertionError(f"row {index}: the log's encoder differs from canonical_json")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.scoring", description=__doc__)
    parser.formatter_class = HelpFormatter
    parser.add_argument("--single", type=int, default=500, help="rows one at a time per round")
    parser.add_argument("--rows", type=int, default=50_000, help="rows in batches per round")
    parser.add_argument("--batch", type=int, default=1000, help="rows per batch")
    parser.add_argument("--seal-every", type=int, default=10_000, help="records per segment")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per figure")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    options = parser.parse_args(argv)
    if options.quick:
        options.single, options.rows, options.batch, options.rounds = 20, 1000, 250, 2
        options.seal_every = 500
    if min(options.single, options.rows, options.batch, options.seal_every, options.rounds) < 1:
        parser.error("sizes and --rounds must be positive")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run and report; 0 when every target is met, else 1."""
    options = parse_args(argv)
    demo = demo_model()
    rows, _ = applicants(max(options.single, options.rows), seed=SEED + 1)
    figures = [
        single_rows(demo, rows[: options.single], options),
        batches(demo, rows[: options.rows], options),
    ]
    return print_report(figures, {"model": "logistic regression, German credit (demo)"})


if __name__ == "__main__":
    sys.exit(main())
