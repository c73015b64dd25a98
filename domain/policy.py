"""The governance policy as data: approvers per risk tier, promotion gates, monitoring limits.

A policy document is JSON (validated against ``policy.schema.json`` by an adapter before it
reaches the domain) and is recorded in the ledger by its SHA-256 digest. The defaults are those
of ``events.md``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["MonitoringThresholds", "Policy", "default_policy_document", "policy_digest"]


def default_policy_document() -> dict[str, Any]:
    """A fresh copy of the default policy document (the values of events.md)."""
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
    """``sha256:<hex>`` of the document's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
        """Build from a document already validated against the policy schema."""
        gates = document["gates"]
        return cls(
            version=str(document["version"]),
            digest=policy_digest(document),
            approvals=MappingProxyType({str(k): int(v) for k, v in document["approvals"].items()}),
            uat_requires_passed_validation=bool(gates["uat"]["requires_passed_validation"]),
            prod_requires_passed_validation=bool(gates["prod"]["requires_passed_validation"]),
            prod_requires_approval_of_artifact=bool(gates["prod"]["requires_approval_of_artifact"]),
            blocking_finding_severities=frozenset(gates["prod"]["blocking_finding_severities"]),
            monitoring=MonitoringThresholds(**document["monitoring"]),
        )

    def approvers_needed(self, risk_tier: str) -> int:
        """How many distinct approvers a model of ``risk_tier`` needs."""
        return self.approvals[risk_tier]
