"""Finding 10 / Build 5: whatever a caller passes, a command either succeeds or raises a
``DomainError`` that was recorded as a ``CommandRefused``, never a raw ``TypeError``,
``ValueError``, ``KeyError`` or ``AttributeError``, and never a store error after the fact.

Each command is called with one argument at a time replaced by a value of the wrong type or
one the ledger cannot record; on both stores (``new_organisation``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import DomainError, NotConfiguredError, PortError
from domain.rules.policy import default_policy_document
from tests.unit.fakes import (
    ARTIFACT,
    CREDIT_DATA,
    EVIDENCE,
    OTHER_ARTIFACT,
    FakeArtifactStore,
    FakeExplainer,
    FakeFairnessAssessor,
    FakeMitigator,
    FakeModelAssessor,
    FakeNotifier,
    FakeScorer,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    fake_key,
    topics,
)

JUNK: list[object] = [
    None,
    7,
    2**60,
    1.5,
    math.nan,
    True,
    "",
    "\ud800",
    [],
    ["\udc80"],
    {},
    {"x": math.inf},
    b"bytes",
    uuid4(),
]


def subjects(org: Organisation) -> dict[str, UUID]:
    """A dataset, a model, a validated version and a finding to aim the commands at."""
    dataset_id = org.app.register_dataset(name="credit-data", description="d", actor="stu")
    model_id = org.register_model()
    version_id = org.train(model_id)
    org.validate(version_id)
    finding_id = org.raise_finding(version_id)
    return {"dataset": dataset_id, "model": model_id, "version": version_id, "finding": finding_id}


Command = Callable[[Organisation, dict[str, UUID]], tuple[Callable[..., Any], dict[str, Any]]]

COMMANDS: dict[str, Command] = {
    "register_principal": lambda o, s: (
        o.app.register_principal,
        {"actor": "root", "name": "eve", "roles": ["auditor"]},
    ),
    "grant_role": lambda o, s: (
        o.app.grant_role,
        {"actor": "root", "name": "ann", "role": "auditor"},
    ),
    "register_key": lambda o, s: (
        o.app.register_key,
        {"actor": "root", "name": "ann", "public_key_pem": fake_key("ann", 2)},
    ),
    "revoke_key": lambda o, s: (
        o.app.revoke_key,
        {"actor": "root", "name": "ann", "keyid": o.keyid("ann")},
    ),
    "set_policy": lambda o, s: (
        o.app.set_policy,
        {"actor": "root", "document": default_policy_document()},
    ),
    "register_dataset": lambda o, s: (
        o.app.register_dataset,
        {"actor": "stu", "name": "other", "description": "d"},
    ),
    "add_dataset_version": lambda o, s: (
        o.app.add_dataset_version,
        {
            "dataset_id": s["dataset"],
            "digest": "sha256:" + "d" * 64,
            "row_count": 3,
            "columns": ["a", "b"],
            "protected_attributes": ["a"],
            "sensitivity": "internal",
            "license": "MIT",
            "schema": {"a": {"type": "integer"}},
            "actor": "stu",
        },
    ),
    "register_model": lambda o, s: (
        o.app.register_model,
        {
            "actor": "olga",
            "name": "fraud",
            "purpose": "p",
            "intended_use": "u",
            "restrictions": ["r"],
            "risk_tier": "low",
            "owner": "olga",
        },
    ),
    "train_model_version": lambda o, s: (
        o.app.train_model_version,
        {
            "actor": "dev",
            "model_id": s["model"],
            "dataset_versions": ["credit-data:1"],
            "training_spec": {"seed": 1},
            "code_version": "git:1",
            "environment": {"python": "3.11"},
            "artifact_digest": ARTIFACT,
            "metrics": {"auc": 0.8},
            "derived_from": s["version"],
        },
    ),
    "grant_approval": lambda o, s: (o.app.grant_approval, o.decision("ann", s["version"])),
    "deploy": lambda o, s: (
        o.app.deploy,
        {
            "actor": "dee",
            "version_id": s["version"],
            "environment": "dev",
            "artifact_digest": ARTIFACT,
        },
    ),
    "record_monitoring_result": lambda o, s: (
        o.app.record_monitoring_result,
        {"actor": "mon", "version_id": s["version"], "environment": "dev", "metrics": {"psi": 0.1}},
    ),
    "register_monitor": lambda o, s: (
        o.app.register_monitor,
        {
            "actor": "olga",
            "version_id": s["version"],
            "kind": "drift",
            "environment": "prod",
            "thresholds": {"psi_drift": 0.3},
        },
    ),
    "raise_finding": lambda o, s: (
        o.app.raise_finding,
        {
            "actor": "vera",
            "version_id": s["version"],
            "severity": "low",
            "title": "t",
            "due": "2025-03-31",
            "source": "person",
        },
    ),
    "assign_finding": lambda o, s: (
        o.app.assign_finding,
        {"actor": "olga", "finding_id": s["finding"], "assignee": "dev"},
    ),
    "remediate_finding": lambda o, s: (
        o.app.remediate_finding,
        {
            "actor": "dev",
            "finding_id": s["finding"],
            "description": "d",
            "evidence_digests": EVIDENCE,
        },
    ),
    "accept_risk": lambda o, s: (
        o.app.accept_risk,
        o.accept_risk_arguments("ann", s["finding"]),
    ),
    "record_explanation": lambda o, s: (
        o.app.record_explanation,
        {
            "actor": "mon",
            "version_id": s["version"],
            "prediction_ref": "r",
            "method": "lime",
            "parameters": {"k": 1},
            "seed": 1,
            "weights_digest": "sha256:" + "c" * 64,
            "fidelity": 0.5,
        },
    ),
}


PORTED: dict[str, Command] = {
    "revoke_role": lambda o, s: (
        o.app.revoke_role,
        {"actor": "root", "name": "ann", "role": "approver"},
    ),
    "start_validation": lambda o, s: (
        o.app.start_validation,
        {"actor": "vera", "version_id": o.train(s["model"], artifact=OTHER_ARTIFACT)},
    ),
    "conclude_validation": lambda o, s: (
        o.app.conclude_validation,
        conclusion_arguments(o, s["model"]),
    ),
    "reject_approval": lambda o, s: (
        o.app.reject_approval,
        o.decision("abe", s["version"], granted=False),
    ),
    "roll_back": lambda o, s: (
        o.app.roll_back,
        {"actor": "dee", "version_id": s["version"], "environment": "dev"},
    ),
    "retire": lambda o, s: (o.app.retire, {"actor": "dee", "version_id": s["version"]}),
    "close_finding": lambda o, s: (
        o.app.close_finding,
        {"actor": "vera", "finding_id": s["finding"]},
    ),
    "evaluate_monitoring_window": lambda o, s: (
        o.app.evaluate_monitoring_window,
        {
            "actor": "mon",
            "monitor_id": s["monitor"],
            "start": "2025-01-01T00:00:00+00:00",
            "end": "2025-01-08T00:00:00+00:00",
            "predictions": [0.2, 0.9],
            "groups": ["a", "b"],
        },
    ),
    "explain_prediction": lambda o, s: (
        o.app.explain_prediction,
        {
            "actor": "mon",
            "version_id": s["stored_version"],
            "prediction_ref": "r",
            "row": {"x": 1},
            "seed": 3,
        },
    ),
    "train_model_version_from_data": lambda o, s: (
        o.app.train_model_version_from_data,
        {
            "actor": "dev",
            "model_id": s["model"],
            "dataset_refs": [(s["dataset"], 1)],
            "training_spec": {"seed": 1},
            "code_version": "git:1",
            "environment": {"python": "3.11"},
        },
    ),
    "assess_model_version": lambda o, s: (
        o.app.assess_model_version,
        {"actor": "vera", "version_id": s["trained"], "seed": 3},
    ),
    "mitigate_model_version": lambda o, s: (
        o.app.mitigate_model_version,
        {
            "actor": "dev",
            "version_id": s["trained"],
            "sensitive_attribute": "sex",
            "method": "threshold_optimizer",
            "seed": 5,
            "code_version": "git:2",
            "environment": {"fairlearn": "0.15"},
        },
    ),
    "seal_prediction_segment": lambda o, s: (
        o.app.seal_prediction_segment,
        {
            "actor": "mon",
            "version_id": s["version"],
            "environment": "dev",
            "kind": "prediction",
            "sequence": 1,
            "digest": "sha256:" + "1" * 64,
            "record_count": 2,
            "first_id": "p-1",
            "last_id": "p-2",
            "start": "2025-01-01T00:00:00+00:00",
            "end": "2025-01-01T00:01:00+00:00",
            "merkle_root": "ab" * 32,
            "summary_digest": "sha256:" + "2" * 64,
        },
    ),
    "record_monitoring_window": lambda o, s: (
        o.app.record_monitoring_window,
        {
            "actor": "mon",
            "version_id": s["version"],
            "environment": "dev",
            "start": "2025-01-01T00:00:00+00:00",
            "end": "2025-01-08T00:00:00+00:00",
            "metrics": {"dataset_drift_share": 0.6, "disparate_impact.sex": 0.5},
            "segments": [],
        },
    ),
    "record_uat_evidence": lambda o, s: (
        o.app.record_uat_evidence,
        {
            "actor": "dee",
            "version_id": s["version"],
            "kind": "integration",
            "metrics": {"rows": 10, "mismatches": 0},
            "evidence_digest": "sha256:" + "3" * 64,
        },
    ),
}


def conclusion_arguments(org: Organisation, model_id: UUID) -> dict[str, Any]:
    """A validation conclusion, signed by vera, of a new version she started validating."""
    artifact = "sha256:" + "c" * 64
    version_id = org.train(model_id, artifact=artifact)
    org.app.start_validation(actor="vera", version_id=version_id)
    statement = org.statement(
        "vera", "conclude_validation", version_id, outcome="passed", artifact_digest=artifact
    )
    return {
        "actor": "vera",
        "version_id": version_id,
        "outcome": "passed",
        "evidence_digests": EVIDENCE,
        **org.signed("vera", statement),
    }


def with_ports(new_organisation: NewOrganisation) -> tuple[Organisation, dict[str, UUID]]:
    """An organisation with every port faked, a deployed monitor, stored data and artifact."""
    store = FakeArtifactStore()
    org = new_organisation(
        artifacts=store,
        trainer=FakeTrainer(),
        scorer=FakeScorer(),
        explainer=FakeExplainer(),
        fairness_assessor=FakeFairnessAssessor({"disparate_impact": 0.9}),
        assessor=FakeModelAssessor(),
        mitigator=FakeMitigator(),
        notifier=FakeNotifier(),
    )
    targets = subjects(org)
    org.app.add_dataset_version(
        targets["dataset"],
        digest=store.put(b"a\n1\n"),
        row_count=1,
        columns=["a"],
        protected_attributes=[],
        sensitivity="internal",
        actor="stu",
    )
    org.deploy(targets["version"], "dev")
    org.deploy(targets["version"], "uat")
    targets["trained"] = trained_from_data(org, store, targets["model"])
    targets["monitor"] = org.app.register_monitor(
        actor="olga", version_id=targets["version"], kind="fairness", environment="dev"
    )
    targets["stored_version"] = org.train(targets["model"], artifact=store.put(b"model:1"))
    return org, targets


def trained_from_data(org: Organisation, store: FakeArtifactStore, model_id: UUID) -> UUID:
    """A version trained on data with protected attributes, under validation by vera."""
    dataset_id = org.app.register_dataset(name="applications", description="d", actor="stu")
    org.app.add_dataset_version(
        dataset_id,
        digest=store.put(CREDIT_DATA),
        row_count=3,
        columns=["age", "sex", "amount", "default"],
        protected_attributes=["sex", "age"],
        sensitivity="internal",
        actor="stu",
    )
    version_id = org.app.train_model_version_from_data(
        actor="dev",
        model_id=model_id,
        dataset_refs=[(dataset_id, 1)],
        training_spec={"seed": 1},
        code_version="git:1",
        environment={},
    )
    org.app.start_validation(actor="vera", version_id=version_id)
    return version_id


def attempt_everything(org: Organisation, command: Any, arguments: dict[str, Any]) -> list[str]:
    """Call ``command`` with each argument but the actor replaced by each junk value in turn;
    describe every outcome that is neither a success nor a recorded DomainError."""
    escaped: list[str] = []
    for argument in [a for a in arguments if a != "actor"]:
        for junk in JUNK:
            before = topics(org.app)
            try:
                command(**(arguments | {argument: junk}))
            except (PortError, NotConfiguredError) as error:
                escaped.append(f"{argument}={junk!r}: not the actor's refusal: {error!r}")
            except DomainError:
                if topics(org.app) != [*before, "CommandRefused"]:
                    escaped.append(f"{argument}={junk!r}: refused without its CommandRefused")
            except Exception as error:
                escaped.append(f"{argument}={junk!r}: {type(error).__name__}: {error}")
    return escaped


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_finding_10_any_argument_is_either_accepted_or_a_recorded_domain_refusal(
    new_organisation: NewOrganisation, name: str
) -> None:
    org = new_organisation()
    command, arguments = COMMANDS[name](org, subjects(org))

    assert attempt_everything(org, command, arguments) == []


@pytest.mark.parametrize("name", sorted(PORTED))
def test_finding_10_commands_using_ports_take_any_argument_as_a_success_or_a_refusal(
    new_organisation: NewOrganisation, name: str
) -> None:
    org, targets = with_ports(new_organisation)
    command, arguments = PORTED[name](org, targets)

    assert attempt_everything(org, command, arguments) == []
