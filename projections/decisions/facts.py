"""The "why" read model's statements: one readable sentence per fact, citing its leaf.

A statement is ``{"statement", "kind", "sources"}``; a signed decision adds ``"signature"``
(``signer``, ``keyid``, ``signed_at``), whose status the query states as of its log size. This
module turns the lifecycle events of a model version (docs/events.md, "Model versions") into
statements; events that state nothing about why a version is allowed give None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from projections.catalog import VERSION
from projections.read_state import ReadState

__all__ = ["Statement", "numbers", "revocation_fact", "statement", "version_fact"]

Statement = dict[str, Any]
"""``{"statement": str, "kind": str, "sources": [leaf, ...]}``, maybe ``"signature"``."""


def statement(
    kind: str, text: str, sources: Sequence[int], signature: Mapping[str, str] | None = None
) -> Statement:
    """A statement of ``kind`` saying ``text``, citing ``sources``."""
    made: Statement = {"statement": text, "kind": kind, "sources": sorted(set(sources))}
    if signature is not None:
        made["signature"] = dict(signature)
    return made


def numbers(values: Mapping[str, Any]) -> str:
    """``auc 0.81, accuracy 0.76``: metrics as text, in their recorded order."""
    return ", ".join(f"{name} {float(value):g}" for name, value in values.items()) or "none"


def version_fact(name: str, event: Any, state: ReadState) -> Statement | None:
    """The statement ``ModelVersion.<name>`` makes at ``state.position``, or None."""
    describe = _FACTS.get(name.removeprefix("ModelVersion."))
    if describe is None:
        return None
    kind, text, signed = describe(event, state)
    signature = _signature(event) if signed else None
    return statement(kind, text, [state.position.leaf_index], signature)


def revocation_fact(event: Any, granted: Sequence[int], leaf: int) -> Statement:
    """The signed statement of ``ApprovalRevoked`` at ``leaf``, citing the approvals it revoked
    (granted at the leaves ``granted``)."""
    evidence = ", ".join(event.evidence_digests) or "no evidence"
    approvals = ", ".join(str(granted_at) for granted_at in granted) or "none"
    text = (
        f"Approval by {event.actor} revoked: {event.reason} (approval of {event.artifact_digest} "
        f"granted at leaf {approvals}; revoked at leaf {leaf} on evidence {evidence})"
    )
    return statement("approval.revoked", text, [leaf, *granted], _signature(event))


Fact = tuple[str, str, bool]
"""What an event states: its kind, its sentence, and whether it carries a personal signature."""


def _signature(event: Any) -> dict[str, str]:
    return {"signer": event.actor, "keyid": event.keyid, "signed_at": event.signed_at}


def _dataset(reference: object) -> str:
    if isinstance(reference, Mapping):
        return f"{reference['dataset']} v{reference['version']} ({reference['digest']})"
    return str(reference)


def _trained(event: Any, state: ReadState) -> Fact:
    datasets = ", ".join(_dataset(ref) for ref in event.dataset_versions) or "no dataset"
    text = (
        f"Trained by {event.actor} on {datasets} with code {event.code_version}: "
        f"artifact {event.artifact_digest}, metrics {numbers(event.metrics)}"
    )
    if event.derived_from:
        origin = state.get(VERSION, str(event.derived_from))
        parent = f"version {origin['number']}" if origin else str(event.derived_from)
        text += f"; derived from {parent}"
    return "trained", text, False


def _mitigated(event: Any, state: ReadState) -> Fact:
    text = (
        f"Bias mitigated by {event.actor} with {event.method} on {event.sensitive_attribute}: "
        f"before {numbers(event.before)}; after {numbers(event.after)}"
    )
    return "mitigated", text, False


def _validation_started(event: Any, state: ReadState) -> Fact:
    return "validation", f"Validation started by {event.actor}", False


def _quality(event: Any, state: ReadState) -> Fact:
    text = (
        f"Quality recorded by {event.actor}: {numbers(event.metrics)} "
        f"(report {event.report_digest})"
    )
    return "validation.quality", text, False


def _fairness(event: Any, state: ReadState) -> Fact:
    per_attribute = "; ".join(
        f"{attribute}: {numbers(metrics)}" for attribute, metrics in event.fairness.items()
    )
    text = f"Fairness recorded by {event.actor}: {per_attribute} (report {event.report_digest})"
    return "validation.fairness", text, False


def _explainability(event: Any, state: ReadState) -> Fact:
    text = (
        f"Explainability recorded by {event.actor}: {numbers(event.metrics)} "
        f"(report {event.report_digest})"
    )
    return "validation.explainability", text, False


def _concluded(event: Any, state: ReadState) -> Fact:
    evidence = ", ".join(event.evidence_digests) or "no evidence"
    text = f"Validation concluded {event.outcome} by {event.actor} on evidence {evidence}"
    return "validation.concluded", text, True


def _granted(event: Any, state: ReadState) -> Fact:
    evidence = ", ".join(event.evidence_digests) or "no evidence"
    text = f"Approval granted by {event.actor} for {event.artifact_digest} on evidence {evidence}"
    return "approval.granted", text, True


def _rejected(event: Any, state: ReadState) -> Fact:
    evidence = ", ".join(event.evidence_digests) or "no evidence"
    text = f"Approval rejected by {event.actor} for {event.artifact_digest} on evidence {evidence}"
    return "approval.rejected", text, True


def _uat(event: Any, state: ReadState) -> Fact:
    verdict = "passed" if event.passed else "failed"
    text = (
        f"UAT {event.kind} check of {event.artifact_digest} {verdict}, recorded by "
        f"{event.actor} (evidence {event.evidence_digest})"
    )
    return "uat", text, False


def _deployed(event: Any, state: ReadState) -> Fact:
    text = (
        f"Deployed to {event.environment} by {event.actor} at {state.position.recorded_at}: "
        f"artifact {event.artifact_digest}"
    )
    return "deployment", text, False


def _rolled_back(event: Any, state: ReadState) -> Fact:
    text = f"Rolled back from {event.environment} by {event.actor} at {state.position.recorded_at}"
    return "deployment.rolled_back", text, False


def _retired(event: Any, state: ReadState) -> Fact:
    text = f"Retired from every environment by {event.actor} at {state.position.recorded_at}"
    return "deployment.retired", text, False


_FACTS: dict[str, Callable[[Any, ReadState], Fact]] = {
    "Trained": _trained,
    "BiasMitigated": _mitigated,
    "ValidationStarted": _validation_started,
    "ValidationMetricsRecorded": _quality,
    "FairnessAssessed": _fairness,
    "ExplainabilityAssessed": _explainability,
    "ValidationConcluded": _concluded,
    "ApprovalGranted": _granted,
    "ApprovalRejected": _rejected,
    "UatEvidenceRecorded": _uat,
    "Deployed": _deployed,
    "RolledBack": _rolled_back,
    "Retired": _retired,
}
