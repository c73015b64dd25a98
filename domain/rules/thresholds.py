"""Which monitoring metrics breach the policy's thresholds (docs/events.md, "Policies"), by family.

Metric names are those of the monitoring adapter, flat floats: ``psi.<f>``, ``ks_p_value.<f>``,
``chi2_p_value.<f>``, ``drifted.<f>`` (1.0 or 0.0), ``dataset_drift_share``, ``rows``,
``approval_rate``, ``labelled_rows``, ``auc_roc``, ``accuracy``, ``precision``, ``recall``, ``f1``,
``brier``, ``quality_ratio``, ``expected_cost``, and per protected attribute
``disparate_impact.<a>``, ``equalized_odds_difference.<a>``, ``demographic_parity_difference.<a>``.
The names of the first monitors (``disparate_impact``, ``psi`` without a feature) still count.
A family breaches: drift when the share of drifted features reaches ``dataset_drift_share``;
fairness when a disparate impact is below its floor; quality when ``quality_ratio`` is below its
floor; a KPI when the approval rate leaves its range or the expected cost exceeds its ceiling.
A feature whose PSI is at least ``psi_warn`` but below ``psi_drift`` is a warning, not a breach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.rules.group_sizes import judged_fairness
from domain.rules.policy import MonitoringThresholds

__all__ = ["QUALITY_METRICS", "WindowJudgement", "breaches", "feature_drifted", "judge_window"]

QUALITY_METRICS = ("auc_roc", "accuracy", "precision", "recall", "f1", "brier", "quality_ratio")
"""The quality metrics a ``QualityDegraded`` event carries."""

FAIRNESS_METRICS = (
    "disparate_impact",
    "equalized_odds_difference",
    "demographic_parity_difference",
)
OVERALL = "overall"
"""The attribute a disparate impact reported without one (``disparate_impact``) is filed under."""


@dataclass(slots=True)
class WindowJudgement:
    """What a window's metrics breach, by family, with a description of each breach; built
    by ``judge_window``."""

    breaches: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drifted: bool = False
    drifted_features: list[str] = field(default_factory=list)
    dataset_drift_share: float = 0.0
    fairness: dict[str, dict[str, float]] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    kpis: dict[str, float] = field(default_factory=dict)


def feature_drifted(psi: float, ks_p_value: float, thresholds: MonitoringThresholds) -> bool:
    """True when a feature's PSI reaches drift, or its KS test rejects the same distribution."""
    return psi >= thresholds.psi_drift or ks_p_value < thresholds.ks_p_value


def breaches(metrics: Mapping[str, float], thresholds: MonitoringThresholds) -> list[str]:
    """Describe each threshold ``metrics`` breach; metrics not reported breach nothing."""
    return judge_window(metrics, thresholds).breaches


def judge_window(metrics: Mapping[str, float], t: MonitoringThresholds) -> WindowJudgement:
    """Each family ``metrics`` breach under thresholds ``t``, and the PSI warnings."""
    judged = WindowJudgement()
    _judge_fairness(metrics, t, judged)
    _judge_drift(metrics, t, judged)
    quality_ratio = metrics.get("quality_ratio")
    if quality_ratio is not None and quality_ratio < t.quality_ratio_min:
        judged.breaches.append(f"quality ratio {quality_ratio} < {t.quality_ratio_min}")
        judged.quality.update({n: metrics[n] for n in QUALITY_METRICS if n in metrics})
    _judge_kpis(metrics, t, judged)
    return judged


def _judge_fairness(
    metrics: Mapping[str, float], t: MonitoringThresholds, judged: WindowJudgement
) -> None:
    for name, value in sorted(metrics.items()):
        metric, _, attribute = name.partition(".")
        if metric != "disparate_impact" or "." in attribute:
            continue
        of_attribute = _attribute_metrics(metrics, attribute) if attribute else {name: value}
        impact = judged_fairness(of_attribute, t.min_group_rows).disparate_impact
        if impact is None or impact >= t.disparate_impact_min:
            continue
        of = f" of {attribute}" if attribute else ""
        judged.breaches.append(f"disparate impact{of} {impact} < {t.disparate_impact_min}")
        suffix = f".{attribute}" if attribute else ""
        judged.fairness[attribute or OVERALL] = {
            m: metrics[m + suffix] for m in FAIRNESS_METRICS if m + suffix in metrics
        }


def _attribute_metrics(metrics: Mapping[str, float], attribute: str) -> dict[str, float]:
    """One attribute's metrics as ``judged_fairness`` reads them: ``disparate_impact`` and, from
    ``count.<attribute>.<group>`` and ``selection_rate.<attribute>.<group>``, per group."""
    picked = {"disparate_impact": metrics[f"disparate_impact.{attribute}"]}
    for metric in ("count", "selection_rate"):
        prefix = f"{metric}.{attribute}."
        picked.update(
            {
                f"{metric}.{n.removeprefix(prefix)}": v
                for n, v in metrics.items()
                if n.startswith(prefix)
            }
        )
    return picked


def _judge_drift(
    metrics: Mapping[str, float], t: MonitoringThresholds, judged: WindowJudgement
) -> None:
    judged.drifted_features.extend(
        sorted(
            n.removeprefix("drifted.") for n, v in metrics.items() if n.startswith("drifted.") and v
        )
    )
    for name, value in sorted(metrics.items()):
        if name.startswith("psi.") and t.psi_warn <= value < t.psi_drift:
            judged.warnings.append(f"PSI of {name.removeprefix('psi.')} {value} >= {t.psi_warn}")
    for name, value in sorted(metrics.items()):
        if name.startswith("psi.") and value >= t.psi_drift:
            feature = name.removeprefix("psi.")
            judged.breaches.append(f"PSI of {feature} {value} >= {t.psi_drift} (drift)")
            judged.drifted = True
            if feature not in judged.drifted_features:
                judged.drifted_features.append(feature)
    psi = metrics.get("psi")
    if psi is not None and psi >= t.psi_drift:
        judged.breaches.append(f"PSI {psi} >= {t.psi_drift} (drift)")
        judged.drifted = True
    share = metrics.get("dataset_drift_share")
    judged.dataset_drift_share = 0.0 if share is None else share
    if share is not None and share >= t.dataset_drift_share:
        judged.breaches.append(
            f"dataset drift share {share} >= {t.dataset_drift_share} (dataset drift)"
        )
        judged.drifted = True


def _judge_kpis(
    metrics: Mapping[str, float], t: MonitoringThresholds, judged: WindowJudgement
) -> None:
    rate = metrics.get("approval_rate")
    if rate is not None and not t.approval_rate_min <= rate <= t.approval_rate_max:
        judged.breaches.append(
            f"approval rate {rate} outside [{t.approval_rate_min}, {t.approval_rate_max}]"
        )
        judged.kpis["approval_rate"] = rate
    cost = metrics.get("expected_cost")
    if cost is not None and cost > t.expected_cost_max:
        judged.breaches.append(f"expected cost {cost} > {t.expected_cost_max}")
        judged.kpis["expected_cost"] = cost
