"""Training a version through the trainer and artifact store ports, on in-memory persistence."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.aggregates.model import Model
from domain.errors import (
    ArtifactError,
    InvalidArgumentError,
    NotAuthorizedError,
    NotConfiguredError,
    NotFoundError,
    PortError,
)
from tests.unit.fakes import (
    FAKE_ENVIRONMENT,
    FakeArtifactStore,
    FakeTrainer,
    NewOrganisation,
    Organisation,
    refused,
    sha256,
    topics,
)

DATA = b"income,age,default\n52000,41,0\n18000,23,1\n"
SPEC: dict[str, str | int | float] = {"algorithm": "logistic_regression", "C": 1.0, "seed": 7}


@pytest.fixture
def store() -> FakeArtifactStore:
    return FakeArtifactStore()


@pytest.fixture
def trainer() -> FakeTrainer:
    return FakeTrainer(metrics={"auc": 0.84})


@pytest.fixture
def org(
    new_organisation: NewOrganisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> Organisation:
    organisation = new_organisation(artifacts=store, trainer=trainer)
    organisation.register_model()
    return organisation


def add_dataset(org: Organisation, digest: str, name: str = "credit-data") -> UUID:
    """A dataset with one version of content ``digest``, added by the data steward."""
    dataset_id = org.app.register_dataset(name=name, description="loan book", actor="stu")
    org.app.add_dataset_version(
        dataset_id,
        digest=digest,
        row_count=2,
        columns=["income", "age", "default"],
        protected_attributes=["age"],
        sensitivity="confidential",
        actor="stu",
    )
    return dataset_id


def train_from(org: Organisation, *refs: tuple[UUID, int], actor: str = "dev") -> UUID:
    """Train a version of the registered model ``credit`` on ``refs``."""
    return org.app.train_model_version_from_data(
        actor=actor,
        model_id=Model.create_id("credit"),
        dataset_refs=list(refs),
        training_spec=SPEC,
        code_version="git:0123abc",
        environment={"python": "3.11"},
    )


def test_training_from_data_records_the_stored_artifact_and_the_trainers_metrics(
    org: Organisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> None:
    dataset_id = add_dataset(org, store.put(DATA))

    version = org.app.get_model_version(train_from(org, (dataset_id, 1)))

    assert trainer.calls == [([DATA], SPEC)]
    artifact = FakeTrainer.artifact_for([DATA], SPEC)
    assert version.artifact_digest == sha256(artifact)
    assert store.get(version.artifact_digest) == artifact
    assert version.metrics == {"auc": 0.84}
    reference = FakeTrainer.reference_for([DATA])
    assert version.reference_digest == sha256(reference)
    assert store.get(version.reference_digest) == reference
    assert version.training_environment == {"python": "3.11", **FAKE_ENVIRONMENT}
    assert version.dataset_versions == [
        {"dataset": "credit-data", "version": 1, "digest": sha256(DATA)}
    ]
    assert (version.training_spec, version.developer) == (SPEC, "dev")
    assert topics(org.app)[-2:] == ["VersionAdded", "Trained"]


def test_training_on_data_missing_from_the_store_is_refused(
    org: Organisation, trainer: FakeTrainer
) -> None:
    dataset_id = add_dataset(org, sha256(DATA))

    with refused(org.app, ArtifactError, "version 1 of dataset 'credit-data' .* is not in the"):
        train_from(org, (dataset_id, 1))
    assert trainer.calls == []


def test_training_on_data_altered_in_the_store_is_refused(
    org: Organisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> None:
    digest = store.put(DATA)
    dataset_id = add_dataset(org, digest)
    store.tamper(digest, DATA.replace(b"18000", b"81000"))

    with refused(org.app, ArtifactError, "does not match its digest"):
        train_from(org, (dataset_id, 1))
    assert trainer.calls == []


def test_training_on_a_dataset_version_that_does_not_exist_is_refused_and_recorded(
    org: Organisation, store: FakeArtifactStore
) -> None:
    dataset_id = add_dataset(org, store.put(DATA))
    with refused(org.app, NotFoundError, "dataset 'credit-data' has no version 2"):
        train_from(org, (dataset_id, 2))


@pytest.mark.parametrize(
    ("ports", "argument"),
    [({"trainer": FakeTrainer()}, "artifacts"), ({"artifacts": FakeArtifactStore()}, "trainer")],
)
def test_training_from_data_without_a_port_is_a_configuration_error_not_a_refusal(
    ports: dict[str, FakeTrainer | FakeArtifactStore],
    argument: str,
    new_organisation: NewOrganisation,
) -> None:
    """A missing port is the operator's configuration, not the actor's fault: not recorded."""
    org = new_organisation(**ports)
    model_id = org.register_model()
    before = topics(org.app)

    with pytest.raises(NotConfiguredError, match=f"construct the application with {argument}="):
        org.app.train_model_version_from_data(
            actor="dev",
            model_id=model_id,
            dataset_refs=[],
            training_spec=SPEC,
            code_version="git:0123abc",
            environment={},
        )
    assert topics(org.app) == before


def test_only_a_model_developer_trains_from_data(
    org: Organisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> None:
    dataset_id = add_dataset(org, store.put(DATA))

    with refused(org.app, NotAuthorizedError, "'olga' may not train_model_version"):
        train_from(org, (dataset_id, 1), actor="olga")
    assert trainer.calls == []


def test_a_spec_the_trainer_refuses_is_a_recorded_refusal_before_any_data_is_read(
    org: Organisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> None:
    dataset_id = add_dataset(org, store.put(DATA))
    blobs = dict(store.blobs)

    with refused(org.app, InvalidArgumentError, "algorithm 'os.system' is not one of"):
        org.app.train_model_version_from_data(
            actor="dev",
            model_id=Model.create_id("credit"),
            dataset_refs=[(dataset_id, 1)],
            training_spec={"algorithm": "os.system", "seed": 7},
            code_version="git:0123abc",
            environment={},
        )
    assert trainer.calls == []
    assert store.blobs == blobs


def test_a_nested_training_spec_is_recorded_as_given(
    org: Organisation, store: FakeArtifactStore, trainer: FakeTrainer
) -> None:
    dataset_id = add_dataset(org, store.put(DATA))
    spec = {
        "estimator": {"name": "logistic_regression", "parameters": {"C": 0.5}},
        "features": {"numeric": ["income", "age"], "categorical": []},
        "split": {"holdout": 0.25},
        "target": "default",
        "seed": 11,
    }

    version_id = org.app.train_model_version_from_data(
        actor="dev",
        model_id=Model.create_id("credit"),
        dataset_refs=[(dataset_id, 1)],
        training_spec=spec,
        code_version="git:0123abc",
        environment={},
    )

    assert org.app.get_model_version(version_id).training_spec == spec
    assert trainer.calls == [([DATA], spec)]


def test_a_trainer_environment_that_is_not_text_is_the_adapters_fault_not_recorded(
    new_organisation: NewOrganisation, store: FakeArtifactStore
) -> None:
    org = new_organisation(
        artifacts=store,
        trainer=FakeTrainer(environment={"threads": 4}),  # type: ignore[dict-item]
    )
    model_id = org.register_model()
    dataset_id = add_dataset(org, store.put(DATA))
    before = topics(org.app)

    with pytest.raises(PortError, match="environment threads"):
        train_from(org, (dataset_id, 1))
    assert topics(org.app) == before
    assert org.app.get_model(model_id).version_ids == []
