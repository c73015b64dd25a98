"""``replay --check`` names every read-side row changed outside the worker, on both engines.

The service role may rewrite the read tables (they are derived), so a row can be altered
without any key. The check rebuilds the read models from the verified log and compares.
"""

from __future__ import annotations

import base64
import json

import pytest

from api.composition import Ledger
from api.demo_data import record_demo_data
from api.read_side import check_read_side, log_size, projector, read_view
from domain.errors import NotAuthorizedError
from domain.rules.roles import Role
from ledger.encoding.canonical import canonical_json
from projections.errors import ProjectionError
from tests.integration.raw_access import RawAccess


@pytest.fixture
def projected(ledger: Ledger) -> Ledger:
    """A ledger with a dataset, a model and a refusal, projected."""
    app = ledger.application
    app.bootstrap_admin("admin")
    record_demo_data(app, admin="admin")
    app.register_principal(actor="admin", name="olivia", roles=[Role.MODEL_OWNER])
    app.register_model(
        actor="olivia",
        name="credit-risk",
        purpose="score applications",
        intended_use="decision support",
        restrictions=["no automated refusal"],
        risk_tier="high",
    )
    with pytest.raises(NotAuthorizedError):
        app.register_model(
            actor="admin",
            name="other",
            purpose="p",
            intended_use="u",
            restrictions=[],
            risk_tier="low",
        )
    projector(ledger).catch_up()
    return ledger


class ReadSideCheckContract:
    def test_an_untouched_read_side_matches_the_log(self, projected: Ledger) -> None:
        position, compared, problems = check_read_side(projected)
        assert problems == []
        assert position == log_size(projected)
        assert compared > 20

    @pytest.mark.parametrize(
        ("statement", "named"),
        [
            (
                "UPDATE read_documents SET body = REPLACE(body, 'olivia', 'mallory') "
                "WHERE kind = 'inventory.model'",
                "'inventory.model', 'credit-risk'",
            ),
            ("DELETE FROM read_entries WHERE kind = 'timeline'", "read_entries"),
            (
                "INSERT INTO read_edges (source, relation, target, leaf_index) "
                "VALUES ('forged', 'used', 'forged-data', 0)",
                "forged",
            ),
            ("UPDATE read_log_times SET log_time = '1999-01-01T00:00:00.000000Z'", "1999"),
            ("UPDATE read_documents SET valid_to = 1 WHERE valid_to IS NULL", "read_documents"),
        ],
    )
    def test_a_row_changed_outside_the_worker_is_named(
        self, projected: Ledger, raw: RawAccess, statement: str, named: str
    ) -> None:
        raw.execute(statement)
        _, _, problems = check_read_side(projected)
        assert problems, "the check did not notice"
        assert any(named in problem for problem in problems), problems

    def test_the_worker_stops_before_an_entry_that_fails_verification(
        self, ledger: Ledger, raw: RawAccess
    ) -> None:
        app = ledger.application
        app.bootstrap_admin("admin")
        app.register_principal(actor="admin", name="olivia", roles=[Role.MODEL_OWNER])
        projector(ledger).catch_up()
        model_id = app.register_model(
            actor="olivia",
            name="credit-risk",
            purpose="score applications",
            intended_use="decision support",
            restrictions=[],
            risk_tier="high",
        )
        before = log_size(ledger) - 1
        envelope = json.loads(raw.state(model_id, 1))
        payload = base64.b64decode(envelope["payload"]).replace(b"olivia", b"mallor")
        assert b"mallor" in payload
        envelope["payload"] = base64.b64encode(payload).decode("ascii")
        raw.set_state(model_id, 1, canonical_json(envelope))
        with pytest.raises(ProjectionError, match=rf"leaf {before} failed verification"):
            projector(ledger).catch_up()
        assert projector(ledger).position() == before
        assert read_view(ledger).documents("inventory.model", before) == []


class TestReadSideCheckOnSQLite(ReadSideCheckContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestReadSideCheckOnPostgres(ReadSideCheckContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
