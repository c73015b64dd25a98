"""A monitoring window's metrics from the merged summaries of its segments.

Flat, finite floats by the names the domain compares with policy (``domain.rules.thresholds``):
per numeric feature ``psi.<f>``, ``ks.<f>``, ``ks_error_bound.<f>``, ``ks_p_value.<f>``; per
categorical feature ``psi.<f>`` and ``chi2_p_value.<f>``; per feature ``drifted.<f>`` (1.0 or
0.0); ``dataset_drift_share``, ``rows``, ``approval_rate``, ``score_mean``; and with labels
``labelled_rows``, quality (``adapters.monitoring.labelled``), ``quality_ratio`` (AUC-ROC over
the baseline's), ``expected_cost`` and fairness per protected attribute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.monitoring.drift import chi_squared, ks_from_bins, psi
from adapters.monitoring.kpis import approval_rate, expected_cost
from adapters.monitoring.labelled import FeedbackSummary, labelled_metrics
from adapters.monitoring.reference import ReferenceStatistics
from adapters.monitoring.summaries import PredictionSummary, reference_digest
from domain.errors import InvalidArgumentError

__all__ = ["DriftSettings", "drift_metrics", "window_metrics"]


@dataclass(frozen=True, slots=True)
class DriftSettings:
    """How drift is decided, pinned by policy: a feature has drifted when its PSI reaches
    ``psi_drift`` or its test (KS for numeric, chi-squared for categorical features) has a
    p-value below ``p_value``; ``psi_epsilon`` floors empty bins' shares in PSI."""

    psi_drift: float
    p_value: float
    psi_epsilon: float = 1e-4

    def __post_init__(self) -> None:
        if not (self.psi_drift > 0 and 0 < self.p_value < 1 and 0 < self.psi_epsilon < 1):
            raise InvalidArgumentError(
                f"drift settings need psi_drift > 0 and p_value, psi_epsilon in (0, 1): {self}"
            )


def window_metrics(
    reference: ReferenceStatistics,
    predictions: Sequence[PredictionSummary | Mapping[str, Any]],
    feedback: Sequence[FeedbackSummary | Mapping[str, Any]],
    *,
    settings: DriftSettings,
    baseline_quality: Mapping[str, float],
    cost_matrix: Mapping[str, float],
) -> dict[str, float]:
    """The window's metrics (see the module docstring) from its segments' summaries;
    ``InvalidArgumentError`` for a summary of another reference or a malformed one. A window
    without predictions has only ``rows`` (0) and its labelled metrics."""
    merged = _merged_predictions(reference, predictions)
    metrics: dict[str, float] = {"rows": float(merged.count) if merged else 0.0}
    if merged is not None and merged.count:
        metrics.update(drift_metrics(reference, merged, settings))
        metrics["approval_rate"] = approval_rate(merged.decisions)
        metrics["score_mean"] = merged.score_sum / merged.count
    labelled = _merged_feedback(feedback)
    if labelled is not None and labelled.count:
        metrics.update(labelled_metrics(labelled))
        baseline = baseline_quality.get("auc_roc")
        if "auc_roc" in metrics and baseline:
            metrics["quality_ratio"] = metrics["auc_roc"] / baseline
        metrics["expected_cost"] = expected_cost(labelled.confusion, cost_matrix)
    bad = sorted(name for name, value in metrics.items() if not math.isfinite(value))
    if bad:
        raise InvalidArgumentError(f"window metrics are not finite: {bad}")
    return metrics


def drift_metrics(
    reference: ReferenceStatistics, window: PredictionSummary, settings: DriftSettings
) -> dict[str, float]:
    """Per-feature drift of ``window`` from ``reference`` and ``dataset_drift_share``."""
    metrics: dict[str, float] = {}
    drifted = 0
    for feature in reference.features:
        if feature in reference.numeric:
            numeric = reference.numeric[feature]
            metrics[f"psi.{feature}"] = psi(
                numeric.psi_counts, window.psi[feature], settings.psi_epsilon
            )
            ks = ks_from_bins(numeric.ks_counts, window.ks[feature])
            metrics[f"ks.{feature}"] = ks.statistic
            metrics[f"ks_error_bound.{feature}"] = ks.error_bound
            metrics[f"ks_p_value.{feature}"] = p_value = ks.p_value
        else:
            counts = reference.categorical[feature].counts
            metrics[f"psi.{feature}"] = psi(
                counts, window.categories[feature], settings.psi_epsilon
            )
            chi2 = chi_squared(counts, window.categories[feature])
            metrics[f"chi2_p_value.{feature}"] = p_value = chi2.p_value
        moved = metrics[f"psi.{feature}"] >= settings.psi_drift or p_value < settings.p_value
        metrics[f"drifted.{feature}"] = 1.0 if moved else 0.0
        drifted += moved
    if reference.features:
        metrics["dataset_drift_share"] = drifted / len(reference.features)
    return metrics


def _merged_predictions(
    reference: ReferenceStatistics,
    summaries: Sequence[PredictionSummary | Mapping[str, Any]],
) -> PredictionSummary | None:
    digest = reference_digest(reference)
    merged: PredictionSummary | None = None
    for item in summaries:
        summary = item if isinstance(item, PredictionSummary) else PredictionSummary.from_dict(item)
        if summary.reference != digest:
            raise InvalidArgumentError(
                f"a prediction summary was counted against reference {summary.reference}, "
                f"not the window's {digest}"
            )
        merged = summary if merged is None else merged.merge(summary)
    return merged


def _merged_feedback(
    summaries: Sequence[FeedbackSummary | Mapping[str, Any]],
) -> FeedbackSummary | None:
    merged: FeedbackSummary | None = None
    for item in summaries:
        summary = item if isinstance(item, FeedbackSummary) else FeedbackSummary.from_dict(item)
        merged = summary if merged is None else merged.merge(summary)
    return merged
