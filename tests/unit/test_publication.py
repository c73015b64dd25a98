"""Publishing the latest checkpoint outside the database: atomic, durable, never backwards."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger import durable_files
from ledger.errors import InconsistentLogError
from ledger.keys.ed25519 import Signer
from ledger.tlog.checkpoint import Checkpoint, sign_checkpoint
from ledger.tlog.published_checkpoint import CheckpointFile

ORIGIN = "test.example/log"
SIGNER = Signer.generate()


def note(size: int, root: bytes | None = None) -> str:
    checkpoint = Checkpoint(ORIGIN, size, root or size.to_bytes(32, "big"))
    return sign_checkpoint(checkpoint, ORIGIN, SIGNER, timestamp=1_790_000_000)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_000() -> Iterator[None]:
    """The most permissive umask an operator could run under."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_finding_14_concurrent_publishers_never_collide(tmp_path: Path) -> None:
    """Finding 14: publishers sharing one temporary name made a `checkpoint --every` die."""
    published = CheckpointFile.in_home(tmp_path / "home")
    failures: list[BaseException] = []

    def publish(sizes: range) -> None:
        try:
            for size in sizes:
                published.write(note(size))
        except Exception as exc:  # collected for the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=publish, args=(range(n, 400, 8),)) for n in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert published.read() == note(399)
    assert sorted(p.name for p in published.path.parent.iterdir()) == [
        "checkpoint.lock",
        "checkpoint.txt",
    ]


def test_finding_14_an_older_checkpoint_is_never_published_over_a_newer_one(
    tmp_path: Path,
) -> None:
    """Finding 14: a slow publisher of a smaller tree must not roll back the published copy."""
    published = CheckpointFile.in_home(tmp_path)

    assert published.write(note(5)) is True
    assert published.write(note(3)) is False

    assert published.read() == note(5)


def test_finding_14_the_same_size_with_another_root_is_a_split_view(tmp_path: Path) -> None:
    """Finding 14: two different trees of one size are never published over each other."""
    published = CheckpointFile.in_home(tmp_path)
    published.write(note(5))

    with pytest.raises(InconsistentLogError, match="another root"):
        published.write(note(5, b"\x01" * 32))
    assert published.read() == note(5)


def test_finding_14_permissions_are_explicit_whatever_the_umask(
    tmp_path: Path, umask_000: None
) -> None:
    """Finding 14: under umask 000 the home and log/ were world-writable."""
    home = tmp_path / "home"

    CheckpointFile.in_home(home).write(note(1))

    assert mode(home) == 0o700
    assert mode(home / "log") == 0o700
    assert mode(home / "log" / "checkpoint.txt") == 0o644
    assert mode(home / "log" / "checkpoint.lock") == 0o600


def test_finding_14_a_world_writable_log_folder_is_tightened(tmp_path: Path) -> None:
    """Finding 14: anyone could replace the checkpoint that rollback detection relies on."""
    log = tmp_path / "log"
    log.mkdir()
    log.chmod(0o777)

    CheckpointFile.in_home(tmp_path).write(note(1))

    assert mode(log) == 0o700


def test_finding_14_the_file_and_its_folder_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 14: published files were not fsynced, nor the folder that names them."""
    synced: list[str] = []
    real_fsync = os.fsync

    def record(descriptor: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(durable_files.os, "fsync", record)

    CheckpointFile.in_home(tmp_path).write(note(1))

    assert synced == ["file", "dir"]


def test_write_atomically_leaves_no_temporary_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing half-written: a failed publication leaves only what was there before."""

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable_files.os, "replace", refuse)

    with pytest.raises(OSError, match="No space"):
        durable_files.write_atomically(tmp_path / "file.txt", b"data", mode=0o644)
    assert list(tmp_path.iterdir()) == []
