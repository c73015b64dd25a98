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

from domain.dataset import Dataset
from domain.errors import DomainError, NotConfiguredError, PortError
from domain.policy import default_policy_document
from tests.unit.fakes import ARTIFACT, EVIDENCE, NewOrganisation, Organisation, fake_key, topics

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


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_finding_10_any_argument_is_either_accepted_or_a_recorded_domain_refusal(
    new_organisation: NewOrganisation, name: str
) -> None:
    org = new_organisation()
    targets = subjects(org)
    command, arguments = COMMANDS[name](org, targets)
    raw: list[str] = []
    for argument in [a for a in arguments if a != "actor"]:
        for junk in JUNK:
            before = topics(org.app)
            try:
                command(**(arguments | {argument: junk}))
            except (PortError, NotConfiguredError) as error:
                raw.append(f"{argument}={junk!r}: not the actor's refusal: {error!r}")
            except DomainError:
                if topics(org.app) != [*before, "CommandRefused"]:
                    raw.append(f"{argument}={junk!r}: refused without its CommandRefused")
            except Exception as error:
                raw.append(f"{argument}={junk!r}: {type(error).__name__}: {error}")

    assert raw == []
    assert org.app.get_dataset(Dataset.create_id("credit-data")).name == "credit-data"
