"""Typed settings, read once in the entry point from ``GOVLEDGER_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]

_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


class Settings(BaseSettings):
    """Everything govledger is configured by."""

    model_config = SettingsConfigDict(env_prefix="GOVLEDGER_", frozen=True)

    database_url: str = Field(
        default="sqlite:///.govledger/ledger.db",
        description="sqlite:///path/ledger.db or postgresql://user:pass@host:port/db",
    )
    home: Path = Field(
        default=Path(".govledger"), description="Directory for keys, artifacts and exports."
    )
    key_passphrase: SecretStr | None = Field(
        default=None, description="Encrypts the private key files when set."
    )
    admin: str = Field(
        default="admin", min_length=1, description="The principal `govledger init` makes admin."
    )
    log_origin: str = Field(
        default="govledger.local/ledger",
        pattern=r"^[^\s+]+$",
        description="The log's name in its checkpoints and verifier key (no spaces or '+').",
    )
    checkpoint_every_leaves: int = Field(
        default=1000, ge=1, description="Cut a checkpoint after this many new leaves."
    )
    checkpoint_every_seconds: float = Field(
        default=10.0,
        gt=0,
        allow_inf_nan=False,
        description="Or once this many seconds passed with new leaves.",
    )

    scoring_batch_max_rows: int = Field(
        default=10_000, ge=1, description="The most rows one scoring request may carry."
    )
    http_max_body_bytes: int = Field(
        default=8 << 20, ge=1024, description="The largest request body the API reads (bytes)."
    )
    token_days: int = Field(
        default=90, ge=1, le=3650, description="How long a new API token is valid by default."
    )
    webhook_url: str | None = Field(
        default=None,
        description="Where findings raised by monitoring are posted (http or https), if anywhere.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(_SCHEMES):
            raise ValueError(
                f"unsupported database URL {value.split(':', 1)[0]!r}: use "
                "sqlite:///path/ledger.db or postgresql://user:pass@host:port/db"
            )
        return value


@lru_cache
def get_settings() -> Settings:
    """The process's settings (tests build their own ``Settings`` instead)."""
    return Settings()
