"""Reading the files users hand to commands, with one-line errors."""

from __future__ import annotations

from pathlib import Path

from api.errors import ConfigurationError
from ledger.errors import VerificationError

__all__ = ["read_bytes", "read_text"]


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path``; a missing file is a usage error, bad text an integrity one."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise VerificationError(f"{path} is not UTF-8 text") from None


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; a missing file is a usage error."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
