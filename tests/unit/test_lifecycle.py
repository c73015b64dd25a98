"""The model lifecycle on in-memory persistence: inventory, training, validation, release."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import pytest

from domain.aggregates.model import Model
from domain.application import GovernanceApplication
from domain.commands.monitoring_windows import MONITORING_FINDING_DUE
from domain.errors import (
    DuplicateError,
    GateError,
    InvalidArgumentError,
    InvalidStateError,
    NotAuthorizedError,
)
from domain.rules.policy import default_policy_document, policy_digest
from domain.rules.roles import Role
from tests.unit.fakes import (
    ARTIFACT,
    EVIDENCE,
    FakeFairnessAssessor,
    NewOrganisation,
    Organisation,
    event_state,
    refused,
    topics,
)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


def test_a_model_owner_registers_a_model_in_the_inventory(org: Organisation) -> None:
    model_id = org.register_model(risk_tier="medium")

    model = org.app.get_model(model_id)
    assert model_id == Model.create_id("credit")
    assert (model.owner, model.risk_tier, model.status) == ("olga", "medium", "registered")
    assert model.restrictions == ["not for automated rejection"]


def test_a_model_name_is_registered_once_and_the_attempt_is_recorded(org: Organisation) -> None:
    org.register_model()

    with refused(org.app, DuplicateError, "model 'credit' is already registered"):
        org.register_model()


def test_a_risk_tier_outside_the_vocabulary_is_refused(org: Organisation) -> None:
    with refused(
        org.app, InvalidArgumentError, re.escape("'extreme' is not one of low | medium | high")
    ):
        org.register_model(risk_tier="extreme")


def test_a_trained_version_records_its_lineage_and_joins_the_inventory(
    org: Organisation,
) -> None:
    model_id = org.register_model()
    first = org.train(model_id)
    second = org.train(model_id, derived_from=first)

    version = org.app.get_model_version(second)
    assert (version.number, version.derived_from, version.developer) == (2, str(first), "dev")
    assert version.dataset_versions == ["credit-data:1"]
    assert version.metrics == {"auc": 0.81, "accuracy": 0.76}
    assert org.app.get_model(model_id).version_ids == [first, second]


def test_an_artifact_digest_must_be_a_sha256_digest(org: Organisation) -> None:
    """Finding 10: the refusal is recorded (it was not: the check ran outside the pipeline)."""
    model_id = org.register_model()

    with refused(org.app, InvalidArgumentError, "sha256:<64 lowercase hex digits>"):
        org.train(model_id, artifact="md5:abc")


def test_the_whole_lifecycle_reaches_prod_and_each_step_shows_in_the_status(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    statuses = [org.app.get_model_version(version_id).status]
    org.app.start_validation(actor="vera", version_id=version_id)
    statuses.append(org.app.get_model_version(version_id).status)
    org.conclude(version_id, "vera")
    statuses.append(org.app.get_model_version(version_id).status)
    org.approve(version_id)
    statuses.append(org.app.get_model_version(version_id).status)
    for environment in ("dev", "uat", "prod"):
        org.deploy(version_id, environment)
    statuses.append(org.app.get_model_version(version_id).status)
    org.app.roll_back(actor="dee", version_id=version_id, environment="prod")
    org.app.retire(actor="dee", version_id=version_id)
    statuses.append(org.app.get_model_version(version_id).status)

    assert statuses == [
        "trained",
        "in_validation",
        "validation_passed",
        "approved",
        "deployed",
        "retired",
    ]


Attempt = Callable[[Organisation, UUID, UUID], Any]

COMMANDS: dict[str, Attempt] = {
    "register_model": lambda o, v, f: o.app.register_model(
        actor="dev", name="m", purpose="p", intended_use="u", restrictions=[], risk_tier="low"
    ),
    "train_model_version": lambda o, v, f: o.train(
        o.app.get_model_version(v).model_id, actor="olga"
    ),
    "start_validation": lambda o, v, f: o.app.start_validation(actor="ann", version_id=v),
    "conclude_validation": lambda o, v, f: o.conclude(v, "dee"),
    "grant_approval": lambda o, v, f: o.approve(v, "vera"),
    "reject_approval": lambda o, v, f: o.reject(v, "dev"),
    "deploy": lambda o, v, f: o.app.deploy(
        actor="ann", version_id=v, environment="dev", artifact_digest=ARTIFACT
    ),
    "roll_back": lambda o, v, f: o.app.roll_back(actor="mon", version_id=v, environment="dev"),
    "retire": lambda o, v, f: o.app.retire(actor="olga", version_id=v),
    "record_monitoring_result": lambda o, v, f: o.app.record_monitoring_result(
        actor="dee", version_id=v, environment="dev", metrics={}
    ),
    "raise_finding": lambda o, v, f: o.app.raise_finding(
        actor="dev", version_id=v, severity="low", title="t", due="2025-03-31"
    ),
    "assign_finding": lambda o, v, f: o.app.assign_finding(
        actor="dee", finding_id=f, assignee="dev"
    ),
    "remediate_finding": lambda o, v, f: o.app.remediate_finding(
        actor="aud", finding_id=f, description="d", evidence_digests=[]
    ),
    "accept_risk": lambda o, v, f: o.app.accept_risk(**o.accept_risk_arguments("vera", f)),
    "close_finding": lambda o, v, f: o.app.close_finding(actor="dev", finding_id=f),
    "set_policy": lambda o, v, f: o.app.set_policy(
        actor="olga", document=default_policy_document()
    ),
    "register_key": lambda o, v, f: o.app.register_key(actor="ann", name="ann", public_key_pem="k"),
    "revoke_key": lambda o, v, f: o.app.revoke_key(actor="ann", name="ann", keyid=o.keyid("ann")),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_is_refused_to_a_role_that_may_not_issue_it_and_the_refusal_recorded(
    org: Organisation, command: str
) -> None:
    version_id = org.train(org.register_model())
    finding_id = org.raise_finding(version_id)

    with refused(org.app, NotAuthorizedError, f"may not {command}: it needs the role"):
        COMMANDS[command](org, version_id, finding_id)


def test_a_role_refusal_records_one_event_and_applies_nothing(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, NotAuthorizedError, "'aud' may not deploy"):
        org.app.deploy(
            actor="aud", version_id=version_id, environment="dev", artifact_digest=ARTIFACT
        )


def test_a_rejected_version_cannot_be_approved(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    org.reject(version_id, "ann")

    with refused(org.app, InvalidStateError, "version 1 was rejected: train a new version"):
        org.approve(version_id, "abe")
    assert org.app.get_model_version(version_id).status == "rejected"


def test_a_rejected_version_never_reaches_prod(org: Organisation) -> None:
    version_id = org.released()
    org.reject(version_id, "ann")

    with refused(org.app, InvalidStateError, "was rejected and may not reach prod"):
        org.deploy(version_id, "prod")


def test_a_version_without_a_passed_validation_cannot_be_approved(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, InvalidStateError, "needs a passed validation first"):
        org.approve(version_id, "ann")


def test_a_retired_version_cannot_be_deployed(org: Organisation) -> None:
    version_id = org.released()
    org.app.retire(actor="dee", version_id=version_id)

    with refused(org.app, InvalidStateError, "is retired and may not be deployed"):
        org.deploy(version_id, "dev")


def test_a_retired_version_cannot_be_retired_again(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.app.retire(actor="dee", version_id=version_id)

    with refused(org.app, InvalidStateError, "is retired and may not be retired again"):
        org.app.retire(actor="dee", version_id=version_id)


def test_rolling_back_needs_a_deployment(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, InvalidStateError, "version 1 is not deployed in dev"):
        org.app.roll_back(actor="dee", version_id=version_id, environment="dev")


def test_a_validation_runs_once_unless_it_failed(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id, outcome="failed")
    org.validate(version_id)

    with refused(org.app, InvalidStateError, "is already validation_passed"):
        org.app.start_validation(actor="vera", version_id=version_id)


def test_only_the_validator_who_started_concludes(org: Organisation) -> None:
    version_id = org.train(org.register_model())
    org.app.start_validation(actor="vera", version_id=version_id)

    with refused(org.app, InvalidStateError, "was started by 'vera', who must conclude it"):
        org.conclude(version_id, "max")


def test_a_validation_cannot_conclude_before_it_starts(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, InvalidStateError, "has no validation in progress"):
        org.conclude(version_id, "vera")


def test_a_finding_closes_only_after_remediation_or_risk_acceptance(org: Organisation) -> None:
    finding_id = org.raise_finding(org.train(org.register_model()))

    with refused(org.app, InvalidStateError, "remediate it or have an approver accept"):
        org.app.close_finding(actor="vera", finding_id=finding_id)


def test_a_closed_finding_takes_no_further_commands(org: Organisation) -> None:
    finding_id = org.raise_finding(org.train(org.register_model()))
    org.app.remediate_finding(
        actor="dev", finding_id=finding_id, description="fixed", evidence_digests=EVIDENCE
    )
    org.app.close_finding(actor="vera", finding_id=finding_id)

    with refused(org.app, InvalidStateError, "is closed: raise a new finding"):
        org.app.assign_finding(actor="olga", finding_id=finding_id, assignee="dev")
    assert org.app.get_finding(finding_id).status == "closed"


def test_a_risk_is_accepted_once(org: Organisation) -> None:
    finding_id = org.raise_finding(org.train(org.register_model()))
    org.app.accept_risk(**org.accept_risk_arguments("ann", finding_id))

    with refused(org.app, InvalidStateError, "was already accepted by 'ann'"):
        org.app.accept_risk(**org.accept_risk_arguments("abe", finding_id))


def test_a_breach_in_prod_raises_a_high_monitoring_finding(org: Organisation) -> None:
    version_id = org.released()
    org.deploy(version_id, "prod")

    before = org.clock.now()
    finding_id = org.app.record_monitoring_result(
        actor="mon",
        version_id=version_id,
        environment="prod",
        metrics={"disparate_impact": 0.7, "psi": 0.3, "quality_ratio": 0.9},
    )
    after = org.clock.now()

    assert finding_id is not None
    finding = org.app.get_finding(finding_id)
    assert (finding.severity, finding.source, finding.raised_by) == ("high", "monitoring", "mon")
    assert (
        finding.title
        == "monitoring breach in prod: disparate impact 0.7 < 0.8; PSI 0.3 >= 0.25 (drift)"
    )
    assert finding.due in {
        (moment + MONITORING_FINDING_DUE).date().isoformat() for moment in (before, after)
    }
    assert org.app.get_model_version(version_id).finding_ids == [finding_id]


def test_a_monitoring_finding_blocks_the_next_promotion_to_prod(org: Organisation) -> None:
    version_id = org.released()
    org.deploy(version_id, "prod")
    org.app.record_monitoring_result(
        actor="mon", version_id=version_id, environment="prod", metrics={"quality_ratio": 0.5}
    )
    org.app.roll_back(actor="dee", version_id=version_id, environment="prod")

    with refused(org.app, GateError, "blocked by open finding"):
        org.deploy(version_id, "prod")


def test_a_breach_outside_prod_is_recorded_without_a_finding(org: Organisation) -> None:
    version_id = org.released()
    org.deploy(version_id, "uat")

    finding_id = org.app.record_monitoring_result(
        actor="mon", version_id=version_id, environment="uat", metrics={"psi": 0.9}
    )

    assert finding_id is None
    assert org.app.get_model_version(version_id).monitoring_breaches == ["PSI 0.9 >= 0.25 (drift)"]
    assert topics(org.app)[-1] == "MonitoringRecorded"


def test_metrics_within_the_thresholds_raise_nothing_in_prod(org: Organisation) -> None:
    version_id = org.released()
    org.deploy(version_id, "prod")

    finding_id = org.app.record_monitoring_result(
        actor="mon",
        version_id=version_id,
        environment="prod",
        metrics={"disparate_impact": 0.9, "psi": 0.1, "quality_ratio": 0.95},
    )

    assert finding_id is None


def test_monitoring_a_version_where_it_does_not_run_is_refused(org: Organisation) -> None:
    version_id = org.released()

    with refused(org.app, InvalidStateError, "is not deployed in prod"):
        org.app.record_monitoring_result(
            actor="mon", version_id=version_id, environment="prod", metrics={"psi": 0.9}
        )


def test_an_admin_sets_the_policy_by_version_and_digest(org: Organisation) -> None:
    document = default_policy_document()
    document["version"] = "committee-2025"

    policy = org.app.set_policy(actor="root", document=document)

    assert org.app.current_policy() == policy
    assert (policy.version, policy.digest) == ("committee-2025", policy_digest(document))
    assert topics(org.app)[-2:] == ["Started", "PolicySet"]


def test_without_a_policy_set_the_defaults_govern(org: Organisation) -> None:
    assert org.app.current_policy().version == "default-1"


EVERY_EVENT = {
    "Registered",
    "Bound",
    "RoleGranted",
    "KeyRegistered",
    "KeyRevoked",
    "CommandRefused",
    "Started",
    "PolicySet",
    "VersionAdded",
    "Trained",
    "ValidationStarted",
    "ValidationConcluded",
    "ApprovalGranted",
    "ApprovalRejected",
    "Deployed",
    "RolledBack",
    "Retired",
    "FindingLinked",
    "MonitoringRecorded",
    "Raised",
    "Assigned",
    "Remediated",
    "RiskAccepted",
    "Closed",
    "WindowEvaluated",
    "Recorded",
}


@pytest.fixture
def monitored_org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation(fairness_assessor=FakeFairnessAssessor({"disparate_impact": 0.5}))


def test_every_lifecycle_event_survives_the_round_trip_through_its_stored_form(
    monitored_org: Organisation,
) -> None:
    org = monitored_org
    app = org.app
    app.grant_role(actor="root", name="aud", role=Role.VALIDATOR)
    app.set_policy(actor="root", document=default_policy_document())
    version_id = org.released()
    org.deploy(version_id, "prod")
    app.record_monitoring_result(
        actor="mon", version_id=version_id, environment="prod", metrics={"psi": 1.0}
    )
    monitor_id = app.register_monitor(
        actor="olga", version_id=version_id, kind="fairness", environment="prod"
    )
    app.evaluate_monitoring_window(
        actor="mon",
        monitor_id=monitor_id,
        start="2025-01-01T00:00:00+00:00",
        end="2025-01-08T00:00:00+00:00",
        predictions=[1.0, 0.0],
        groups=["a", "b"],
    )
    app.record_explanation(
        actor="mon",
        version_id=version_id,
        prediction_ref="batch-1/row-1",
        method="lime",
        parameters={"num_samples": 5000},
        seed=7,
        weights_digest=ARTIFACT,
        fidelity=0.9,
    )
    app.roll_back(actor="dee", version_id=version_id, environment="prod")
    finding_id = org.raise_finding(version_id)
    app.assign_finding(actor="olga", finding_id=finding_id, assignee="dev")
    app.remediate_finding(actor="dev", finding_id=finding_id, description="d", evidence_digests=[])
    app.accept_risk(**org.accept_risk_arguments("ann", finding_id))
    app.close_finding(actor="vera", finding_id=finding_id)
    org.reject(version_id, "abe")
    app.retire(actor="dee", version_id=version_id)
    app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))
    with refused(app, NotAuthorizedError, "'aud' may not retire"):
        app.retire(actor="aud", version_id=version_id)

    originals = list(app.recorder.select_notifications(start=None, limit=10_000))
    stored = [app.mapper.to_stored_event(app.mapper.to_domain_event(n)) for n in originals]

    assert [s.state for s in stored] == [event_state(o) for o in originals]
    assert [s.topic for s in stored] == [o.topic for o in originals]
    assert set(topics(app)) == EVERY_EVENT


def test_the_application_accepts_ports_as_keywords_and_defaults_the_clock(
    governance_env: Mapping[str, str],
) -> None:
    app = GovernanceApplication(env=governance_env)

    assert app.signatures is None
    assert app.clock.now().tzinfo is not None
    app.close()
