"""Labelled windows: feedback summaries per segment, and fairness and quality from their counts.

A feedback record carries its label and a copy of its prediction's score, decision and
protected groups, so a segment is summarised without a join. Fairness per protected attribute
comes from ``adapters.validation.fairness.GroupCounts`` (equal to fairlearn's functions);
accuracy, precision, recall, F1 and Brier are exact from the counts; AUC-ROC comes from score
histograms with a stated error bound (``auc_from_histograms``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.validation.fairness import GroupCounts
from domain.errors import InvalidArgumentError

__all__ = [
    "AUC_BINS",
    "FeedbackSummary",
    "auc_from_histograms",
    "labelled_metrics",
    "summarise_feedback",
]

AUC_BINS = 1000
"""Equal-width score bins on [0, 1] of the per-label histograms AUC is computed from."""

_GROUP_FIELDS = ("n", "predicted", "labelled", "true_positive", "false_positive", "correct")
Counts = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    """Counts of labelled predictions: ``confusion`` = (true negative, false positive, false
    negative, true positive) with the positive label as 1 and approval as 1; ``groups``: per
    protected attribute, the group counts; ``negatives`` / ``positives``: score histograms of
    each label (``AUC_BINS``); ``brier_sum``: sum of (score - label)^2."""

    count: int
    first: str
    last: str
    confusion: Counts
    groups: Mapping[str, GroupCounts]
    negatives: Counts
    positives: Counts
    brier_sum: float

    def merge(self, other: FeedbackSummary) -> FeedbackSummary:
        """The summary of both sets of records."""
        if not other.count:
            return self
        if not self.count:
            return other
        names = sorted({*self.groups, *other.groups})
        return FeedbackSummary(
            count=self.count + other.count,
            first=min(self.first, other.first),
            last=max(self.last, other.last),
            confusion=_add(self.confusion, other.confusion),
            groups={
                a: self.groups.get(a, GroupCounts({})).merge(other.groups.get(a, GroupCounts({})))
                for a in names
            },
            negatives=_add(self.negatives, other.negatives),
            positives=_add(self.positives, other.positives),
            brier_sum=self.brier_sum + other.brier_sum,
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict (``from_dict`` reads it back)."""
        return {
            "kind": "feedback_summary",
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "confusion": list(self.confusion),
            "groups": {a: counts.to_json() for a, counts in self.groups.items()},
            "negatives": list(self.negatives),
            "positives": list(self.positives),
            "brier_sum": self.brier_sum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedbackSummary:
        """A summary from ``to_dict``'s shape; ``InvalidArgumentError`` naming a bad field."""
        try:
            if data["kind"] != "feedback_summary":
                raise ValueError("kind: not feedback_summary")
            return cls(
                count=int(data["count"]),
                first=str(data["first"]),
                last=str(data["last"]),
                confusion=_counts(data["confusion"], 4),
                groups={str(a): _group_counts(g) for a, g in dict(data["groups"]).items()},
                negatives=_counts(data["negatives"], AUC_BINS),
                positives=_counts(data["positives"], AUC_BINS),
                brier_sum=float(data["brier_sum"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"a feedback summary is malformed: {exc!r}") from exc


def summarise_feedback(
    protected: Sequence[str], *, positive_label: str = "good", negative_label: str = "bad"
) -> Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]:
    """The function the feedback log calls at sealing: feedback records -> their
    ``FeedbackSummary`` as a dict; ``InvalidArgumentError`` names the record and field of a
    label, score, decision or group it cannot count."""
    labels = (negative_label, positive_label)

    def summarise(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        predictions = _field(records, "prediction")
        truth = _labels(_field(records, "label"), labels)
        scores = _scores(_field(predictions, "score", "prediction."))
        decisions = _decisions(_field(predictions, "decision", "prediction."))
        outcomes = 2 * truth + decisions
        groups = _field(predictions, "groups", "prediction.")
        bins = np.minimum((scores * AUC_BINS).astype(np.int64), AUC_BINS - 1)
        times = [str(record["time"]) for record in records]
        return FeedbackSummary(
            count=len(records),
            first=min(times, default=""),
            last=max(times, default=""),
            confusion=tuple(np.bincount(outcomes, minlength=4).tolist()),
            groups={
                a: _by_group(_field(groups, a, "prediction.groups."), outcomes) for a in protected
            },
            negatives=tuple(np.bincount(bins[truth == 0], minlength=AUC_BINS).tolist()),
            positives=tuple(np.bincount(bins[truth == 1], minlength=AUC_BINS).tolist()),
            brier_sum=float(np.sum((scores - truth) ** 2)),
        ).to_dict()

    return summarise


def auc_from_histograms(negatives: Counts, positives: Counts) -> tuple[float, float]:
    """(AUC-ROC, error bound) from per-label counts of scores in the same ordered bins.

    A positive-negative pair in different bins is ordered exactly by its bins; a pair in the
    same bin is counted as a tie (1/2), while its true contribution is 0, 1/2 or 1. So
    ``|AUC - exact AUC| <= sum_i pos_i * neg_i / (2 * P * N)``, the bound returned. With
    ``AUC_BINS`` = 1000 bins of width 0.001 it is small unless scores pile up in a few bins.
    ``InvalidArgumentError`` unless both labels occur.
    """
    neg = np.asarray(negatives, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.float64)
    total_neg, total_pos = neg.sum(), pos.sum()
    if total_neg == 0 or total_pos == 0:
        raise InvalidArgumentError("AUC-ROC needs labelled rows of both labels")
    below = np.cumsum(neg) - neg
    auc = float(np.sum(pos * (below + 0.5 * neg)) / (total_pos * total_neg))
    bound = float(np.sum(pos * neg) / (2 * total_pos * total_neg))
    return auc, bound


def labelled_metrics(summary: FeedbackSummary) -> dict[str, float]:
    """Quality (``accuracy``, ``precision``, ``recall``, ``f1``, ``brier``; ``auc_roc`` and
    ``auc_roc_error_bound`` when both labels occur) and, per protected attribute ``a``, its
    fairness: ``<metric>.<a>`` for ``disparate_impact``, ``demographic_parity_difference``,
    ``demographic_parity_ratio`` and ``equalized_odds_difference``, and ``<metric>.<a>.<group>``
    for ``selection_rate``, ``accuracy`` and ``count``; an empty summary has none."""
    if not summary.count:
        return {}
    tn, fp, fn, tp = summary.confusion
    n = summary.count
    metrics = {
        "labelled_rows": float(n),
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "brier": summary.brier_sum / n,
    }
    if tn + fp and tp + fn:
        metrics["auc_roc"], metrics["auc_roc_error_bound"] = auc_from_histograms(
            summary.negatives, summary.positives
        )
    for attribute, counts in summary.groups.items():
        for name, value in counts.metrics().items():
            metric, _, group = name.partition(".")
            metrics[f"{metric}.{attribute}.{group}" if group else f"{name}.{attribute}"] = value
    return metrics


def _field(items: Sequence[Any], name: str, path: str = "") -> list[Any]:
    try:
        return [item[name] for item in items]
    except (KeyError, TypeError) as exc:
        index = next(i for i, item in enumerate(items) if not _has(item, name))
        raise InvalidArgumentError(f"feedback record {index}: {path}{name} is missing") from exc


def _has(item: Any, name: str) -> bool:
    return isinstance(item, Mapping) and name in item


def _labels(values: list[Any], labels: tuple[str, str]) -> np.ndarray[Any, np.dtype[np.int64]]:
    unknown = set(values) - set(labels)
    if unknown:
        index = next(i for i, value in enumerate(values) if value in unknown)
        raise InvalidArgumentError(
            f"feedback record {index}: label {values[index]!r} is not one of {sorted(labels)}"
        )
    positive = labels[1]
    return np.array([value == positive for value in values], dtype=np.int64)


def _scores(values: list[Any]) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        scores = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        scores = np.array([v if isinstance(v, int | float) else np.nan for v in values])
    bad = np.flatnonzero(~((scores >= 0) & (scores <= 1)))
    if bad.size:
        raise InvalidArgumentError(f"feedback record {bad[0]}: prediction.score must be in [0, 1]")
    return scores


def _decisions(values: list[Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    try:
        decisions = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        decisions = np.array([v if isinstance(v, int | float) else np.nan for v in values])
    bad = np.flatnonzero((decisions != 0) & (decisions != 1))
    if bad.size:
        raise InvalidArgumentError(f"feedback record {bad[0]}: prediction.decision must be 0 or 1")
    return decisions.astype(np.int64)


class _Codes(dict[Any, int]):
    """Each distinct value -> its index, in order of first appearance."""

    def __missing__(self, value: Any) -> int:
        code = self[value] = len(self)
        return code


def _by_group(values: list[Any], outcomes: np.ndarray[Any, Any]) -> GroupCounts:
    """Group counts from each row's group and outcome ``2 * label + decision``."""
    index = _Codes()
    try:
        codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    except TypeError as exc:
        raise InvalidArgumentError("a protected group is not text") from exc
    table = np.bincount(4 * codes + outcomes, minlength=4 * len(index)).reshape(-1, 4)
    rows: dict[str, tuple[int, int, int, int, int, int]] = {}
    for value, code in index.items():
        tn, fp, fn, tp = (int(n) for n in table[code])
        counts = rows.get(str(value), (0,) * 6)
        fresh = (tn + fp + fn + tp, fp + tp, fn + tp, tp, fp, tn + tp)
        rows[str(value)] = tuple(a + b for a, b in zip(counts, fresh, strict=True))  # type: ignore[assignment]
    return GroupCounts(dict(sorted(rows.items())))


def _group_counts(value: Mapping[str, Mapping[str, int]]) -> GroupCounts:
    rows = {}
    for group, fields in dict(value).items():
        n, predicted, labelled, tp, fp, correct = (int(fields[f]) for f in _GROUP_FIELDS)
        rows[str(group)] = (n, predicted, labelled, tp, fp, correct)
    return GroupCounts(rows)


def _counts(value: object, size: int) -> Counts:
    if not isinstance(value, list | tuple) or len(value) != size:
        raise ValueError(f"not a list of {size} counts")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError("a count is not a non-negative integer")
    return tuple(value)


def _add(a: Counts, b: Counts) -> Counts:
    return tuple(x + y for x, y in zip(a, b, strict=True))
