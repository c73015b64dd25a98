"""Bias mitigation through the mitigator port: a derived version and its before/after fairness."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import ArtifactError, InvalidArgumentError, InvalidStateError, NotAuthorizedError
from tests.unit.fakes import (
    CREDIT_DATA,
    FakeArtifactStore,
    FakeMitigator,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    refused,
    sha256,
    topics,
)


@pytest.fixture
def mitigator() -> FakeMitigator:
    return FakeMitigator(before={"disparate_impact": 0.61}, after={"disparate_impact": 0.88})


@pytest.fixture
def store() -> FakeArtifactStore:
    return FakeArtifactStore()


@pytest.fixture
def org(
    new_organisation: NewOrganisation, store: FakeArtifactStore, mitigator: FakeMitigator
) -> Organisation:
    return new_organisation(artifacts=store, trainer=FakeTrainer(), mitigator=mitigator)


def mitigate(org: Organisation, version_id: UUID, **changes: object) -> UUID:
    arguments: dict[str, object] = {
        "actor": "dev",
        "version_id": version_id,
        "sensitive_attribute": "sex",
        "method": "threshold_optimizer",
        "seed": 13,
        "code_version": "git:4567def",
        "environment": {"fairlearn": "0.15"},
    }
    return org.app.mitigate_model_version(**{**arguments, **changes})  # type: ignore[arg-type]


def test_mitigation_records_a_derived_version_with_fairness_before_and_after(
    org: Organisation, store: FakeArtifactStore, mitigator: FakeMitigator
) -> None:
    original = org.app.get_model_version(org.train_from_data())

    derived = org.app.get_model_version(mitigate(org, original.id))

    ((artifact, attribute, method, seed),) = mitigator.calls
    assert (sha256(artifact), attribute, method, seed) == (
        original.artifact_digest,
        "sex",
        "threshold_optimizer",
        13,
    )
    assert (derived.number, derived.model_id, derived.derived_from) == (
        2,
        original.model_id,
        str(original.id),
    )
    assert derived.training_spec == {
        **original.training_spec,
        "mitigation": {"method": "threshold_optimizer", "sensitive_attribute": "sex", "seed": 13},
    }
    assert store.get(derived.artifact_digest).startswith(b"mitigated:")
    assert derived.reference_digest == original.reference_digest
    assert derived.dataset_versions == original.dataset_versions
    assert derived.metrics == {"auc_roc": 0.79}
    assert derived.mitigation["before"] == {"disparate_impact": 0.61}
    assert derived.mitigation["after"] == {"disparate_impact": 0.88}
    assert derived.training_environment["fairlearn"] == "0.15"
    assert topics(org.app)[-3:] == ["VersionAdded", "Trained", "BiasMitigated"]


def test_the_derived_version_goes_through_validation_like_any_other(org: Organisation) -> None:
    derived = mitigate(org, org.train_from_data())

    org.validate(derived)

    assert org.app.get_model_version(derived).validation_passed


def test_an_attribute_that_is_not_protected_is_refused(
    org: Organisation, mitigator: FakeMitigator
) -> None:
    version_id = org.train_from_data()

    with refused(org.app, InvalidArgumentError, "'amount' is not a protected attribute"):
        mitigate(org, version_id, sensitive_attribute="amount")
    assert mitigator.calls == []


def test_a_method_the_mitigator_does_not_offer_is_a_recorded_refusal(org: Organisation) -> None:
    version_id = org.train_from_data()

    with refused(org.app, InvalidArgumentError, "mitigation method 'magic' is not one of"):
        mitigate(org, version_id, method="magic")


def test_only_a_model_developer_mitigates(org: Organisation, mitigator: FakeMitigator) -> None:
    version_id = org.train_from_data()

    with refused(org.app, NotAuthorizedError, "'vera' may not mitigate_model_version"):
        mitigate(org, version_id, actor="vera")
    assert mitigator.calls == []


def test_a_retired_version_is_not_mitigated(org: Organisation) -> None:
    version_id = org.train_from_data()
    org.app.retire(actor="dee", version_id=version_id)

    with refused(org.app, InvalidStateError, "is retired and may not be mitigated"):
        mitigate(org, version_id)


def test_the_data_is_checked_against_its_digest_first(
    org: Organisation, store: FakeArtifactStore, mitigator: FakeMitigator
) -> None:
    version_id = org.train_from_data()
    store.tamper(sha256(CREDIT_DATA), CREDIT_DATA + b"99,m,1,1\n")

    with refused(org.app, ArtifactError, "does not match its digest"):
        mitigate(org, version_id)
    assert mitigator.calls == []
