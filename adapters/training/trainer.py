"""``SklearnTrainer``: a scikit-learn model from CSV dataset versions and a checked training spec.

The data items are CSV files with a header row, read as text and concatenated (all with the same
header); numeric features become floats. The rows are split by ``holdout_split``, the spec's
pipeline (``estimators.build_pipeline``) is fitted on the train split against the target as 1
(the positive label) or 0, so column 1 of ``predict_proba`` is the positive label's probability,
and the ``GovernedModel`` is saved as a skops file. Given the spec's seed, training twice gives
the same predictions (not the same file bytes: skops archives are not byte-reproducible).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from adapters.artifacts.model_files import dump_model
from adapters.models.governed import GovernedModel, holdout_split, training_stats
from adapters.monitoring.reference import ReferenceStatistics
from adapters.training.environment import environment_digest, package_versions
from adapters.training.estimators import build_pipeline
from adapters.training.spec import check_training_spec
from domain.errors import InvalidArgumentError
from domain.ports.protocols import TrainedModel

__all__ = ["SklearnTrainer", "fit_model", "holdout_metrics", "read_training_frame", "split"]


class SklearnTrainer:
    """A ``Trainer`` of the allow-listed scikit-learn estimators (``adapters.training.spec``).

    ``threads`` caps the OpenMP and BLAS threads while training: one by default, as our data
    sets are small and, on a busy host, oversubscribed OpenMP threads made histogram gradient
    boosting five times slower than one thread.
    """

    def __init__(self, *, threads: int = 1) -> None:
        self.threads = threads

    def check_spec(self, spec: Mapping[str, object]) -> None:
        """``InvalidArgumentError`` naming what to fix in a spec this trainer will not train."""
        check_training_spec(spec)

    def train(self, data: Sequence[bytes], spec: Mapping[str, object]) -> TrainedModel:
        """The model file, holdout metrics, reference statistics and environment of training."""
        checked = check_training_spec(spec)
        train, holdout = split(read_training_frame(data, checked), checked)
        with threadpool_limits(limits=self.threads):
            model = fit_model(train, checked)
            metrics = holdout_metrics(model, holdout, train_rows=len(train))
        features = checked["features"]
        reference = ReferenceStatistics.from_frame(
            train,
            numeric=features["numeric"],
            categorical=features["categorical"],
            protected=checked.get("protected_attributes", []),
            target=checked["target"],
            positive_label=checked["positive_label"],
        )
        versions = package_versions()
        return TrainedModel(
            artifact=dump_model(model),
            metrics=metrics,
            reference=reference.to_json(),
            environment={**versions, "environment_digest": environment_digest(versions)},
        )


def fit_model(train: pd.DataFrame, spec: Mapping[str, Any]) -> GovernedModel:
    """The spec's pipeline fitted on ``train``, wrapped with the facts scorers need."""
    features = spec["features"]
    model = GovernedModel(
        pipeline=build_pipeline(spec),
        numeric=features["numeric"],
        categorical=features["categorical"],
        target=spec["target"],
        positive_label=spec["positive_label"],
        threshold=float(spec.get("threshold", 0.5)),
        stats=training_stats(train, features["numeric"], features["categorical"]),
    )
    model.pipeline.fit(model.typed(train).loc[:, model.features], model.labels(train))
    return model


def holdout_metrics(
    model: GovernedModel, holdout: pd.DataFrame, *, train_rows: int
) -> dict[str, float]:
    """``auc_roc``, ``accuracy``, ``precision``, ``recall``, ``f1``, ``brier`` of ``model`` on
    ``holdout`` (decisions by its thresholds), with ``holdout_rows`` and ``train_rows``."""
    frame = model.typed(holdout)
    labels = model.labels(holdout)
    scores = model.score(frame)
    decisions = model.decide(frame, scores)
    metrics = {
        "auc_roc": roc_auc_score(labels, scores),
        "accuracy": accuracy_score(labels, decisions),
        "precision": precision_score(labels, decisions, zero_division=0.0),
        "recall": recall_score(labels, decisions, zero_division=0.0),
        "f1": f1_score(labels, decisions, zero_division=0.0),
        "brier": brier_score_loss(labels, scores),
        "holdout_rows": len(holdout),
        "train_rows": train_rows,
    }
    return {name: float(value) for name, value in metrics.items()}


def split(frame: pd.DataFrame, spec: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``holdout_split`` of ``frame``; ``InvalidArgumentError`` when the data cannot be split as
    the spec says, or a split lacks one of the two outcomes."""
    try:
        train, holdout = holdout_split(frame, spec)
    except ValueError as exc:
        raise InvalidArgumentError(
            f"training data cannot be split as training spec /split says: {exc}"
        ) from exc
    target, positive = spec["target"], spec["positive_label"]
    for name, part in (("train", train), ("holdout", holdout)):
        outcomes = set(part[target] == positive)
        if outcomes != {True, False}:
            raise InvalidArgumentError(
                f"the {name} split has only {'positive' if True in outcomes else 'negative'} "
                f"rows of {target!r} (positive label {positive!r}): it needs both outcomes; "
                "use more data or another /split/test_size"
            )
    return train, holdout


def read_training_frame(data: Sequence[bytes], spec: Mapping[str, Any]) -> pd.DataFrame:
    """The data items' rows as one DataFrame of text, numeric features as finite floats;
    ``InvalidArgumentError`` naming the item, row (1 = first data row) and column at fault."""
    if not data:
        raise InvalidArgumentError("training needs at least one dataset version's data")
    frames = [_read_item(item, number, spec) for number, item in enumerate(data, start=1)]
    header = list(frames[0].columns)
    for number, frame in enumerate(frames[1:], start=2):
        if list(frame.columns) != header:
            raise InvalidArgumentError(
                f"data item {number} has the header {list(frame.columns)}, not the first "
                f"item's {header}: concatenated data must share one header"
            )
    return pd.concat(frames, ignore_index=True)


def _read_item(content: bytes, number: int, spec: Mapping[str, Any]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError(f"data item {number} is not a CSV file: {exc}") from exc
    features = spec["features"]
    needed = [
        *features["numeric"],
        *features["categorical"],
        spec["target"],
        *spec.get("protected_attributes", []),
    ]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            f"data item {number} has no column {missing} named by the training spec; "
            f"its columns are {list(frame.columns)}"
        )
    if frame.empty:
        raise InvalidArgumentError(f"data item {number} has a header but no rows")
    for column in needed:
        empty = np.flatnonzero(frame[column].str.strip() == "")
        if empty.size:
            raise InvalidArgumentError(
                f"data item {number} row {empty[0] + 1} column {column!r} is empty: fill it in"
            )
    for column in features["numeric"]:
        frame[column] = _numbers(frame[column], number, column)
    return frame


def _numbers(texts: pd.Series, number: int, column: str) -> pd.Series:
    values = pd.to_numeric(texts, errors="coerce").astype(float)
    bad = np.flatnonzero(~np.isfinite(values.to_numpy()))
    if bad.size:
        raise InvalidArgumentError(
            f"data item {number} row {bad[0] + 1} column {column!r}: {texts.iloc[bad[0]]!r} "
            "is not a finite number"
        )
    return values
