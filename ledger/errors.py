"""Errors raised by the ledger.

LedgerError
├── CanonicalizationError   a value has no RFC 8785 form (NaN, huge int, bad key)
├── VerificationError       a signature, hash, chain or proof does not check out
├── KeyStoreError           a key file is missing, unreadable or needs a passphrase
└── StoreError              the database is unreachable, uninitialised or refused a write
    └── StoreBusyError      another writer held the write lock past the lock timeout
"""

from __future__ import annotations

__all__ = [
    "CanonicalizationError",
    "InconsistentLogError",
    "KeyStoreError",
    "LedgerError",
    "StoreBusyError",
    "StoreError",
    "VerificationError",
]


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


class CanonicalizationError(LedgerError, ValueError):
    """A value cannot be written as RFC 8785 canonical JSON."""


class VerificationError(LedgerError):
    """Signed data, a hash chain or a proof failed verification."""


class InconsistentLogError(VerificationError):
    """The log contradicts a checkpoint it signed; nothing new was signed."""


class KeyStoreError(LedgerError):
    """A signing or verification key cannot be created, read or used."""


class StoreError(LedgerError):
    """The event store cannot be reached, is not initialised, or refused a write."""


class StoreBusyError(StoreError):
    """Another writer held the database's write lock past the lock timeout; nothing was written.

    An operational condition, not an integrity failure: retrying later is safe.
    """
