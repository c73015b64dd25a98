"""Bearer tokens of the HTTP API: issued per principal, stored hashed, revocable, expiring.

INTERFACE ONLY: implemented by the token-store work (see its brief).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.database import Database

__all__ = ["IssuedToken", "TokenError", "TokenInfo", "TokenStore"]


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


class TokenStore:
    """The API tokens in the ledger's database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def issue(self, principal: str, *, label: str, expires_at: datetime) -> IssuedToken:
        """A new token for ``principal`` valid until ``expires_at``."""
        raise NotImplementedError

    def authenticate(self, secret: str) -> str:
        """The principal ``secret`` authenticates; ``TokenError`` when it does not."""
        raise NotImplementedError

    def revoke(self, token_id: str) -> TokenInfo:
        """Revoke the token ``token_id``; ``TokenError`` when there is none."""
        raise NotImplementedError

    def tokens(self, principal: str | None = None) -> list[TokenInfo]:
        """Every token (of ``principal``), oldest first."""
        raise NotImplementedError
