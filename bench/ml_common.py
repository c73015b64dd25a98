"""What the ML benchmarks share: the demo's model on the German credit data, generated rows, timing,
and the report format (each figure beside its baseline, with PASS or FAIL per target).

The model is the demo's: the project's own trainer (``adapters.training``) fits a logistic
regression pipeline on the shipped German credit data (readable columns, ``adapters.credit``), and
the model file goes through ``dump_model``/``load_model`` as a deployed version's would. Rows for
scoring and monitoring come from the project's deterministic generator, so every run scores the
same applicants.
"""

from __future__ import annotations

import argparse
import functools
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, TypeVar

import pandas as pd

from adapters.artifacts.model_files import load_model
from adapters.credit import german
from adapters.credit.generator import Shift, derived_sample
from adapters.credit.generator import rows as typed_rows
from adapters.models.governed import GovernedModel
from adapters.monitoring.reference import ReferenceStatistics
from adapters.tables.schema import TableSchema
from adapters.training.trainer import SklearnTrainer, read_training_frame, split

SEED = 42
T = TypeVar("T")


@dataclass(frozen=True)
class DemoModel:
    """The demo's trained model with what serving and monitoring use beside it."""

    model: GovernedModel
    reference: ReferenceStatistics
    metrics: Mapping[str, float]
    """Holdout metrics of training."""
    train: pd.DataFrame
    """The train split: the rows the reference statistics were built on."""
    artifact: bytes
    schema: TableSchema
    """The data's schema; scored rows are checked against it without the target."""


def training_spec(seed: int = SEED) -> dict[str, Any]:
    """The demo's training spec: logistic regression on the German credit model features."""
    return {
        "estimator": {"name": "logistic_regression", "parameters": {"C": 1.0, "max_iter": 1000}},
        "features": {
            "numeric": list(german.NUMERIC_FEATURES),
            "categorical": list(german.CATEGORICAL_FEATURES),
        },
        "target": german.TARGET,
        "positive_label": german.POSITIVE_LABEL,
        "protected_attributes": list(german.PROTECTED_ATTRIBUTES),
        "split": {"test_size": 0.25, "stratify": True},
        "seed": seed,
    }


@functools.cache
def demo_model(seed: int = SEED) -> DemoModel:
    """Train the demo's model with the project's trainer and load it back from its model file
    (once per process and seed: callers only read it)."""
    spec, data = training_spec(seed), [german.german_credit_csv()]
    trained = SklearnTrainer().train(data, spec)
    train, _ = split(read_training_frame(data, spec), spec)
    return DemoModel(
        model=load_model(trained.artifact),
        reference=ReferenceStatistics.from_json(trained.reference),
        metrics=dict(trained.metrics),
        train=train,
        artifact=trained.artifact,
        schema=german.table_schema(),
    )


def applicants(
    count: int, *, seed: int, shift: Shift | None = None
) -> tuple[list[dict[str, object]], list[str]]:
    """``count`` generated applications (scoring columns, typed) and their true labels."""
    rows = typed_rows(derived_sample(count, seed=seed, shift=shift), with_target=True)
    labels = [str(row.pop(german.TARGET)) for row in rows]
    return rows, labels


def timed(work: Callable[[], T]) -> tuple[float, T]:
    """Wall-clock seconds ``work`` takes, and what it returns."""
    started = perf_counter()
    result = work()
    return perf_counter() - started, result


def seconds(work: Callable[[], object]) -> float:
    """Wall-clock seconds ``work`` takes."""
    return timed(work)[0]


def median(values: Sequence[float]) -> float:
    """The median of some timings."""
    return statistics.median(values)


@dataclass(frozen=True)
class Check:
    """One target of a figure: ``value`` must reach ``target`` (at least, or at most)."""

    name: str
    value: float
    target: float
    at_most: bool = False
    unit: str = "x"

    @property
    def passed(self) -> bool:
        """Whether the target is met."""
        return self.value <= self.target if self.at_most else self.value >= self.target

    def line(self) -> str:
        """``PASS  <name>: <value> (target >= <target>)``."""
        sign = "<=" if self.at_most else ">="
        return (
            f"  {'PASS' if self.passed else 'FAIL'}  {self.name}: {_number(self.value, self.unit)}"
            f" (target {sign} {_number(self.target, self.unit)})"
        )


@dataclass(frozen=True)
class Figure:
    """One of issue 9's four figures: what was measured, beside its baseline, and its targets."""

    number: int
    title: str
    ours: str
    baseline: str
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Whether every target is met."""
        return all(check.passed for check in self.checks)

    def lines(self) -> list[str]:
        """The figure as report lines: heading, ours, baseline, one line per target, notes."""
        heading = [f"figure {self.number}  {self.title}"]
        measured = [f"  ours:     {self.ours}", f"  baseline: {self.baseline}"]
        return (
            heading
            + measured
            + [check.line() for check in self.checks]
            + [f"  note: {note}" for note in self.notes]
        )


def print_report(figures: Sequence[Figure], facts: Mapping[str, object]) -> int:
    """Print the figures and the run's facts; 0 when every target is met, else 1."""
    for figure in figures:
        print("\n".join(figure.lines()))
        print()
    for name, value in facts.items():
        print(f"{name}: {value}")
    return 0 if all(figure.passed for figure in figures) else 1


def _number(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}"


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keep the module docstring's paragraphs and show each option's default."""
