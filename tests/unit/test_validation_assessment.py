"""The validator's assessment through the assessor port: numbers recorded, breaches as findings."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import (
    ArtifactError,
    InvalidStateError,
    NotAuthorizedError,
    NotConfiguredError,
    PortError,
)
from domain.rules.policy import default_policy_document
from tests.unit.fakes import (
    CREDIT_DATA,
    FakeArtifactStore,
    FakeModelAssessor,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    refused,
    sha256,
    topics,
)

UNFAIR = {"sex": {"disparate_impact": 0.62, "equalized_odds_difference": 0.31}}


@pytest.fixture
def store() -> FakeArtifactStore:
    return FakeArtifactStore()


def organisation(
    new_organisation: NewOrganisation, store: FakeArtifactStore, assessor: FakeModelAssessor
) -> Organisation:
    return new_organisation(artifacts=store, trainer=FakeTrainer(), assessor=assessor)


def under_validation(org: Organisation) -> UUID:
    version_id = org.train_from_data()
    org.app.start_validation(actor="vera", version_id=version_id)
    return version_id


def test_an_assessment_records_its_numbers_on_the_report_it_stored(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    assessor = FakeModelAssessor()
    org = organisation(new_organisation, store, assessor)
    version_id = under_validation(org)
    version = org.app.get_model_version(version_id)

    outcome = org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)

    ((artifact, data, spec, protected, seed),) = assessor.calls
    assert (sha256(artifact), data, spec) == (
        version.artifact_digest,
        [CREDIT_DATA],
        version.training_spec,
    )
    assert (protected, seed) == (["sex", "age"], 3)
    assert outcome.breaches == []
    assert outcome.finding_ids == []
    assert sha256(store.get(outcome.report_digest)) == outcome.report_digest
    assert topics(org.app)[-3:] == [
        "ValidationMetricsRecorded",
        "FairnessAssessed",
        "ExplainabilityAssessed",
    ]
    assert org.app.get_model_version(version_id).assessment_reports == [outcome.report_digest]


def test_each_breach_of_the_validation_policy_raises_a_finding_of_its_severity(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    assessor = FakeModelAssessor(
        quality={"auc_roc": 0.65}, fairness=UNFAIR, explainability={"fidelity_mean": 0.4}
    )
    org = organisation(new_organisation, store, assessor)
    version_id = under_validation(org)

    outcome = org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)

    findings = org.app.findings_of(org.app.get_model_version(version_id))
    assert [f.id for f in findings] == outcome.finding_ids
    assert [(f.severity, f.source) for f in findings] == [
        ("high", "validation"),
        ("high", "validation"),
        ("high", "validation"),
        ("medium", "validation"),
    ]
    assert outcome.breaches == [
        "AUC-ROC 0.65 < 0.7",
        "disparate impact of sex 0.62 < 0.8",
        "equalized odds difference of sex 0.31 > 0.2",
        "explanation fidelity 0.4 < 0.5",
    ]


def test_the_policy_sets_the_validation_thresholds(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = organisation(new_organisation, store, FakeModelAssessor(fairness=UNFAIR))
    document = default_policy_document()
    document["version"] = "lenient"
    document["validation"] = {"disparate_impact_min": 0.6, "equalized_odds_difference_max": 0.4}
    org.app.set_policy(actor="root", document=document)
    version_id = under_validation(org)

    outcome = org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)

    assert outcome.breaches == []


def test_the_validator_then_concludes_on_the_report(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = organisation(new_organisation, store, FakeModelAssessor())
    version_id = under_validation(org)
    report = org.app.assess_model_version(actor="vera", version_id=version_id, seed=3).report_digest

    org.conclude(version_id, "vera")

    assert org.app.get_model_version(version_id).validation_passed
    assert report in org.app.get_model_version(version_id).assessment_reports


@pytest.mark.parametrize(
    ("actor", "error", "match"),
    [
        ("dev", NotAuthorizedError, "'dev' may not assess_model_version"),
        ("max", InvalidStateError, "was started by 'vera', who must conclude it"),
    ],
)
def test_only_the_validator_of_the_open_validation_assesses(
    new_organisation: NewOrganisation,
    store: FakeArtifactStore,
    actor: str,
    error: type[Exception],
    match: str,
) -> None:
    assessor = FakeModelAssessor()
    org = organisation(new_organisation, store, assessor)
    version_id = under_validation(org)

    with refused(org.app, error, match):  # type: ignore[arg-type]
        org.app.assess_model_version(actor=actor, version_id=version_id, seed=3)
    assert assessor.calls == []


def test_a_version_not_under_validation_is_not_assessed(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = organisation(new_organisation, store, FakeModelAssessor())
    version_id = org.train_from_data()

    with refused(org.app, InvalidStateError, "has no validation in progress"):
        org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)


def test_a_tampered_artifact_is_refused_before_the_assessor_runs(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    assessor = FakeModelAssessor()
    org = organisation(new_organisation, store, assessor)
    version_id = under_validation(org)
    store.tamper(org.app.get_model_version(version_id).artifact_digest, b"model:untrusted")

    with refused(org.app, ArtifactError, "does not match its digest"):
        org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)
    assert assessor.calls == []


def test_a_version_recorded_without_registered_data_cannot_be_assessed(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = organisation(new_organisation, store, FakeModelAssessor())
    version_id = org.train(org.register_model())
    org.app.start_validation(actor="vera", version_id=version_id)

    with refused(org.app, InvalidStateError, "not trained from dataset versions registered"):
        org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)


def test_an_assessor_answering_nan_is_its_fault_and_nothing_is_recorded(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = organisation(
        new_organisation, store, FakeModelAssessor(quality={"auc_roc": float("nan")})
    )
    version_id = under_validation(org)
    before = topics(org.app)

    with pytest.raises(PortError, match="quality metric auc_roc"):
        org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)
    assert topics(org.app) == before


def test_assessing_without_an_assessor_is_a_configuration_error(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = new_organisation(artifacts=store, trainer=FakeTrainer())
    version_id = under_validation(org)

    with pytest.raises(NotConfiguredError, match="assessor="):
        org.app.assess_model_version(actor="vera", version_id=version_id, seed=3)
