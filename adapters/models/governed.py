"""``GovernedModel``: a fitted scikit-learn pipeline with the facts every adapter needs about it.

A model file (skops, see ``adapters.artifacts.model_files``) holds exactly one ``GovernedModel``.
Trainer, mitigator, assessor, explainer and scorers all go through it, so a score means the same
thing everywhere: ``score`` is the probability of the positive label (for credit: ``good``, the
applicant repays); ``decide`` turns it into 1 (approve) or 0 (refuse) by the model's threshold,
or by the threshold of the row's group when a mitigation set one per group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

__all__ = ["GovernedModel", "holdout_split", "training_stats"]


class GovernedModel:
    """A fitted binary classifier over named features.

    ``pipeline`` takes a DataFrame with the ``numeric`` and ``categorical`` columns (numeric as
    float, categorical as str) and has ``predict_proba``; column 1 of its answer is the
    probability of ``positive_label``. ``group_attribute``/``group_thresholds``, when set, give a
    threshold per value of that column (which must then be in every row scored), in place of
    ``threshold``. ``stats`` are the training data's statistics (``training_stats``), which
    explainers use as background.
    """

    def __init__(
        self,
        *,
        pipeline: Any,
        numeric: Sequence[str],
        categorical: Sequence[str],
        target: str,
        positive_label: str,
        threshold: float = 0.5,
        group_attribute: str = "",
        group_thresholds: Mapping[str, float] | None = None,
        stats: Mapping[str, Any] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.target = target
        self.positive_label = positive_label
        self.threshold = float(threshold)
        self.group_attribute = group_attribute
        self.group_thresholds = {str(k): float(v) for k, v in (group_thresholds or {}).items()}
        self.stats = dict(stats or {})

    @property
    def features(self) -> list[str]:
        """The feature columns, numeric first, in the order the pipeline was fitted on."""
        return [*self.numeric, *self.categorical]

    @property
    def needed_columns(self) -> list[str]:
        """The columns a row must have to be scored and decided."""
        extra = [self.group_attribute] if self.group_attribute else []
        return [*self.features, *(c for c in extra if c not in self.features)]

    def frame(self, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
        """Rows as the DataFrame the pipeline takes (numeric as float, categorical as str),
        with the group attribute kept if it is not a feature."""
        columns = self.needed_columns
        frame = pd.DataFrame([{c: row[c] for c in columns} for row in rows], columns=columns)
        return self.typed(frame)

    def typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame``'s needed columns with the pipeline's types."""
        out = frame.loc[:, self.needed_columns].copy()
        for column in self.numeric:
            out[column] = out[column].astype(float)
        for column in out.columns:
            if column not in self.numeric:
                out[column] = out[column].astype(str)
        return out

    def score(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The probability of the positive label for each row of ``frame``."""
        probabilities = self.pipeline.predict_proba(frame.loc[:, self.features])
        return np.asarray(probabilities[:, 1], dtype=np.float64)

    def decide(
        self, frame: pd.DataFrame, scores: np.ndarray[Any, np.dtype[np.float64]] | None = None
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """1 (positive: approve) or 0 for each row: its score against its threshold."""
        scored = self.score(frame) if scores is None else scores
        return (scored >= self.thresholds_for(frame)).astype(np.int64)

    def thresholds_for(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The threshold that applies to each row of ``frame``."""
        if not self.group_attribute:
            return np.full(len(frame), self.threshold)
        groups = frame[self.group_attribute].astype(str)
        unknown = sorted(set(groups) - set(self.group_thresholds))
        if unknown:
            raise ValueError(
                f"no threshold for {self.group_attribute} {unknown}: the model knows "
                f"{sorted(self.group_thresholds)}"
            )
        return np.asarray(groups.map(self.group_thresholds), dtype=np.float64)

    def labels(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The target column of ``frame`` as 1 (positive label) or 0."""
        return np.asarray(frame[self.target].astype(str) == self.positive_label, dtype=np.int64)


def holdout_split(
    frame: pd.DataFrame, spec: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout) of ``frame`` as the training spec says, the same every time.

    ``spec["split"]["test_size"]`` (fraction), ``spec["split"].get("stratify", True)`` on
    ``spec["target"]``, shuffled by ``spec["seed"]``. Trainer, mitigator and assessor all split
    with this function, so the assessor's holdout is the trainer's.
    """
    split = spec["split"]
    stratify = frame[spec["target"]] if split.get("stratify", True) else None
    train, holdout = train_test_split(
        frame,
        test_size=float(split["test_size"]),
        random_state=int(spec["seed"]),
        stratify=stratify,
    )
    return train.reset_index(drop=True), holdout.reset_index(drop=True)


def training_stats(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> dict[str, Any]:
    """JSON-ready statistics of the training rows, per feature: numeric ``mean``, ``std``,
    ``min``, ``max`` and ``quartiles``; categorical ``values`` and ``frequencies`` (sorted by
    value). Explainers use them as LIME's ``training_data_stats``."""
    stats: dict[str, Any] = {}
    for column in numeric:
        values = frame[column].astype(float)
        stats[column] = {
            "kind": "numeric",
            "mean": float(values.mean()),
            "std": float(values.std(ddof=0)),
            "min": float(values.min()),
            "max": float(values.max()),
            "quartiles": [float(q) for q in values.quantile([0.25, 0.5, 0.75])],
        }
    for column in categorical:
        counts = frame[column].astype(str).value_counts().sort_index()
        total = float(counts.sum())
        stats[column] = {
            "kind": "categorical",
            "values": [str(v) for v in counts.index],
            "frequencies": [float(n) / total for n in counts.to_numpy()],
        }
    return stats
