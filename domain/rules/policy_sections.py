"""The optional policy sections ``validation`` and ``uat`` (docs/events.md, "Policies"), and the
member check every section shares.

``validation``: the floors and ceilings a validation assessment is compared with, each in
[0, 1]. ``uat``: what a UAT check needs to pass: ``integration.max_mismatches`` (a whole number),
``performance.p99_ms_max`` (milliseconds, above 0) and ``performance.throughput_min_per_s``
(predictions a second, 0 or more). Absent members take their defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeGuard

__all__ = [
    "PREDICTION_LOG_LIMITS",
    "UAT_LIMITS",
    "VALIDATION_NAMES",
    "members",
    "prediction_log_problems",
    "uat_problems",
    "validation_problems",
]

VALIDATION_NAMES = (
    "auc_roc_min",
    "disparate_impact_min",
    "equalized_odds_difference_max",
    "fidelity_min",
    "min_group_rows",
)
"""The validation thresholds, each in [0, 1] but ``min_group_rows`` (a number of rows, >= 0)."""

UAT_LIMITS: Mapping[str, Mapping[str, tuple[float, float]]] = {
    "integration": {"max_mismatches": (0, 2**53 - 1)},
    "performance": {"p99_ms_max": (0.0, 3_600_000.0), "throughput_min_per_s": (0.0, 1e9)},
}
"""Each UAT limit by check: its range; ``max_mismatches`` is whole, ``p99_ms_max`` above 0."""


def validation_problems(section: object) -> list[str]:
    """Every member of ``validation`` that is unknown, not a number, or outside [0, 1]."""
    problems: list[str] = []
    for name, value in members(section, "validation", (), problems, VALIDATION_NAMES).items():
        if not _is_number(value):
            problems.append(f"validation.{name}: {value!r} is not a number")
        elif name == "min_group_rows":
            if not 0 <= value <= 1e9:
                problems.append(f"validation.{name}: {value!r} is outside [0, 1e9]")
        elif not 0 <= value <= 1:
            problems.append(f"validation.{name}: {value!r} is outside [0, 1]")
    return problems


PREDICTION_LOG_LIMITS: Mapping[str, tuple[float, float]] = {
    "segment_max_records": (1, 10_000_000),
    "segment_max_seconds": (0.001, 86_400.0),
}
"""Each sealing limit's range: a whole number of records; seconds, at most a day."""


def prediction_log_problems(section: object) -> list[str]:
    """Every member of ``prediction_log`` that is unknown or outside its range."""
    problems: list[str] = []
    names = tuple(PREDICTION_LOG_LIMITS)
    for name, value in members(section, "prediction_log", (), problems, names).items():
        low, high = PREDICTION_LOG_LIMITS[name]
        path = f"prediction_log.{name}"
        if not _is_number(value):
            problems.append(f"{path}: {value!r} is not a number")
        elif name == "segment_max_records" and not isinstance(value, int):
            problems.append(f"{path}: {value!r} is not a whole number of records")
        elif not low <= value <= high:
            problems.append(f"{path}: {value!r} is outside [{low:g}, {high:g}]")
    return problems


def uat_problems(section: object) -> list[str]:
    """Every member of ``uat`` that is unknown or outside its range."""
    problems: list[str] = []
    for check, value in members(section, "uat", (), problems, tuple(UAT_LIMITS)).items():
        limits = UAT_LIMITS[check]
        for name, limit in members(value, f"uat.{check}", (), problems, tuple(limits)).items():
            problems += _limit_problems(f"uat.{check}.{name}", limit, limits[name])
    return problems


def _limit_problems(path: str, value: object, bounds: tuple[float, float]) -> list[str]:
    low, high = bounds
    if not _is_number(value):
        return [f"{path}: {value!r} is not a number"]
    if path.endswith("max_mismatches") and not isinstance(value, int):
        return [f"{path}: {value!r} is not a whole number of mismatches"]
    if path.endswith("p99_ms_max") and not low < value <= high:
        return [f"{path}: {value!r} is outside ({low:g}, {high:g}]"]
    if not low <= value <= high:
        return [f"{path}: {value!r} is outside [{low:g}, {high:g}]"]
    return []


def members(
    value: object,
    path: str,
    names: tuple[str, ...],
    problems: list[str],
    optional: tuple[str, ...] = (),
) -> dict[str, object]:
    """The members of object ``value`` among ``names`` and ``optional``; a problem for each of
    ``names`` missing and each member that is neither."""
    if not isinstance(value, Mapping):
        problems.append(f"{path}: {value!r} is not an object")
        return {}
    known = (*names, *optional)
    problems += [f"{path}: the member {n!r} is missing" for n in names if n not in value]
    problems += [
        f"{path}: the member {n!r} is not a policy member (expected {', '.join(known)})"
        for n in value
        if n not in known
    ]
    return {name: value[name] for name in known if name in value}


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
