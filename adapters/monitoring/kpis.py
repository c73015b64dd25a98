"""Business KPIs of a window: the approval rate of its decisions and the expected cost per
labelled decision under a cost matrix (for German credit, its own: accepting a bad applicant
costs 5, refusing a good one costs 1, a right decision costs 0)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.errors import InvalidArgumentError

__all__ = ["approval_rate", "expected_cost"]

COST_NAMES = ("bad_accepted", "good_refused")


def approval_rate(decisions: Sequence[int]) -> float:
    """Share of approvals among ``decisions`` = (refused, approved) counts;
    ``InvalidArgumentError`` when there are none."""
    refused, approved = decisions
    if refused + approved == 0:
        raise InvalidArgumentError("no decisions to take an approval rate of")
    return approved / (refused + approved)


def expected_cost(confusion: Sequence[int], cost_matrix: Mapping[str, float]) -> float:
    """Mean cost per labelled decision from ``confusion`` = (true negative, false positive,
    false negative, true positive), positive meaning a good applicant / an approval:
    ``(bad_accepted * FP + good_refused * FN) / rows``. ``InvalidArgumentError`` for a cost
    matrix without both costs as finite non-negative numbers, or no labelled rows."""
    missing = [name for name in COST_NAMES if name not in cost_matrix]
    if missing:
        raise InvalidArgumentError(f"the cost matrix needs {missing}")
    costs = {name: float(cost_matrix[name]) for name in COST_NAMES}
    if not all(0 <= cost < float("inf") for cost in costs.values()):
        raise InvalidArgumentError(f"costs must be finite and not negative: {costs}")
    tn, fp, fn, tp = confusion
    rows = tn + fp + fn + tp
    if rows == 0:
        raise InvalidArgumentError("no labelled decisions to take an expected cost of")
    return (costs["bad_accepted"] * fp + costs["good_refused"] * fn) / rows
