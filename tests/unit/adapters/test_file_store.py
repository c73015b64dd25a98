"""The file artifact store: a read-only file per digest, bad digests refused, changes found."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from adapters.artifacts.file_store import FileArtifactStore
from domain.errors import InvalidArgumentError


@pytest.fixture
def store(tmp_path: Path) -> FileArtifactStore:
    return FileArtifactStore(tmp_path / "artifacts")


def tamper(path: Path, content: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(content)


def test_content_is_stored_under_its_hash_in_a_read_only_file(
    store: FileArtifactStore, tmp_path: Path
) -> None:
    hexdigest = hashlib.sha256(b"model").hexdigest()

    digest = store.put(b"model")

    path = tmp_path / "artifacts" / "sha256" / hexdigest[:2] / hexdigest
    assert digest == f"sha256:{hexdigest}"
    assert store.path_of(digest) == path
    assert path.read_bytes() == b"model"
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_putting_content_again_leaves_one_file_and_no_temporary_files(
    store: FileArtifactStore, tmp_path: Path
) -> None:
    store.put(b"model")
    store.put(b"model")

    files = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [hashlib.sha256(b"model").hexdigest()]


def test_the_store_of_a_home_lives_in_its_artifacts_folder(tmp_path: Path) -> None:
    digest = FileArtifactStore.in_home(tmp_path).put(b"x")

    assert FileArtifactStore(tmp_path / "artifacts").get(digest) == b"x"


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:../../../etc/passwd",
        "sha256:" + "A" * 64,
        "sha256:" + "0" * 63,
        "sha512:" + "0" * 64,
        "/etc/passwd",
        "sha256:" + "0" * 62 + "/x",
        "",
    ],
)
def test_a_malformed_digest_is_refused_before_any_path_is_touched(
    store: FileArtifactStore, digest: str
) -> None:
    with pytest.raises(InvalidArgumentError, match="malformed: expected sha256:<64 lowercase hex>"):
        store.get(digest)
    with pytest.raises(InvalidArgumentError, match="malformed"):
        store.check(digest)


def test_digests_lists_every_stored_content_and_nothing_else(
    store: FileArtifactStore, tmp_path: Path
) -> None:
    assert list(store.digests()) == []
    stored = {store.put(content) for content in (b"a", b"b", b"c")}
    (tmp_path / "artifacts" / "sha256" / "README").write_text("not an artifact")

    assert sorted(store.digests()) == sorted(stored)


def test_check_finds_nothing_wrong_with_an_intact_file(store: FileArtifactStore) -> None:
    assert store.check(store.put(b"model")) is None


def test_check_reports_a_file_whose_bytes_changed(store: FileArtifactStore) -> None:
    digest = store.put(b"model")
    tamper(store.path_of(digest), b"modeL")

    problem = store.check(digest)

    assert problem is not None
    assert f"artifact {digest}" in problem
    assert "has changed: its bytes hash to " + "sha256:" + hashlib.sha256(b"modeL").hexdigest() in (
        problem
    )


def test_check_reports_a_missing_file(store: FileArtifactStore) -> None:
    digest = store.put(b"model")
    store.path_of(digest).unlink()

    assert "is missing" in (store.check(digest) or "")


def test_get_answers_the_file_as_it_is_and_leaves_checking_to_the_caller(
    store: FileArtifactStore,
) -> None:
    digest = store.put(b"model")
    tamper(store.path_of(digest), b"other")

    assert store.get(digest) == b"other"


def test_putting_the_content_again_restores_a_tampered_file(store: FileArtifactStore) -> None:
    digest = store.put(b"model")
    tamper(store.path_of(digest), b"other")

    store.put(b"model")

    assert store.get(digest) == b"model"
    assert store.check(digest) is None
