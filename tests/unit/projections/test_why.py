"""The "why" read model: the statements that make a version allowed where it runs, with leaves."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from api.auditor_views.why import render
from domain.rules.policy import default_policy_document
from projections.catalog import CatalogProjection
from projections.decisions.projection import DecisionProjection
from projections.decisions.query import why
from projections.errors import NotFoundError
from projections.events import event_name
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import IN_MEMORY_ENV, Organisation, organisation_on
from tests.unit.projections.read_side import project_in_memory

UAT_CHECKS = {
    "integration": {"rows": 300.0, "mismatches": 0.0},
    "performance": {"p50_ms": 2.0, "p99_ms": 9.5, "throughput_per_s": 4100.0},
}


@pytest.fixture
def org() -> Organisation:
    return organisation_on(IN_MEMORY_ENV)


def projected(org: Organisation) -> InMemoryReadSide:
    return project_in_memory(org.app, CatalogProjection(), DecisionProjection())


def leaves(org: Organisation, name: str, /, **attributes: Any) -> list[int]:
    """The leaves of the events named ``name`` whose attributes have the values given."""
    notifications = org.app.recorder.select_notifications(start=1, limit=1_000_000)
    found = []
    for leaf, notification in enumerate(notifications):
        event = org.app.mapper.to_domain_event(notification)
        if event_name(event) == name and all(
            getattr(event, key) == value for key, value in attributes.items()
        ):
            found.append(leaf)
    return found


def leaf(org: Organisation, name: str, /, **attributes: Any) -> int:
    (found,) = leaves(org, name, **attributes)
    return found


def only_version(answer: dict[str, Any]) -> dict[str, Any]:
    (version,) = answer["versions"]
    return dict(version)


def of_kind(version: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [item for item in version["statements"] if item["kind"] == kind]


def verdict(version: dict[str, Any], environment: str) -> dict[str, Any]:
    (found,) = [item for item in version["allowed"] if item["environment"] == environment]
    return dict(found)


def approval_gate(statements: list[dict[str, Any]]) -> dict[str, Any]:
    (gate,) = [item for item in statements if "distinct approval" in item["statement"]]
    return gate


def in_prod(org: Organisation) -> UUID:
    version_id = org.released()
    org.deploy(version_id, "uat")
    org.deploy(version_id, "prod")
    return version_id


def test_a_released_version_in_prod_cites_each_approval_and_the_gates_with_their_leaves(
    org: Organisation,
) -> None:
    in_prod(org)
    read_side = projected(org)
    ann = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")
    abe = leaf(org, "ModelVersion.ApprovalGranted", actor="abe")
    registered = leaf(org, "Model.Registered", name="credit")
    deployed = leaf(org, "ModelVersion.Deployed", environment="prod")

    version = only_version(why(read_side, read_side.size(), "credit"))

    assert version["environments"] == ["prod", "uat"]
    assert [item["sources"] for item in of_kind(version, "approval.granted")] == [[ann], [abe]]
    assert all(
        item["signature"]["status"] == "verified when recorded"
        for item in of_kind(version, "approval.granted")
    )
    gate = approval_gate(of_kind(version, "gate"))
    assert "2 distinct approval(s)" in gate["statement"]
    assert (
        f"risk tier high (policy default-1): ann (leaf {ann}), abe (leaf {abe})"
        in (gate["statement"])
    )
    assert gate["sources"] == [registered, ann, abe]
    assert of_kind(version, "trained")[0]["sources"] == [leaf(org, "ModelVersion.Trained")]
    prod = verdict(version, "prod")
    assert (prod["live"], prod["allowed"]) == (True, True)
    assert f"since leaf {deployed} (deployed by dee" in prod["reason"]


def test_before_the_approvals_the_version_is_neither_deployed_nor_allowed_in_prod(
    org: Organisation,
) -> None:
    in_prod(org)
    read_side = projected(org)
    before_approval = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")

    version = only_version(why(read_side, before_approval, "credit"))

    assert version["environments"] == []
    prod = verdict(version, "prod")
    assert (prod["live"], prod["allowed"]) == (False, False)
    assert prod["reason"].startswith("not deployed in prod; not allowed: prod requires 2")
    assert approval_gate(prod["gates"])["met"] is False
    assert of_kind(version, "approval.granted") == []
    assert verdict(version, "uat")["allowed"] is True


def test_a_risk_accepted_finding_appears_with_its_signed_acceptance(org: Organisation) -> None:
    version_id = org.released()
    finding_id = org.raise_finding(version_id, severity="high")
    org.app.accept_risk(**org.accept_risk_arguments("ann", finding_id))
    org.deploy(version_id, "prod")
    read_side = projected(org)
    raised = leaf(org, "Finding.Raised")
    accepted = leaf(org, "Finding.RiskAccepted")

    version = only_version(why(read_side, read_side.size(), "credit", version=1))
    while_open = only_version(why(read_side, accepted, "credit", version=1))

    (finding,) = of_kind(version, "finding.risk_accepted")
    assert finding["sources"] == [raised, accepted]
    assert f"risk accepted by ann at leaf {accepted}: compensating control" in finding["statement"]
    assert finding["signature"]["signer"] == "ann"
    (gate,) = [item for item in of_kind(version, "gate") if "open finding" in item["statement"]]
    assert (
        f"'bias' (high, raised at leaf {raised}) accepted by ann at leaf {accepted}"
        in (gate["statement"])
    )
    assert verdict(while_open, "prod")["allowed"] is False
    assert [item["kind"] for item in while_open["statements"][-1:]] == ["finding.open"]


def test_a_revoked_key_changes_the_signature_status_from_the_revocation_on(
    org: Organisation,
) -> None:
    in_prod(org)
    org.app.revoke_key(actor="root", name="ann", keyid=org.keyid("ann"))
    read_side = projected(org)
    ann = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")
    revoked = leaf(org, "Principal.KeyRevoked")

    before = of_kind(only_version(why(read_side, revoked, "credit")), "approval.granted")
    after = of_kind(only_version(why(read_side, revoked + 1, "credit")), "approval.granted")

    assert before[0]["signature"]["status"] == "verified when recorded"
    assert before[0]["sources"] == [ann]
    assert (
        after[0]["signature"]["status"] == f"verified when recorded; key revoked at leaf {revoked}"
    )
    assert after[0]["sources"] == [ann, revoked]
    assert after[1]["signature"]["status"] == "verified when recorded"


def test_a_rolled_back_version_is_no_longer_listed_as_live(org: Organisation) -> None:
    first = in_prod(org)
    second = org.train(org.app.get_model_version(first).model_id, artifact="sha256:" + "c" * 64)
    org.validate(second)
    org.approve(second)
    org.deploy(second, "uat")
    org.app.roll_back(actor="dee", version_id=first, environment="prod")
    org.app.roll_back(actor="dee", version_id=first, environment="uat")
    read_side = projected(org)
    rolled_back = leaf(org, "ModelVersion.RolledBack", environment="prod")

    live_now = why(read_side, read_side.size(), "credit")["versions"]
    live_before = why(read_side, rolled_back, "credit")["versions"]

    assert [(v["version"], v["environments"]) for v in live_now] == [(2, ["uat"])]
    assert [(v["version"], v["environments"]) for v in live_before] == [
        (1, ["prod", "uat"]),
        (2, ["uat"]),
    ]
    first_now = only_version(why(read_side, read_side.size(), "credit", version=1))
    (rollback, _) = of_kind(first_now, "deployment.rolled_back")
    assert rollback["sources"] == [rolled_back]
    assert verdict(first_now, "prod")["live"] is False


def test_a_retrained_version_states_the_version_it_derives_from(org: Organisation) -> None:
    first = org.released()
    second = org.train(
        org.app.get_model_version(first).model_id,
        artifact="sha256:" + "c" * 64,
        derived_from=first,
    )
    read_side = projected(org)

    version = only_version(why(read_side, read_side.size(), "credit"))

    assert version["version"] == 2
    (trained,) = of_kind(version, "trained")
    assert trained["statement"].endswith("; derived from version 1")
    assert trained["sources"] == [leaf(org, "ModelVersion.Trained", originator_id=second)]


def test_an_unknown_model_or_version_is_not_found_naming_what_exists(org: Organisation) -> None:
    org.released()
    read_side = projected(org)
    size = read_side.size()

    with pytest.raises(NotFoundError, match=r"no model 'fraud' .*models: credit"):
        why(read_side, size, "fraud")
    with pytest.raises(NotFoundError, match=r"has no version 7 .*versions: 1"):
        why(read_side, size, "credit", version=7)
    with pytest.raises(NotFoundError, match="no model 'credit'"):
        why(read_side, leaf(org, "Model.Registered"), "credit")


def test_the_text_view_ends_each_statement_with_its_citation(org: Organisation) -> None:
    in_prod(org)
    read_side = projected(org)
    ann = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")

    text = render(why(read_side, read_side.size(), "credit"))

    statements = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(statements) > 5
    assert all(line.endswith("]") for line in statements)
    assert any(
        line.startswith("- Approval granted by ann") and line.endswith(f"[leaf {ann}]")
        for line in statements
    )
    assert "Version 1: runs in prod, uat" in text
    assert "policy default-1 [no leaf: defaults]" in text


def test_the_policy_in_force_states_the_uat_evidence_gate_and_monitoring_since_deployment(
    org: Organisation,
) -> None:
    document = default_policy_document() | {"version": "uat-evidence"}
    document["gates"]["prod"]["requires_uat_evidence"] = True
    org.app.set_policy(actor="root", document=document)
    version_id = org.released()
    org.deploy(version_id, "uat")
    for kind, metrics in UAT_CHECKS.items():
        org.app.record_uat_evidence(
            actor="dee",
            version_id=version_id,
            kind=kind,
            metrics=metrics,
            evidence_digest="sha256:" + "c" * 64,
        )
    org.deploy(version_id, "prod")
    org.app.record_monitoring_result(
        actor="mon", version_id=version_id, environment="prod", metrics={"disparate_impact": 0.5}
    )
    read_side = projected(org)
    policy = leaf(org, "PolicyHistory.PolicySet")
    checks = leaves(org, "ModelVersion.UatEvidenceRecorded")
    monitored = leaf(org, "ModelVersion.MonitoringRecorded")

    answer = why(read_side, read_side.size(), "credit")
    version = only_version(answer)

    assert answer["policy"] == {"version": "uat-evidence", "sources": [policy]}
    (gate,) = [item for item in of_kind(version, "gate") if "UAT checks" in item["statement"]]
    assert gate["statement"].endswith(
        f"(policy uat-evidence): integration (leaf {checks[0]}), performance (leaf {checks[1]})"
    )
    assert gate["sources"] == [policy, *checks]
    (window,) = of_kind(version, "monitoring")
    assert window["sources"] == [monitored]
    assert "in prod since its deployment: " in window["statement"]
    assert [
        item["kind"] for item in version["statements"] if item["kind"].startswith("finding")
    ] == ["finding.open"]
    prod = verdict(version, "prod")
    assert prod["allowed"] is True
    assert "a new deployment would now be refused: prod requires no open finding" in prod["reason"]


def test_a_revoked_approval_is_a_signed_statement_and_no_longer_counts_for_prod(
    org: Organisation,
) -> None:
    version_id = in_prod(org)
    org.revoke(version_id, "ann")
    read_side = projected(org)
    ann = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")
    abe = leaf(org, "ModelVersion.ApprovalGranted", actor="abe")
    revoked = leaf(org, "ModelVersion.ApprovalRevoked", actor="ann")

    before = only_version(why(read_side, revoked, "credit"))
    after = only_version(why(read_side, revoked + 1, "credit"))

    assert of_kind(before, "approval.revoked") == []
    assert "would now be refused" not in verdict(before, "prod")["reason"]
    (statement,) = of_kind(after, "approval.revoked")
    assert statement["statement"].startswith(
        "Approval by ann revoked: the holdout leaked into training (approval of "
    )
    assert f"granted at leaf {ann}; revoked at leaf {revoked}" in statement["statement"]
    assert statement["sources"] == [ann, revoked]
    assert statement["signature"]["status"] == "verified when recorded"
    assert statement["signature"]["signer"] == "ann"
    prod = verdict(after, "prod")
    assert (prod["live"], prod["allowed"]) == (True, True)
    assert "a new deployment would now be refused: prod requires 2 distinct" in prod["reason"]
    assert f"abe (leaf {abe}); revoked: ann (leaf {revoked}: the holdout" in prod["reason"]


def test_the_deployment_gates_stated_before_a_revocation_still_count_the_approval(
    org: Organisation,
) -> None:
    version_id = in_prod(org)
    org.revoke(version_id, "ann")
    read_side = projected(org)
    ann = leaf(org, "ModelVersion.ApprovalGranted", actor="ann")

    prod = verdict(only_version(why(read_side, read_side.size(), "credit")), "prod")

    passed = approval_gate(prod["gates"])
    assert (passed["met"], ann in passed["sources"]) == (True, True)


def test_a_version_approved_again_after_a_revocation_is_allowed_in_prod_again(
    org: Organisation,
) -> None:
    version_id = org.released()
    org.revoke(version_id, "abe")
    org.approve(version_id, "abe")
    read_side = projected(org)
    revoked = leaf(org, "ModelVersion.ApprovalRevoked")
    regranted = leaves(org, "ModelVersion.ApprovalGranted", actor="abe")[-1]

    between = verdict(only_version(why(read_side, regranted, "credit")), "prod")
    again = verdict(only_version(why(read_side, read_side.size(), "credit")), "prod")

    assert between["allowed"] is False
    assert f"revoked: abe (leaf {revoked}" in between["reason"]
    assert again["allowed"] is True
    gate = approval_gate(again["gates"])
    assert "revoked" not in gate["statement"]
    assert f"abe (leaf {regranted})" in gate["statement"]
