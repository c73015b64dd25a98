"""The lineage read model: nodes and typed edges of everything governed, walked as of a size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.auditor_views.lineage import render
from projections.catalog import CatalogProjection
from projections.errors import NotFoundError
from projections.events import event_name
from projections.lineage import NODE, RELATIONS, LineageProjection, lineage, node_key, resolve
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import (
    IN_MEMORY_ENV,
    FakeArtifactStore,
    FakeMitigator,
    FakeTrainer,
    Organisation,
    organisation_on,
)
from tests.unit.projections.read_side import project_in_memory

SEGMENT = "sha256:" + "01" * 32
STORMY = {"psi.age": 0.4, "drifted.age": 1.0, "dataset_drift_share": 0.5, "quality_ratio": 0.7}
VERSION_1 = "govledger://models/credit@1"
DATA_1 = "govledger://datasets/credit-data@1"


@dataclass
class History:
    """An organisation's recorded history and its lineage projected in memory."""

    org: Organisation
    read_side: InMemoryReadSide
    v1: UUID
    v2: UUID
    v3: UUID

    def names(self) -> list[str]:
        """The name of each recorded event, in log (leaf) order."""
        notifications = self.org.app.recorder.select_notifications(start=1, limit=1_000_000)
        return [event_name(self.org.app.mapper.to_domain_event(n)) for n in notifications]

    def leaf(self, name: str, nth: int = 0) -> int:
        return [leaf for leaf, found in enumerate(self.names()) if found == name][nth]

    def walk(self, name: str, direction: Any, depth: int, as_of: int | None = None) -> Any:
        size = self.read_side.size() if as_of is None else as_of
        return lineage(self.read_side, size, name, direction=direction, depth=depth)


def seal_and_monitor(org: Organisation, version_id: UUID) -> None:
    """A sealed prediction segment in prod, and a stormy window over it (flags, a finding)."""
    org.seal_segment(version_id)
    org.app.record_monitoring_window(
        actor="mon",
        version_id=version_id,
        environment="prod",
        start="2026-11-30T10:00:00+00:00",
        end="2026-11-30T11:00:00+00:00",
        metrics=STORMY,
        segments=[SEGMENT],
    )


def resolve_findings(org: Organisation, version_id: UUID) -> None:
    """One finding remediated, another whose risk an approver accepts."""
    remediated = org.raise_finding(version_id, severity="low")
    org.app.remediate_finding(
        actor="olga", finding_id=remediated, description="reweighed", evidence_digests=[]
    )
    accepted = org.raise_finding(version_id, severity="medium")
    org.app.accept_risk(**org.accept_risk_arguments("ann", accepted))


@pytest.fixture(scope="module")
def history() -> History:
    org = organisation_on(
        IN_MEMORY_ENV,
        artifacts=FakeArtifactStore(),
        trainer=FakeTrainer(),
        mitigator=FakeMitigator(),
    )
    v1 = org.train_from_data()
    org.validate(v1)
    org.approve(v1)
    org.deploy(v1, "uat")
    org.deploy(v1, "prod")
    seal_and_monitor(org, v1)
    resolve_findings(org, v1)
    org.app.record_explanation(
        actor="mon",
        version_id=v1,
        prediction_ref="batch-7/row-12",
        method="lime",
        parameters={},
        seed=42,
        weights_digest="sha256:" + "c" * 64,
        fidelity=0.87,
    )
    v2 = org.app.mitigate_model_version(
        actor="dev",
        version_id=v1,
        sensitive_attribute="sex",
        method="threshold_optimizer",
        seed=13,
        code_version="git:4567def",
        environment={},
    )
    v3 = org.train(org.app.get_model_version(v1).model_id, derived_from=v1)
    org.validate(v3)
    org.reject(v3)
    read_side = project_in_memory(org.app, CatalogProjection(), LineageProjection())
    return History(org, read_side, v1, v2, v3)


def keys(answer: dict[str, Any]) -> set[str]:
    return {node["key"] for node in answer["nodes"]}


def triples(answer: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(edge["source"], edge["relation"], edge["target"]) for edge in answer["edges"]}


def test_upstream_of_a_version_reaches_the_dataset_version_it_was_trained_on(
    history: History,
) -> None:
    answer = history.walk("credit@1", "upstream", 3)

    depths = {node["key"]: node["depth"] for node in answer["nodes"]}
    assert depths == {
        VERSION_1: 0,
        "govledger://models/credit": 1,
        "govledger://jobs/train/credit@1": 1,
        DATA_1: 2,
        "govledger://datasets/credit-data": 3,
    }
    assert ("govledger://jobs/train/credit@1", "used", DATA_1) in triples(answer)
    (data,) = [node for node in answer["nodes"] if node["key"] == DATA_1]
    assert data["sources"] == [history.leaf("Dataset.VersionAdded")]
    assert data["attributes"]["registered"] is True


def test_downstream_of_a_dataset_reaches_everything_done_with_what_was_trained_on_it(
    history: History,
) -> None:
    answer = history.walk("credit-data", "downstream", 7)

    assert Counter(node["type"] for node in answer["nodes"]) == {
        "dataset": 1,
        "dataset_version": 1,
        "training_run": 3,
        "model_version": 3,
        "validation": 2,
        "approval": 2,
        "rejection": 1,
        "deployment": 2,
        "prediction_segment": 1,
        "monitoring_window": 1,
        "finding": 3,
        "remediation": 1,
        "risk_acceptance": 1,
        "explanation": 1,
    }
    window = "govledger://monitoring/credit@1/prod/window-1"
    segment = "govledger://predictions/credit@1/prod/prediction/1"
    assert (window, "used", segment) in triples(answer)
    (flagged,) = [node for node in answer["nodes"] if node["key"] == window]
    assert flagged["attributes"]["flags"] == ["drift", "quality"]
    assert flagged["sources"] == [
        history.leaf("ModelVersion.MonitoringWindowEvaluated"),
        history.leaf("ModelVersion.DriftFlagged"),
        history.leaf("ModelVersion.QualityDegraded"),
    ]


def test_a_mitigated_and_a_retrained_version_are_derived_from_their_predecessor(
    history: History,
) -> None:
    answer = history.walk("credit@1", "downstream", 1)

    mitigated, retrained = "govledger://models/credit@2", "govledger://models/credit@3"
    assert {(mitigated, "derived_from", VERSION_1), (retrained, "derived_from", VERSION_1)} <= (
        triples(answer)
    )
    (node,) = [node for node in answer["nodes"] if node["key"] == mitigated]
    assert node["attributes"]["mitigation"] == {
        "method": "threshold_optimizer",
        "sensitive_attribute": "sex",
    }


def test_a_version_trained_on_text_naming_a_dataset_version_uses_that_version_s_node(
    history: History,
) -> None:
    answer = history.walk("credit@3", "upstream", 2)

    assert ("govledger://jobs/train/credit@3", "used", DATA_1) in triples(answer)


def test_a_model_name_resolves_to_its_model_whose_edges_reach_every_version(
    history: History,
) -> None:
    answer = history.walk("credit", "downstream", 1)

    assert answer["root"] == "govledger://models/credit"
    assert keys(answer) == {"govledger://models/credit", *(f"{VERSION_1[:-1]}{n}" for n in "123")}


def test_both_directions_join_what_a_version_came_from_and_what_came_of_it(
    history: History,
) -> None:
    answer = history.walk("credit@1", None, 2)

    assert answer["direction"] == "both"
    assert {DATA_1, "govledger://deployments/credit@1/prod"} <= keys(answer)


def test_as_of_before_an_approval_its_node_and_edge_are_absent_and_from_its_leaf_present(
    history: History,
) -> None:
    granted = history.leaf("ModelVersion.ApprovalGranted")
    approval = "govledger://approvals/credit@1/decision-1"

    before = history.walk("credit@1", "downstream", 1, as_of=granted)
    after = history.walk("credit@1", "downstream", 1, as_of=granted + 1)

    assert approval not in keys(before)
    assert all(approval not in (edge["source"], edge["target"]) for edge in before["edges"])
    assert approval in keys(after)
    assert (approval, "approved", VERSION_1) in triples(after)


def test_a_version_not_trained_yet_is_not_found_at_that_size(history: History) -> None:
    with pytest.raises(NotFoundError, match=r"'credit@2' at log size"):
        history.walk("credit@2", "upstream", 1, as_of=history.leaf("ModelVersion.Trained", 1))


def test_the_depth_limits_how_far_the_walk_goes(history: History) -> None:
    answer = history.walk("credit-data", "downstream", 2)

    assert {node["depth"] for node in answer["nodes"]} == {0, 1, 2}
    assert keys(answer) == {
        "govledger://datasets/credit-data",
        DATA_1,
        *(f"govledger://jobs/train/credit@{n}" for n in "123"),
    }


@pytest.mark.parametrize("depth", [0, 21, -1])
def test_a_depth_outside_1_to_20_is_refused(history: History, depth: int) -> None:
    with pytest.raises(ValueError, match=f"depth {depth} is not a whole number from 1 to 20"):
        history.walk("credit", "upstream", depth)


EXPECTED_EVENT = {
    "used": {"ModelVersion.Trained", "ModelVersion.MonitoringWindowEvaluated"},
    "generated_by": {"ModelVersion.Trained", "PredictionLog.SegmentSealed"},
    "derived_from": {"ModelVersion.Trained", "Explanation.Recorded"},
    "version_of": {"ModelVersion.Trained", "Dataset.VersionAdded"},
    "validated": {"ModelVersion.ValidationStarted"},
    "approved": {"ModelVersion.ApprovalGranted"},
    "rejected": {"ModelVersion.ApprovalRejected"},
    "deployed": {"ModelVersion.Deployed"},
    "flagged": {"Finding.Raised"},
    "remediated": {"Finding.Remediated", "Finding.RiskAccepted"},
}


def test_every_edge_cites_the_leaf_of_the_event_that_created_it(history: History) -> None:
    answer = history.walk("credit-data", "downstream", 20)
    names = history.names()
    first_source = {node["key"]: node["sources"][0] for node in answer["nodes"]}

    assert {edge["relation"] for edge in answer["edges"]} == RELATIONS
    for edge in answer["edges"]:
        (leaf,) = edge["sources"]
        assert names[leaf] in EXPECTED_EVENT[edge["relation"]], edge
        assert leaf == first_source[edge["source"]], edge


def test_the_node_mapping_is_one_to_one(history: History) -> None:
    nodes = history.read_side.documents(NODE, history.read_side.size())
    names = [(node.body["namespace"], node.body["name"]) for node in nodes]

    assert len(set(names)) == len(names)
    assert all(node.key == node_key(*name) for node, name in zip(nodes, names, strict=True))
    counted = Counter(node.body["type"] for node in nodes)
    recorded = Counter(history.names())
    assert counted["finding"] == recorded["Finding.Raised"] == 3
    assert counted["model_version"] == recorded["ModelVersion.Trained"] == 3
    assert counted["prediction_segment"] == recorded["PredictionLog.SegmentSealed"] == 1


def test_an_unknown_name_is_not_found_and_similar_names_are_suggested(history: History) -> None:
    with pytest.raises(NotFoundError, match="similar: credit-data"):
        resolve(history.read_side, history.read_side.size(), "credit-dta")


def test_a_dataset_version_resolves_by_either_spelling(history: History) -> None:
    size = history.read_side.size()

    assert resolve(history.read_side, size, "credit-data@1") == DATA_1
    assert resolve(history.read_side, size, "credit-data:1") == DATA_1


def test_the_text_view_lists_nodes_and_edges_with_their_leaves(history: History) -> None:
    text = render(history.walk("credit@1", "upstream", 2))

    trained = history.leaf("ModelVersion.Trained")
    assert text.splitlines()[0] == "Lineage of models/credit@1: upstream, depth 2, 4 nodes, 3 edges"
    assert f"jobs/train/credit@1  used          datasets/credit-data@1  {trained}" in text


def test_a_rolled_back_deployment_stays_in_the_graph_and_is_live_only_before_its_rollback() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    version_id = org.released()
    org.deploy(version_id, "dev")
    org.app.roll_back(actor="dee", version_id=version_id, environment="dev")
    read_side = project_in_memory(org.app, CatalogProjection(), LineageProjection())
    size = read_side.size()

    def deployment(as_of: int) -> dict[str, Any]:
        answer = lineage(read_side, as_of, "credit@1", direction="downstream", depth=1)
        (found,) = [node for node in answer["nodes"] if node["type"] == "deployment"]
        return dict(found)

    assert deployment(size - 1)["attributes"] == {"environment": "dev", "live": True}
    assert deployment(size)["attributes"] == {"environment": "dev", "live": False}
    assert deployment(size)["sources"] == [size - 2, size - 1]


def test_data_named_by_a_text_that_names_no_version_is_an_unregistered_dataset() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    org.app.train_model_version(
        actor="dev",
        model_id=org.register_model(),
        dataset_versions=["s3://bucket/loans.csv"],
        training_spec={"seed": 7},
        code_version="git:0123abc",
        environment={},
        artifact_digest="sha256:" + "a" * 64,
        metrics={},
    )
    read_side = project_in_memory(org.app, CatalogProjection(), LineageProjection())

    answer = lineage(read_side, read_side.size(), "credit@1", direction="upstream", depth=2)

    (data,) = [node for node in answer["nodes"] if node["namespace"] == "govledger://datasets"]
    assert (data["name"], data["type"]) == ("s3:%2F%2Fbucket%2Floans.csv", "dataset")
    assert data["attributes"] == {"registered": False}
    assert resolve(read_side, read_side.size(), "s3://bucket/loans.csv") == data["key"]


def test_a_revoked_approval_node_is_marked_revoked_and_keeps_its_edge() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    version_id = org.released()
    org.revoke(version_id, "abe")
    read_side = project_in_memory(org.app, CatalogProjection(), LineageProjection())
    names = [
        event_name(org.app.mapper.to_domain_event(n))
        for n in org.app.recorder.select_notifications(start=1, limit=10_000)
    ]
    granted = [leaf for leaf, name in enumerate(names) if name == "ModelVersion.ApprovalGranted"]
    revoked = names.index("ModelVersion.ApprovalRevoked")

    def approvals(as_of: int) -> dict[str, Any]:
        answer = lineage(read_side, as_of, "credit@1", direction="downstream", depth=1)
        return {n["name"]: n for n in answer["nodes"] if n["type"] == "approval"}

    before, after = approvals(revoked), approvals(revoked + 1)
    assert [n["attributes"].get("revoked") for n in before.values()] == [None, None]
    ann, abe = after["credit@1/decision-1"], after["credit@1/decision-2"]
    assert (ann["attributes"].get("revoked"), ann["sources"]) == (None, [granted[0]])
    assert abe["attributes"]["revoked"] is True
    assert abe["attributes"]["revocation_reason"] == "the holdout leaked into training"
    assert abe["sources"] == [granted[1], revoked]
    answer = lineage(read_side, revoked + 1, "credit@1", direction="downstream", depth=1)
    assert (abe["key"], "approved", VERSION_1) in triples(answer)
