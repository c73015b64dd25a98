"""The governance policy as data: approvers per risk tier, promotion gates, monitoring limits,
validation thresholds and what UAT checks need to pass.

A policy document is JSON, recorded in the ledger by the SHA-256 digest of its RFC 8785 (JCS)
canonical form. ``Policy.from_document`` refuses a document that breaks the invariants of
``domain.rules.policy_invariants``, whatever the client; ``policy.schema.json`` (shipped beside
this module) describes the same shape for editors and the CLI. The defaults are those of
``docs/events.md``; the sections and members added with issue 9 are optional in a document
(absent, they take their defaults), so the default document and its digest stay as they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from domain.errors import InvalidArgumentError
from domain.rules.policy_invariants import APPROVAL_TIERS, MONITORING_FLAGS, policy_problems
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest

__all__ = [
    "MonitoringThresholds",
    "Policy",
    "PredictionLogLimits",
    "UatThresholds",
    "ValidationThresholds",
    "canonical_policy_bytes",
    "default_policy_document",
    "policy_digest",
]


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
    return sha256_digest(canonical_policy_bytes(document))


def canonical_policy_bytes(document: Mapping[str, Any]) -> bytes:
    """The RFC 8785 (JCS) UTF-8 bytes of a JSON document; ValueError for what JSON cannot hold."""
    return canonical_json(document)


@dataclass(frozen=True, slots=True)
class MonitoringThresholds:
    """When monitoring results breach the policy."""

    disparate_impact_min: float = 0.8
    quality_ratio_min: float = 0.8
    psi_warn: float = 0.1
    psi_drift: float = 0.25
    ks_p_value: float = 0.05
    dataset_drift_share: float = 0.5
    expected_cost_max: float = 0.7
    approval_rate_min: float = 0.3
    approval_rate_max: float = 0.95
    min_group_rows: float = 30.0
    retrain_on_breach: bool = False


@dataclass(frozen=True, slots=True)
class ValidationThresholds:
    """What a validation assessment must reach; a breach raises a finding."""

    auc_roc_min: float = 0.7
    disparate_impact_min: float = 0.8
    equalized_odds_difference_max: float = 0.2
    fidelity_min: float = 0.5
    min_group_rows: float = 30.0


@dataclass(frozen=True, slots=True)
class UatThresholds:
    """What a UAT check must show to pass: the integration check's mismatches at most, the
    performance check's p99 latency at most and throughput at least."""

    max_mismatches: int = 0
    p99_ms_max: float = 50.0
    throughput_min_per_s: float = 200.0


@dataclass(frozen=True, slots=True)
class PredictionLogLimits:
    """When the serving path seals a prediction-log segment: at ``segment_max_records`` records,
    or once its first record is ``segment_max_seconds`` old."""

    segment_max_records: int = 10_000
    segment_max_seconds: float = 60.0


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
    prod_requires_uat_evidence: bool = False
    validation: ValidationThresholds = field(default_factory=ValidationThresholds)
    uat: UatThresholds = field(default_factory=UatThresholds)
    prediction_log: PredictionLogLimits = field(default_factory=PredictionLogLimits)

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
            monitoring=_monitoring(monitoring),
            prod_requires_uat_evidence=gates["prod"].get("requires_uat_evidence", False),
            validation=ValidationThresholds(
                **{name: float(value) for name, value in document.get("validation", {}).items()}
            ),
            uat=_uat(document.get("uat", {})),
            prediction_log=_prediction_log(document.get("prediction_log", {})),
        )

    def approvers_needed(self, risk_tier: str) -> int:
        """How many distinct approvers a model of ``risk_tier`` needs."""
        return self.approvals[risk_tier]


def _monitoring(section: Mapping[str, Any]) -> MonitoringThresholds:
    """The thresholds of a checked ``monitoring`` section as floats, its flags as booleans."""
    thresholds: dict[str, Any] = {
        name: value if name in MONITORING_FLAGS else float(value) for name, value in section.items()
    }
    return MonitoringThresholds(**thresholds)


def _prediction_log(section: Mapping[str, Any]) -> PredictionLogLimits:
    """The sealing limits of a checked ``prediction_log`` section, defaults where absent."""
    limits: dict[str, Any] = {}
    if "segment_max_records" in section:
        limits["segment_max_records"] = int(section["segment_max_records"])
    if "segment_max_seconds" in section:
        limits["segment_max_seconds"] = float(section["segment_max_seconds"])
    return PredictionLogLimits(**limits)


def _uat(section: Mapping[str, Any]) -> UatThresholds:
    """The UAT thresholds of a checked ``uat`` section, defaults where absent."""
    limits: dict[str, Any] = {
        name: int(value) for name, value in section.get("integration", {}).items()
    }
    limits |= {name: float(value) for name, value in section.get("performance", {}).items()}
    return UatThresholds(**limits)
