"""The deployments read model: what runs where as of any log size, since when, under which
approvals, and the history of deploys, rollbacks and retirements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from api.auditor_views.deployments import render
from projections.catalog import CatalogProjection
from projections.deployments import DeploymentsProjection, deployments
from projections.errors import NotFoundError
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import (
    ARTIFACT,
    IN_MEMORY_ENV,
    OTHER_ARTIFACT,
    Organisation,
    organisation_on,
    topics,
)
from tests.unit.projections.read_side import project_in_memory


@dataclass
class Story:
    """An organisation's release history, the log size after each step, and its projection."""

    org: Organisation
    v1: UUID
    v2: UUID
    sizes: dict[str, int]
    read_side: InMemoryReadSide

    def live(self, step: str, model: str | None = "credit") -> list[tuple[str, int]]:
        """(environment, version) of every live row after ``step``."""
        rows = deployments(self.read_side, self.sizes[step], model)["rows"]
        return [(row["environment"], row["version"]) for row in rows]

    def row(self, step: str, environment: str, version: int) -> dict[str, Any]:
        rows: list[dict[str, Any]] = deployments(self.read_side, self.sizes[step], "credit")["rows"]
        (found,) = [r for r in rows if (r["environment"], r["version"]) == (environment, version)]
        return found

    def leaves(self, topic: str) -> list[int]:
        """The leaves of the events of ``topic`` (its short name), in order."""
        return [leaf for leaf, name in enumerate(topics(self.org.app)) if name == topic]


@pytest.fixture
def story() -> Story:
    org = organisation_on(IN_MEMORY_ENV)
    sizes = {"nothing": len(topics(org.app))}

    def step(name: str) -> None:
        sizes[name] = len(topics(org.app))

    model_id = org.register_model("credit")
    v1 = org.train(model_id)
    org.validate(v1)
    org.deploy(v1, "dev")
    org.deploy(v1, "uat")
    step("v1 in uat")
    org.approve(v1, "ann", "abe")
    org.deploy(v1, "prod")
    step("v1 in prod")
    v2 = org.train(model_id, artifact=OTHER_ARTIFACT)
    org.validate(v2)
    org.approve(v2, "ann", "abe")
    org.deploy(v2, "prod")
    step("v2 in prod")
    org.app.roll_back(actor="dee", version_id=v2, environment="prod")
    step("v2 rolled back")
    org.app.retire(actor="dee", version_id=v1)
    step("v1 retired")
    org.deploy(org.train(org.register_model("fraud")), "dev")
    step("fraud in dev")
    read_side = project_in_memory(org.app, CatalogProjection(), DeploymentsProjection())
    return Story(org, v1, v2, sizes, read_side)


def test_a_version_climbs_dev_uat_prod_and_each_row_cites_its_deploy(story: Story) -> None:
    assert story.live("v1 in uat") == [("dev", 1), ("uat", 1)]
    assert story.live("v1 in prod") == [("dev", 1), ("uat", 1), ("prod", 1)]

    deployed = story.leaves("Deployed")
    prod = story.row("v1 in prod", "prod", 1)
    assert prod["since_leaf"] == deployed[2]
    assert prod["sources"][0] == deployed[2]
    assert prod["deployed_by"] == "dee"
    assert prod["artifact_digest"] == ARTIFACT
    assert prod["since"].endswith("Z")


def test_prod_cites_the_approvals_of_the_deployed_artifact_and_uat_none_before_them(
    story: Story,
) -> None:
    granted = story.leaves("ApprovalGranted")
    prod = story.row("v1 in prod", "prod", 1)

    assert [(a["approver"], a["keyid"], a["leaf"]) for a in prod["approvals"]] == [
        ("ann", story.org.keyid("ann"), granted[0]),
        ("abe", story.org.keyid("abe"), granted[1]),
    ]
    assert prod["sources"] == [prod["since_leaf"], granted[0], granted[1]]
    assert story.row("v1 in prod", "uat", 1)["approvals"] == []
    v2_prod = story.row("v2 in prod", "prod", 2)
    assert [a["leaf"] for a in v2_prod["approvals"]] == granted[2:4]
    assert {a["artifact_digest"] for a in v2_prod["approvals"]} == {OTHER_ARTIFACT}


def test_deploying_v2_to_prod_leaves_v1_running_there_as_the_domain_does(story: Story) -> None:
    assert story.live("v2 in prod") == [("dev", 1), ("uat", 1), ("prod", 1), ("prod", 2)]


def test_rolling_v2_back_leaves_prod_with_v1_which_never_left(story: Story) -> None:
    assert story.live("v2 rolled back") == [("dev", 1), ("uat", 1), ("prod", 1)]
    assert story.row("v2 rolled back", "prod", 1) == story.row("v1 in prod", "prod", 1)


def test_after_retirement_nothing_of_the_model_is_live(story: Story) -> None:
    assert story.live("v1 retired") == []
    assert story.live("fraud in dev", model=None) == [("dev", 1)]


def test_the_history_lists_deploys_rollbacks_and_retirements_with_their_leaves(
    story: Story,
) -> None:
    history = deployments(story.read_side, story.sizes["v1 retired"], "credit")["history"]

    assert [(h["action"], h["environment"], h["version"]) for h in history] == [
        ("deployed", "dev", 1),
        ("deployed", "uat", 1),
        ("deployed", "prod", 1),
        ("deployed", "prod", 2),
        ("rolled_back", "prod", 2),
        ("retired", "dev", 1),
        ("retired", "uat", 1),
        ("retired", "prod", 1),
    ]
    retired = story.leaves("Retired")
    assert [h["sources"] for h in history[-3:]] == [retired, retired, retired]
    assert [h["sources"] for h in history[4:5]] == [story.leaves("RolledBack")]


def test_a_model_is_answered_alone_or_among_all(story: Story) -> None:
    everything = deployments(story.read_side, story.sizes["fraud in dev"])

    assert [(r["model"], r["environment"]) for r in everything["rows"]] == [("fraud", "dev")]
    assert {h["model"] for h in everything["history"]} == {"credit", "fraud"}


def test_a_model_not_registered_at_that_size_is_not_found(story: Story) -> None:
    empty = f"no model 'credit' at log size {story.sizes['nothing']}; models registered then: none"
    with pytest.raises(NotFoundError, match=empty):
        deployments(story.read_side, story.sizes["nothing"], "credit")
    with pytest.raises(NotFoundError, match="models registered then: credit, fraud"):
        deployments(story.read_side, story.sizes["fraud in dev"], "loans")


def test_the_rendering_shows_live_versions_with_approvers_and_the_history(story: Story) -> None:
    shown = render(deployments(story.read_side, story.sizes["v2 rolled back"], "credit"))

    granted = story.leaves("ApprovalGranted")
    assert f"ann (leaf {granted[0]}), abe (leaf {granted[1]})" in shown
    assert "rolled back" in shown
    assert render({"rows": [], "history": []}).startswith("Live deployments\n(nothing live)")


def test_a_revoked_approval_is_marked_on_the_live_version_which_keeps_running() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    version_id = org.released()
    org.deploy(version_id, "uat")
    org.deploy(version_id, "prod")
    org.revoke(version_id, "abe")
    side = project_in_memory(org.app, CatalogProjection(), DeploymentsProjection())
    (revoked,) = [leaf for leaf, name in enumerate(topics(org.app)) if name == "ApprovalRevoked"]

    def prod(as_of: int) -> dict[str, Any]:
        rows: list[dict[str, Any]] = deployments(side, as_of, "credit")["rows"]
        (row,) = [r for r in rows if r["environment"] == "prod"]
        return row

    before, after = prod(revoked), prod(revoked + 1)
    assert [(a["approver"], "revoked" in a) for a in before["approvals"]] == [
        ("ann", False),
        ("abe", False),
    ]
    assert [(a["approver"], a.get("revoked")) for a in after["approvals"]] == [
        ("ann", None),
        ("abe", {"by": "abe", "reason": "the holdout leaked into training", "leaf": revoked}),
    ]
    assert after["sources"] == [*before["sources"], revoked]
    assert after["since_leaf"] == before["since_leaf"]
    shown = render(deployments(side, revoked + 1, "credit"))
    assert f"abe (leaf {after['approvals'][1]['leaf']}), revoked at leaf {revoked}" in shown
    assert ", revoked at" not in render(deployments(side, revoked, "credit"))


def test_a_deployment_after_a_revocation_shows_only_the_approvals_standing_then() -> None:
    org = organisation_on(IN_MEMORY_ENV)
    version_id = org.released()
    org.revoke(version_id, "abe")
    org.approve(version_id, "abe")
    org.deploy(version_id, "prod")
    side = project_in_memory(org.app, CatalogProjection(), DeploymentsProjection())
    granted = [leaf for leaf, name in enumerate(topics(org.app)) if name == "ApprovalGranted"]

    (row,) = deployments(side, side.size(), "credit")["rows"]

    assert [(a["approver"], a["leaf"]) for a in row["approvals"]] == [
        ("ann", granted[0]),
        ("abe", granted[2]),
    ]
    assert all("revoked" not in a for a in row["approvals"])
