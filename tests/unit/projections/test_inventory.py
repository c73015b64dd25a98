"""The model inventory: SR 11-7 fields per model, right at every log size, citing their leaves."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from api.auditor_views.inventory import render
from projections.catalog import CatalogProjection
from projections.errors import NotFoundError
from projections.inventory import InventoryProjection, inventory, inventory_entry
from projections.risk.dates import months_after
from projections.store.memory import InMemoryReadSide
from tests.unit.fakes import IN_MEMORY_ENV, Organisation, organisation_on, topics
from tests.unit.projections.read_side import project_in_memory


@pytest.fixture
def org() -> Organisation:
    return organisation_on(IN_MEMORY_ENV)


def projected(org: Organisation) -> InMemoryReadSide:
    return project_in_memory(org.app, CatalogProjection(), InventoryProjection())


def size(org: Organisation) -> int:
    """The log size now: what an ``as_of`` taken at this point of the story sees."""
    return len(topics(org.app))


def leaves(org: Organisation, topic: str) -> list[int]:
    """The leaf indices of the events of ``topic`` (short name), in log order."""
    return [leaf for leaf, name in enumerate(topics(org.app)) if name == topic]


def entry(org: Organisation, as_of: int, model: str = "credit") -> dict[str, Any]:
    return inventory_entry(projected(org), as_of, model)


def test_a_registered_model_shows_its_registration_each_field_citing_the_registered_leaf(
    org: Organisation,
) -> None:
    org.register_model()
    registered = leaves(org, "Registered")[-1]

    row = entry(org, size(org))

    assert row["purpose"] == {"value": "score loan applications", "sources": [registered]}
    assert row["intended_use"]["value"] == "decision support for credit officers"
    assert row["restrictions"]["value"] == ["not for automated rejection"]
    assert (row["owner"]["value"], row["risk_tier"]["value"]) == ("olga", "high")
    assert (row["status"]["value"], row["status"]["sources"]) == ("registered", [registered])
    assert row["developers"] == {"value": [], "sources": []}
    assert row["last_validation"]["value"] is None
    assert row["next_validation"]["value"] is None
    assert row["sources"] == [registered]


def test_the_status_follows_the_versions_from_training_to_retirement_at_every_log_size(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    trained = size(org)
    org.validate(version_id)
    validated = size(org)
    org.approve(version_id)
    approved = size(org)
    org.deploy(version_id, "uat")
    in_uat = size(org)
    org.deploy(version_id, "prod")
    in_prod = size(org)
    org.app.retire(actor="dee", version_id=version_id)
    side = projected(org)

    def status(as_of: int) -> tuple[str, list[str], list[int]]:
        found = inventory_entry(side, as_of, "credit")["status"]
        return found["value"], found["environments"], found["sources"]

    assert status(trained) == ("in_development", [], leaves(org, "Trained"))
    assert status(validated) == ("validated", [], leaves(org, "ValidationConcluded"))
    assert status(approved) == ("approved", [], leaves(org, "ApprovalGranted"))
    assert status(in_uat) == ("deployed", ["uat"], leaves(org, "Deployed")[:1])
    assert status(in_prod) == ("in_production", ["prod", "uat"], leaves(org, "Deployed"))
    assert status(side.size()) == ("retired", [], leaves(org, "Retired"))


def test_a_version_whose_only_approval_is_revoked_is_validated_again_from_the_revocation(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    org.validate(version_id)
    org.approve(version_id, "ann", "abe")
    org.revoke(version_id, "ann")
    one_left = size(org)
    org.revoke(version_id, "abe")
    side = projected(org)

    def status(as_of: int) -> tuple[str, list[int]]:
        found = inventory_entry(side, as_of, "credit")["status"]
        return found["value"], found["sources"]

    ann, abe = leaves(org, "ApprovalGranted")
    assert status(one_left - 1) == ("approved", [ann, abe])
    assert status(one_left) == ("approved", [abe])
    assert status(side.size()) == ("validated", leaves(org, "ValidationConcluded"))


def test_the_last_validation_is_absent_before_it_and_due_again_twelve_months_after_for_high_risk(
    org: Organisation,
) -> None:
    version_id = org.train(org.register_model())
    before = size(org)
    org.validate(version_id)
    side = projected(org)

    assert inventory_entry(side, before, "credit")["last_validation"]["value"] is None
    row = inventory_entry(side, side.size(), "credit")
    last = row["last_validation"]
    assert (last["value"]["outcome"], last["value"]["version"]) == ("passed", 1)
    assert last["sources"] == leaves(org, "ValidationConcluded")
    validated_on = datetime.fromisoformat(last["value"]["at"]).date()
    due = row["next_validation"]
    assert due["value"] == _years_later(validated_on, 1)
    assert due["sources"] == sorted([leaves(org, "Registered")[-1], *last["sources"]])
    assert "12 months for a high risk tier" in due["rule"]


def test_a_medium_risk_model_is_due_for_validation_twenty_four_months_after_the_last(
    org: Organisation,
) -> None:
    org.validate(org.train(org.register_model(risk_tier="medium")))

    row = entry(org, size(org))

    validated_on = datetime.fromisoformat(row["last_validation"]["value"]["at"]).date()
    assert row["next_validation"]["value"] == _years_later(validated_on, 2)


def test_months_after_clamps_the_day_to_the_end_of_a_shorter_month() -> None:
    assert months_after("2026-01-31T09:00:00.000000Z", 1) == "2026-02-28"
    assert months_after("2026-11-30T23:59:59+00:00", 14) == "2028-01-30"


def test_developers_and_validators_are_everyone_who_trained_or_validated_a_version(
    org: Organisation,
) -> None:
    model_id = org.register_model()
    first = org.train(model_id)
    second = org.train(model_id, actor="max", artifact="sha256:" + "e" * 64)
    org.validate(first, validator="max")
    org.validate(second, validator="vera")

    row = entry(org, size(org))

    assert row["developers"] == {"value": ["dev", "max"], "sources": leaves(org, "Trained")}
    validations = sorted(leaves(org, "ValidationStarted") + leaves(org, "ValidationConcluded"))
    assert row["validators"] == {"value": ["max", "vera"], "sources": validations}
    assert row["last_validation"]["value"]["version"] == 2


def test_open_exceptions_count_open_findings_and_list_risk_accepted_ones_apart(
    org: Organisation,
) -> None:
    version_id = org.released()
    high = org.raise_finding(version_id, "high")
    critical = org.raise_finding(version_id, "critical")
    raised = size(org)
    org.app.accept_risk(**org.accept_risk_arguments("ann", critical))
    side = projected(org)
    raised_leaves = leaves(org, "Raised")[-2:]

    at_raise = inventory_entry(side, raised, "credit")["open_exceptions"]
    assert at_raise["value"]["by_severity"] == {"critical": 1, "high": 1, "medium": 0, "low": 0}
    assert [f["id"] for f in at_raise["value"]["open"]] == [str(critical), str(high)]
    assert at_raise["sources"] == raised_leaves
    accepted = inventory_entry(side, side.size(), "credit")["open_exceptions"]
    assert accepted["value"]["by_severity"]["critical"] == 0
    assert [f["id"] for f in accepted["value"]["open"]] == [str(high)]
    assert accepted["value"]["risk_accepted"] == [
        {
            "id": str(critical),
            "title": "bias",
            "severity": "critical",
            "version": 1,
            "approver": "ann",
        }
    ]
    assert accepted["sources"] == [*raised_leaves, *leaves(org, "RiskAccepted")]


def test_the_inventory_lists_every_model_by_name(org: Organisation) -> None:
    org.register_model("zeta")
    org.register_model("alpha", risk_tier="low")

    rows = inventory(projected(org), size(org))["rows"]

    assert [(r["model"], r["risk_tier"]["value"]) for r in rows] == [
        ("alpha", "low"),
        ("zeta", "high"),
    ]


def test_the_inventory_is_paged_by_name_and_counts_every_model(org: Organisation) -> None:
    for name in ("delta", "alpha", "charlie", "bravo"):
        org.register_model(name)
    side = projected(org)

    page = inventory(side, size(org), limit=2, offset=1)

    assert [r["model"] for r in page["rows"]] == ["bravo", "charlie"]
    assert (page["count"], page["limit"], page["offset"]) == (4, 2, 1)
    assert render(page).startswith("Models 2-3 of 4")
    with pytest.raises(ValueError, match="limit 0 must be at least 1"):
        inventory(side, size(org), limit=0)


def test_a_model_not_registered_at_that_log_size_is_not_found_naming_those_that_are(
    org: Organisation,
) -> None:
    org.register_model("credit")
    before = size(org) - 1
    side = projected(org)

    with pytest.raises(NotFoundError, match=r"no model 'fraud' .* registered: credit"):
        inventory_entry(side, side.size(), "fraud")
    with pytest.raises(NotFoundError, match="registered: none"):
        inventory_entry(side, before, "credit")


def _years_later(day: date, years: int) -> str:
    return day.replace(year=day.year + years).isoformat()
