"""``FileArtifactStore``: content-addressed blobs in a folder, ``root/sha256/<aa>/<hex>``.

The name of a file is the SHA-256 of its bytes, so the same content is stored once and a digest
names exactly one path. Writes go to a temporary file in the target folder, which is fsynced and
renamed into place (then the folder is fsynced), so a crash leaves either no file or the whole
one. Stored files are read-only (0444). The store does not check content on ``get`` (the domain
does, against the digest the ledger recorded); ``check`` is for ``verify``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

from domain.errors import InvalidArgumentError
from ledger.encoding.digests import is_sha256_digest, sha256_digest

__all__ = ["FileArtifactStore"]

STORED_FILE_MODE = 0o444
"""Artifacts never change once written; read-only files make an accidental edit fail loudly."""

_HEX_DIGITS = frozenset("0123456789abcdef")


class FileArtifactStore:
    """An ``ArtifactStore`` over a local folder (``GOVLEDGER_HOME/artifacts`` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def in_home(cls, home: Path) -> FileArtifactStore:
        """The store of a govledger home: ``home/artifacts``."""
        return cls(Path(home) / "artifacts")

    def put(self, content: bytes) -> str:
        """Store ``content`` (once) and answer its ``sha256:<hex>``; OSError on I/O failure."""
        digest = sha256_digest(content)
        path = self.path_of(digest)
        if path.exists() and self.check(digest) is None:
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, content)
        return digest

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; ``KeyError`` when there are none."""
        path = self.path_of(digest)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(digest) from None

    def path_of(self, digest: str) -> Path:
        """Where ``digest``'s content lives; ``InvalidArgumentError`` for a malformed digest."""
        if not is_sha256_digest(digest):
            raise InvalidArgumentError(
                f"artifact digest {digest!r} is malformed: expected sha256:<64 lowercase hex>"
            )
        hexdigest = digest.removeprefix("sha256:")
        return self.root / "sha256" / hexdigest[:2] / hexdigest

    def digests(self) -> Iterator[str]:
        """Every digest the store holds a file under, in sorted order."""
        base = self.root / "sha256"
        if not base.is_dir():
            return
        for folder in sorted(base.iterdir()):
            for path in sorted(folder.iterdir()) if folder.is_dir() else ():
                name = path.name
                if len(name) == 64 and set(name) <= _HEX_DIGITS and name[:2] == folder.name:
                    yield "sha256:" + name

    def check(self, digest: str) -> str | None:
        """What is wrong with ``digest``'s file (missing, or bytes of another digest), or None."""
        path = self.path_of(digest)
        hasher = hashlib.sha256()
        try:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(block)
        except FileNotFoundError:
            return f"artifact {digest} is missing from {path}"
        actual = "sha256:" + hasher.hexdigest()
        if actual != digest:
            return f"artifact {digest} at {path} has changed: its bytes hash to {actual}"
        return None


def _write_atomically(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content``: temporary file, fsync, rename, fsync of the folder."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, STORED_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
