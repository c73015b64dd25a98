"""Bearer tokens of the HTTP API: issued per principal, stored hashed, revocable, expiring.

A token reads ``gl_<id>_<secret>``: ``id`` is 12 hex digits, public, the row's key (``token
list`` and ``token revoke`` name it); ``secret`` is 43 characters of URL-safe base64 (32 random
bytes). Only the SHA-256 of the whole token is stored, so the table (or a leaked copy of it)
holds nothing that authenticates. A token is found by its id and its hash compared with
``hmac.compare_digest``; an unknown id is compared against a dummy hash, so both take the same
time. Expiry and revocation are told only to whoever presents the right secret.

The table ``api_tokens`` comes from migration 0005. Each call opens its own connection (SQLite
or PostgreSQL, from the ledger's ``Database``), so one store serves any thread.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg

from api.database import Database

__all__ = ["IssuedToken", "TokenError", "TokenInfo", "TokenStore"]

_PREFIX = "gl_"
_TOKEN = re.compile(r"gl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")
_TOKEN_ID = re.compile(r"[0-9a-f]{12}")
_DUMMY_HASH = hashlib.sha256(b"no such token").hexdigest()
_CONNECT_TIMEOUT_SECONDS = 5
_COLUMNS = "id, principal, label, created_at, expires_at, revoked_at"

Clock = Callable[[], datetime]


class TokenError(Exception):
    """A token that does not authenticate: unknown, malformed, expired or revoked (the message
    says which, never echoing the token)."""


@dataclass(frozen=True)
class TokenInfo:
    """What is stored about a token, the secret aside."""

    id: str
    principal: str
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is shown once and never stored."""

    info: TokenInfo
    secret: str


class _Cursor(Protocol):
    def execute(self, statement: str, params: Sequence[Any] = ..., /) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    @property
    def rowcount(self) -> int: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class TokenStore:
    """The API tokens in the ledger's database.

    ``clock`` gives the current time (timezone-aware), for expiry; tests may pass their own.
    """

    def __init__(self, database: Database, *, clock: Clock = _now) -> None:
        self.database = database
        self._clock = clock

    def issue(self, principal: str, *, label: str, expires_at: datetime) -> IssuedToken:
        """A new token for ``principal`` valid until ``expires_at`` (timezone-aware)."""
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        token_id = secrets.token_hex(6)
        secret = f"{_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(
            id=token_id,
            principal=principal,
            label=label,
            created_at=self._clock().astimezone(UTC),
            expires_at=expires_at.astimezone(UTC),
            revoked_at=None,
        )
        with self._transaction() as cursor:
            cursor.execute(
                "INSERT INTO api_tokens (id, principal, label, secret_sha256, created_at,"
                " expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (
                    info.id,
                    info.principal,
                    info.label,
                    _hash(secret),
                    self._stored(info.created_at),
                    self._stored(info.expires_at),
                ),
            )
        return IssuedToken(info=info, secret=secret)

    def authenticate(self, secret: str) -> str:
        """The principal ``secret`` authenticates; ``TokenError`` when it does not."""
        matched = _TOKEN.fullmatch(secret)
        if matched is None:
            raise TokenError(
                "the token is malformed: a govledger token reads gl_<id>_<secret>, as "
                "`govledger token create` printed it"
            )
        with self._transaction() as cursor:
            rows = cursor.execute(
                f"SELECT {_COLUMNS}, secret_sha256 FROM api_tokens WHERE id = ?",  # noqa: S608
                (matched.group(1),),
            ).fetchall()
        stored_hash = str(rows[0][6]) if rows else _DUMMY_HASH
        if not hmac.compare_digest(stored_hash, _hash(secret)) or not rows:
            raise TokenError("the token is not known: it was never issued here, or mistyped")
        info = self._info(rows[0])
        if info.revoked_at is not None:
            raise TokenError(f"token {info.id} was revoked at {_when(info.revoked_at)}")
        if info.expires_at <= self._clock():
            raise TokenError(
                f"token {info.id} expired at {_when(info.expires_at)}: "
                "`govledger token create` issues a new one"
            )
        return info.principal

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token ``token_id``; ``TokenError`` when there is none or it was already."""
        if _TOKEN_ID.fullmatch(token_id) is None:
            raise TokenError(
                "a token id is 12 hex digits, the <id> in gl_<id>_...: "
                "`govledger token list` shows them"
            )
        with self._transaction() as cursor:
            revoked = cursor.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._stored(self._clock()), token_id),
            ).rowcount
            rows = cursor.execute(
                f"SELECT {_COLUMNS} FROM api_tokens WHERE id = ?",  # noqa: S608
                (token_id,),
            ).fetchall()
        if not rows:
            raise TokenError(f"there is no token {token_id}: `govledger token list` shows them")
        info = self._info(rows[0])
        if revoked != 1:
            assert info.revoked_at is not None
            raise TokenError(f"token {token_id} was already revoked at {_when(info.revoked_at)}")
        return info

    def tokens(self, principal: str | None = None) -> list[TokenInfo]:
        """Every token (of ``principal``), oldest first."""
        where, params = ("", ()) if principal is None else (" WHERE principal = ?", (principal,))
        with self._transaction() as cursor:
            rows = cursor.execute(
                f"SELECT {_COLUMNS} FROM api_tokens{where} ORDER BY created_at, id",  # noqa: S608
                params,
            ).fetchall()
        return [self._info(row) for row in rows]

    def _stored(self, moment: datetime) -> object:
        """``moment`` as this engine stores it: timestamptz, or ISO 8601 text in UTC."""
        return (
            moment if self.database.engine == "postgresql" else moment.astimezone(UTC).isoformat()
        )

    @staticmethod
    def _moment(value: object) -> datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(UTC)

    def _info(self, row: Sequence[Any]) -> TokenInfo:
        return TokenInfo(
            id=str(row[0]),
            principal=str(row[1]),
            label=str(row[2]),
            created_at=self._moment(row[3]),
            expires_at=self._moment(row[4]),
            revoked_at=None if row[5] is None else self._moment(row[5]),
        )

    @contextmanager
    def _transaction(self) -> Iterator[_Cursor]:
        """A cursor in one committed transaction; statements use ``?`` placeholders."""
        if self.database.engine == "postgresql":
            with psycopg.connect(
                self.database.libpq_conninfo(), connect_timeout=_CONNECT_TIMEOUT_SECONDS
            ) as server:
                yield _PostgresCursor(server.cursor())
            return
        assert self.database.sqlite_path is not None
        with (
            closing(
                sqlite3.connect(self.database.sqlite_path, timeout=_CONNECT_TIMEOUT_SECONDS)
            ) as file,
            file,  # commits, or rolls back on an exception
        ):
            yield file.cursor()


@dataclass(frozen=True)
class _PostgresCursor:
    """A psycopg cursor taking ``?`` placeholders, as sqlite3's does."""

    cursor: psycopg.Cursor[tuple[Any, ...]]

    def execute(self, statement: str, params: Sequence[Any] = (), /) -> _PostgresCursor:
        self.cursor.execute(statement.replace("?", "%s"), params)
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self.cursor.rowcount
