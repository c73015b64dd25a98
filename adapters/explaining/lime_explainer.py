"""LIME explanations of a governed model's predictions (Ribeiro et al. 2016, ``lime_tabular``).

LIME samples around the row from the training data's statistics (``GovernedModel.stats``), not
from training rows, which the model file does not hold: numeric features from a normal with the
training mean and standard deviation (``discretize_continuous=False``, so these two are all LIME
uses of them), categorical features from the training frequencies, label-encoded by sorted value.
The surrogate explains the probability of the positive label. Every random draw comes from one
``numpy.random.RandomState`` seeded per call, never numpy's global state, so the same (model,
row, seed, parameters) give the same weights bit for bit.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd
from lime.lime_tabular import LimeTabularExplainer

from adapters.artifacts.model_files import load_model
from adapters.models.governed import GovernedModel
from domain.errors import InvalidArgumentError
from ledger.encoding.digests import sha256_digest

__all__ = ["LimeExplainer", "ModelExplainer"]

METHOD = "lime_tabular"
_CACHED_MODELS = 8


class ModelExplainer:
    """LIME set up once for one model; ``explain`` is safe to call from several threads."""

    def __init__(
        self,
        model: GovernedModel,
        *,
        num_samples: int = 5000,
        num_features: int = 10,
        kernel_width: float | None = None,
    ) -> None:
        self._model = model
        self._num_samples, self._num_features = num_samples, num_features
        self._numeric = list(model.numeric)
        self._codes = {c: _categories(model, c) for c in model.categorical}
        # Code len(values) of each column stands for a value unseen in training: the row's own,
        # written into the last slot of the column's names (LIME's) and table (ours) per call.
        self._names = [[*codes, ""] for codes in self._codes.values()]
        self._tables = [np.asarray(names, dtype=object) for names in self._names]
        # LIME's own default width, written out so the record says which width was used.
        default = math.sqrt(len(model.features)) * 0.75
        width = float(default if kernel_width is None else kernel_width)
        self.parameters: dict[str, object] = {
            "num_samples": num_samples,
            "num_features": num_features,
            "kernel_width": width,
            "kernel": "exponential",
            "discretize_continuous": False,
            "sample_around_instance": False,
            "feature_selection": "auto",
            "distance_metric": "euclidean",
            "explained_label": model.positive_label,
            "lime_version": version("lime"),
        }
        self._random = np.random.RandomState(0)
        self._lime = self._build(width)
        self._lock = threading.Lock()

    def _build(self, kernel_width: float) -> LimeTabularExplainer:
        numeric = [_stats(self._model, c) for c in self._numeric]
        n, k = len(numeric), len(self._codes)
        means = [float(s["mean"]) for s in numeric]
        stds = [float(s["std"]) for s in numeric]
        # Two rows at mean -/+ std give LIME's scaler the training mean and (population) std.
        rows = np.zeros((2, n + k))
        rows[0, :n] = np.subtract(means, stds)
        rows[1, :n] = np.add(means, stds)
        categorical = {n + j: column for j, column in enumerate(self._codes)}
        stats = {
            "means": dict(enumerate(means)),
            "stds": dict(enumerate(stds)),
            "mins": {i: float(s["min"]) for i, s in enumerate(numeric)},
            "maxs": {i: float(s["max"]) for i, s in enumerate(numeric)},
            "feature_values": {i: list(range(len(self._codes[c]))) for i, c in categorical.items()},
            "feature_frequencies": {
                i: [float(f) for f in _stats(self._model, c)["frequencies"]]
                for i, c in categorical.items()
            },
        }
        return LimeTabularExplainer(
            rows,
            mode="classification",
            feature_names=self._model.features,
            categorical_features=list(categorical),
            categorical_names=dict(zip(categorical, self._names, strict=True)),
            kernel_width=kernel_width,
            discretize_continuous=False,
            random_state=self._random,
            training_data_stats=stats,
        )

    def explain(self, row: Mapping[str, object], *, seed: int) -> dict[str, object]:
        """``method``, ``parameters``, ``weights`` (feature, or ``feature=value`` for a
        categorical one, to weight) and ``fidelity`` (the surrogate's R^2, clipped to [0, 1])."""
        encoded = self.encode(row)
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise InvalidArgumentError(f"seed {seed!r} must be an integer in [0, 2**32)")
        with self._lock:
            for column, names, table in zip(self._codes, self._names, self._tables, strict=True):
                names[-1] = table[-1] = str(row[column])
            self._random.seed(seed)
            explanation = self._lime.explain_instance(
                encoded,
                self.predict,
                labels=(1,),
                num_features=self._num_features,
                num_samples=self._num_samples,
            )
        weights = {str(name): float(weight) for name, weight in explanation.as_list(label=1)}
        return {
            "method": METHOD,
            "parameters": {**self.parameters, "seed": seed},
            "weights": weights,
            "fidelity": min(max(float(explanation.score), 0.0), 1.0),
        }

    def encode(self, row: Mapping[str, object]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The row as LIME's numeric array: numeric values, then categorical codes (a value
        unseen in training gets the code after the last; LIME never samples it)."""
        values: list[float] = []
        for column in self._numeric:
            value = _field(row, column)
            try:
                number = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = math.nan
            if isinstance(value, bool) or not math.isfinite(number):
                raise InvalidArgumentError(f"column {column!r}: {value!r} is not a finite number")
            values.append(number)
        for column, codes in self._codes.items():
            values.append(float(codes.get(str(_field(row, column)), len(codes))))
        return np.asarray(values, dtype=np.float64)

    def predict(self, samples: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """LIME's samples decoded into rows and scored: columns [1 - p, p]."""
        n = len(self._numeric)
        columns: dict[str, Any] = {c: samples[:, i] for i, c in enumerate(self._numeric)}
        for j, (column, table) in enumerate(zip(self._codes, self._tables, strict=True)):
            columns[column] = table[samples[:, n + j].astype(np.intp)]
        positive = self._model.score(pd.DataFrame(columns, copy=False))
        return np.column_stack([1.0 - positive, positive])


class LimeExplainer:
    """The ``Explainer`` port with LIME: loads each artifact once (by digest) and keeps LIME set
    up for the last few models it explained."""

    def __init__(
        self, num_samples: int = 5000, num_features: int = 10, kernel_width: float | None = None
    ) -> None:
        if num_samples < 2 or num_features < 1 or (kernel_width is not None and kernel_width <= 0):
            raise InvalidArgumentError(
                "LIME needs num_samples >= 2, num_features >= 1 and a positive kernel_width"
            )
        self.num_samples = num_samples
        self.num_features = num_features
        self.kernel_width = kernel_width
        self._models: OrderedDict[str, ModelExplainer] = OrderedDict()
        self._lock = threading.Lock()

    def explain(
        self, artifact: bytes, row: Mapping[str, object], *, seed: int
    ) -> Mapping[str, object]:
        """The explanation of ``row``'s score by the model file ``artifact`` (see
        ``ModelExplainer.explain``); ``ArtifactError`` for a file that is not a trusted model."""
        return self._for_artifact(artifact).explain(row, seed=seed)

    def explain_model(
        self, model: GovernedModel, row: Mapping[str, object], *, seed: int
    ) -> dict[str, object]:
        """The same explanation from a loaded model."""
        return self.for_model(model).explain(row, seed=seed)

    def for_model(self, model: GovernedModel) -> ModelExplainer:
        """LIME set up with this explainer's parameters for ``model``, to explain many rows."""
        return ModelExplainer(
            model,
            num_samples=self.num_samples,
            num_features=self.num_features,
            kernel_width=self.kernel_width,
        )

    def _for_artifact(self, artifact: bytes) -> ModelExplainer:
        digest = sha256_digest(artifact)
        with self._lock:
            cached = self._models.get(digest)
            if cached is not None:
                self._models.move_to_end(digest)
                return cached
        built = self.for_model(load_model(artifact))
        with self._lock:
            self._models[digest] = built
            while len(self._models) > _CACHED_MODELS:
                self._models.popitem(last=False)
        return built


def _categories(model: GovernedModel, column: str) -> dict[str, int]:
    """Codes of the column's training values in the statistics' (sorted) order."""
    values = [str(v) for v in _stats(model, column)["values"]]
    return {value: code for code, value in enumerate(values)}


def _stats(model: GovernedModel, column: str) -> Mapping[str, Any]:
    stats = model.stats.get(column)
    if not isinstance(stats, Mapping):
        raise InvalidArgumentError(
            f"the model has no training statistics of feature {column!r}, which LIME samples from"
        )
    return stats


def _field(row: Mapping[str, object], column: str) -> object:
    if column not in row:
        raise InvalidArgumentError(f"the row has no column {column!r}: give every model feature")
    return row[column]
