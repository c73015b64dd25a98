"""The risk register: per version, findings, monitoring, approvals, acceptances and residual
risk, right at every log size and citing their leaves."""

from __future__ import annotations

from typing import Any

import pytest

from api.auditor_views.risk_register import render
from domain.rules.policy import default_policy_document
from projections.catalog import CatalogProjection
from projections.errors import NotFoundError
from projections.risk.dates import months_after
from projections.risk.rating import residual_risk
from projections.risk.register import RiskRegisterProjection, risk_register
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import (
    IN_MEMORY_ENV,
    FakeFairnessAssessor,
    Organisation,
    organisation_on,
    topics,
)
from tests.unit.projections.read_side import project_in_memory
from tests.unit.test_monitoring_windows import CALM, STORMY, deployed_with_a_segment, record


@pytest.fixture
def org() -> Organisation:
    return organisation_on(IN_MEMORY_ENV)


def projected(org: Organisation) -> InMemoryReadSide:
    return project_in_memory(org.app, CatalogProjection(), RiskRegisterProjection())


def size(org: Organisation) -> int:
    return len(topics(org.app))


def leaves(org: Organisation, topic: str) -> list[int]:
    """The leaf indices of the events of ``topic`` (short name), in log order."""
    return [leaf for leaf, name in enumerate(topics(org.app)) if name == topic]


def only_row(side: InMemoryReadSide, as_of: int) -> dict[str, Any]:
    rows: list[dict[str, Any]] = risk_register(side, as_of)["rows"]
    (row,) = rows
    return row


def test_a_low_tier_version_with_nothing_against_it_is_rated_low() -> None:
    assert residual_risk(
        tier="low",
        open_critical=0,
        open_high=0,
        accepted_high_or_critical=0,
        monitoring_breached=False,
    ) == ("low", 1)


def test_a_monitoring_breach_lifts_a_low_tier_version_to_medium() -> None:
    assert residual_risk(
        tier="low",
        open_critical=0,
        open_high=0,
        accepted_high_or_critical=0,
        monitoring_breached=True,
    ) == ("medium", 2)


def test_an_open_high_finding_lifts_a_medium_tier_version_to_high() -> None:
    assert residual_risk(
        tier="medium",
        open_critical=0,
        open_high=1,
        accepted_high_or_critical=0,
        monitoring_breached=False,
    ) == ("high", 3)


def test_an_open_critical_finding_makes_a_high_tier_version_critical() -> None:
    assert residual_risk(
        tier="high",
        open_critical=1,
        open_high=0,
        accepted_high_or_critical=0,
        monitoring_breached=False,
    ) == ("critical", 5)


def test_accepting_every_serious_finding_takes_one_off_but_never_below_the_tier() -> None:
    def rated(breached: bool) -> tuple[str, int]:
        return residual_risk(
            tier="medium",
            open_critical=0,
            open_high=0,
            accepted_high_or_critical=2,
            monitoring_breached=breached,
        )

    assert (rated(True), rated(False)) == (("medium", 2), ("medium", 2))


def test_a_trained_version_starts_from_its_model_tier_citing_registration_and_training(
    org: Organisation,
) -> None:
    org.train(org.register_model(risk_tier="medium"))

    row = only_row(projected(org), size(org))

    registered, trained = leaves(org, "Registered")[-1], leaves(org, "Trained")[0]
    assert (row["model"], row["version"]) == ("credit", 1)
    assert row["risk_tier"] == {"value": "medium", "sources": [registered]}
    assert (row["residual_risk"]["rating"], row["residual_risk"]["score"]) == ("medium", 2)
    assert row["residual_risk"]["sources"] == [registered]
    assert row["approvals"] == row["risk_acceptances"] == []
    assert row["sources"] == [registered, trained]


def test_each_signed_decision_is_listed_with_its_key_and_expires_twelve_months_after_signing(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    org.approve(version_id, "ann")
    org.reject(version_id, "abe")

    approvals = only_row(projected(org), size(org))["approvals"]

    assert [(a["approver"], a["decision"], a["keyid"]) for a in approvals] == [
        ("ann", "granted", org.keyid("ann")),
        ("abe", "rejected", org.keyid("abe")),
    ]
    assert [a["expires"] for a in approvals] == [
        months_after(a["signed_at"], 12) for a in approvals
    ]
    assert [a["sources"] for a in approvals] == [
        leaves(org, "ApprovalGranted"),
        leaves(org, "ApprovalRejected"),
    ]


def test_a_revoked_approval_is_marked_revoked_with_its_leaf_from_the_revocation_on(
    org: Organisation,
) -> None:
    version_id = org.released()
    org.revoke(version_id, "ann")
    side = projected(org)
    (ann, abe), (revoked,) = leaves(org, "ApprovalGranted"), leaves(org, "ApprovalRevoked")

    before = only_row(side, revoked)
    after = only_row(side, revoked + 1)

    assert [(a["approver"], a["revoked"]) for a in before["approvals"]] == [
        ("ann", None),
        ("abe", None),
    ]
    assert revoked not in before["sources"]
    (by_ann, by_abe) = after["approvals"]
    assert (by_ann["decision"], by_ann["sources"], by_abe["revoked"]) == (
        "granted",
        [ann, revoked],
        None,
    )
    assert by_ann["revoked"] == {
        "by": "ann",
        "reason": "the holdout leaked into training",
        "signed_at": by_ann["revoked"]["signed_at"],
        "keyid": org.keyid("ann"),
        "leaf": revoked,
    }
    assert by_ann["revoked"]["signed_at"] > by_ann["signed_at"]
    assert revoked in after["sources"]
    assert by_abe["sources"] == [abe]


def test_a_critical_finding_makes_the_version_critical_until_an_approver_accepts_its_risk(
    org: Organisation,
) -> None:
    version_id = org.released()
    before = size(org)
    finding_id = org.raise_finding(version_id, "critical")
    raised = size(org)
    org.app.accept_risk(**org.accept_risk_arguments("ann", finding_id))
    side = projected(org)
    raised_leaf, accepted_leaf = leaves(org, "Raised")[0], leaves(org, "RiskAccepted")[0]

    assert only_row(side, before)["residual_risk"]["rating"] == "high"
    at_raise = only_row(side, raised)
    assert at_raise["open_findings"]["value"]["by_severity"]["critical"] == 1
    assert (at_raise["residual_risk"]["rating"], at_raise["residual_risk"]["score"]) == (
        "critical",
        5,
    )
    assert raised_leaf in at_raise["residual_risk"]["sources"]
    accepted = only_row(side, side.size())
    assert accepted["open_findings"]["value"]["by_severity"]["critical"] == 0
    assert (accepted["residual_risk"]["rating"], accepted["residual_risk"]["score"]) == ("high", 3)
    (acceptance,) = accepted["risk_acceptances"]
    assert (acceptance["finding"], acceptance["approver"], acceptance["keyid"]) == (
        str(finding_id),
        "ann",
        org.keyid("ann"),
    )
    assert acceptance["rationale"] == "compensating control: manual review"
    assert acceptance["sources"] == [accepted_leaf]
    assert {raised_leaf, accepted_leaf} <= set(accepted["sources"])


def test_a_window_marks_each_kind_it_judges_until_a_later_window_judges_it_again(
    org: Organisation,
) -> None:
    version_id = deployed_with_a_segment(org)
    record(org, version_id, STORMY)
    stormy = size(org)
    record(
        org, version_id, CALM, start="2026-11-30T11:00:00+00:00", end="2026-11-30T12:00:00+00:00"
    )
    side = projected(org)
    windows = leaves(org, "MonitoringWindowEvaluated")

    at_storm = only_row(side, stormy)["monitoring"]["prod"]
    assert {kind: v["status"] for kind, v in at_storm.items()} == dict.fromkeys(
        ("drift", "fairness", "kpi", "quality"), "breached"
    )
    assert at_storm["drift"]["sources"] == [windows[0], leaves(org, "DriftFlagged")[0]]
    assert at_storm["drift"]["detail"] == {"features": ["age"]}
    assert at_storm["fairness"]["breaches"] == ["disparate impact of sex 0.7 < 0.8"]
    after_calm = only_row(side, side.size())["monitoring"]["prod"]
    assert (after_calm["drift"]["status"], after_calm["drift"]["sources"]) == ("ok", windows[1:])
    assert after_calm["drift"]["window"]["end"] == "2026-11-30T12:00:00+00:00"
    assert after_calm["kpi"]["status"] == "ok"
    assert after_calm["fairness"]["status"] == "breached"


def test_a_monitoring_result_is_judged_per_kind_from_its_breaches(org: Organisation) -> None:
    version_id = org.released()
    org.deploy(version_id, "uat")
    org.app.record_monitoring_result(
        actor="mon",
        version_id=version_id,
        environment="uat",
        metrics={"disparate_impact": 0.7, "psi": 0.05},
    )

    monitoring = only_row(projected(org), size(org))["monitoring"]

    recorded = leaves(org, "MonitoringRecorded")
    assert {kind: (v["status"], v["sources"]) for kind, v in monitoring["uat"].items()} == {
        "drift": ("ok", recorded),
        "fairness": ("breached", recorded),
    }


def test_a_monitor_window_sets_the_verdict_of_the_monitor_kind() -> None:
    org = organisation_on(
        IN_MEMORY_ENV, fairness_assessor=FakeFairnessAssessor({"disparate_impact": 0.7})
    )
    version_id = org.released()
    org.deploy(version_id, "prod")
    monitor_id = org.app.register_monitor(
        actor="olga", version_id=version_id, kind="fairness", environment="prod"
    )
    org.app.evaluate_monitoring_window(
        actor="mon",
        monitor_id=monitor_id,
        start="2025-01-01T00:00:00+00:00",
        end="2025-01-08T00:00:00+00:00",
        predictions=[1.0, 0.0, 1.0, 0.0],
        groups=["young", "young", "old", "old"],
    )

    row = only_row(projected(org), size(org))

    (verdict,) = row["monitoring"]["prod"].values()
    assert (verdict["status"], verdict["sources"]) == ("breached", leaves(org, "WindowEvaluated"))
    assert row["monitoring"]["prod"].keys() == {"fairness"}


def test_the_register_is_sorted_by_model_and_version_and_filters_by_model(
    org: Organisation,
) -> None:
    zeta = org.register_model("zeta")
    for serial in range(1, 11):
        org.train(zeta, artifact="sha256:" + f"{serial:02d}" * 32)
    org.train(org.register_model("alpha"))
    side = projected(org)

    rows = risk_register(side, side.size())["rows"]
    assert [(r["model"], r["version"]) for r in rows] == [
        ("alpha", 1),
        *(("zeta", n) for n in range(1, 11)),
    ]
    assert [r["model"] for r in risk_register(side, side.size(), "alpha")["rows"]] == ["alpha"]
    with pytest.raises(NotFoundError, match="registered: alpha, zeta"):
        risk_register(side, side.size(), "fraud")


def test_the_policy_in_force_is_the_default_until_one_is_set_and_then_cites_its_leaf(
    org: Organisation,
) -> None:
    before = size(org)
    document = default_policy_document()
    document["version"] = "strict-2"
    org.app.set_policy(actor="root", document=document)
    side = projected(org)

    assert risk_register(side, before)["policy"]["version"] == "default-1"
    policy = risk_register(side, side.size())["policy"]
    assert (policy["version"], policy["sources"]) == ("strict-2", leaves(org, "PolicySet"))


def test_the_human_view_shows_each_version_its_rating_and_the_leaves_behind_it(
    org: Organisation,
) -> None:
    version_id = org.released()
    org.app.accept_risk(**org.accept_risk_arguments("ann", org.raise_finding(version_id)))

    text = render(risk_register(projected(org), size(org)))

    assert "Risk register under policy default-1" in text
    assert "credit  1        high  none           ok          high (score 3)" in text
    assert "compensating control: manual review" in text
