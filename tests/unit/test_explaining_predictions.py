"""Explaining a prediction through the scorer, explainer and artifact store ports."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from domain.commands.explanations import PREDICTED_SCORE
from domain.errors import (
    ArtifactError,
    NotAuthorizedError,
    NotConfiguredError,
    PortError,
)
from tests.unit.fakes import (
    FakeArtifactStore,
    FakeExplainer,
    FakeScorer,
    NewOrganisation,
    Organisation,
    refused,
    topics,
)

MODEL = b"model:credit-v1"
ROW = {"income": 52000, "age": 41}


@pytest.fixture
def store() -> FakeArtifactStore:
    return FakeArtifactStore()


@pytest.fixture
def scorer() -> FakeScorer:
    return FakeScorer(score=0.73)


@pytest.fixture
def explainer() -> FakeExplainer:
    return FakeExplainer()


@pytest.fixture
def org(
    new_organisation: NewOrganisation,
    store: FakeArtifactStore,
    scorer: FakeScorer,
    explainer: FakeExplainer,
) -> Organisation:
    return new_organisation(artifacts=store, scorer=scorer, explainer=explainer)


def trained(org: Organisation, store: FakeArtifactStore) -> UUID:
    """A version whose artifact is ``MODEL``, in the store."""
    return org.train(org.register_model(), artifact=store.put(MODEL))


def explain(org: Organisation, version_id: UUID, actor: str = "mon") -> UUID:
    return org.app.explain_prediction(
        actor=actor, version_id=version_id, prediction_ref="batch-7/row-12", row=ROW, seed=42
    )


def test_an_explanation_made_by_the_ports_is_recorded_with_its_stored_weights(
    org: Organisation, store: FakeArtifactStore, scorer: FakeScorer, explainer: FakeExplainer
) -> None:
    version_id = trained(org, store)

    explanation = org.app.get_explanation(explain(org, version_id))

    assert scorer.calls == [(MODEL, [ROW])]
    assert explainer.calls == [(MODEL, ROW, 42)]
    assert json.loads(store.get(explanation.weights_digest)) == {"income": 0.42, "age": -0.13}
    assert (explanation.model_version_id, explanation.prediction_ref) == (
        version_id,
        "batch-7/row-12",
    )
    assert (explanation.method, explanation.seed, explanation.fidelity) == ("lime", 42, 0.87)
    assert explanation.parameters == {
        "num_samples": 5000,
        "kernel_width": 0.75,
        PREDICTED_SCORE: 0.73,
    }
    assert (explanation.recorded_by, topics(org.app)[-1]) == ("mon", "Recorded")


def test_the_weights_are_stored_as_canonical_json(
    org: Organisation, store: FakeArtifactStore
) -> None:
    explanation = org.app.get_explanation(explain(org, trained(org, store)))

    assert store.get(explanation.weights_digest) == b'{"age":-0.13,"income":0.42}'


def test_explaining_with_an_artifact_missing_from_the_store_is_refused(
    org: Organisation, explainer: FakeExplainer
) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, ArtifactError, "the artifact of version 1 .* is not in the artifact"):
        explain(org, version_id)
    assert explainer.calls == []


def test_explaining_with_an_altered_artifact_is_refused(
    org: Organisation, store: FakeArtifactStore, explainer: FakeExplainer
) -> None:
    version_id = trained(org, store)
    store.tamper(org.app.get_model_version(version_id).artifact_digest, b"model:backdoored")

    with refused(org.app, ArtifactError, "does not match its digest"):
        explain(org, version_id)
    assert explainer.calls == []


@pytest.mark.parametrize("missing", ["artifacts", "scorer", "explainer"])
def test_explaining_without_a_port_is_a_configuration_error_not_a_refusal(
    missing: str, new_organisation: NewOrganisation
) -> None:
    """A missing port is the operator's configuration, not the actor's fault: not recorded."""
    ports = {"artifacts": FakeArtifactStore(), "scorer": FakeScorer(), "explainer": FakeExplainer()}
    del ports[missing]
    org = new_organisation(**ports)
    version_id = org.train(org.register_model())
    before = topics(org.app)

    with pytest.raises(NotConfiguredError, match=f"construct the application with {missing}="):
        explain(org, version_id)
    assert topics(org.app) == before


def test_only_the_monitor_service_explains_a_prediction(
    org: Organisation, store: FakeArtifactStore, scorer: FakeScorer
) -> None:
    version_id = trained(org, store)

    with refused(org.app, NotAuthorizedError, "'olga' may not record_explanation"):
        explain(org, version_id, actor="olga")
    assert scorer.calls == []


def test_a_malformed_explanation_from_the_explainer_records_nothing(
    store: FakeArtifactStore, new_organisation: NewOrganisation
) -> None:
    explainer = FakeExplainer({"method": "lime", "weights": {"age": "high"}, "fidelity": 0.9})
    org = new_organisation(artifacts=store, scorer=FakeScorer(), explainer=explainer)
    version_id = trained(org, store)
    before = topics(org.app)

    with pytest.raises(PortError, match="the explainer must return"):
        explain(org, version_id)
    assert topics(org.app) == before
