"""Fairness judged only where there are rows enough to judge it (docs/events.md, "Policies").

A protected group with fewer rows than the policy's ``min_group_rows`` (in a validation holdout
or a labelled monitoring window) says nothing reliable about its selection rate: 14 foreign-born
applicants in a holdout of 300 swing the disparate impact ratio by 0.07 each. Such a group is
left out of the disparate impact ratio and, as equalized odds need every group's error rates, an
attribute with a small group is not judged on equalized odds. The numbers of every group stay in
the recorded metrics, so an auditor sees what was and was not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["JudgedFairness", "judged_fairness"]


@dataclass(frozen=True, slots=True)
class JudgedFairness:
    """The disparate impact over the groups with rows enough (None if fewer than two have), and
    whether every group had them (then the attribute's other metrics are judged too)."""

    disparate_impact: float | None
    complete: bool
    small_groups: tuple[str, ...]


def judged_fairness(metrics: Mapping[str, float], min_rows: float) -> JudgedFairness:
    """Judge one attribute's metrics, keyed ``count.<group>``, ``selection_rate.<group>`` and
    ``disparate_impact``; without per-group counts the reported ratio stands as it is."""
    counts = {n.removeprefix("count."): v for n, v in metrics.items() if n.startswith("count.")}
    if not counts:
        return JudgedFairness(metrics.get("disparate_impact"), True, ())
    small = tuple(sorted(g for g, n in counts.items() if n < min_rows))
    rates = [
        metrics[f"selection_rate.{group}"]
        for group, n in sorted(counts.items())
        if n >= min_rows and f"selection_rate.{group}" in metrics
    ]
    if len(rates) < 2:
        return JudgedFairness(None, False, small)
    highest = max(rates)
    impact = min(rates) / highest if highest > 0 else 1.0
    return JudgedFairness(impact, not small, small)
