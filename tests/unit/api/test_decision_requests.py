"""The part-2 commands of the registry: the names, paths and statuses other clients rely on, and
requests that refuse what the domain would refuse, saying what to fix."""

from __future__ import annotations

import base64
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from api.registry import (
    approvals,
    deployments,
    explanations,
    findings,
    mitigations,
    monitoring,
    validation,
)
from api.registry.spec import AnySpec, Request
from domain.rules.roles import Command

SPECS: tuple[AnySpec, ...] = (
    *validation.SPECS,
    *mitigations.SPECS,
    *approvals.SPECS,
    *deployments.SPECS,
    *findings.SPECS,
    *monitoring.SPECS,
    *explanations.SPECS,
)
TABLE = {
    # name: (path, resource, domain command, status)
    "start-validation": ("/validations/start", "validations", Command.START_VALIDATION, 200),
    "conclude-validation": (
        "/validations/conclude",
        "validations",
        Command.CONCLUDE_VALIDATION,
        200,
    ),
    "assess-model-version": (
        "/validations/assess",
        "validations",
        Command.ASSESS_MODEL_VERSION,
        200,
    ),
    "mitigate-model-version": (
        "/mitigations",
        "mitigations",
        Command.MITIGATE_MODEL_VERSION,
        201,
    ),
    "grant-approval": ("/approvals", "approvals", Command.GRANT_APPROVAL, 200),
    "reject-approval": ("/approvals/reject", "approvals", Command.REJECT_APPROVAL, 200),
    "revoke-approval": ("/approvals/revoke", "approvals", Command.REVOKE_APPROVAL, 200),
    "deploy": ("/deployments", "deployments", Command.DEPLOY, 200),
    "roll-back": ("/deployments/roll-back", "deployments", Command.ROLL_BACK, 200),
    "retire": ("/deployments/retire", "deployments", Command.RETIRE, 200),
    "record-uat-evidence": (
        "/deployments/uat-evidence",
        "deployments",
        Command.RECORD_UAT_EVIDENCE,
        200,
    ),
    "raise-finding": ("/findings", "findings", Command.RAISE_FINDING, 201),
    "assign-finding": ("/findings/assign", "findings", Command.ASSIGN_FINDING, 200),
    "remediate-finding": ("/findings/remediate", "findings", Command.REMEDIATE_FINDING, 200),
    "accept-risk": ("/findings/accept-risk", "findings", Command.ACCEPT_RISK, 200),
    "close-finding": ("/findings/close", "findings", Command.CLOSE_FINDING, 200),
    "register-monitor": ("/monitors", "monitoring", Command.REGISTER_MONITOR, 201),
    "record-monitoring-result": (
        "/monitoring/results",
        "monitoring",
        Command.RECORD_MONITORING_RESULT,
        200,
    ),
    "record-monitoring-window": (
        "/monitoring/windows",
        "monitoring",
        Command.RECORD_MONITORING_WINDOW,
        200,
    ),
    "evaluate-monitoring-window": (
        "/monitoring/windows/evaluate",
        "monitoring",
        Command.EVALUATE_MONITORING_WINDOW,
        200,
    ),
    "seal-prediction-segment": (
        "/prediction-segments",
        "monitoring",
        Command.SEAL_PREDICTION_SEGMENT,
        200,
    ),
    "record-explanation": ("/explanations", "explanations", Command.RECORD_EXPLANATION, 201),
    "explain-prediction": (
        "/explanations/compute",
        "explanations",
        Command.RECORD_EXPLANATION,
        201,
    ),
}
NEEDS_ML = {
    "assess-model-version",
    "mitigate-model-version",
    "evaluate-monitoring-window",
    "explain-prediction",
}
SIGNATURE = base64.b64encode(bytes(64)).decode()
DIGEST = "sha256:" + "0" * 64


def test_the_part_two_commands_are_the_table_s() -> None:
    found = {
        spec.name: (spec.path, spec.resource, spec.command, spec.status_code) for spec in SPECS
    }

    assert found == TABLE
    assert {spec.name for spec in SPECS if spec.needs_ml} == NEEDS_ML


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_each_request_refuses_unknown_fields_and_holds_no_private_key(spec: AnySpec) -> None:
    assert issubclass(spec.request, Request)
    assert spec.request.model_config.get("extra") == "forbid"
    assert not [name for name in spec.request.model_fields if "private" in name or "pem" in name]


def grant(**changes: Any) -> dict[str, Any]:
    return {
        "version_id": str(uuid4()),
        "artifact_digest": DIGEST,
        "evidence_digests": [DIGEST],
        "signature": SIGNATURE,
        "keyid": DIGEST,
        "signed_at": "2025-06-30T14:05:00Z",
        **changes,
    }


@pytest.mark.parametrize(
    "signed_at",
    ["2025-06-30T14:05:00Z", "2025-06-30T14:05:00.5+00:00", "2025-06-30T14:05:00.123456789Z"],
)
def test_a_grant_takes_the_times_govledger_sign_and_the_demo_write(signed_at: str) -> None:
    request = approvals.ApprovalGrant.model_validate(grant(signed_at=signed_at))

    assert request.signed_at == signed_at
    assert request.signature == SIGNATURE


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"signature": base64.b64encode(bytes(63)).decode()}, "64-byte Ed25519 signature"),
        ({"signature": "not base64!"}, "64-byte Ed25519 signature"),
        ({"keyid": "ann-key"}, "give the keyid `govledger sign` printed"),
        ({"artifact_digest": "sha256:" + "A" * 64}, "64 lowercase hex"),
        ({"evidence_digests": [DIGEST] * 101}, "at most 100"),
        ({"signed_at": "2025-06-30 14:05:00"}, "RFC 3339 UTC time"),
        ({"signed_at": "2025-06-30T14:05:00-05:00"}, "RFC 3339 UTC time"),
        ({"signed_at": "2025-13-01T00:00:00Z"}, "not a real time"),
        ({"signed_at": "\uff12\uff10\uff12\uff15-06-30T14:05:00Z"}, "RFC 3339 UTC time"),
        ({"version_id": "7"}, "UUID"),
        ({"signer": "ann"}, "Extra inputs"),
    ],
)
def test_a_malformed_grant_is_refused_saying_what_to_fix(
    changes: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        approvals.ApprovalGrant.model_validate(grant(**changes))

    assert fragment in str(refused.value)


def test_vocabularies_are_the_domain_s() -> None:
    with pytest.raises(ValidationError, match="'dev', 'uat' or 'prod'"):
        deployments.Deployment.model_validate(
            {"version_id": str(uuid4()), "environment": "staging", "artifact_digest": DIGEST}
        )
    with pytest.raises(ValidationError, match="'low', 'medium', 'high' or 'critical'"):
        findings.FindingCreate.model_validate(
            {"version_id": str(uuid4()), "severity": "urgent", "title": "t", "due": "2025-01-31"}
        )
    with pytest.raises(ValidationError, match="'passed' or 'failed'"):
        validation.ValidationConclusion.model_validate({**grant(), "outcome": "granted"})


def test_window_rows_are_capped() -> None:
    window = {
        "monitor_id": str(uuid4()),
        "start": "2025-06-30T00:00:00Z",
        "end": "2025-06-30T01:00:00Z",
    }
    row = {"age": 30}
    monitoring.WindowEvaluation.model_validate({**window, "window_rows": [row] * 10})

    with pytest.raises(ValidationError, match=f"at most {monitoring.MAX_ROWS} items"):
        monitoring.WindowEvaluation.model_validate(
            {**window, "window_rows": [row] * (monitoring.MAX_ROWS + 1)}
        )
    with pytest.raises(ValidationError, match="finite number"):
        monitoring.MonitoringResult.model_validate(
            {"version_id": str(uuid4()), "environment": "prod", "metrics": {"auc": "NaN"}}
        )
