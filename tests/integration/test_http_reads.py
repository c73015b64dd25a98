"""Every read over HTTP, on SQLite and on PostgreSQL, over a ledger with a real model history.

- each auditor question answers what the CLI's query functions answer, now and as of a past
  log size, and every ``log.root`` is the tree's root at ``log.size``;
- an inclusion proof from ``/ledger/proofs/inclusion`` verifies against the checkpoint from
  ``/ledger/checkpoint``, whose signature verifies with the vkey from ``/ledger/keys``; a
  consistency proof verifies between two checkpoints; the entries are the stored envelopes;
- bad parameters are 4xx ``{"error", "detail"}`` naming what to fix; a scoring client gets 403
  on every read and each refusal is on the ledger; no token is 401.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.composition import Ledger
from api.http.app import create_app
from api.http.resource_state import (
    dataset_page,
    dataset_state,
    findings,
    model_page,
    model_state,
)
from api.read_side import Query, cited_answer, projector, read_view
from api.settings import Settings
from api.tokens import TokenStore
from domain.rules.roles import Role
from ledger.encoding.dsse import Envelope
from ledger.keys.history import KEYS_AGGREGATE_ID
from ledger.keys.keystore import EVENT_SIGNER, LOG
from ledger.keys.rotation import rotate_key
from ledger.merkle import leaf_hash, root_hash, verify_consistency, verify_inclusion
from ledger.tlog.checkpoint import open_checkpoint
from ledger.tlog.note import NoteVerifier
from ledger.tlog.offline_check import verify_entry
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory
from projections.lineage.queries import lineage
from projections.risk.register import risk_register
from projections.search_index import search
from projections.timeline import timeline
from tests.e2e.conftest import GOVLEDGER
from tests.integration.read_side_history import (
    MODEL,
    History,
    SignedOrganisation,
    artifact,
    live_versions,
    run_history,
)
from tests.unit.fakes import CAST, FakeClock

SCORER = "scoring-app"
DATASET = "credit-data"

READS = [
    "/v1/ledger/checkpoint",
    "/v1/ledger/checkpoints",
    "/v1/ledger/entries",
    "/v1/ledger/proofs/inclusion?index=0",
    "/v1/ledger/proofs/consistency?old=1",
    "/v1/ledger/keys",
    f"/v1/lineage/{MODEL}",
    "/v1/inventory",
    "/v1/risk-register",
    f"/v1/models/{MODEL}/timeline",
    f"/v1/models/{MODEL}/why",
    "/v1/deployments",
    "/v1/search/refusal",
    "/v1/models",
    f"/v1/models/{MODEL}",
    "/v1/datasets",
    f"/v1/datasets/{DATASET}",
    "/v1/principals",
    "/v1/principals/ann",
    "/v1/findings",
]
"""One request of every read route."""


def issue_token(ledger: Ledger, principal: str) -> str:
    """A new API token of ``principal``, valid for a day."""
    expires = datetime.now(UTC) + timedelta(days=1)
    return TokenStore(ledger.database).issue(principal, label="test", expires_at=expires).secret


def the_cli_answer(ledger: Ledger, as_of: str | None, query: Query) -> dict[str, Any]:
    """What ``govledger <question> --json`` prints: the same query, cited the same way."""
    projector(ledger).catch_up()
    return cited_answer(ledger, read_view(ledger), as_of, query)


def root_at(ledger: Ledger, size: int) -> str:
    """The RFC 6962 root of the first ``size`` leaves, hashed here from every leaf."""
    tree = ledger.tree
    with tree.reading() as c:
        leaves = tree.leaf_hashes(c, 0, size)
    return base64.b64encode(root_hash(leaves)).decode("ascii")


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


QUESTIONS: list[tuple[str, Query]] = [
    (
        f"/v1/lineage/{MODEL}?depth=3&direction=upstream",
        lambda v, s: lineage(v, s, MODEL, direction="upstream", depth=3),
    ),
    (
        f"/v1/lineage/{MODEL}@1",
        lambda v, s: lineage(v, s, f"{MODEL}@1", direction=None, depth=5),
    ),
    ("/v1/inventory?limit=5&offset=0", lambda v, s: inventory(v, s, limit=5, offset=0)),
    ("/v1/risk-register", risk_register),
    (f"/v1/risk-register?model={MODEL}", lambda v, s: risk_register(v, s, MODEL)),
    (
        f"/v1/models/{MODEL}/timeline?limit=7&offset=2",
        lambda v, s: timeline(v, s, MODEL, limit=7, offset=2),
    ),
    (f"/v1/models/{MODEL}/why", lambda v, s: why(v, s, MODEL)),
    (f"/v1/models/{MODEL}/why?version=3", lambda v, s: why(v, s, MODEL, 3)),
    ("/v1/deployments", deployments),
    (f"/v1/deployments?model={MODEL}", lambda v, s: deployments(v, s, MODEL)),
    ("/v1/search/refusal?actor=dee", lambda v, s: search(v, s, "refusal", actor="dee")),
    ("/v1/models?limit=1", lambda v, s: model_page(v, s, limit=1, offset=0)),
    (f"/v1/models/{MODEL}", lambda v, s: model_state(v, s, MODEL)),
    ("/v1/datasets", lambda v, s: dataset_page(v, s, limit=100, offset=0)),
    (f"/v1/datasets/{DATASET}", lambda v, s: dataset_state(v, s, DATASET)),
    (f"/v1/findings?model={MODEL}", lambda v, s: findings(v, s, MODEL)),
]


BAD_PARAMETERS: list[tuple[str, int, str, str]] = [
    ("/v1/inventory?as_of=yesterday", 422, "invalid_as_of", "as_of"),
    ("/v1/inventory?as_of=999999", 422, "invalid_as_of", "as_of 999999"),
    ("/v1/inventory?limit=0", 422, "invalid_request", "limit"),
    ("/v1/inventory?limit=1001", 422, "invalid_request", "limit"),
    ("/v1/inventory?offset=-1", 422, "invalid_request", "offset"),
    ("/v1/lineage/nothing-like-it", 404, "not_found", "nothing-like-it"),
    (f"/v1/lineage/{MODEL}?depth=21", 422, "invalid_request", "depth"),
    (f"/v1/lineage/{MODEL}?direction=sideways", 422, "invalid_request", "direction"),
    ("/v1/models/unknown/why", 404, "not_found", "unknown"),
    (f"/v1/models/{MODEL}/why?version=99", 404, "not_found", "version 99"),
    (f"/v1/models/{MODEL}/why?version=two", 422, "invalid_request", "version"),
    ("/v1/models/unknown/timeline", 404, "not_found", "unknown"),
    ("/v1/risk-register?model=unknown", 404, "not_found", "unknown"),
    ("/v1/deployments?model=unknown", 404, "not_found", "unknown"),
    ("/v1/search/everything", 422, "invalid_request", "kind"),
    ("/v1/search/refusal?start=monday", 422, "invalid_request", "start"),
    ("/v1/ledger/proofs/inclusion?index=-1", 422, "invalid_request", "index"),
    ("/v1/ledger/proofs/inclusion?index=x", 422, "invalid_request", "index"),
    ("/v1/ledger/proofs/inclusion", 422, "invalid_request", "index"),
    ("/v1/ledger/proofs/inclusion?index=5&size=5", 422, "invalid_request", "index 5"),
    ("/v1/ledger/proofs/inclusion?index=0&size=999999", 404, "not_found", "size 999999"),
    ("/v1/ledger/proofs/inclusion?index=0&size=0", 422, "invalid_request", "size"),
    ("/v1/ledger/proofs/consistency?old=9&new=3", 422, "invalid_request", "old 9"),
    ("/v1/ledger/proofs/consistency?old=0", 422, "invalid_request", "old"),
    ("/v1/ledger/proofs/consistency?old=1&new=999999", 404, "not_found", "new 999999"),
    ("/v1/ledger/entries?limit=1001", 422, "invalid_request", "limit"),
    ("/v1/ledger/entries?start=-3", 422, "invalid_request", "start"),
    ("/v1/ledger/checkpoints?limit=abc", 422, "invalid_request", "limit"),
    ("/v1/ledger/entries?start=99999999999999999999", 422, "invalid_request", "start"),
    ("/v1/inventory?offset=99999999999999999999", 422, "invalid_request", "offset"),
    ("/v1/models/unknown", 404, "not_found", "unknown"),
    ("/v1/models?offset=x", 422, "invalid_request", "offset"),
    ("/v1/datasets/unknown", 404, "not_found", "credit-data"),
    ("/v1/principals/nobody", 404, "not_found", "nobody"),
    ("/v1/principals?as_of=1e9", 422, "invalid_as_of", "as_of"),
    ("/v1/findings?model=unknown", 404, "not_found", "unknown"),
]
"""Requests with a bad parameter: the status, error code and what the detail must name."""


class HttpReadsContract:
    """The read routes on every engine; subclasses provide ``database_url``."""

    @pytest.fixture
    def history(self, ledger: Ledger, tmp_path: Path) -> History:
        """The scripted history, between two checkpoints, and a scoring client registered."""
        org = SignedOrganisation(ledger.application, FakeClock(), tmp_path / "people")
        ledger.application.register_principal(
            actor="root", name=SCORER, roles=[Role.SCORING_CLIENT]
        )
        dataset = ledger.application.register_dataset(
            name=DATASET, description="loans", actor="stu"
        )
        ledger.application.add_dataset_version(
            dataset,
            digest=artifact("credit-data/1"),
            row_count=100,
            columns=["age", "amount"],
            protected_attributes=["age"],
            sensitivity="internal",
            actor="stu",
        )
        ledger.checkpointer.cut()
        history = run_history(org, ledger)
        ledger.checkpointer.cut()
        return history

    @pytest.fixture
    def scorer_token(self, ledger: Ledger, history: History) -> str:
        return issue_token(ledger, SCORER)

    @pytest.fixture
    def client(self, ledger: Ledger, history: History) -> Iterator[TestClient]:
        """The API over the ledger, as the auditor ``aud`` (a real token)."""
        app = create_app(ledger.settings, opened=ledger)
        reader = {"Authorization": f"Bearer {issue_token(ledger, 'aud')}"}
        with TestClient(app, raise_server_exceptions=False, headers=reader) as client:
            yield client

    def test_each_question_answers_what_the_cli_answers_now_and_in_the_past(
        self, client: TestClient, ledger: Ledger, history: History
    ) -> None:
        past = str(history.sizes["v3_approved"])
        for path, query in QUESTIONS:
            for as_of in (None, past):
                url = path if as_of is None else f"{path}{'&' if '?' in path else '?'}as_of={as_of}"
                answer = client.get(url)

                assert answer.status_code == 200, (url, answer.text)
                assert answer.json() == the_cli_answer(ledger, as_of, query), url

    @pytest.mark.parametrize(
        ("url", "arguments"),
        [
            (f"/v1/models/{MODEL}/why", ["why", MODEL]),
            (
                f"/v1/lineage/{MODEL}@3?direction=upstream&depth=2",
                ["lineage", f"{MODEL}@3", "--upstream", "--depth", "2"],
            ),
            ("/v1/risk-register", ["risk-register"]),
            (f"/v1/models/{MODEL}/timeline", ["timeline", MODEL]),
        ],
    )
    def test_the_api_prints_what_the_cli_prints_with_json(
        self,
        client: TestClient,
        settings: Settings,
        history: History,
        url: str,
        arguments: list[str],
    ) -> None:
        as_of = str(history.sizes["risk_accepted"])
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GOVLEDGER_")}
        environment["GOVLEDGER_HOME"] = str(settings.home)
        environment["GOVLEDGER_DATABASE_URL"] = settings.database_url
        printed = subprocess.run(
            [str(GOVLEDGER), *arguments, "--as-of", as_of, "--json"],
            env=environment,
            capture_output=True,
            check=True,
            timeout=120,
        )

        answer = client.get(f"{url}{'&' if '?' in url else '?'}as_of={as_of}")
        assert answer.json() == json.loads(printed.stdout)

    def test_as_of_a_past_size_gives_the_past_answer(
        self, client: TestClient, history: History
    ) -> None:
        v1_in_prod = history.sizes["v1_in_prod"]
        then = client.get(f"/v1/deployments?model={MODEL}&as_of={v1_in_prod}").json()
        rolled_back = client.get(f"/v1/deployments?as_of={history.sizes['v3_in_prod']}").json()
        registered = client.get(f"/v1/inventory?as_of={history.sizes['registered']}").json()

        assert then["log"]["size"] == v1_in_prod
        assert then["as_of"] == str(v1_in_prod)
        assert live_versions(then, "prod") == [1]
        assert live_versions(rolled_back, "prod") == [1, 3]
        assert registered["rows"][0]["status"]["value"] == "registered"
        assert client.get("/v1/deployments").json()["as_of"] == "latest"

    def test_every_log_root_is_the_tree_root_at_its_size(
        self, client: TestClient, ledger: Ledger, history: History
    ) -> None:
        for path, _ in QUESTIONS:
            for size in (history.sizes["risk_accepted"], None):
                url = path if size is None else f"{path}{'&' if '?' in path else '?'}as_of={size}"
                log = client.get(url).json()["log"]

                assert log["root"] == root_at(ledger, log["size"]), url

    def test_an_inclusion_proof_verifies_against_the_signed_checkpoint(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        keys = client.get("/v1/ledger/keys").json()
        note = client.get("/v1/ledger/checkpoint")
        checkpoint = open_checkpoint(
            note.text, [NoteVerifier.from_vkey(keys["log_vkey"])], keys["origin"]
        )
        leaf = checkpoint.size // 2
        proof = client.get(f"/v1/ledger/proofs/inclusion?index={leaf}").json()
        (entry,) = client.get(f"/v1/ledger/entries?start={leaf}&limit=1").json()["data"]
        envelope = Envelope.from_json(json.dumps(entry["envelope"]).encode())

        assert note.headers["content-type"].startswith("text/plain")
        assert proof["size"] == checkpoint.size
        assert b64(proof["root"]) == checkpoint.root
        assert proof["checkpoint"] == note.text
        assert entry["leaf_index"] == leaf
        assert b64(entry["leaf_hash"]) == leaf_hash(envelope.to_json()) == b64(proof["leaf_hash"])
        verify_inclusion(
            leaf_hash(envelope.to_json()),
            leaf,
            checkpoint.size,
            [b64(h) for h in proof["hashes"]],
            checkpoint.root,
        )
        verified = verify_entry(
            proof=proof["tlog_proof"], entry=envelope.to_json(), vkey=keys["log_vkey"]
        )
        assert (verified.index, verified.checkpoint.size) == (leaf, checkpoint.size)
        keyids = {key["keyid"] for key in keys["event_keys"]}
        assert envelope.signatures[0].keyid in keyids
        assert [key["from_leaf"] for key in keys["event_keys"]] == [0]
        assert keys["event_keys"][0]["jwk"]["kty"] == "OKP"
        assert keys["event_keys"][0]["pem"].startswith("-----BEGIN PUBLIC KEY-----")
        assert [key["vkey"] for key in keys["log_keys"]] == [keys["log_vkey"]]

    def test_the_keys_carry_the_windows_their_rotations_give_them(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        (genesis,) = client.get("/v1/ledger/keys").json()["event_keys"]
        old_log = ledger.keystore.log_signer().keyid
        new_event = rotate_key(ledger.recorder, ledger.keystore, EVENT_SIGNER).keyid
        ledger.application.register_principal(actor="root", name="late", roles=[Role.AUDITOR])
        new_log = rotate_key(ledger.recorder, ledger.keystore, LOG).keyid
        event_leaf, log_leaf = (
            entry.leaf_index
            for version in (1, 2)
            if (entry := ledger.recorder.leaf_of(KEYS_AGGREGATE_ID, version)) is not None
        )
        ledger.checkpointer.cut()
        keys = client.get("/v1/ledger/keys").json()
        windows = {
            key["keyid"]: (key["from_leaf"], key["until_leaf"], key["status"])
            for key in keys["event_keys"]
        }
        log_windows = {
            key["keyid"]: (key["from_size"], key["until_size"], key["status"])
            for key in keys["log_keys"]
        }
        (signed_by_new,) = client.get(f"/v1/ledger/entries?start={event_leaf + 1}&limit=1").json()[
            "data"
        ]

        assert windows == {
            genesis["keyid"]: (0, event_leaf, "retired"),
            new_event: (event_leaf + 1, None, "current"),
        }
        assert log_windows == {
            old_log: (1, log_leaf, "retired"),
            new_log: (log_leaf + 1, None, "current"),
        }
        assert signed_by_new["envelope"]["signatures"][0]["keyid"] == new_event
        current = next(key["vkey"] for key in keys["log_keys"] if key["keyid"] == new_log)
        assert keys["log_vkey"] == current
        checkpoint = open_checkpoint(
            client.get("/v1/ledger/checkpoint").text,
            [NoteVerifier.from_vkey(current)],
            keys["origin"],
        )
        assert checkpoint.size > log_leaf

    def test_proofs_at_sizes_between_checkpoints_verify_against_the_roots_of_the_leaves(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        latest = client.get("/v1/ledger/checkpoints").json()["data"][-1]["size"]
        for size in (7, latest - 1):
            proof = client.get(f"/v1/ledger/proofs/inclusion?index=3&size={size}").json()
            consistency = client.get(f"/v1/ledger/proofs/consistency?old={size}").json()

            assert proof["root"] == root_at(ledger, size)
            assert proof["checkpoint"] == ""
            assert proof["tlog_proof"] is None
            verify_inclusion(
                b64(proof["leaf_hash"]),
                3,
                size,
                [b64(h) for h in proof["hashes"]],
                b64(proof["root"]),
            )
            assert consistency["new"] == latest
            verify_consistency(
                size,
                latest,
                b64(root_at(ledger, size)),
                b64(root_at(ledger, latest)),
                [b64(h) for h in consistency["hashes"]],
            )

    def test_a_consistency_proof_verifies_between_two_checkpoints(self, client: TestClient) -> None:
        listed = client.get("/v1/ledger/checkpoints").json()
        first, last = listed["data"][0], listed["data"][-1]
        proof = client.get(
            f"/v1/ledger/proofs/consistency?old={first['size']}&new={last['size']}"
        ).json()

        assert listed["count"] == len(listed["data"]) >= 2
        assert first["size"] < last["size"]
        assert client.get("/v1/ledger/checkpoint").text == last["note"]
        assert b64(proof["old_root"]) == b64(first["root"])
        assert b64(proof["new_root"]) == b64(last["root"])
        verify_consistency(
            first["size"],
            last["size"],
            b64(first["root"]),
            b64(last["root"]),
            [b64(h) for h in proof["hashes"]],
        )
        later = client.get(f"/v1/ledger/checkpoints?start={first['size'] + 1}&limit=1").json()
        assert later["data"] == [listed["data"][1]]

    def test_entries_are_the_stored_envelopes_in_leaf_order(
        self, client: TestClient, ledger: Ledger
    ) -> None:
        page = client.get("/v1/ledger/entries?start=3&limit=4").json()
        stored = ledger.log.select_log_entries(3, 4)

        assert [row["leaf_index"] for row in page["data"]] == [3, 4, 5, 6]
        assert [
            Envelope.from_json(json.dumps(row["envelope"]).encode()).to_json()
            for row in page["data"]
        ] == [entry.stored.state for entry in stored if entry.stored is not None]
        beyond = client.get(f"/v1/ledger/entries?start={page['size']}").json()
        assert beyond["data"] == []

    def test_bad_parameters_are_4xx_saying_what_to_fix(self, client: TestClient) -> None:
        for url, status, error, mentions in BAD_PARAMETERS:
            answer = client.get(url)

            assert answer.status_code == status, (url, answer.text)
            assert answer.json()["error"] == error, url
            assert set(answer.json()) == {"error", "detail"}, url
            assert mentions in answer.json()["detail"], (url, answer.json())

    def test_resource_state_says_what_was_true_as_of_each_size(
        self, client: TestClient, history: History
    ) -> None:
        now = client.get(f"/v1/models/{MODEL}").json()
        then = client.get(f"/v1/models/{MODEL}?as_of={history.sizes['v1_in_prod']}").json()
        finding_then = client.get(f"/v1/findings?as_of={history.sizes['finding_raised']}")
        finding_now = client.get("/v1/findings").json()
        dataset = client.get(f"/v1/datasets/{DATASET}").json()

        assert [(v["number"], v["state"]) for v in now["versions"]] == [
            (1, "retired"),
            (2, "rejected"),
            (3, "deployed"),
        ]
        assert then["versions"] == [{**then["versions"][0], "state": "deployed"}]
        assert set(then["versions"][0]["environments"]) == {"dev", "uat", "prod"}
        assert [f["status"] for f in finding_then.json()["data"]] == ["open"]
        assert [(f["model"], f["version"], f["status"]) for f in finding_now["data"]] == [
            (MODEL, 3, "risk_accepted")
        ]
        assert dataset["dataset"]["name"] == DATASET
        assert [v["name"] for v in dataset["versions"]] == [f"{DATASET}@1"]
        assert client.get("/v1/datasets").json()["count"] == 1

    def test_principals_carry_their_roles_and_keys_with_status_as_of_each_size(
        self, client: TestClient, history: History
    ) -> None:
        listed = client.get("/v1/principals?limit=3&offset=1").json()
        everyone = client.get("/v1/principals?limit=1000").json()
        ann_now = client.get("/v1/principals/ann").json()
        ann_then = client.get(f"/v1/principals/ann?as_of={history.sizes['v3_approved']}").json()
        before = client.get("/v1/principals?as_of=1").json()

        names = sorted(["root", SCORER, *CAST])
        assert [p["name"] for p in everyone["data"]] == names
        assert listed["count"] == len(names)
        assert [p["name"] for p in listed["data"]] == names[1:4]
        assert ann_now["roles"] == ["approver"]
        assert [(k["keyid"], k["status"]) for k in ann_now["keys"]] == [
            (history.revoked_keyid, "revoked")
        ]
        assert [k["status"] for k in ann_then["keys"]] == ["active"]
        assert len(ann_now["sources"]) == len(ann_then["sources"]) + 1
        assert [p["name"] for p in before["data"]] == ["root"]

    def test_a_scoring_client_is_refused_every_read_and_each_refusal_is_on_the_ledger(
        self, client: TestClient, scorer_token: str
    ) -> None:
        scorer = {"Authorization": f"Bearer {scorer_token}"}
        for url in READS:
            answer = client.get(url, headers=scorer)

            assert answer.status_code == 403, url
            assert answer.json()["error"] == "not_authorized"
        refusals = client.get(f"/v1/search/refusal?actor={SCORER}").json()["rows"]
        assert len(refusals) == len(READS)

    def test_a_read_without_a_valid_token_is_401(self, client: TestClient) -> None:
        for url in READS:
            assert client.get(url, headers={"Authorization": ""}).status_code == 401, url
            assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


class TestHttpReadsOnSQLite(HttpReadsContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestHttpReadsOnPostgres(HttpReadsContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
