"""The invariants of a policy document (docs/events.md, "Policies"), checked by the domain itself.

Whatever the client, a policy cannot switch the governance off: every risk tier needs at least one
approver and a riskier tier never fewer; Prod always needs a passed validation and an approval of
the exact artifact; an open critical finding always blocks Prod, and so does every severity above
a blocking one; the monitoring thresholds lie in their ranges, PSI warns before it drifts and the
approval rate's floor is not above its ceiling. The sections ``validation``, ``uat`` and
``prediction_log``, the newer monitoring thresholds and ``gates.prod.requires_uat_evidence`` are
optional: absent, they take their defaults (``domain.rules.policy_sections`` checks the sections).
The JSON Schema beside this module says the same of the shape, for editors and the CLI; these
checks need no schema library and report every problem at once, each with its path.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

from domain.rules.policy_sections import members as _members
from domain.rules.policy_sections import (
    prediction_log_problems,
    uat_problems,
    validation_problems,
)

__all__ = [
    "APPROVAL_TIERS",
    "MONITORING_FLAGS",
    "THRESHOLD_RANGES",
    "policy_problems",
    "threshold_problems",
]

APPROVAL_TIERS = ("low", "medium", "high")
"""The risk tiers, from the least to the most risky."""

SEVERITIES = ("low", "medium", "high", "critical")
"""The finding severities, from the least to the most serious."""

MAX_APPROVERS = 100

THRESHOLD_RANGES: Mapping[str, tuple[float, float]] = {
    "disparate_impact_min": (0.0, 1.0),
    "quality_ratio_min": (0.0, 1.0),
    "psi_warn": (0.0, 10.0),
    "psi_drift": (0.0, 10.0),
    "ks_p_value": (0.0, 0.5),
    "dataset_drift_share": (0.0, 1.0),
    "expected_cost_max": (0.0, 5.0),
    "approval_rate_min": (0.0, 1.0),
    "approval_rate_max": (0.0, 1.0),
    "min_group_rows": (0.0, 1e9),
}
"""Each monitoring threshold lies in (low, high]; expected cost is per decision, in the units
of the German credit cost matrix (a bad applicant accepted costs 5)."""

MONITORING_FLAGS = ("retrain_on_breach",)
"""The monitoring members that are true or false rather than thresholds."""

_MONITORING_REQUIRED = tuple(THRESHOLD_RANGES)[:6]
_MONITORING_OPTIONAL = (*tuple(THRESHOLD_RANGES)[6:], *MONITORING_FLAGS)
_MEMBERS = ("version", "approvals", "gates", "monitoring")
_SECTIONS = ("validation", "uat", "prediction_log")
_UAT = ("requires_passed_validation",)
_PROD = ("requires_passed_validation", "requires_approval_of_artifact")
_UAT_EVIDENCE = "requires_uat_evidence"
_BLOCKING = "blocking_finding_severities"


def policy_problems(document: object) -> list[str]:
    """Every way ``document`` breaks the policy's shape or invariants; empty if none."""
    problems: list[str] = []
    members = _members(document, "policy", _MEMBERS, problems, _SECTIONS)
    version = members.get("version")
    if "version" in members and not _is_name(version):
        problems.append(
            f"version: {version!r} is not a non-empty name of at most 200 printable characters"
        )
    if "approvals" in members:
        problems += _approval_problems(members["approvals"])
    if "gates" in members:
        problems += _gate_problems(members["gates"])
    if "monitoring" in members:
        values = _members(
            members["monitoring"],
            "monitoring",
            _MONITORING_REQUIRED,
            problems,
            _MONITORING_OPTIONAL,
        )
        problems += threshold_problems(values, "monitoring.")
    if "validation" in members:
        problems += validation_problems(members["validation"])
    if "uat" in members:
        problems += uat_problems(members["uat"])
    if "prediction_log" in members:
        problems += prediction_log_problems(members["prediction_log"])
    return problems


def threshold_problems(values: Mapping[str, object], prefix: str = "") -> list[str]:
    """Every threshold of ``values`` outside its range, a flag that is not true or false, and
    PSI levels or approval rates out of order."""
    problems: list[str] = []
    for name, value in values.items():
        if name in MONITORING_FLAGS:
            problems += _flag_problems({name: value}, prefix.rstrip(".") or "monitoring")
            continue
        low, high = THRESHOLD_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{prefix}{name}: {value!r} is not a number")
        elif not math.isfinite(value):
            problems.append(f"{prefix}{name}: {value!r} is not a finite number")
        elif not low < value <= high:
            problems.append(f"{prefix}{name}: {value!r} is outside ({low:g}, {high:g}]")
    warn, drift = _finite(values.get("psi_warn")), _finite(values.get("psi_drift"))
    if warn is not None and drift is not None and not warn < drift:
        problems.append(
            f"{prefix}psi_warn: {warn!r} is not below {prefix}psi_drift ({drift!r}): a feature "
            "warns before it drifts; lower psi_warn or raise psi_drift"
        )
    floor = _finite(values.get("approval_rate_min"))
    ceiling = _finite(values.get("approval_rate_max"))
    if floor is not None and ceiling is not None and floor > ceiling:
        problems.append(
            f"{prefix}approval_rate_min: {floor!r} is above {prefix}approval_rate_max "
            f"({ceiling!r}): "
            "no approval rate could pass; lower the floor or raise the ceiling"
        )
    return problems


def _approval_problems(approvals: object) -> list[str]:
    problems: list[str] = []
    counts = _members(approvals, "approvals", APPROVAL_TIERS, problems)
    for tier, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int):
            problems.append(f"approvals.{tier}: {count!r} is not an integer number of approvers")
        elif not 1 <= count <= MAX_APPROVERS:
            problems.append(
                f"approvals.{tier}: {count} is not a number of distinct approvers from "
                f"at least 1 to {MAX_APPROVERS}: every tier needs an approver"
            )
    for lower, higher in itertools.pairwise(APPROVAL_TIERS):
        fewer, more = _finite(counts.get(lower)), _finite(counts.get(higher))
        if fewer is not None and more is not None and fewer > more:
            problems.append(
                f"approvals.{lower}: {fewer} is more than approvals.{higher} ({more}): "
                "a riskier tier never needs fewer approvers"
            )
    return problems


def _gate_problems(gates: object) -> list[str]:
    problems: list[str] = []
    by_environment = _members(gates, "gates", ("uat", "prod"), problems)
    if "uat" in by_environment:
        uat = _members(by_environment["uat"], "gates.uat", _UAT, problems)
        problems += _flag_problems(uat, "gates.uat")
    if "prod" in by_environment:
        prod = _members(
            by_environment["prod"], "gates.prod", (*_PROD, _BLOCKING), problems, (_UAT_EVIDENCE,)
        )
        flags = (*_PROD, _UAT_EVIDENCE)
        problems += _flag_problems({n: prod[n] for n in flags if n in prod}, "gates.prod")
        for name in _PROD:
            if prod.get(name) is False:
                problems.append(
                    f"gates.prod.{name}: false would let a version reach prod without it: "
                    "this gate may not be switched off"
                )
        if _BLOCKING in prod:
            problems += _blocking_problems(prod[_BLOCKING])
    return problems


def _flag_problems(flags: Mapping[str, object], path: str) -> list[str]:
    return [
        f"{path}.{name}: {value!r} is not true or false"
        for name, value in flags.items()
        if not isinstance(value, bool)
    ]


def _blocking_problems(severities: object) -> list[str]:
    path = f"gates.prod.{_BLOCKING}"
    if not isinstance(severities, list):
        return [f"{path}: {severities!r} is not a list of severities"]
    problems: list[str] = []
    seen: set[str] = set()
    for severity in severities:
        if severity not in SEVERITIES:
            problems.append(f"{path}: {severity!r} is not one of {' | '.join(SEVERITIES)}")
        elif severity in seen:
            problems.append(f"{path}: {severity!r} is listed twice")
        else:
            seen.add(severity)
    blocking = [SEVERITIES.index(s) for s in severities if s in SEVERITIES]
    lowest = min(blocking, default=len(SEVERITIES) - 1)
    missing = [s for s in SEVERITIES[lowest:] if s not in severities]
    if missing:
        problems.append(
            f"{path}: {severities!r} lets an open {missing[0]!r} finding through: "
            f"{', '.join(repr(s) for s in missing)} must block too"
        )
    return problems


def _is_name(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isprintable()
        and value == value.strip()
    )


def _finite(value: object) -> int | float | None:
    """``value`` if it is a finite number (not a bool), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None
