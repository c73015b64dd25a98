"""Helpers of the read side's integration tests: an organisation signing with real Ed25519
personal keys, a scripted model history whose log size is recorded after each step, writers
and a live projection worker to run concurrently, and a row-for-row dump of every read table.

``SignedOrganisation`` is the unit tests' ``Organisation`` (tests/unit/fakes.py) with one
difference: each person signs with a personal key made as ``govledger personal-key`` makes it,
checked by the real ``Ed25519SignatureVerifier`` of the application ``open_ledger`` composes.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters.personal_signing import PersonalKey, generate_personal_key
from api.composition import Ledger, open_ledger
from api.read_side import projector
from api.settings import Settings
from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from domain.rules.statements import Statement
from tests.integration.raw_access import RawAccess, SQLiteRawAccess
from tests.unit.fakes import CAST, FakeClock, Organisation

MODEL = "credit"
"""The model of the scripted history."""

READ_TABLES = {
    "read_documents": "kind, key, valid_from",
    "read_keys": "kind, key",
    "read_edges": "source, relation, target",
    "read_entries": "leaf_index, seq",
    "read_log_times": "leaf_index",
}
"""Every table of the read side and the order its rows are dumped in (its primary key)."""


def artifact(name: str) -> str:
    """A distinct artifact digest per name."""
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


class SignedOrganisation(Organisation):
    """The test cast of ``CAST``, each person signing with an Ed25519 personal key."""

    def __init__(self, app: GovernanceApplication, clock: FakeClock, keys: Path) -> None:
        """Register the admin ``root``, the cast and each person's new key in ``keys``."""
        self.app = app
        self.clock = clock
        self.keys = {}
        self.personal: dict[str, PersonalKey] = {}
        keys.mkdir(parents=True, exist_ok=True)
        app.bootstrap_admin("root")
        for name, roles in CAST.items():
            app.register_principal(actor="root", name=name, roles=list(roles))
            self.personal[name] = generate_personal_key(keys / f"{name}.pem", None)
            app.register_key(
                actor="root", name=name, public_key_pem=self.personal[name].public_key_pem()
            )

    def keyid(self, name: str) -> str:
        return self.personal[name].keyid

    def signed(self, actor: str, statement: Statement) -> dict[str, Any]:
        """The signature arguments of a command: ``actor`` signs ``statement``."""
        return {
            "signature": self.personal[actor].sign(statement),
            "keyid": self.keyid(actor),
            "signed_at": statement.signed_at,
        }

    def trained(self, model_id: UUID, name: str) -> UUID:
        """A version of ``model_id`` trained by dev, with an artifact of its own."""
        return self.train(model_id, artifact=artifact(name))


def log_size(ledger: Ledger) -> int:
    """The number of leaves in the ledger's log."""
    with ledger.tree.reading() as c:
        return ledger.tree.log_size(c)


def dump_read_side(raw: RawAccess) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read table and the tracked position, in primary-key order."""
    dumped = {
        table: raw.execute(f"SELECT * FROM {table} ORDER BY {order}")
        for table, order in READ_TABLES.items()
    }
    tracking = "tracking" if isinstance(raw, SQLiteRawAccess) else "read_tracking"
    dumped["tracking"] = raw.execute(
        f"SELECT * FROM {tracking} WHERE application_name = 'govledger.read_side'"
    )
    return dumped


def sources_in(answer: object) -> list[tuple[str, list[int]]]:
    """Every ``sources`` list anywhere in a JSON answer, with the path it was found at."""
    found: list[tuple[str, list[int]]] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "sources":
                    found.append((path, list(item)))
                else:
                    walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(answer, "$")
    return found


@dataclass
class History:
    """A scripted history of model ``credit``: the ids it made and the log size after each step."""

    sizes: dict[str, int] = field(default_factory=dict)
    versions: dict[int, UUID] = field(default_factory=dict)
    finding: UUID | None = None
    model_id: UUID | None = None
    revoked_keyid: str = ""


def run_history(org: SignedOrganisation, ledger: Ledger) -> History:
    """v1 to prod; v2 rejected; v3 approved by ann and abe, then ann's key revoked; a high
    finding on v3 blocks prod until max (an independent approver) accepts its risk; v3 to prod
    alongside v1; v3 rolled back from prod; abe revokes his approval of v1 (which keeps running
    in prod); v1 retired. The log size is recorded after each step."""
    app, history = org.app, History()

    def step(name: str) -> None:
        history.sizes[name] = log_size(ledger)

    history.model_id = org.register_model(MODEL, risk_tier="high")
    step("registered")
    history.versions[1] = org.trained(history.model_id, "v1")
    org.validate(history.versions[1])
    org.approve(history.versions[1], "ann", "abe")
    for environment in ("dev", "uat", "prod"):
        org.deploy(history.versions[1], environment)
    step("v1_in_prod")
    history.versions[2] = org.trained(history.model_id, "v2")
    org.validate(history.versions[2])
    step("v2_validated")
    org.reject(history.versions[2], "ann")
    step("v2_rejected")
    history.versions[3] = org.trained(history.model_id, "v3")
    org.validate(history.versions[3])
    org.approve(history.versions[3], "ann", "abe")
    step("v3_approved")
    history.revoked_keyid = org.keyid("ann")
    app.revoke_key(actor="root", name="ann", keyid=history.revoked_keyid)
    step("ann_key_revoked")
    history.finding = org.raise_finding(history.versions[3], severity="high")
    step("finding_raised")
    app.accept_risk(**org.accept_risk_arguments("max", history.finding))
    step("risk_accepted")
    for environment in ("dev", "uat", "prod"):
        org.deploy(history.versions[3], environment)
    step("v3_in_prod")
    app.roll_back(actor="dee", version_id=history.versions[3], environment="prod")
    step("v3_rolled_back")
    org.revoke(history.versions[1], "abe")
    step("v1_approval_revoked")
    app.retire(actor="dee", version_id=history.versions[1])
    step("v1_retired")
    return history


def live_versions(answer: dict[str, Any], environment: str) -> list[int]:
    """The version numbers a ``deployments`` answer says run in ``environment``."""
    return [row["version"] for row in answer["rows"] if row["environment"] == environment]


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


def write_models(settings: Settings, writer: int) -> None:
    """Writer ``writer`` registers and trains its own models, on its own ledger."""
    opened = open_ledger(settings)
    try:
        for model in range(MODELS_PER_WRITER):
            register_and_train(opened.application, f"writer-{writer}-{model}")
    finally:
        opened.close()


class LiveWorker(threading.Thread):
    """A projection worker on its own ledger, catching up ten leaves at a time until stopped;
    ``meanwhile``: the positions it reached before ``stop`` was called."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.meanwhile: list[int] = []
        self.failures: list[BaseException] = []
        self._writing = True
        self._stop_event = threading.Event()

    def run(self) -> None:
        ledger = open_ledger(self.settings)
        try:
            worker = projector(ledger, batch_size=7)
            while not self._stop_event.is_set():
                reached = worker.catch_up(until=worker.position() + 10)
                if self._writing:
                    self.meanwhile.append(reached)
        except BaseException as exc:  # reported by the test's assertion
            self.failures.append(exc)
        finally:
            ledger.close()

    def stop(self) -> None:
        self._writing = False
        self._stop_event.set()
        self.join()


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
