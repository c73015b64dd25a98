"""The read side end to end on SQLite and on PostgreSQL (issue 10's "Done when").

- A rebuild from the log (``clear_read_side`` + ``replay``) gives the read tables row for row
  as a live worker left them, after concurrent writers and a writer's retry on a conflict.
- A ``govledger project`` worker killed mid-stream resumes with no entry lost or doubled.
- Every leaf an answer cites has an inclusion proof that verifies against the answer's root.
- ``as_of`` answers along a scripted history say what was true at each recorded log size.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from api.composition import Ledger, open_ledger
from api.read_side import cited_answer, clear_read_side, projector, read_view, resolve_as_of
from api.settings import Settings
from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from ledger.merkle import verify_inclusion
from ledger.store.signed_event import stored_aggregate_id
from projections.decision_query import why
from projections.deployments import deployments
from projections.errors import NotFoundError
from projections.inventory import inventory
from projections.risk_register import risk_register
from projections.timeline import timeline
from projections.times import utc_text
from tests.e2e.conftest import GOVLEDGER
from tests.integration.raw_access import RawAccess
from tests.integration.read_side_history import (
    MODEL,
    History,
    SignedOrganisation,
    artifact,
    dump_read_side,
    live_versions,
    log_size,
    run_history,
    sources_in,
)
from tests.unit.fakes import FakeClock

WRITERS = 3
MODELS_PER_WRITER = 2
VERSIONS_PER_MODEL = 3


def register_and_train(app: GovernanceApplication, name: str) -> list[UUID]:
    """Model ``name`` with ``VERSIONS_PER_MODEL`` trained versions; their ids."""
    model_id = app.register_model(
        actor="olga",
        name=name,
        purpose="score loan applications",
        intended_use="decision support",
        restrictions=[],
        risk_tier="medium",
    )
    return [
        app.train_model_version(
            actor="dev",
            model_id=model_id,
            dataset_versions=[f"{name}-data:1"],
            training_spec={"algorithm": "logistic_regression", "seed": number},
            code_version="git:0123abc",
            environment={"python": "3.11"},
            artifact_digest=artifact(f"{name}/{number}"),
            metrics={"auc": 0.8},
        )
        for number in range(VERSIONS_PER_MODEL)
    ]


def add_dataset_version(dataset: Dataset, number: int) -> None:
    dataset.add_version(
        digest=artifact(f"{dataset.name}/{number}"),
        row_count=100 + number,
        columns=["age", "amount"],
        protected_attributes=["age"],
        sensitivity="internal",
        actor="stu",
    )


def conflicting_writer(settings: Settings, name: str) -> int:
    """Add a version to a dataset another ledger changed meanwhile: the save conflicts, then the
    writer reads the dataset again and retries. How many conflicts it met."""
    mine, theirs = open_ledger(settings), open_ledger(settings)
    try:
        dataset_id = mine.application.register_dataset(name=name, description="d", actor="stu")
        stale: Dataset = mine.application.repository.get(dataset_id)
        fresh: Dataset = theirs.application.repository.get(dataset_id)
        add_dataset_version(fresh, 1)
        theirs.application.save(fresh)
        conflicts = 0
        add_dataset_version(stale, 1)
        while True:
            try:
                mine.application.save(stale)
                return conflicts
            except IntegrityError:
                conflicts += 1
                stale = mine.application.repository.get(dataset_id)
                add_dataset_version(stale, stale.version)
    finally:
        mine.close()
        theirs.close()


def in_threads(targets: list[Callable[[], object]]) -> list[BaseException]:
    """Run each target in its own thread; the exceptions they raised."""
    failures: list[BaseException] = []

    def run(target: Callable[[], object]) -> None:
        try:
            target()
        except BaseException as exc:  # reported by the caller's assertion
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


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
        writing, stop = threading.Event(), threading.Event()
        meanwhile: list[int] = []

        def live_worker() -> None:
            """Catch up a few leaves at a time, noting the positions reached during the writes."""
            mine = open_ledger(settings)
            try:
                worker = projector(mine, batch_size=7)
                while not stop.is_set():
                    reached = worker.catch_up(until=worker.position() + 10)
                    if writing.is_set():
                        meanwhile.append(reached)
            finally:
                mine.close()

        def writer(number: int) -> Callable[[], object]:
            def write() -> None:
                opened = open_ledger(settings)
                try:
                    for model in range(MODELS_PER_WRITER):
                        register_and_train(opened.application, f"writer-{number}-{model}")
                finally:
                    opened.close()

            return write

        conflicts: list[int] = []
        worker_failures: list[BaseException] = []
        worker = threading.Thread(target=lambda: worker_failures.extend(in_threads([live_worker])))
        writing.set()
        worker.start()
        failures = in_threads(
            [
                lambda: run_history(org, ledger),
                *(writer(number) for number in range(WRITERS)),
                lambda: conflicts.append(conflicting_writer(settings, "retried-data")),
            ]
        )
        writing.clear()
        stop.set()
        worker.join()

        assert not failures, failures
        assert not worker_failures, worker_failures
        assert conflicts == [1]
        size = log_size(ledger)
        assert any(0 < position < size for position in meanwhile), meanwhile
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

    def test_answers_as_of_each_step_say_what_was_true_then(
        self, ledger: Ledger, history: History
    ) -> None:
        view, sizes = read_view(ledger), history.sizes

        def prod_at(step: str) -> list[int]:
            return live_versions(deployments(view, sizes[step], MODEL), "prod")

        assert prod_at("registered") == []
        assert prod_at("v1_in_prod") == [1]
        assert prod_at("v3_in_prod") == [1, 3]
        assert prod_at("v3_rolled_back") == [1]
        assert prod_at("v1_retired") == []
        with pytest.raises(NotFoundError):
            why(view, sizes["v1_in_prod"], MODEL, 2)

        def prod_verdict(step: str, number: int) -> dict[str, Any]:
            (explained,) = why(view, sizes[step], MODEL, number)["versions"]
            (verdict,) = [v for v in explained["allowed"] if v["environment"] == "prod"]
            return dict(verdict)

        assert prod_verdict("v2_validated", 2)["allowed"] is False
        assert "reject" in prod_verdict("v2_rejected", 2)["reason"]
        assert prod_verdict("v3_approved", 3)["allowed"] is True
        assert prod_verdict("finding_raised", 3)["allowed"] is False
        assert "bias" in prod_verdict("finding_raised", 3)["reason"]
        assert prod_verdict("risk_accepted", 3)["allowed"] is True

        def ann_approval(step: str) -> dict[str, Any]:
            (explained,) = why(view, sizes[step], MODEL, 3)["versions"]
            (approval,) = [
                s
                for s in explained["statements"]
                if s.get("signature", {}).get("keyid") == history.revoked_keyid
            ]
            return dict(approval)

        assert ann_approval("v3_approved")["signature"]["status"] == "verified when recorded"
        revoked = ann_approval("ann_key_revoked")
        revocation_leaf = sizes["ann_key_revoked"] - 1
        assert revoked["signature"]["status"] == (
            f"verified when recorded; key revoked at leaf {revocation_leaf}"
        )
        assert revocation_leaf in revoked["sources"]

        def v3_risk(step: str) -> dict[str, Any]:
            rows = risk_register(view, sizes[step], MODEL)["rows"]
            (row,) = [row for row in rows if row["version"] == 3]
            return dict(row)

        assert v3_risk("v3_approved")["open_findings"]["value"]["by_severity"]["high"] == 0
        assert v3_risk("finding_raised")["open_findings"]["value"]["by_severity"]["high"] == 1
        assert v3_risk("finding_raised")["risk_acceptances"] == []
        accepted = v3_risk("risk_accepted")
        assert accepted["open_findings"]["value"]["by_severity"]["high"] == 0
        assert [a["finding"] for a in accepted["risk_acceptances"]] == [str(history.finding)]

        def status(step: str) -> str:
            (row,) = inventory(view, sizes[step])["rows"]
            return str(row["status"]["value"])

        assert [status(step) for step in ("registered", "v1_in_prod", "v1_retired")] == [
            "registered",
            "in_production",
            "deployed",
        ]

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
