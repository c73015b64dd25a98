"""The auditor's questions on the demo's ledger, as an auditor asks them at the command line:
every answer names the log size and root it reflects, every statement cites leaves, and a cited
leaf's inclusion proof checks out offline against the signed checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, assert_one_line_error


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A home where `govledger demo` ran; its log checkpointed at its full size."""
    folder = tmp_path_factory.mktemp("auditor")
    cli = Cli(cwd=folder, home=folder / "home")
    cli.ok("init")
    assert cli.run("demo").status == 0
    cli.ok("checkpoint")
    return cli


def answer(cli: Cli, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cli.ok(*args, "--json").stdout)
    return document


def cited_leaves(document: object) -> set[int]:
    """Every leaf any ``sources`` list in ``document`` cites."""
    if isinstance(document, dict):
        found = set(document.get("sources", []))
        for value in document.values():
            found |= cited_leaves(value)
        return found
    if isinstance(document, list):
        return set().union(*(cited_leaves(item) for item in document)) if document else set()
    return set()


def test_why_credit_risk_cites_every_statement_against_the_signed_checkpoint(demo: Cli) -> None:
    why = answer(demo, "why", "credit-risk")
    checkpoint = (demo.home / "log" / "checkpoint.txt").read_text().splitlines()
    assert [str(why["log"]["size"]), why["log"]["root"]] == checkpoint[1:3]
    prod = why["versions"][0]
    assert prod["version"] == 3
    assert "prod" in prod["environments"]
    statements = [s for version in why["versions"] for s in version["statements"]]
    assert len(statements) > 20
    for statement in statements:
        assert statement["sources"], statement
        assert all(0 <= leaf < why["log"]["size"] for leaf in statement["sources"]), statement
    approvals = [s for s in prod["statements"] if s["statement"].startswith("Approval granted")]
    assert [s["statement"].split()[3] for s in approvals] == ["ann-approver", "abe-approver"]


def test_a_cited_leaf_has_an_inclusion_proof_that_verifies_offline(
    demo: Cli, tmp_path: Path
) -> None:
    why = answer(demo, "why", "credit-risk")
    approval = next(
        s for s in why["versions"][0]["statements"] if s["statement"].startswith("Approval")
    )
    leaf = approval["sources"][0]
    demo.ok("proof", "--leaf", str(leaf), "--out", str(tmp_path / "proof"))
    checked = demo.ok(
        "verify-proof",
        "--proof", str(tmp_path / "proof" / "proof.tlog"),
        "--entry", str(tmp_path / "proof" / "entry.dsse.json"),
        "--vkey", str(tmp_path / "proof" / "log.vkey"),
        "--checkpoint", str(tmp_path / "proof" / "checkpoint.txt"),
    )  # fmt: skip
    assert checked.stdout.startswith("yes"), checked


def test_each_question_answers_from_the_demo(demo: Cli) -> None:
    inventory = answer(demo, "inventory")
    assert [row["model"] for row in inventory["rows"]] == ["credit-risk"]
    lineage = answer(demo, "lineage", "german-credit", "--downstream", "--depth", "3")
    names = {node["name"] for node in lineage["nodes"]}
    assert {"credit-risk@1", "credit-risk@3"} <= names
    deployments = answer(demo, "deployments")
    assert {(r["environment"], r["version"]) for r in deployments["rows"]} >= {("prod", 3)}
    assert answer(demo, "risk-register")["rows"]
    timeline = answer(demo, "timeline", "credit-risk", "--limit", "1000")
    assert [row["leaf_index"] for row in timeline["rows"]] == sorted(
        row["leaf_index"] for row in timeline["rows"]
    )
    refusals = answer(demo, "search", "refusal")
    assert [row["command"] for row in refusals["rows"]] == ["grant_approval", "deploy"]
    for document in (inventory, lineage, deployments, timeline, refusals):
        assert cited_leaves(document), document


def test_as_of_a_log_size_answers_what_was_true_then(demo: Cli) -> None:
    latest = answer(demo, "why", "credit-risk")
    prod_deploy = next(
        s["sources"][0]
        for s in latest["versions"][0]["statements"]
        if s["statement"].startswith("Deployed to prod")
    )
    before = answer(demo, "why", "credit-risk", "3", "--as-of", str(prod_deploy))
    assert before["log"]["size"] == prod_deploy
    assert "prod" not in before["versions"][0]["environments"]
    after = answer(demo, "why", "credit-risk", "3", "--as-of", str(prod_deploy + 1))
    assert "prod" in after["versions"][0]["environments"]


def test_replay_rebuilds_the_same_answers(demo: Cli) -> None:
    before = answer(demo, "why", "credit-risk")
    rebuilt = demo.ok("replay")
    assert "rebuilt from the verified log" in rebuilt.stdout
    assert answer(demo, "why", "credit-risk") == before


def test_bad_questions_get_one_line_errors(demo: Cli) -> None:
    assert_one_line_error(demo.run("why", "no-such-model"), "no model 'no-such-model'")
    assert_one_line_error(demo.run("why", "credit-risk", "--as-of", "yesterday"), "RFC 3339")
    assert_one_line_error(demo.run("timeline", "credit-risk", "--as-of", "99999"), "0..")
    assert_one_line_error(demo.run("lineage", "credit-risk", "--depth", "0"), "depth 0")
    assert_one_line_error(demo.run("why", "credit-risk", "--as-of", "2001-01-01"), "time zone")


def test_a_question_first_projects_what_the_log_added(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    cli.ok("init")
    cli.ok("demo", "--data-only")
    first = answer(cli, "lineage", "german-credit")
    cli.ok("demo", "--data-only")

    second = answer(cli, "lineage", "german-credit", "--downstream", "--depth", "1")

    leaves = json.loads(cli.ok("verify", "--json").stdout)["leaves"]
    assert second["log"]["size"] == leaves > first["log"]["size"]
    versions = {node["name"] for node in second["nodes"] if node["type"] == "dataset_version"}
    assert versions == {"german-credit@1", "german-credit@2"}
