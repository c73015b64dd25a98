"""A monitoring window of 1,000,000 logged predictions from per-segment summaries, beside
Evidently's data drift report over the same rows (figure 4).

The window: ``--rows`` shifted applications (``adapters.credit.generator``, ``APPLICANT_SHIFT``)
scored by the demo's model, as the prediction log holds them (one record dict per prediction)
in segments of ``--segment`` records, each with a feedback record carrying its true label.

Ours (``adapters.monitoring``): each segment is summarised as the log seals it
(``summarise_predictions`` and ``summarise_feedback`` over the record dicts), then the window's
metrics come from the merged summaries (``window_metrics``): PSI, KS and chi-squared drift of
every model feature, the share of drifted features, approval rate, quality, fairness per
protected attribute and expected cost on the labels. Baseline: Evidently 0.7's ``Report`` with
``DataDriftPreset`` over the same rows (as a DataFrame, built untimed) against the training
split, drift only. Evidently picks its test by sample size (p-values below 1,000 reference rows,
distances above), so both sides pin theirs: Evidently KS for numeric and chi-squared for
categorical columns at p < ``P_VALUE``; ours PSI >= ``PSI_DRIFT`` or a test at p < ``P_VALUE``.

Targets: ours (summarising every segment plus the window) >= 20x faster than Evidently. Checked
on the way (the run stops on a mismatch): every PSI equals a direct numpy computation from the
raw rows, approval rate and expected cost equal direct ones, and each attribute's fairness
equals fairlearn's own functions on the same rows (on the first ``--fairlearn-rows`` rows:
fairlearn's ``MetricFrame`` takes seconds per metric on a million rows). Run with
``python -m bench.monitoring`` (``make bench-monitoring``; it installs Evidently).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from adapters.credit import german
from adapters.credit.generator import APPLICANT_SHIFT, derived_sample
from adapters.monitoring.labelled import summarise_feedback
from adapters.monitoring.summaries import summarise_predictions
from adapters.monitoring.window import DriftSettings, window_metrics
from adapters.prediction_log.ids import new_id
from adapters.prediction_log.records import format_time
from adapters.scoring.compiled import CompiledModel
from bench.ml_common import (
    SEED,
    Check,
    DemoModel,
    Figure,
    HelpFormatter,
    demo_model,
    print_report,
    timed,
)
from bench.monitoring_checks import TOLERANCE, check_fairness, check_kpis, check_psi

TARGET_SPEEDUP = 20.0
P_VALUE = 0.05
PSI_DRIFT = 0.2
PSI_EPSILON = 1e-4

Record = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """The window's rows as a typed frame (with the true label) and as the log's records."""

    frame: pd.DataFrame
    decisions: np.ndarray[Any, np.dtype[np.int64]]
    segments: list[tuple[list[Record], list[Record]]]
    """Per segment: its prediction records and their feedback records."""


def build_window(demo: DemoModel, options: argparse.Namespace) -> Window:
    """Generate, score and record ``--rows`` shifted applications (untimed)."""
    frame = demo.schema.read_csv(derived_sample(options.rows, seed=SEED + 4, shift=APPLICANT_SHIFT))
    names = [c for c in frame.columns if c != german.TARGET]
    inputs = [
        dict(zip(names, values, strict=True))
        for values in zip(*_columns(frame, names), strict=True)
    ]
    compiled = CompiledModel.compile(demo.model)
    scores = compiled.score_rows(inputs)
    decisions = compiled.decide(inputs, scores)
    labels = frame[german.TARGET].tolist()
    start = datetime(2026, 11, 30, tzinfo=UTC)
    segments = []
    for first in range(0, options.rows, options.segment):
        moment = start + timedelta(seconds=first)
        stamp, milliseconds = format_time(moment), int(moment.timestamp() * 1000)
        predictions, feedback = [], []
        for index in range(first, min(first + options.segment, options.rows)):
            row, output = inputs[index], {"score": float(scores[index])}
            output["decision"] = int(decisions[index])
            record = {"id": new_id(milliseconds), "kind": "prediction", "time": stamp}
            predictions.append(record | {"inputs": row, "output": output})
            groups = {a: row[a] for a in german.PROTECTED_ATTRIBUTES}
            feedback.append(
                {
                    "id": new_id(milliseconds),
                    "kind": "feedback",
                    "prediction_id": record["id"],
                    "time": stamp,
                    "label": labels[index],
                    "prediction": output | {"groups": groups},
                }
            )
        segments.append((predictions, feedback))
    return Window(frame, np.asarray(decisions, dtype=np.int64), segments)


def _columns(frame: pd.DataFrame, names: Sequence[str]) -> list[list[Any]]:
    """Each column as a list of plain Python values (int, float or str, as the log holds)."""
    return [frame[name].tolist() for name in names]


@dataclass(frozen=True)
class Ours:
    """Our side's timings, metrics, and the per-segment summaries they came from."""

    predictions_seconds: float
    feedback_seconds: float
    window: float
    metrics: Mapping[str, float]
    predictions: list[dict[str, Any]]
    feedback: list[dict[str, Any]]


def settings() -> DriftSettings:
    """Our drift methods and thresholds, pinned."""
    return DriftSettings(psi_drift=PSI_DRIFT, p_value=P_VALUE, psi_epsilon=PSI_EPSILON)


def ours(demo: DemoModel, window: Window) -> Ours:
    """Summarise every segment as the log seals it, then compute the window's metrics."""
    summarise = summarise_predictions(demo.reference)
    summarise_labels = summarise_feedback(german.PROTECTED_ATTRIBUTES)

    logged, predictions = timed(lambda: [summarise(records) for records, _ in window.segments])
    labelled, feedback = timed(
        lambda: [summarise_labels(records) for _, records in window.segments]
    )
    elapsed, metrics = timed(lambda: _metrics(demo, predictions, feedback))
    return Ours(logged, labelled, elapsed, metrics, predictions, feedback)


def _metrics(
    demo: DemoModel, predictions: Sequence[dict[str, Any]], feedback: Sequence[dict[str, Any]]
) -> Mapping[str, float]:
    return window_metrics(
        demo.reference,
        predictions,
        feedback,
        settings=settings(),
        baseline_quality=demo.metrics,
        cost_matrix=german.COST_MATRIX,
    )


def evidently(demo: DemoModel, window: Window) -> tuple[float, dict[str, float]]:
    """Seconds of Evidently's drift report over the window, and its p-value per feature."""
    with warnings.catch_warnings():
        # Importing Evidently 0.7 warns about its own use of numpy.core and of litestar.
        warnings.filterwarnings("ignore", "numpy.core is deprecated", DeprecationWarning)
        warnings.filterwarnings("ignore", "Call to deprecated function 'Dependency'")
        warnings.filterwarnings("ignore", "Use of deprecated class 'DependencyKwarg'")
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset
    model = demo.model
    reference = model.typed(demo.train)[model.features]
    current = window.frame[model.features]
    definition = DataDefinition(
        numerical_columns=model.numeric, categorical_columns=model.categorical
    )
    preset = DataDriftPreset(
        columns=model.features, num_method="ks", cat_method="chisquare", threshold=P_VALUE
    )

    def report() -> dict[str, Any]:
        snapshot = Report([preset]).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
        return dict(snapshot.dict())

    elapsed, document = timed(report)
    p_values = {
        str(metric["config"]["column"]): float(metric["value"])
        for metric in document["metrics"]
        if metric["config"].get("type") == "evidently:metric_v2:ValueDrift"
    }
    return elapsed, p_values


def check(demo: DemoModel, window: Window, result: Ours, fairlearn_rows: int) -> tuple[int, int]:
    """Check the window's metrics against direct and fairlearn computations (``AssertionError``
    on a difference); the number of PSI checked and of rows fairlearn saw."""
    frame, metrics = window.frame, result.metrics
    psi_checked = check_psi(demo.reference, demo.train, frame, metrics, epsilon=PSI_EPSILON)
    good = (frame[german.TARGET] == german.POSITIVE_LABEL).to_numpy()
    check_kpis(window.decisions, good, metrics, german.COST_MATRIX)
    segments = max(1, fairlearn_rows // len(window.segments[0][0]))
    rows = sum(len(records) for records, _ in window.segments[:segments])
    check_fairness(
        _metrics(demo, result.predictions[:segments], result.feedback[:segments]),
        good[:rows].astype(np.int64),
        window.decisions[:rows],
        {a: frame[a].to_numpy()[:rows] for a in german.PROTECTED_ATTRIBUTES},
    )
    return psi_checked, rows


def figure(result: Ours, baseline: tuple[float, dict[str, float]] | None, rows: int) -> Figure:
    """Figure 4 from both sides' timings (``baseline`` None: Evidently was not run)."""
    sealing = result.predictions_seconds + result.feedback_seconds
    total = sealing + result.window
    features = [
        name.removeprefix("drifted.") for name in result.metrics if name.startswith("drifted.")
    ]
    drifted = sum(result.metrics[f"drifted.{f}"] == 1.0 for f in features)
    ours_text = (
        f"summaries at sealing {sealing:.2f} s (predictions {result.predictions_seconds:.2f} s, "
        f"feedback {result.feedback_seconds:.2f} s) + window {result.window * 1000:.0f} ms = "
        f"{total:.2f} s; drift flagged on {drifted} of {len(features)} features"
    )
    if baseline is None:
        return Figure(
            number=4,
            title=f"a monitoring window of {rows:,} logged predictions",
            ours=ours_text,
            baseline="not run: Evidently is not installed (make bench-monitoring installs it)",
            notes=["our side only: no target is judged without the baseline"],
        )
    seconds, p_values = baseline
    flagged = sum(p < P_VALUE for p in p_values.values())
    return Figure(
        number=4,
        title=f"a monitoring window of {rows:,} logged predictions",
        ours=ours_text,
        baseline=f"Evidently DataDriftPreset (KS / chi-squared, p < {P_VALUE}): {seconds:.2f} s; "
        f"drift flagged on {flagged} of {len(p_values)} features",
        checks=[
            Check("Evidently time / ours (summaries + window)", seconds / total, TARGET_SPEEDUP),
            Check(
                "Evidently time / ours (window from sealed summaries)",
                seconds / result.window,
                TARGET_SPEEDUP,
            ),
        ],
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.monitoring", description=__doc__)
    parser.formatter_class = HelpFormatter
    parser.add_argument("--rows", type=int, default=1_000_000, help="predictions in the window")
    parser.add_argument("--segment", type=int, default=10_000, help="records per sealed segment")
    parser.add_argument(
        "--fairlearn-rows", type=int, default=100_000, help="rows fairlearn checks fairness on"
    )
    parser.add_argument(
        "--without-evidently", action="store_true", help="our side only (no baseline, no target)"
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    options = parser.parse_args(argv)
    if options.quick:
        options.rows, options.segment, options.fairlearn_rows = 2000, 500, 1000
    if min(options.rows, options.segment, options.fairlearn_rows) < 1:
        parser.error("--rows, --segment and --fairlearn-rows must be positive")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run and report; 0 when every target is met, 1 when one is missed, 2 without Evidently
    unless ``--without-evidently`` asked for that."""
    options = parse_args(argv)
    if not options.without_evidently and importlib.util.find_spec("evidently") is None:
        print(
            "Evidently is not installed: run `make bench-monitoring`, or pass --without-evidently"
        )
        return 2
    demo = demo_model()
    window = build_window(demo, options)
    result = ours(demo, window)
    baseline = None if options.without_evidently else evidently(demo, window)
    psi_checked, fairlearn_rows = check(demo, window, result, options.fairlearn_rows)
    report = figure(result, baseline, options.rows)
    report.notes.extend(
        [
            f"segments of {options.segment:,} records; PSI of {psi_checked} features equal to a "
            f"direct numpy computation (|difference| <= {TOLERANCE:g}); approval rate and "
            "expected cost equal direct ones",
            f"fairness (demographic parity difference and ratio, equalized odds difference) per "
            f"protected attribute equal to fairlearn's functions on the first {fairlearn_rows:,} "
            "rows (fairlearn takes seconds per metric on a million rows)",
        ]
    )
    return print_report([report], {"model": "logistic regression, German credit (demo)"})


if __name__ == "__main__":
    sys.exit(main())
