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
