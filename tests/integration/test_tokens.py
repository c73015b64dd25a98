"""The API's token store on both engines: issue, authenticate, expire, revoke, list, and what
the database holds (a hash, never the token)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from api.database import Database
from api.tokens import TokenError, TokenStore
from tests.integration.raw_access import RawAccess

_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the store."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class TokenContract:
    @pytest.fixture
    def clock(self) -> Clock:
        return Clock(_NOW)

    @pytest.fixture
    def store(self, database: Database, clock: Clock) -> TokenStore:
        return TokenStore(database, clock=clock)

    def raw_table_bytes(self, raw: RawAccess, database: Database) -> bytes:
        raise NotImplementedError

    def test_an_issued_token_authenticates_its_principal(self, store: TokenStore) -> None:
        issued = store.issue("ann", label="laptop", expires_at=_NOW + timedelta(days=1))

        assert store.authenticate(issued.secret) == "ann"
        assert issued.secret.startswith(f"gl_{issued.info.id}_")
        assert issued.info.principal == "ann"
        assert issued.info.label == "laptop"
        assert issued.info.created_at == _NOW
        assert issued.info.expires_at == _NOW + timedelta(days=1)
        assert issued.info.revoked_at is None

    def test_two_tokens_differ_and_each_names_its_own_principal(self, store: TokenStore) -> None:
        later = _NOW + timedelta(days=1)
        ann, bob = (store.issue(name, label="", expires_at=later) for name in ("ann", "bob"))

        assert ann.secret != bob.secret
        assert ann.info.id != bob.info.id
        assert (store.authenticate(ann.secret), store.authenticate(bob.secret)) == ("ann", "bob")

    def test_a_token_expires_at_its_expiry(self, store: TokenStore, clock: Clock) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW + timedelta(hours=1))
        clock.now = _NOW + timedelta(minutes=59)
        assert store.authenticate(issued.secret) == "ann"

        clock.now = _NOW + timedelta(hours=1)
        with pytest.raises(TokenError, match=rf"token {issued.info.id} expired at 2026-11-30T13"):
            store.authenticate(issued.secret)

    def test_a_token_issued_already_expired_never_authenticates(self, store: TokenStore) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW - timedelta(seconds=1))

        with pytest.raises(TokenError, match="expired at"):
            store.authenticate(issued.secret)

    def test_a_revoked_token_no_longer_authenticates(self, store: TokenStore, clock: Clock) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW + timedelta(days=1))
        clock.now = _NOW + timedelta(minutes=5)

        revoked = store.revoke(issued.info.id)

        assert revoked.revoked_at == _NOW + timedelta(minutes=5)
        with pytest.raises(TokenError, match=rf"token {issued.info.id} was revoked at .*12:05"):
            store.authenticate(issued.secret)

    def test_revoking_twice_or_an_unknown_id_is_an_error_naming_the_id(
        self, store: TokenStore
    ) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW + timedelta(days=1))
        store.revoke(issued.info.id)

        with pytest.raises(TokenError, match=rf"token {issued.info.id} was already revoked"):
            store.revoke(issued.info.id)
        with pytest.raises(TokenError, match="there is no token 0123456789ab"):
            store.revoke("0123456789ab")
        with pytest.raises(TokenError, match="12 hex digits"):
            store.revoke("not-an-id")

    def test_tokens_are_listed_oldest_first_without_their_secret(
        self, store: TokenStore, clock: Clock
    ) -> None:
        first = store.issue("ann", label="one", expires_at=_NOW + timedelta(days=1))
        clock.now = _NOW + timedelta(seconds=1)
        second = store.issue("bob", label="two", expires_at=_NOW + timedelta(days=2))
        clock.now = _NOW + timedelta(seconds=2)
        third = store.issue("ann", label="three", expires_at=_NOW + timedelta(days=3))
        store.revoke(first.info.id)

        every = store.tokens()
        anns = store.tokens("ann")

        assert [info.id for info in every] == [first.info.id, second.info.id, third.info.id]
        assert [info.label for info in anns] == ["one", "three"]
        assert anns[0].revoked_at is not None
        assert anns[1] == third.info
        assert store.tokens("nobody") == []
        assert all(token.secret not in repr(every) for token in (first, second, third))

    @pytest.mark.parametrize(
        "presented",
        [
            "",
            "gl_",
            "Bearer gl_0123456789ab_" + "A" * 43,
            "gl_0123456789AB_" + "A" * 43,  # upper-case id
            "gl_0123456789ab_" + "A" * 42,
            "gl_0123456789ab_" + "A" * 43 + "\n",
            "gl_0123456789ab_" + "A" * 42 + "=",
            "gh_0123456789ab_" + "A" * 43,
        ],
    )
    def test_malformed_tokens_are_refused_without_being_echoed(
        self, store: TokenStore, presented: str
    ) -> None:
        with pytest.raises(TokenError, match="malformed") as refused:
            store.authenticate(presented)
        with pytest.raises(TokenError) as empty:
            store.authenticate("")
        assert str(refused.value) == str(empty.value)  # one message, echoing nothing

    def test_an_unknown_id_and_a_wrong_secret_are_refused_alike(self, store: TokenStore) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW + timedelta(days=1))
        secret_part = issued.secret.removeprefix(f"gl_{issued.info.id}_")
        wrong_secret = f"gl_{issued.info.id}_" + "B" * 43
        unknown_id = "gl_0123456789ab_" + secret_part

        messages = []
        for presented in (wrong_secret, unknown_id):
            with pytest.raises(TokenError, match="not known") as refused:
                store.authenticate(presented)
            messages.append(str(refused.value))

        assert messages[0] == messages[1]
        assert issued.info.id not in messages[0]
        assert secret_part not in messages[0]

    def test_hashes_are_compared_in_constant_time(
        self, store: TokenStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        issued = store.issue("ann", label="", expires_at=_NOW + timedelta(days=1))
        compared: list[tuple[str, str]] = []
        real: Callable[[str, str], bool] = hmac.compare_digest

        def spy(a: str, b: str) -> bool:
            compared.append((a, b))
            return real(a, b)

        monkeypatch.setattr("api.tokens.hmac.compare_digest", spy)
        store.authenticate(issued.secret)
        with pytest.raises(TokenError):
            store.authenticate(f"gl_{issued.info.id}_" + "B" * 43)
        with pytest.raises(TokenError):
            store.authenticate("gl_0123456789ab_" + "B" * 43)

        digest = hashlib.sha256(issued.secret.encode()).hexdigest()
        assert len(compared) == 3
        assert compared[0] == (digest, digest)
        assert all(len(a) == len(b) == 64 for a, b in compared)

    def test_the_database_holds_the_hash_and_never_the_token(
        self, store: TokenStore, raw: RawAccess, database: Database
    ) -> None:
        issued = store.issue("ann", label="laptop", expires_at=_NOW + timedelta(days=1))
        secret_part = issued.secret.removeprefix(f"gl_{issued.info.id}_")
        digest = hashlib.sha256(issued.secret.encode()).hexdigest()

        rows = raw.execute("SELECT * FROM api_tokens")
        stored = self.raw_table_bytes(raw, database)

        assert digest.encode() in stored  # the scan sees what the table holds...
        assert issued.info.id.encode() in stored
        assert secret_part.encode() not in stored  # ...and the secret is not in it
        assert issued.secret not in repr(rows)
        assert secret_part not in repr(rows)


class TestTokensOnSQLite(TokenContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url

    def raw_table_bytes(self, raw: RawAccess, database: Database) -> bytes:
        assert database.sqlite_path is not None
        files = [database.sqlite_path, database.sqlite_path.with_name("ledger.db-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())


class TestTokensOnPostgres(TokenContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url

    def raw_table_bytes(self, raw: RawAccess, database: Database) -> bytes:
        raw.execute("CHECKPOINT")  # the table's pages, written to its file
        ((data,),) = raw.execute("SELECT pg_read_binary_file(pg_relation_filepath('api_tokens'))")
        return bytes(data)
