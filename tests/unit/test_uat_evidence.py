"""UAT evidence decided by the domain, the opt-in Prod gate on it, and inspection at deploy."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.errors import (
    ArtifactError,
    GateError,
    InvalidArgumentError,
    InvalidStateError,
    NotAuthorizedError,
)
from domain.rules.policy import default_policy_document
from tests.unit.fakes import (
    FakeArtifactInspector,
    FakeArtifactStore,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    refused,
    topics,
)

EVIDENCE = "sha256:" + "c" * 64
INTEGRATION = {"rows": 300.0, "mismatches": 0.0}
PERFORMANCE = {"p50_ms": 2.0, "p99_ms": 9.5, "throughput_per_s": 4100.0}


def record(
    org: Organisation, version_id: UUID, kind: str, metrics: dict[str, float], **changes: Any
) -> bool:
    arguments: dict[str, Any] = {
        "actor": "dee",
        "version_id": version_id,
        "kind": kind,
        "metrics": metrics,
        "evidence_digest": EVIDENCE,
    }
    return org.app.record_uat_evidence(**{**arguments, **changes})


def require_uat_evidence(org: Organisation) -> None:
    document = default_policy_document()
    document["version"] = "uat-evidence"
    document["gates"]["prod"]["requires_uat_evidence"] = True
    org.app.set_policy(actor="root", document=document)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


@pytest.fixture
def in_uat(org: Organisation) -> UUID:
    version_id = org.released()
    org.deploy(version_id, "uat")
    return version_id


@pytest.mark.parametrize(
    ("kind", "metrics", "passed"),
    [
        ("integration", INTEGRATION, True),
        ("integration", {"rows": 300.0, "mismatches": 1.0}, False),
        ("integration", {"rows": 0.0, "mismatches": 0.0}, False),
        ("performance", PERFORMANCE, True),
        ("performance", {**PERFORMANCE, "p99_ms": 51.0}, False),
        ("performance", {**PERFORMANCE, "throughput_per_s": 150.0}, False),
    ],
)
def test_the_domain_decides_whether_a_check_passed(
    org: Organisation, in_uat: UUID, kind: str, metrics: dict[str, float], passed: bool
) -> None:
    assert record(org, in_uat, kind, metrics) is passed

    (evidence,) = org.app.get_model_version(in_uat).uat_evidence
    assert (evidence.kind, evidence.passed, evidence.evidence_digest) == (kind, passed, EVIDENCE)
    assert topics(org.app)[-1] == "UatEvidenceRecorded"


def test_the_policy_sets_the_uat_limits(org: Organisation, in_uat: UUID) -> None:
    document = default_policy_document()
    document["version"] = "slow-ok"
    document["uat"] = {"performance": {"p99_ms_max": 80.0}, "integration": {"max_mismatches": 2}}
    org.app.set_policy(actor="root", document=document)

    assert record(org, in_uat, "performance", {**PERFORMANCE, "p99_ms": 70.0})
    assert record(org, in_uat, "integration", {"rows": 10.0, "mismatches": 2.0})


def test_prod_needs_both_passed_checks_when_the_policy_asks(
    org: Organisation, in_uat: UUID
) -> None:
    require_uat_evidence(org)
    record(org, in_uat, "integration", INTEGRATION)
    record(org, in_uat, "performance", {**PERFORMANCE, "p99_ms": 99.0})

    with refused(org.app, GateError, "prod needs a passed performance UAT check of"):
        org.deploy(in_uat, "prod")

    record(org, in_uat, "performance", PERFORMANCE)
    org.deploy(in_uat, "prod")
    assert "prod" in org.app.get_model_version(in_uat).environments


def test_without_evidence_both_checks_are_named(org: Organisation, in_uat: UUID) -> None:
    require_uat_evidence(org)

    with refused(org.app, GateError, "a passed integration and a passed performance UAT check"):
        org.deploy(in_uat, "prod")


def test_by_default_prod_does_not_need_uat_evidence(org: Organisation) -> None:
    version_id = org.released()

    org.deploy(version_id, "prod")

    assert "prod" in org.app.get_model_version(version_id).environments


@pytest.mark.parametrize(
    ("kind", "metrics", "error", "match"),
    [
        ("security", INTEGRATION, InvalidArgumentError, "UAT check 'security' is not one of"),
        ("integration", {"rows": 3.0}, InvalidArgumentError, "missing: mismatches"),
        ("performance", {"p99_ms": float("nan")}, InvalidArgumentError, "p99_ms: nan is not"),
    ],
)
def test_malformed_evidence_is_refused(
    org: Organisation,
    in_uat: UUID,
    *,
    kind: str,
    metrics: dict[str, float],
    error: type[Exception],
    match: str,
) -> None:
    with refused(org.app, error, match):  # type: ignore[arg-type]
        record(org, in_uat, kind, metrics)


def test_evidence_needs_the_version_in_uat(org: Organisation) -> None:
    version_id = org.released()

    with refused(org.app, InvalidStateError, "is not deployed in uat"):
        record(org, version_id, "integration", INTEGRATION)


def test_only_a_deployer_records_uat_evidence(org: Organisation, in_uat: UUID) -> None:
    with refused(org.app, NotAuthorizedError, "'mon' may not record_uat_evidence"):
        record(org, in_uat, "integration", INTEGRATION, actor="mon")


def trained_artifact(
    new_organisation: NewOrganisation, artifact: bytes
) -> tuple[Organisation, UUID, FakeArtifactInspector]:
    """A validated, approved version whose stored artifact is ``artifact``."""
    store, inspector = FakeArtifactStore(), FakeArtifactInspector()
    org = new_organisation(artifacts=store, trainer=FakeTrainer(), inspector=inspector)
    version_id = org.train(org.register_model(), artifact=store.put(artifact))
    org.validate(version_id)
    org.approve(version_id)
    return org, version_id, inspector


def test_deploy_inspects_the_artifact(new_organisation: NewOrganisation) -> None:
    org, version_id, inspector = trained_artifact(new_organisation, b"model:weights")

    org.deploy(version_id, "dev")

    assert inspector.inspected == [b"model:weights"]


def test_a_crafted_artifact_is_a_recorded_refusal_at_deploy(
    new_organisation: NewOrganisation,
) -> None:
    org, version_id, _ = trained_artifact(new_organisation, b"model:untrusted")

    with refused(org.app, ArtifactError, "untrusted types: builtins.exec"):
        org.deploy(version_id, "dev")
    assert org.app.get_model_version(version_id).environments == set()


def test_a_tampered_artifact_is_refused_before_inspection(
    new_organisation: NewOrganisation,
) -> None:
    org, version_id, inspector = trained_artifact(new_organisation, b"model:weights")
    assert org.app.artifacts is not None
    digest = org.app.get_model_version(version_id).artifact_digest
    org.app.artifacts.tamper(digest, b"model:weights2")  # type: ignore[attr-defined]

    with refused(org.app, ArtifactError, "does not match its digest"):
        org.deploy(version_id, "dev")
    assert inspector.inspected == []
