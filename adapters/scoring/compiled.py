"""``CompiledModel``: a ``GovernedModel`` scored from plain rows with numpy, without pandas.

A request path that builds a one-row DataFrame pays milliseconds of pandas and
``ColumnTransformer`` overhead for microseconds of arithmetic. Compiling reads the fitted
preprocessing (``StandardScaler`` ``mean_``/``scale_``, ``OneHotEncoder`` ``categories_``) once
and encodes rows straight into the float64 matrix the estimator was fitted on.

Exactness, not closeness: the encoder does the same IEEE operations as the pipeline (``x -
mean`` then ``/ scale``; 1.0 in the column of a known category, an all-zero block for an
unknown one, as ``handle_unknown="ignore"``), and the estimator head does what the estimator's
``predict_proba`` does on that matrix. So ``score_rows(rows)`` equals
``model.score(model.frame(rows))`` and ``score_row(row)`` equals it for ``[row]``, float for
float. (scikit-learn itself may differ by an ulp between a row scored alone and in a batch: a
BLAS dot product is not a matrix product; each path here matches its own counterpart.)

A pipeline of another shape is not compiled: ``compiled`` is then False and scoring goes
through the DataFrame path, correct but slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any, Protocol

import numpy as np
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from adapters.models.governed import GovernedModel
from domain.errors import InvalidArgumentError

__all__ = ["CompiledModel"]

Row = Mapping[str, object]
Floats = np.ndarray[Any, np.dtype[np.float64]]
Ints = np.ndarray[Any, np.dtype[np.int64]]


class CompiledModel:
    """Scores and decides rows (mappings of column name to value) like ``model`` does."""

    def __init__(self, model: GovernedModel, encoder: RowEncoder | None, head: _Head | None):
        self.model = model
        self._encoder = encoder
        self._head = head
        self.compiled = encoder is not None and head is not None
        """True when rows skip pandas; False when the pipeline's shape was not recognised."""

    @classmethod
    def compile(cls, model: GovernedModel) -> CompiledModel:
        """The fast path for ``model`` if its pipeline has the expected shape, else the slow one."""
        encoder = RowEncoder.of(model)
        head = _head_for(model.pipeline.steps[-1][1], encoder.width) if encoder else None
        return cls(model, encoder, head)

    def score_row(self, row: Row) -> float:
        """The probability of the positive label for one row."""
        if self._encoder is None or self._head is None:
            return float(self._slow_scores([row])[0])
        return self._head.one(self._encoder.encode_row(row))

    def score_rows(self, rows: Sequence[Row]) -> Floats:
        """The probability of the positive label for each row, as one batch."""
        if not rows:
            return np.empty(0, dtype=np.float64)
        if self._encoder is None or self._head is None:
            return self._slow_scores(rows)
        return self._head.many(self._encoder.encode_rows(rows))

    def decide(self, rows: Sequence[Row], scores: Floats | None = None) -> Ints:
        """1 (approve) or 0 for each row: its score against its threshold, as ``model.decide``."""
        scored = self.score_rows(rows) if scores is None else scores
        if not self.model.group_attribute:
            return (scored >= np.full(len(rows), self.model.threshold)).astype(np.int64)
        thresholds = np.asarray([self.threshold_for(row, i) for i, row in enumerate(rows)])
        return (scored >= thresholds).astype(np.int64)

    def threshold_for(self, row: Row, index: int = 0) -> float:
        """The threshold that applies to ``row`` (its group's, when the model has them)."""
        model = self.model
        if not model.group_attribute:
            return model.threshold
        value = _value(row, index, model.group_attribute)
        threshold = model.group_thresholds.get(str(value))
        if threshold is None:
            raise InvalidArgumentError(
                f"row {index}, column {model.group_attribute!r}: no threshold for "
                f"{_shown(value)}; the model knows {sorted(model.group_thresholds)}"
            )
        return threshold

    def _slow_scores(self, rows: Sequence[Row]) -> Floats:
        try:
            frame = self.model.frame(rows)
        except KeyError as exc:
            raise InvalidArgumentError(f"a row lacks the column {exc}") from exc
        except (TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"a row has a value of the wrong type: {exc}") from exc
        return self.model.score(frame)


class _Head(Protocol):
    """The estimator's probability of the positive label (column 1) on encoded rows."""

    def one(self, encoded: Floats) -> float: ...

    def many(self, encoded: Floats) -> Floats: ...


class _Logistic:
    """``LogisticRegression.predict_proba`` for two classes: ``expit(X @ coef_.T +
    intercept_)``, the same numpy operations on the same operands as scikit-learn's."""

    def __init__(self, estimator: Any) -> None:
        self._coef_t = estimator.coef_.T
        self._intercept = estimator.intercept_

    def one(self, encoded: Floats) -> float:
        return float(self.many(encoded)[0])

    def many(self, encoded: Floats) -> Floats:
        scores = (encoded @ self._coef_t + self._intercept).reshape(-1)
        return np.asarray(expit(scores, out=scores), dtype=np.float64)


class _Estimator:
    """The estimator's own ``predict_proba`` on encoded rows: exact, with its input checks."""

    def __init__(self, estimator: Any) -> None:
        self._estimator = estimator

    def one(self, encoded: Floats) -> float:
        return float(self.many(encoded)[0])

    def many(self, encoded: Floats) -> Floats:
        return np.asarray(self._estimator.predict_proba(encoded)[:, 1], dtype=np.float64)


class _Forest(_Estimator):
    """A random forest run on one thread: one row sums its trees' leaf fractions in tree order
    and divides by their number, as ``predict_proba`` does, without joblib per request."""

    def one(self, encoded: Floats) -> float:
        forest = self._estimator
        narrow = encoded.astype(np.float32)
        total = np.zeros((1, forest.n_classes_), dtype=np.float64)
        for tree in forest.estimators_:
            total += tree.tree_.predict(narrow)[:, : forest.n_classes_]
        total /= len(forest.estimators_)
        return float(total[0, 1])


class _HistBoosting(_Estimator):
    """Histogram gradient boosting with one row on one thread: the same raw prediction and
    link as ``predict_proba`` (threads only split rows), without an OpenMP team per request."""

    def one(self, encoded: Floats) -> float:
        boosting = self._estimator
        raw = boosting._raw_predict(encoded, n_threads=1)
        return float(boosting._loss.predict_proba(raw)[0, 1])


def _head_for(estimator: Any, width: int) -> _Head | None:
    """The head for a fitted binary estimator of the four the trainer offers, on ``width``
    encoded columns; None for anything else."""
    if getattr(estimator, "n_features_in_", None) != width:
        return None
    if hasattr(estimator, "feature_names_in_") or len(getattr(estimator, "classes_", ())) != 2:
        return None
    kind = type(estimator)
    if kind is RandomForestClassifier and estimator.n_jobs not in (None, 1):
        # Threads add the trees' answers in the order they finish: only the estimator's own
        # ``predict_proba`` reproduces it. (A joblib ``parallel_config`` raising ``n_jobs``
        # around scoring is not supported: the one-row path assumes tree order.)
        return _Estimator(estimator)
    heads: dict[type, Callable[[Any], _Head]] = {
        LogisticRegression: _Logistic,
        RandomForestClassifier: _Forest,
        GradientBoostingClassifier: _Estimator,
        HistGradientBoostingClassifier: _HistBoosting,
    }
    head = heads.get(kind)
    return head(estimator) if head is not None else None


class RowEncoder:
    """Rows to the float64 matrix the fitted ``ColumnTransformer`` would produce from them."""

    def __init__(
        self,
        width: int,
        numeric: list[tuple[str, int, float, float]],
        categorical: list[tuple[str, int, dict[str, int]]],
    ) -> None:
        self.width = width
        self._numeric = numeric
        self._categorical = categorical

    @classmethod
    def of(cls, model: GovernedModel) -> RowEncoder | None:
        """The encoder of ``model``'s preprocessing, or None if it is not the expected shape."""
        pipeline = model.pipeline
        if not isinstance(pipeline, Pipeline) or [n for n, _ in pipeline.steps] != [
            "preprocess",
            "estimator",
        ]:
            return None
        preprocess = pipeline.named_steps["preprocess"]
        if type(preprocess) is not ColumnTransformer or not _dense_numpy_output(preprocess):
            return None
        return _encoder_of(preprocess, model)

    def encode_row(self, row: Row, index: int = 0) -> Floats:
        """``row`` as a (1, width) matrix; ``InvalidArgumentError`` names a bad column."""
        encoded = np.zeros((1, self.width), dtype=np.float64)
        out = encoded[0]
        for name, column, mean, scale in self._numeric:
            out[column] = (_number(row, index, name) - mean) / scale
        for name, offset, positions in self._categorical:
            position = positions.get(str(_value(row, index, name)))
            if position is not None:
                out[offset + position] = 1.0
        return encoded

    def encode_rows(self, rows: Sequence[Row]) -> Floats:
        """``rows`` as an (n, width) matrix; a bad row is named as ``encode_row`` does.

        The fast path reads each column of all rows in C loops (``itemgetter``, ``map``); any
        value it cannot take sends the batch row by row, which names the first bad one."""
        encoded: Floats | None
        try:
            encoded = self._encode_columns(rows)
        except (KeyError, TypeError, ValueError, OverflowError):
            encoded = None
        if encoded is None or not np.isfinite(encoded).all():
            return np.vstack([self.encode_row(row, i) for i, row in enumerate(rows)])
        return encoded

    def _encode_columns(self, rows: Sequence[Row]) -> Floats:
        count = len(rows)
        encoded = np.zeros((count, self.width), dtype=np.float64)
        for name, column, mean, scale in self._numeric:
            values = np.fromiter(map(itemgetter(name), rows), dtype=np.float64, count=count)
            encoded[:, column] = (values - mean) / scale
        everyone = np.arange(count)
        for name, offset, positions in self._categorical:
            texts = list(map(itemgetter(name), rows))
            found = np.fromiter(map(positions.get, texts, repeat(-1)), np.int64, count)
            for i in np.flatnonzero(found < 0):
                # A value that is not a str is matched by its text, as ``GovernedModel.frame``.
                found[i] = positions.get(str(texts[i]), -1)
            known = found >= 0
            encoded[everyone[known], offset + found[known]] = 1.0
        return encoded


def _dense_numpy_output(preprocess: ColumnTransformer) -> bool:
    config = getattr(preprocess, "_sklearn_output_config", {}).get("transform", "default")
    return not preprocess.sparse_output_ and config == "default"


def _encoder_of(preprocess: ColumnTransformer, model: GovernedModel) -> RowEncoder | None:
    steps = _plain_steps(preprocess, model)
    if steps is None:
        return None
    scaler, onehot = steps
    slices = preprocess.output_indices_
    count = len(model.numeric)
    means = scaler.mean_ if scaler.with_mean else np.zeros(count)
    scales = scaler.scale_ if scaler.with_std else np.ones(count)
    start = slices["numeric"].start
    numeric = [
        (name, start + i, float(means[i]), float(scales[i])) for i, name in enumerate(model.numeric)
    ]
    offset = slices["categorical"].start
    categorical = []
    for name, categories in zip(model.categorical, onehot.categories_, strict=True):
        positions = {str(category): i for i, category in enumerate(categories)}
        if len(positions) != len(categories) or not all(isinstance(c, str) for c in categories):
            return None
        categorical.append((name, offset, positions))
        offset += len(categories)
    if offset != slices["categorical"].stop:
        return None
    return RowEncoder(max(s.stop for s in slices.values()), numeric, categorical)


def _plain_steps(preprocess: ColumnTransformer, model: GovernedModel) -> tuple[Any, Any] | None:
    """(scaler, one-hot encoder) if ``preprocess`` is exactly the pair ``GovernedModel``
    describes, over the model's columns, with nothing else passed through."""
    by_name = {name: (step, list(columns)) for name, step, columns in preprocess.transformers_}
    remainder = by_name.pop("remainder", ("drop", []))[0]
    if remainder != "drop" or set(by_name) != {"numeric", "categorical"}:
        return None
    (scaler, numeric), (onehot, categorical) = by_name["numeric"], by_name["categorical"]
    plain = (
        numeric == model.numeric
        and categorical == model.categorical
        and type(scaler) is StandardScaler
        and hasattr(scaler, "n_features_in_")
        and type(onehot) is OneHotEncoder
        and getattr(onehot, "handle_unknown", None) == "ignore"
        and hasattr(onehot, "drop_idx_")
        and getattr(onehot, "drop_idx_", None) is None
        and getattr(onehot, "sparse_output", True) is False
        and getattr(onehot, "dtype", None) in (np.float64, float)
        and getattr(onehot, "_infrequent_enabled", True) is False
    )
    return (scaler, onehot) if plain else None


def _value(row: Row, index: int, column: str) -> object:
    try:
        return row[column]
    except KeyError:
        raise InvalidArgumentError(f"row {index}: the column {column!r} is missing") from None


def _number(row: Row, index: int, column: str) -> float:
    value = _value(row, index, column)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number):
        raise InvalidArgumentError(
            f"row {index}, column {column!r}: expected a finite number, got {_shown(value)}"
        )
    return number


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
