"""Which numbers of a validation assessment breach the policy's ``validation`` section
(docs/events.md, "Policies"), and how serious each breach is.

Quality: ``auc_roc`` below ``auc_roc_min``. Fairness, per protected attribute:
``disparate_impact`` below ``disparate_impact_min`` or ``equalized_odds_difference`` above
``equalized_odds_difference_max``, judged only on groups with at least ``min_group_rows``
holdout rows (``domain.rules.group_sizes``). Both are high. Explainability: the mean fidelity
of the local surrogates (``fidelity_mean``) below ``fidelity_min``: medium. A number not
reported breaches nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.rules.group_sizes import judged_fairness
from domain.rules.policy import ValidationThresholds
from domain.rules.vocabulary import Severity

__all__ = ["ValidationBreach", "validation_breaches"]


@dataclass(frozen=True, slots=True)
class ValidationBreach:
    """One threshold an assessment breaches: what, and the severity of the finding it raises."""

    description: str
    severity: Severity


def validation_breaches(
    quality: Mapping[str, float],
    fairness: Mapping[str, Mapping[str, float]],
    explainability: Mapping[str, float],
    thresholds: ValidationThresholds,
) -> list[ValidationBreach]:
    """Every breach of ``thresholds``, quality first, then fairness by attribute, then
    explainability."""
    found: list[ValidationBreach] = []
    auc = quality.get("auc_roc")
    if auc is not None and auc < thresholds.auc_roc_min:
        found.append(ValidationBreach(f"AUC-ROC {auc} < {thresholds.auc_roc_min}", Severity.HIGH))
    for attribute, metrics in sorted(fairness.items()):
        judged = judged_fairness(metrics, thresholds.min_group_rows)
        impact = judged.disparate_impact
        if impact is not None and impact < thresholds.disparate_impact_min:
            found.append(
                ValidationBreach(
                    f"disparate impact of {attribute} {impact} < {thresholds.disparate_impact_min}"
                    + _left_out(judged.small_groups, thresholds.min_group_rows),
                    Severity.HIGH,
                )
            )
        odds = metrics.get("equalized_odds_difference")
        if judged.complete and odds is not None and odds > thresholds.equalized_odds_difference_max:
            found.append(
                ValidationBreach(
                    f"equalized odds difference of {attribute} {odds} > "
                    f"{thresholds.equalized_odds_difference_max}",
                    Severity.HIGH,
                )
            )
    fidelity = explainability.get("fidelity_mean")
    if fidelity is not None and fidelity < thresholds.fidelity_min:
        found.append(
            ValidationBreach(
                f"explanation fidelity {fidelity} < {thresholds.fidelity_min}", Severity.MEDIUM
            )
        )
    return found


def _left_out(groups: tuple[str, ...], min_rows: float) -> str:
    if not groups:
        return ""
    return f" (group(s) {', '.join(groups)} under {min_rows:g} rows not judged)"
