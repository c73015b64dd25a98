"""The residual risk rating of a model version: one documented rule, in one pure function."""

from __future__ import annotations

from typing import Literal

__all__ = ["RESIDUAL_RISK_RULE", "TIER_SCORES", "residual_risk"]

TIER_SCORES = {"low": 1, "medium": 2, "high": 3}
"""The score a version starts from: its model's risk tier."""

RESIDUAL_RISK_RULE = (
    "score = tier (low 1, medium 2, high 3) + 2 per open critical finding + 1 per open high "
    "finding + 1 if the latest window of any monitor kind breached; then -1, never below the "
    "tier, if high/critical findings were raised and every one is risk-accepted; "
    "rating: score <= 1 low, 2 medium, 3-4 high, >= 5 critical"
)

Rating = Literal["low", "medium", "high", "critical"]


def residual_risk(
    *,
    tier: str,
    open_critical: int,
    open_high: int,
    accepted_high_or_critical: int,
    monitoring_breached: bool,
) -> tuple[Rating, int]:
    """The rating and score of ``RESIDUAL_RISK_RULE``.

    Start from the tier (low 1, medium 2, high 3); add 2 per open critical finding and 1 per
    open high finding (risk-accepted and closed findings are not open), and 1 if the latest
    window of any monitor kind breached. When high or critical findings were accepted and none
    is open, take 1 off, never going below the tier. Bands: <= 1 low, 2 medium, 3-4 high,
    >= 5 critical.
    """
    base = TIER_SCORES[tier]
    score = base + 2 * open_critical + open_high + int(monitoring_breached)
    if accepted_high_or_critical and not (open_critical or open_high):
        score = max(base, score - 1)
    return _band(score), score


def _band(score: int) -> Rating:
    if score <= 1:
        return "low"
    if score == 2:
        return "medium"
    return "high" if score <= 4 else "critical"
