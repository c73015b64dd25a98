"""API tokens: one row per bearer token, holding its SHA-256, never the token.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

``id`` is the token's public part (12 hex digits), ``secret_sha256`` the hex SHA-256 of the whole
token. Times are timestamptz on PostgreSQL and ISO 8601 text in UTC on SQLite. Not part of the
ledger: the rows are the API's credentials, so revoking updates ``revoked_at`` in place.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    moment = "timestamptz" if op.get_bind().dialect.name == "postgresql" else "TEXT"
    op.execute(
        "CREATE TABLE api_tokens (id TEXT PRIMARY KEY, principal TEXT NOT NULL,"
        " label TEXT NOT NULL, secret_sha256 TEXT NOT NULL,"
        f" created_at {moment} NOT NULL, expires_at {moment} NOT NULL, revoked_at {moment})"
    )
    op.execute("CREATE INDEX api_tokens_by_principal ON api_tokens (principal, created_at)")


def downgrade() -> None:
    op.execute("DROP TABLE api_tokens")
