"""Finding 10: every command checks all its arguments before any side effect, and every refusal,
whatever its cause, is a recorded ``CommandRefused`` and a ``DomainError``.

Run on the in-memory store and on the signed SQLite store (``new_organisation``): the signed store
refuses what its canonical JSON cannot hold, so a value the domain lets through fails there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.aggregates.dataset import UNKNOWN_LICENSE, Dataset
from domain.application import GovernanceApplication
from domain.errors import (
    InvalidArgumentError,
    NotAuthorizedError,
    NotConfiguredError,
    NotFoundError,
    PortError,
)
from domain.rules.roles import Role
from tests.unit.fakes import (
    ARTIFACT,
    FakeArtifactStore,
    FakeExplainer,
    FakeScorer,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    refused,
    topics,
)


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


def add_version(org: Organisation, **changes: Any) -> int:
    """Add a version to the registered dataset ``credit-data``, with ``changes``."""
    arguments: dict[str, Any] = {
        "digest": "sha256:" + "d" * 64,
        "row_count": 1000,
        "columns": ["age", "amount", "good"],
        "protected_attributes": ["age"],
        "sensitivity": "confidential",
        "actor": "stu",
    }
    return org.app.add_dataset_version(Dataset.create_id("credit-data"), **(arguments | changes))


def register_dataset(org: Organisation) -> None:
    org.app.register_dataset(name="credit-data", description="loans", actor="stu")


def train(org: Organisation, **changes: Any) -> UUID:
    """Record a trained version of model ``credit`` (registered first if need be)."""
    model_id = changes.pop("model_id", None) or org.register_model()
    arguments: dict[str, Any] = {
        "actor": "dev",
        "model_id": model_id,
        "dataset_versions": ["credit-data:1"],
        "training_spec": {"algorithm": "logistic_regression", "C": 1.0, "seed": 7},
        "code_version": "git:0123abc",
        "environment": {"python": "3.11"},
        "artifact_digest": ARTIFACT,
        "metrics": {"auc": 0.81},
    }
    return org.app.train_model_version(**(arguments | changes))


# Administration


@pytest.mark.parametrize(
    "attempt",
    [
        lambda app: app.register_principal(actor="root", name="eve", roles=["overlord"]),
        lambda app: app.grant_role(actor="root", name="ann", role="overlord"),
        lambda app: app.revoke_role(actor="root", name="ann", role="overlord"),
    ],
    ids=["register_principal", "grant_role", "revoke_role"],
)
def test_finding_10_an_unknown_role_is_refused_and_recorded(
    org: Organisation, attempt: Callable[[GovernanceApplication], object]
) -> None:
    with refused(org.app, InvalidArgumentError, "role 'overlord' is not one of admin"):
        attempt(org.app)

    assert org.app.get_principal("ann").roles == {Role.APPROVER}


@pytest.mark.parametrize("name", ["", "\ud800", "a" * 1000])
def test_a_principal_name_must_be_a_short_text(org: Organisation, name: str) -> None:
    with refused(org.app, InvalidArgumentError, "principal name"):
        org.app.register_principal(actor="root", name=name, roles=[Role.AUDITOR])


def test_a_public_key_that_is_not_text_the_verifier_reads_is_refused(org: Organisation) -> None:
    with refused(org.app, InvalidArgumentError, "public key"):
        org.app.register_key(actor="root", name="ann", public_key_pem="")


def test_without_a_verifier_registering_a_key_is_a_configuration_error_not_a_refusal(
    governance_env: dict[str, str],
) -> None:
    """A missing port is the operator's configuration, not the actor's fault: nothing recorded."""
    app = GovernanceApplication(env=governance_env)
    app.bootstrap_admin("root")
    before = topics(app)

    with pytest.raises(NotConfiguredError, match="construct the application with signatures="):
        app.register_key(actor="root", name="root", public_key_pem="key")

    assert topics(app) == before
    app.close()


def test_finding_10_an_id_that_is_not_a_uuid_is_refused_and_recorded(org: Organisation) -> None:
    with refused(org.app, InvalidArgumentError, "'v-1' is not an id"):
        org.app.start_validation(actor="vera", version_id="v-1")  # type: ignore[arg-type]


# Datasets


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"digest": "not-a-digest"}, "dataset digest 'not-a-digest' is not sha256:"),
        ({"row_count": -5}, "row count -5 is not a whole number from 0"),
        ({"row_count": 2.5}, "row count 2.5 is not a whole number"),
        ({"row_count": True}, "row count True is not a whole number"),
        ({"row_count": 2**53}, "row count 9007199254740992 is not a whole number"),
        ({"sensitivity": "whatever"}, "sensitivity 'whatever' is not one of public"),
        ({"columns": []}, "a dataset version has at least one column"),
        ({"columns": ["age", "age"]}, "column 'age' is listed twice"),
        ({"protected_attributes": ["race"]}, "protected attribute 'race' is not a column"),
        ({"license": ""}, "licence '' is not a non-empty"),
        ({"license": "MIT\n"}, "licence .* is not a non-empty"),
    ],
)
def test_finding_10_a_malformed_dataset_version_is_refused_and_recorded(
    org: Organisation, changes: dict[str, Any], message: str
) -> None:
    register_dataset(org)

    with refused(org.app, InvalidArgumentError, message):
        add_version(org, **changes)

    assert org.app.get_dataset(Dataset.create_id("credit-data")).versions == []


def test_finding_10_a_dataset_version_records_its_licence(org: Organisation) -> None:
    register_dataset(org)
    add_version(org, license="CC-BY-4.0")

    version = org.app.get_dataset(Dataset.create_id("credit-data")).versions[0]
    assert version.license == "CC-BY-4.0"


def test_a_dataset_version_without_a_licence_says_it_is_unknown(org: Organisation) -> None:
    register_dataset(org)
    add_version(org)

    version = org.app.get_dataset(Dataset.create_id("credit-data")).versions[0]
    assert version.license == UNKNOWN_LICENSE


# Training


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"artifact_digest": "md5:abc"}, InvalidArgumentError, "sha256:<64 lowercase hex"),
        ({"model_id": uuid4()}, NotFoundError, "no model with id"),
        ({"derived_from": uuid4()}, NotFoundError, "no model version with id"),
        ({"metrics": {"auc": math.nan}}, InvalidArgumentError, "metric auc: nan is not finite"),
        ({"metrics": {"auc": "high"}}, InvalidArgumentError, "metric auc: 'high' is not a num"),
        ({"training_spec": {"seed": 2**60}}, InvalidArgumentError, "seed: 1152921504606846976"),
        ({"training_spec": {"seed": 2**40}}, InvalidArgumentError, "seed 1099511627776 is not"),
        ({"training_spec": {"seed": -1}}, InvalidArgumentError, "seed -1 is not a whole"),
        ({"training_spec": {"n": 2**53}}, InvalidArgumentError, "outside the exact integers"),
        ({"training_spec": {"x": math.inf}}, InvalidArgumentError, "inf is not finite"),
        ({"training_spec": {"x": "\udc80"}}, InvalidArgumentError, "lone surrogate"),
        ({"environment": {"python": 3.11}}, InvalidArgumentError, "environment python"),
        ({"code_version": ""}, InvalidArgumentError, "code version"),
    ],
)
def test_finding_10_a_malformed_training_record_is_refused_and_recorded(
    org: Organisation, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    model_id = org.register_model()
    with refused(org.app, error, message):  # type: ignore[arg-type]
        train(org, **({"model_id": model_id} | changes))

    assert org.app.get_model(model_id).version_ids == []


def test_finding_10_a_seed_out_of_range_is_refused_before_anything_is_trained(
    new_organisation: NewOrganisation,
) -> None:
    store, trainer = FakeArtifactStore(), FakeTrainer()
    org = new_organisation(artifacts=store, trainer=trainer)
    model_id = org.register_model()
    dataset_id = org.app.register_dataset(name="credit-data", description="x", actor="stu")
    org.app.add_dataset_version(
        dataset_id,
        digest=store.put(b"a,b\n1,2\n"),
        row_count=1,
        columns=["a", "b"],
        protected_attributes=[],
        sensitivity="internal",
        actor="stu",
    )
    stored_before = dict(store.blobs)

    with refused(org.app, InvalidArgumentError, "seed"):
        org.app.train_model_version_from_data(
            actor="dev",
            model_id=model_id,
            dataset_refs=[(dataset_id, 1)],
            training_spec={"algorithm": "lr", "seed": 2**60},
            code_version="git:1",
            environment={"python": "3.11"},
        )

    assert (trainer.calls, store.blobs) == ([], stored_before)


def test_finding_10_a_trainer_reporting_a_nan_metric_is_the_port_s_fault_and_stores_nothing(
    new_organisation: NewOrganisation,
) -> None:
    store, trainer = FakeArtifactStore(), FakeTrainer(metrics={"auc": math.nan})
    org = new_organisation(artifacts=store, trainer=trainer)
    model_id = org.register_model()
    dataset_id = org.app.register_dataset(name="credit-data", description="x", actor="stu")
    data_digest = store.put(b"a,b\n1,2\n")
    org.app.add_dataset_version(
        dataset_id,
        digest=data_digest,
        row_count=1,
        columns=["a", "b"],
        protected_attributes=[],
        sensitivity="internal",
        actor="stu",
    )
    before = topics(org.app)

    with pytest.raises(PortError, match="auc"):
        org.app.train_model_version_from_data(
            actor="dev",
            model_id=model_id,
            dataset_refs=[(dataset_id, 1)],
            training_spec={"seed": 7},
            code_version="git:1",
            environment={},
        )

    assert topics(org.app) == before
    assert list(store.blobs) == [data_digest]


def test_finding_10_numbers_come_back_with_their_types(org: Organisation) -> None:
    version_id = train(org, metrics={"auc": 1.0, "accuracy": 1})

    version = org.app.get_model_version(version_id)

    assert version.metrics == {"auc": 1.0, "accuracy": 1.0}
    assert all(type(value) is float for value in version.metrics.values())


def test_free_form_numbers_read_back_as_they_were_recorded(org: Organisation) -> None:
    """A JSON number has no int/float distinction (RFC 8785): the application shows the value it
    recorded, before and after storage alike."""
    version_id = train(org, training_spec={"C": 1.0, "tol": 0.5})

    assert org.app.get_model_version(version_id).training_spec == {"C": 1, "tol": 0.5}


# Explanations and monitoring


def test_finding_10_an_explanation_seed_out_of_range_is_refused_before_anything_runs(
    new_organisation: NewOrganisation,
) -> None:
    store, scorer, explainer = FakeArtifactStore(), FakeScorer(), FakeExplainer()
    org = new_organisation(artifacts=store, scorer=scorer, explainer=explainer)
    version_id = org.train(org.register_model(), artifact=store.put(b"model:v1"))
    stored_before = dict(store.blobs)

    with refused(org.app, InvalidArgumentError, "seed"):
        org.app.explain_prediction(
            actor="mon", version_id=version_id, prediction_ref="r1", row={"x": 1}, seed=2**60
        )

    assert (scorer.calls, explainer.calls, store.blobs) == ([], [], stored_before)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seed": -1}, "seed -1"),
        ({"fidelity": math.nan}, "fidelity"),
        ({"fidelity": "high"}, "fidelity"),
        ({"parameters": {"k": math.nan}}, "nan is not finite"),
        ({"weights_digest": "nope"}, "weights digest"),
    ],
)
def test_finding_10_a_malformed_explanation_is_refused_and_recorded(
    org: Organisation, changes: dict[str, Any], message: str
) -> None:
    version_id = org.train(org.register_model())
    arguments: dict[str, Any] = {
        "actor": "mon",
        "version_id": version_id,
        "prediction_ref": "r1",
        "method": "lime",
        "parameters": {"num_samples": 10},
        "seed": 1,
        "weights_digest": "sha256:" + "c" * 64,
        "fidelity": 0.9,
    }

    with refused(org.app, InvalidArgumentError, message):
        org.app.record_explanation(**(arguments | changes))


@pytest.mark.parametrize(
    ("metrics", "message"), [({"psi": math.nan}, "nan is not finite"), ({"psi": "x"}, "psi")]
)
def test_finding_10_a_malformed_monitoring_result_is_refused_and_recorded(
    org: Organisation, metrics: dict[str, Any], message: str
) -> None:
    version_id = org.train(org.register_model())
    org.deploy(version_id, "dev")

    with refused(org.app, InvalidArgumentError, message):
        org.app.record_monitoring_result(
            actor="mon", version_id=version_id, environment="dev", metrics=metrics
        )


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"psi_warn": math.nan}, "nan is not a finite number"),
        ({"psi_warn": 0.5}, "psi_warn: 0.5 is not below"),
        ({"disparate_impact_min": 2}, "disparate_impact_min: 2 is outside"),
    ],
)
def test_finding_10_threshold_overrides_keep_the_policy_invariants(
    org: Organisation, thresholds: dict[str, Any], message: str
) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, InvalidArgumentError, message):
        org.app.register_monitor(
            actor="olga",
            version_id=version_id,
            kind="drift",
            environment="prod",
            thresholds=thresholds,
        )


def test_finding_10_a_finding_title_that_cannot_be_stored_is_refused_and_recorded(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, InvalidArgumentError, "title"):
        org.app.raise_finding(
            actor="vera", version_id=version_id, severity="low", title="\ud800", due="2025-03-31"
        )


def test_an_actor_name_that_cannot_be_stored_is_still_refused_and_recorded(
    org: Organisation,
) -> None:
    with refused(org.app, NotAuthorizedError, "is not a registered principal"):
        org.app.register_dataset(name="x", description="x", actor="\ud800")
    with refused(org.app, NotAuthorizedError, "7 is not a registered principal"):
        org.app.register_dataset(name="x", description="x", actor=7)  # type: ignore[arg-type]
