"""Which monitoring metrics breach the policy's thresholds (docs/events.md, "Policies")."""

from __future__ import annotations

from collections.abc import Mapping

from domain.rules.policy import MonitoringThresholds

__all__ = ["breaches", "feature_drifted"]


def feature_drifted(psi: float, ks_p_value: float, thresholds: MonitoringThresholds) -> bool:
    """True when a feature's PSI reaches drift, or its KS test rejects the same distribution."""
    return psi >= thresholds.psi_drift or ks_p_value < thresholds.ks_p_value


def breaches(metrics: Mapping[str, float], thresholds: MonitoringThresholds) -> list[str]:
    """Describe each threshold ``metrics`` breach; metrics not reported breach nothing."""
    found: list[str] = []
    disparate_impact = metrics.get("disparate_impact")
    if disparate_impact is not None and disparate_impact < thresholds.disparate_impact_min:
        found.append(f"disparate impact {disparate_impact} < {thresholds.disparate_impact_min}")
    psi = metrics.get("psi")
    if psi is not None and psi >= thresholds.psi_drift:
        found.append(f"PSI {psi} >= {thresholds.psi_drift} (drift)")
    drift_share = metrics.get("dataset_drift_share")
    if drift_share is not None and drift_share >= thresholds.dataset_drift_share:
        found.append(
            f"dataset drift share {drift_share} >= {thresholds.dataset_drift_share} (dataset drift)"
        )
    quality_ratio = metrics.get("quality_ratio")
    if quality_ratio is not None and quality_ratio < thresholds.quality_ratio_min:
        found.append(f"quality ratio {quality_ratio} < {thresholds.quality_ratio_min}")
    return found
