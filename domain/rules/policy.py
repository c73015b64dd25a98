"""The governance policy as data: approvers per risk tier, promotion gates, monitoring limits.

A policy document is JSON, recorded in the ledger by the SHA-256 digest of its RFC 8785 (JCS)
canonical form. ``Policy.from_document`` refuses a document that breaks the invariants of
``domain.rules.policy_invariants``, whatever the client; ``policy.schema.json`` (shipped beside
this module) describes the same shape for editors and the CLI. The defaults are those of
``docs/events.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from domain.errors import InvalidArgumentError
from domain.rules.policy_invariants import APPROVAL_TIERS, policy_problems

__all__ = [
    "MonitoringThresholds",
    "Policy",
    "canonical_policy_bytes",
    "default_policy_document",
    "policy_digest",
]

_MAX_SAFE_INTEGER = 2**53 - 1


def default_policy_document() -> dict[str, Any]:
    """A fresh copy of the default policy document (the values of docs/events.md)."""
    return {
        "version": "default-1",
        "approvals": {"low": 1, "medium": 1, "high": 2},
        "gates": {
            "uat": {"requires_passed_validation": True},
            "prod": {
                "requires_passed_validation": True,
                "requires_approval_of_artifact": True,
                "blocking_finding_severities": ["high", "critical"],
            },
        },
        "monitoring": {
            "disparate_impact_min": 0.8,
            "quality_ratio_min": 0.8,
            "psi_warn": 0.1,
            "psi_drift": 0.25,
            "ks_p_value": 0.05,
            "dataset_drift_share": 0.5,
        },
    }


def policy_digest(document: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the document's RFC 8785 canonical bytes."""
    return "sha256:" + hashlib.sha256(canonical_policy_bytes(document)).hexdigest()


def canonical_policy_bytes(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 (JCS) UTF-8 bytes of a JSON document; ValueError for what JSON cannot hold.

    Members are sorted by the UTF-16 code units of their names (RFC 8785 section 3.2.3), strings
    use the minimal escapes ``json`` writes (3.2.2.2), and numbers are written as ECMAScript
    writes an IEEE 754 double (3.2.2.3), so ``1e-07`` is ``1e-7`` and ``2.0`` is ``2``. The
    ledger has its own implementation; the domain may not import it, and policies are small.
    """
    parts: list[str] = []
    _write_canonical(document, parts)
    return "".join(parts).encode("utf-8")


def _write_canonical(value: object, parts: list[str]) -> None:
    if value is None or isinstance(value, bool | str):
        parts.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise ValueError(f"integer {value} is outside the IEEE 754 safe range")
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(_ecmascript_number(value))
    elif isinstance(value, Mapping):
        if not all(isinstance(name, str) for name in value):
            raise ValueError("JSON object names must be strings")
        parts.append("{")
        names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
        for position, name in enumerate(names):
            parts.append(("," if position else "") + json.dumps(name, ensure_ascii=False) + ":")
            _write_canonical(value[name], parts)
        parts.append("}")
    elif isinstance(value, list | tuple):
        parts.append("[")
        for position, item in enumerate(value):
            parts.append("," if position else "")
            _write_canonical(item, parts)
        parts.append("]")
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def _ecmascript_number(number: float) -> str:
    """ECMAScript's Number::toString of a double (ECMA-262 section 6.1.6.1.20)."""
    if not math.isfinite(number):
        raise ValueError(f"{number!r} is not a JSON number")
    if number == 0:
        return "0"
    # repr gives the shortest digits that round-trip, as ECMAScript's algorithm requires.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).normalize().as_tuple()
    digits = "".join(str(digit) for digit in digit_tuple)
    k, n = len(digits), len(digits) + int(exponent)  # |number| == 0.<digits> * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if n > 1 else '-'}{abs(n - 1)}"
    return ("-" if number < 0 else "") + text


@dataclass(frozen=True, slots=True)
class MonitoringThresholds:
    """When monitoring results breach the policy."""

    disparate_impact_min: float = 0.8
    quality_ratio_min: float = 0.8
    psi_warn: float = 0.1
    psi_drift: float = 0.25
    ks_p_value: float = 0.05
    dataset_drift_share: float = 0.5


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy document, by version and digest."""

    version: str
    digest: str
    approvals: Mapping[str, int]
    uat_requires_passed_validation: bool = True
    prod_requires_passed_validation: bool = True
    prod_requires_approval_of_artifact: bool = True
    blocking_finding_severities: frozenset[str] = frozenset({"high", "critical"})
    monitoring: MonitoringThresholds = field(default_factory=MonitoringThresholds)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Policy:
        """The policy of ``document``; InvalidArgumentError naming every broken invariant.

        Numbers take their declared types: a threshold stored as ``1`` is the float ``1.0``.
        """
        problems = policy_problems(document)
        if problems:
            raise InvalidArgumentError("policy document refused: " + "; ".join(problems))
        gates, monitoring = document["gates"], document["monitoring"]
        return cls(
            version=document["version"],
            digest=policy_digest(document),
            approvals=MappingProxyType({t: int(document["approvals"][t]) for t in APPROVAL_TIERS}),
            uat_requires_passed_validation=gates["uat"]["requires_passed_validation"],
            prod_requires_passed_validation=gates["prod"]["requires_passed_validation"],
            prod_requires_approval_of_artifact=gates["prod"]["requires_approval_of_artifact"],
            blocking_finding_severities=frozenset(gates["prod"]["blocking_finding_severities"]),
            monitoring=MonitoringThresholds(
                **{name: float(value) for name, value in monitoring.items()}
            ),
        )

    def approvers_needed(self, risk_tier: str) -> int:
        """How many distinct approvers a model of ``risk_tier`` needs."""
        return self.approvals[risk_tier]
