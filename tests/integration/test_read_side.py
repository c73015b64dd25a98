"""The read side end to end on SQLite and on PostgreSQL (issue 10's "Done when").

- A rebuild from the log (``clear_read_side`` + ``replay``) gives the read tables row for row
  as a live worker left them, after concurrent writers and a writer's retry on a conflict.
- A ``govledger project`` worker killed mid-stream resumes with no entry lost or doubled.
- Every leaf an answer cites has an inclusion proof that verifies against the answer's root.
- ``as_of`` answers along a scripted history say what was true at each recorded log size,
  a revoked approval included.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from api.composition import Ledger
from api.read_side import cited_answer, clear_read_side, projector, read_view, resolve_as_of
from api.settings import Settings
from ledger.merkle import verify_inclusion
from ledger.store.signed_event import stored_aggregate_id
from projections.decisions.query import why
from projections.deployments import deployments
from projections.errors import NotFoundError
from projections.inventory import inventory
from projections.risk.register import risk_register
from projections.timeline import timeline
from projections.times import utc_text
from tests.e2e.conftest import GOVLEDGER
from tests.integration.raw_access import RawAccess
from tests.integration.read_side_history import (
    MODEL,
    MODELS_PER_WRITER,
    VERSIONS_PER_MODEL,
    WRITERS,
    History,
    LiveWorker,
    SignedOrganisation,
    conflicting_writer,
    dump_read_side,
    in_threads,
    live_versions,
    log_size,
    register_and_train,
    run_history,
    sources_in,
    write_models,
)
from tests.unit.fakes import FakeClock


def verified_leaves(ledger: Ledger, answer: dict[str, Any]) -> set[int]:
    """Check an inclusion proof of every leaf the answer cites against its root; the leaves."""
    size, root = answer["log"]["size"], base64.b64decode(answer["log"]["root"])
    leaves = {leaf for _, cited in sources_in(answer) for leaf in cited}
    tree = ledger.tree
    with tree.reading() as c:
        for leaf in sorted(leaves):
            assert 0 <= leaf < size
            (leaf_hash,) = tree.leaf_hashes(c, leaf, leaf + 1)
            verify_inclusion(leaf_hash, leaf, size, tree.inclusion_proof(c, leaf, size), root)
    return leaves


def aggregate_of(ledger: Ledger, leaf: int) -> str:
    """The id of the aggregate whose event is at ``leaf``."""
    (entry,) = ledger.log.select_log_entries(leaf, 1)
    return stored_aggregate_id(entry.originator_id)


class ReadSideContract:
    """What the read side must do on every engine; subclasses provide ``database_url``."""

    @pytest.fixture
    def org(self, ledger: Ledger, tmp_path: Path) -> SignedOrganisation:
        return SignedOrganisation(ledger.application, FakeClock(), tmp_path / "people")

    @pytest.fixture
    def history(self, org: SignedOrganisation, ledger: Ledger) -> History:
        history = run_history(org, ledger)
        projector(ledger).catch_up()
        return history

    def test_a_rebuild_equals_what_a_live_worker_projected_during_concurrent_writes(
        self, settings: Settings, ledger: Ledger, org: SignedOrganisation, raw: RawAccess
    ) -> None:
        worker = LiveWorker(settings)
        worker.start()
        conflicts: list[int] = []
        failures = in_threads(
            [
                partial(run_history, org, ledger),
                *(partial(write_models, settings, number) for number in range(WRITERS)),
                lambda: conflicts.append(conflicting_writer(settings, "retried-data")),
            ]
        )
        worker.stop()

        assert not failures, failures
        assert not worker.failures, worker.failures
        assert conflicts == [1]
        size = log_size(ledger)
        assert any(0 < position < size for position in worker.meanwhile), worker.meanwhile
        assert projector(ledger).catch_up() == size
        live = dump_read_side(raw)
        clear_read_side(ledger)
        assert dump_read_side(raw)["read_documents"] == []
        assert projector(ledger).replay() == size
        rebuilt = dump_read_side(raw)
        assert sum(len(rows) for rows in live.values()) > 500
        assert live["tracking"] == rebuilt["tracking"]
        for table, rows in live.items():
            assert rows == rebuilt[table], table
        names = {row["model"] for row in inventory(read_view(ledger), size)["rows"]}
        assert names == {MODEL} | {
            f"writer-{w}-{m}" for w in range(WRITERS) for m in range(MODELS_PER_WRITER)
        }

    def test_a_killed_worker_resumes_without_losing_or_doubling_an_entry(
        self, settings: Settings, ledger: Ledger, org: SignedOrganisation, raw: RawAccess
    ) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVLEDGER_")}
        environment["GOVLEDGER_HOME"] = str(settings.home)
        environment["GOVLEDGER_DATABASE_URL"] = settings.database_url
        worker = projector(ledger)
        models = [f"model-{n}" for n in range(8)]
        register_and_train(ledger.application, models[0])

        follower = self.start(
            [str(GOVLEDGER), "project", "--follow", "--interval", "0.2"], environment
        )
        try:
            self.wait_until(lambda: worker.position() > 0)
            for name in models[1:4]:
                register_and_train(ledger.application, name)
        finally:
            follower.send_signal(signal.SIGKILL)
            follower.wait(timeout=30)
        for name in models[4:]:
            register_and_train(ledger.application, name)
        slow = self.start([sys.executable, "-c", SLOW_WORKER], environment)
        try:
            before = worker.position()
            self.wait_until(lambda: worker.position() > before)
        finally:
            slow.send_signal(signal.SIGKILL)
            slow.wait(timeout=30)
        size = log_size(ledger)
        assert worker.position() < size, "the slow worker finished before it was killed"

        follower = self.start(
            [str(GOVLEDGER), "project", "--follow", "--interval", "0.2"], environment
        )
        try:
            self.wait_until(lambda: worker.position() == size)
            register_and_train(ledger.application, "followed")
            size = log_size(ledger)
            self.wait_until(lambda: worker.position() == size)  # projected by the follow loop
        finally:
            follower.send_signal(signal.SIGTERM)
            assert follower.wait(timeout=30) == 0

        resumed = dump_read_side(raw)
        clear_read_side(ledger)
        assert worker.replay() == size
        assert dump_read_side(raw) == resumed
        view = read_view(ledger)
        for name in [*models, "followed"]:
            lines = timeline(view, size, name, limit=1000)["rows"]
            leaves = [line["leaf_index"] for line in lines]
            assert leaves == sorted(set(leaves))
            # Model.Registered, then ModelVersion.Trained and Model.VersionAdded per version.
            assert len(lines) == 1 + 2 * VERSIONS_PER_MODEL, name

    @staticmethod
    def start(command: list[str], environment: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    @staticmethod
    def wait_until(condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.05)

    def test_every_leaf_cited_by_why_and_inventory_has_a_verifying_inclusion_proof(
        self, ledger: Ledger, history: History
    ) -> None:
        ledger.checkpointer.cut()
        view = read_view(ledger)
        subjects = {str(history.model_id), *(str(v) for v in history.versions.values())}
        subjects.add(str(history.finding))
        for as_of in (None, str(history.sizes["finding_raised"])):
            for number, version_id in history.versions.items():
                answer = cited_answer(
                    ledger, view, as_of, partial(why, model=MODEL, version=number)
                )
                assert verified_leaves(ledger, answer)
                (explained,) = answer["versions"]
                assert explained["statements"]
                own = {str(version_id), str(history.finding), str(history.model_id)}
                for stated in explained["statements"]:
                    if stated["kind"] == "gate" and not stated["sources"]:
                        continue  # a gate the policy does not set: no event to cite
                    about = {aggregate_of(ledger, leaf) for leaf in stated["sources"]}
                    assert about & own, stated
            listed = cited_answer(ledger, view, as_of, inventory)
            (row,) = listed["rows"]
            cited = verified_leaves(ledger, listed)
            assert set(row["sources"]) == cited
            assert {aggregate_of(ledger, leaf) for leaf in cited} <= subjects

    def test_deployments_and_why_as_of_each_step_show_what_ran_where_then(
        self, ledger: Ledger, history: History
    ) -> None:
        view, sizes = read_view(ledger), history.sizes

        def prod_at(step: str) -> list[int]:
            return live_versions(deployments(view, sizes[step], MODEL), "prod")

        def running_at(step: str) -> list[tuple[int, list[str]]]:
            explained = why(view, sizes[step], MODEL)["versions"]
            return [(version["version"], version["environments"]) for version in explained]

        assert prod_at("registered") == []
        assert prod_at("v1_in_prod") == [1]
        assert prod_at("v3_in_prod") == [1, 3]
        assert prod_at("v3_rolled_back") == [1]
        assert prod_at("v1_retired") == []
        assert running_at("v1_in_prod") == [(1, ["prod", "uat", "dev"])]
        assert running_at("v3_rolled_back") == [(1, ["prod", "uat", "dev"]), (3, ["uat", "dev"])]
        assert running_at("v1_retired") == [(3, ["uat", "dev"])]
        with pytest.raises(NotFoundError, match="no version 2"):
            why(view, sizes["v1_in_prod"], MODEL, 2)

    def test_why_as_of_each_step_follows_the_rejection_the_finding_and_its_acceptance(
        self, ledger: Ledger, history: History
    ) -> None:
        view, sizes = read_view(ledger), history.sizes

        def prod_verdict(step: str, number: int) -> dict[str, Any]:
            (explained,) = why(view, sizes[step], MODEL, number)["versions"]
            (verdict,) = [v for v in explained["allowed"] if v["environment"] == "prod"]
            return dict(verdict)

        assert prod_verdict("v2_validated", 2)["allowed"] is False
        assert "reject" not in prod_verdict("v2_validated", 2)["reason"]
        assert "reject" in prod_verdict("v2_rejected", 2)["reason"]
        assert prod_verdict("v3_approved", 3)["allowed"] is True
        assert prod_verdict("finding_raised", 3)["allowed"] is False
        assert "bias" in prod_verdict("finding_raised", 3)["reason"]
        assert prod_verdict("risk_accepted", 3)["allowed"] is True

    def test_an_approval_signature_status_changes_at_the_revocation_of_its_key(
        self, ledger: Ledger, history: History
    ) -> None:
        view, sizes = read_view(ledger), history.sizes

        def ann_approval(step: str) -> dict[str, Any]:
            (explained,) = why(view, sizes[step], MODEL, 3)["versions"]
            (approval,) = [
                s
                for s in explained["statements"]
                if s.get("signature", {}).get("keyid") == history.revoked_keyid
            ]
            return dict(approval)

        before = ann_approval("v3_approved")
        assert before["signature"]["status"] == "verified when recorded"
        revoked = ann_approval("ann_key_revoked")
        revocation_leaf = sizes["ann_key_revoked"] - 1
        assert revoked["signature"]["status"] == (
            f"verified when recorded; key revoked at leaf {revocation_leaf}"
        )
        assert revoked["sources"] == sorted([*before["sources"], revocation_leaf])
        assert ann_approval("v1_retired") == revoked

    def test_a_revoked_approval_is_stated_and_no_longer_counts_from_its_leaf_on(
        self, ledger: Ledger, history: History
    ) -> None:
        ledger.checkpointer.cut()
        view, sizes = read_view(ledger), history.sizes
        revoked = sizes["v1_approval_revoked"] - 1

        def v1(step: str) -> dict[str, Any]:
            (explained,) = why(view, sizes[step], MODEL, 1)["versions"]
            return dict(explained)

        def prod_reason(explained: dict[str, Any]) -> str:
            (verdict,) = [v for v in explained["allowed"] if v["environment"] == "prod"]
            assert (verdict["live"], verdict["allowed"]) == (True, True)
            return str(verdict["reason"])

        before, after = v1("v3_rolled_back"), v1("v1_approval_revoked")
        assert [s for s in before["statements"] if s["kind"] == "approval.revoked"] == []
        assert "would now be refused" not in prod_reason(before)
        (statement,) = [s for s in after["statements"] if s["kind"] == "approval.revoked"]
        assert statement["statement"].startswith("Approval by abe revoked: ")
        assert revoked in statement["sources"]
        assert statement["signature"]["status"] == "verified when recorded"
        assert "a new deployment would now be refused: prod requires 2" in prod_reason(after)
        assert f"revoked: abe (leaf {revoked}: " in prod_reason(after)
        cited = cited_answer(
            ledger, view, str(sizes["v1_approval_revoked"]), partial(why, model=MODEL, version=1)
        )
        assert revoked in verified_leaves(ledger, cited)

        def v1_approvals(step: str) -> list[tuple[str, int | None]]:
            rows = risk_register(view, sizes[step], MODEL)["rows"]
            (row,) = [row for row in rows if row["version"] == 1]
            return [(a["approver"], (a["revoked"] or {}).get("leaf")) for a in row["approvals"]]

        assert v1_approvals("v3_rolled_back") == [("ann", None), ("abe", None)]
        assert v1_approvals("v1_approval_revoked") == [("ann", None), ("abe", revoked)]
        assert v1_approvals("v1_retired") == v1_approvals("v1_approval_revoked")

    def test_risk_register_and_inventory_as_of_each_step_show_the_risk_then(
        self, ledger: Ledger, history: History
    ) -> None:
        view, sizes = read_view(ledger), history.sizes

        def v3_risk(step: str) -> dict[str, Any]:
            rows = risk_register(view, sizes[step], MODEL)["rows"]
            (row,) = [row for row in rows if row["version"] == 3]
            return dict(row)

        def open_high(step: str) -> int:
            return int(v3_risk(step)["open_findings"]["value"]["by_severity"]["high"])

        assert [open_high(step) for step in ("v3_approved", "finding_raised")] == [0, 1]
        assert v3_risk("finding_raised")["risk_acceptances"] == []
        assert open_high("risk_accepted") == 0
        accepted = v3_risk("risk_accepted")["risk_acceptances"]
        assert [a["finding"] for a in accepted] == [str(history.finding)]

        def status(step: str) -> str:
            (row,) = inventory(view, sizes[step])["rows"]
            return str(row["status"]["value"])

        steps = ("registered", "v2_validated", "v1_retired")
        assert [status(step) for step in steps] == ["registered", "in_production", "deployed"]

    def test_an_as_of_time_names_the_size_of_the_last_event_recorded_by_then(
        self, ledger: Ledger, history: History
    ) -> None:
        view = read_view(ledger)
        lines = timeline(view, view.size(), MODEL, limit=1000)["rows"]
        rolled_back = next(line for line in lines if line["event"] == "ModelVersion.RolledBack")
        moment = rolled_back["recorded_at"]

        assert resolve_as_of(moment, view, ledger) == history.sizes["v3_rolled_back"]
        just_before = utc_text(datetime.fromisoformat(moment) - timedelta(microseconds=1))
        assert resolve_as_of(just_before, view, ledger) == rolled_back["leaf_index"]
        assert resolve_as_of("2000-01-01T00:00:00Z", view, ledger) == 0


SLOW_WORKER = """
import time
from api.composition import open_ledger
from api.read_side import projector
from api.settings import Settings
ledger = open_ledger(Settings())
worker = projector(ledger, batch_size=5)
while True:
    worker.catch_up(until=worker.position() + 5)
    time.sleep(0.05)
"""
"""A worker projecting five leaves at a time, slowly, until it is killed."""


class TestReadSideOnSQLite(ReadSideContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestReadSideOnPostgres(ReadSideContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
