"""One LIME explanation through the project's explainer beside LIME called directly (figure 3).

Ours: ``adapters.explaining.lime_explainer.LimeExplainer.explain(artifact, row, seed=...)``, the
``Explainer`` port the serving layer calls for a logged prediction (the model file's digest is
taken on every call, the loaded model and LIME's setup are cached by it, as in serving).

Baseline: ``lime.lime_tabular.LimeTabularExplainer.explain_instance`` called directly, built here
once with the same setup: the training statistics of the model file (``GovernedModel.stats``),
categorical features label-encoded by sorted value, ``discretize_continuous=False``, the same
kernel width, ``num_samples`` and ``num_features``, a ``RandomState`` reseeded per call, and a
predict function of the same cost (LIME's samples decoded into a DataFrame and scored by the
pipeline's ``predict_proba``). The two sides must give identical weights for every row, which
the benchmark asserts: it proves both did the same work.

Each round explains the same row on both sides, alternating which goes first; the figure is
the ratio of the medians (target: ours <= 1.2x the direct call). Run with
``python -m bench.explaining`` (``make bench-explaining``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from lime.lime_tabular import LimeTabularExplainer

from adapters.explaining.lime_explainer import LimeExplainer
from adapters.models.governed import GovernedModel
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
    timed,
)

TARGET_RATIO = 1.2
NUM_FEATURES = 10


class DirectLime:
    """LIME built directly for a model, the way a user of the library would set it up."""

    def __init__(self, model: GovernedModel, *, num_samples: int) -> None:
        self.model = model
        self.num_samples = num_samples
        self.numeric = list(model.numeric)
        self.categories = {c: sorted(map(str, model.stats[c]["values"])) for c in model.categorical}
        self.random = np.random.RandomState(0)
        n, stats = len(self.numeric), model.stats
        means = [float(stats[c]["mean"]) for c in self.numeric]
        stds = [float(stats[c]["std"]) for c in self.numeric]
        codes = dict(zip(range(n, n + len(self.categories)), self.categories, strict=True))
        pairs = codes.items()
        # With discretize_continuous=False LIME scales by a scaler fitted on the training rows:
        # two rows at mean -/+ std give it the training mean and (population) std.
        rows = np.zeros((2, n + len(codes)))
        rows[0, :n], rows[1, :n] = np.subtract(means, stds), np.add(means, stds)
        self.lime = LimeTabularExplainer(
            rows,
            mode="classification",
            feature_names=model.features,
            categorical_features=list(codes),
            categorical_names={i: self.categories[c] for i, c in codes.items()},
            kernel_width=math.sqrt(len(model.features)) * 0.75,
            discretize_continuous=False,
            random_state=self.random,
            training_data_stats={
                "means": dict(enumerate(means)),
                "stds": dict(enumerate(stds)),
                "mins": {i: float(stats[c]["min"]) for i, c in enumerate(self.numeric)},
                "maxs": {i: float(stats[c]["max"]) for i, c in enumerate(self.numeric)},
                "feature_values": {i: list(range(len(self.categories[c]))) for i, c in pairs},
                "feature_frequencies": {i: list(stats[c]["frequencies"]) for i, c in pairs},
            },
        )

    def explain(self, row: Mapping[str, object], *, seed: int) -> dict[str, float]:
        """LIME's weights for ``row`` (feature or ``feature=value`` to weight)."""
        encoded = [float(row[c]) for c in self.numeric]  # type: ignore[arg-type]
        encoded += [float(v.index(str(row[c]))) for c, v in self.categories.items()]
        self.random.seed(seed)
        explanation = self.lime.explain_instance(
            np.asarray(encoded),
            self.predict,
            labels=(1,),
            num_features=NUM_FEATURES,
            num_samples=self.num_samples,
        )
        return {str(name): float(weight) for name, weight in explanation.as_list(label=1)}

    def predict(self, samples: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """LIME's samples as rows of the pipeline's columns, scored: [1 - p, p]."""
        n = len(self.numeric)
        columns: dict[str, Any] = {c: samples[:, i] for i, c in enumerate(self.numeric)}
        for j, (column, values) in enumerate(self.categories.items()):
            columns[column] = np.asarray(values, dtype=object)[samples[:, n + j].astype(np.intp)]
        frame = pd.DataFrame(columns)[self.model.features]
        positive = self.model.pipeline.predict_proba(frame)[:, 1]
        return np.column_stack([1.0 - positive, positive])


def measure(demo: DemoModel, options: argparse.Namespace) -> Figure:
    """Time ``--rounds`` explanations on each side, interleaved, checking equal weights."""
    ours = LimeExplainer(num_samples=options.samples, num_features=NUM_FEATURES)
    direct = DirectLime(demo.model, num_samples=options.samples)
    rows, _ = applicants(options.rounds, seed=SEED + 3)
    ours.explain(demo.artifact, rows[0], seed=SEED)  # loads the model file and sets LIME up once
    direct.explain(rows[0], seed=SEED)
    timings: dict[str, list[float]] = {"ours": [], "direct": []}
    for index, row in enumerate(rows):
        sides: dict[str, Callable[[], Mapping[str, object]]] = {
            "ours": partial(_weights, ours, demo.artifact, row, SEED + index),
            "direct": partial(direct.explain, row, seed=SEED + index),
        }
        weights = {}
        for side in sorted(sides, reverse=index % 2 == 1):
            elapsed, weights[side] = timed(sides[side])
            timings[side].append(elapsed)
        if weights["ours"] != weights["direct"]:
            raise AssertionError(f"row {index}: the explainer's weights differ from LIME's own")
    ours_s, direct_s = median(timings["ours"]), median(timings["direct"])
    return Figure(
        number=3,
        title=f"one LIME explanation ({options.samples:,} samples)",
        ours=f"LimeExplainer.explain(artifact, row, seed): {ours_s * 1000:.1f} ms",
        baseline=f"LimeTabularExplainer.explain_instance, same setup: {direct_s * 1000:.1f} ms",
        checks=[
            Check("ours / direct time", ours_s / direct_s, TARGET_RATIO, at_most=True),
        ],
        notes=[f"median of {options.rounds} interleaved rounds; weights identical on every row"],
    )


def _weights(
    explainer: LimeExplainer, artifact: bytes, row: Mapping[str, object], seed: int
) -> Mapping[str, object]:
    weights = explainer.explain(artifact, row, seed=seed)["weights"]
    assert isinstance(weights, Mapping)
    return weights


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.explaining", description=__doc__)
    parser.formatter_class = HelpFormatter
    parser.add_argument("--samples", type=int, default=5000, help="LIME's num_samples")
    parser.add_argument("--rounds", type=int, default=21, help="explanations per side")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    options = parser.parse_args(argv)
    if options.quick:
        options.samples, options.rounds = 200, 2
    if min(options.samples, options.rounds) < 2:
        parser.error("--samples and --rounds must be at least 2")
    return options


def main(argv: list[str] | None = None) -> int:
    """Run and report; 0 when the target is met, else 1."""
    options = parse_args(argv)
    demo = demo_model()
    figure = measure(demo, options)
    return print_report([figure], {"model": "logistic regression, German credit (demo)"})


if __name__ == "__main__":
    sys.exit(main())
