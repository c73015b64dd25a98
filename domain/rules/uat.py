"""Whether a UAT check passed (docs/events.md, "Policies", ``uat``), decided by the domain from
the check's metrics, not by the client that ran it.

integration: ``rows`` > 0 and ``mismatches`` <= ``max_mismatches`` (the deployed scoring path
reproduces the offline predictions on a holdout). performance: ``p99_ms`` <= ``p99_ms_max`` and
``throughput_per_s`` >= ``throughput_min_per_s``.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.errors import InvalidArgumentError
from domain.rules.policy import UatThresholds
from domain.rules.vocabulary import UatCheck

__all__ = ["UAT_METRICS", "uat_passed"]

UAT_METRICS: Mapping[UatCheck, tuple[str, ...]] = {
    UatCheck.INTEGRATION: ("rows", "mismatches"),
    UatCheck.PERFORMANCE: ("p99_ms", "throughput_per_s"),
}
"""The metrics each check must report."""


def uat_passed(check: UatCheck, metrics: Mapping[str, float], limits: UatThresholds) -> bool:
    """True when ``metrics`` meet ``limits`` for ``check``; InvalidArgumentError naming a
    required metric that is missing."""
    missing = [name for name in UAT_METRICS[check] if name not in metrics]
    if missing:
        raise InvalidArgumentError(
            f"a {check} check reports {', '.join(UAT_METRICS[check])}; "
            f"missing: {', '.join(missing)}"
        )
    if check is UatCheck.INTEGRATION:
        return metrics["rows"] > 0 and metrics["mismatches"] <= limits.max_mismatches
    return (
        metrics["p99_ms"] <= limits.p99_ms_max
        and metrics["throughput_per_s"] >= limits.throughput_min_per_s
    )
