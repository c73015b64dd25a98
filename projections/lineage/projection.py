"""The lineage read model: every governed thing a node, every dependency a typed edge.

Direction (PROV style): an edge points from the newer thing to the older thing it depends on,
and reads as a sentence ``source relation target``:

- ``train/credit-risk@3 used credit-data@1``; ``credit-risk@3 generated_by train/credit-risk@3``;
  ``credit-risk@3 version_of credit-risk``; ``credit-data@1 version_of credit-data``;
- ``credit-risk@4 derived_from credit-risk@3`` (mitigated or retrained from it);
- ``credit-risk@3/validation-1 validated credit-risk@3``; ``.../decision-1 approved`` (or
  ``rejected``) ``credit-risk@3``; ``credit-risk@3/prod deployed credit-risk@3``;
- ``credit-risk@3/prod/prediction/1 generated_by credit-risk@3/prod``;
  ``credit-risk@3/prod/window-1 used credit-risk@3/prod/prediction/1`` (a monitoring result
  with no segments used the deployment); ``credit-risk@3/explanation-1 derived_from
  credit-risk@3``;
- ``credit-risk@3/finding-1 flagged credit-risk@3``; ``.../finding-1/remediation-1`` (or
  ``risk-acceptance-1``) ``remediated credit-risk@3/finding-1``.

So "upstream of X" follows edges source -> target from X (what X came from) and "downstream
of X" follows them target -> source (what was derived from, or done to, X): downstream of a
dataset lists the versions trained on it, their validations, decisions, deployments, sealed
prediction segments, monitoring, explanations and findings. Each node body and each edge cites
the leaves of the events it comes from. Flags (``DriftFlagged`` ...) are recorded on the
window they follow; a rollback marks the deployment not live; a revocation marks the approval
``revoked`` (its edge stays: it was granted); ``BiasMitigated`` and ``Retired`` are recorded on
the version. The catalog projection must run first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.events import event_name
from projections.lineage import development as dev
from projections.lineage import operations as ops
from projections.read_state import ReadState

__all__ = ["LineageProjection"]

Handler = Callable[[ReadState, Any], None]


def _assessed(state: ReadState, event: Any) -> None:
    dev.update_validation(state, event, report_digest=event.report_digest)


_FLAGS = {
    "ModelVersion.DriftFlagged": "drift",
    "ModelVersion.FairnessBreached": "fairness",
    "ModelVersion.QualityDegraded": "quality",
    "ModelVersion.KpiBreached": "kpi",
}


def _flag(family: str) -> Handler:
    def flag(state: ReadState, event: Any) -> None:
        ops.flag_window(state, event, family)

    return flag


_HANDLERS: dict[str, Handler] = {
    "Model.Registered": dev.register_model,
    "Dataset.Registered": dev.register_dataset,
    "Dataset.VersionAdded": dev.add_dataset_version,
    "ModelVersion.Trained": dev.train,
    "ModelVersion.BiasMitigated": lambda s, e: dev.update_version(
        s, e, mitigation={"method": e.method, "sensitive_attribute": e.sensitive_attribute}
    ),
    "ModelVersion.Retired": lambda s, e: dev.update_version(s, e, retired=True),
    "ModelVersion.ValidationStarted": dev.start_validation,
    "ModelVersion.ValidationMetricsRecorded": _assessed,
    "ModelVersion.FairnessAssessed": _assessed,
    "ModelVersion.ExplainabilityAssessed": _assessed,
    "ModelVersion.ValidationConcluded": lambda s, e: dev.update_validation(
        s, e, outcome=e.outcome, keyid=e.keyid
    ),
    "ModelVersion.ApprovalGranted": lambda s, e: dev.decide(s, e, granted=True),
    "ModelVersion.ApprovalRejected": lambda s, e: dev.decide(s, e, granted=False),
    "ModelVersion.ApprovalRevoked": dev.revoke,
    "ModelVersion.Deployed": ops.deploy,
    "ModelVersion.RolledBack": ops.roll_back,
    "PredictionLog.SegmentSealed": ops.seal_segment,
    "Explanation.Recorded": ops.record_explanation,
    "ModelVersion.MonitoringWindowEvaluated": ops.evaluate_window,
    "ModelVersion.MonitoringRecorded": ops.record_monitoring,
    **{name: _flag(family) for name, family in _FLAGS.items()},
    "Finding.Raised": ops.raise_finding,
    "Finding.Remediated": lambda s, e: ops.resolve_finding(
        s, e, "remediation", description=e.description
    ),
    "Finding.RiskAccepted": lambda s, e: ops.resolve_finding(
        s, e, "risk_acceptance", rationale=e.rationale, keyid=e.keyid
    ),
    "Finding.Closed": lambda s, e: ops.update_finding(s, e, closed=True),
}


class LineageProjection:
    """Nodes (kind ``lineage.node``) and typed edges of everything governed, citing leaves."""

    name = "lineage"

    def apply(self, event: Any, state: ReadState) -> None:
        """Add the nodes and edges ``event`` introduces; ignore events lineage does not use."""
        handler = _HANDLERS.get(event_name(event))
        if handler is not None:
            handler(state, event)
