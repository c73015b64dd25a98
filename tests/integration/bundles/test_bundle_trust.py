"""What a bundle's verification trusts, tried as an attacker would: a manifest re-signed with a key
the ledger never had, documents and extracts changed under it, a key rotated after the cut, a
pinned log key, and archives built to escape the folder they are read into."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from api.composition import open_ledger
from api.errors import InputFileError
from api.exports import layout
from api.exports.archive import read_bundle, tar_gz
from api.exports.assemble import Evidence, gather
from api.exports.bundle import bundle_files
from api.exports.bundle import predicate as bundle_predicate
from api.exports.predictions import extract_predictions
from api.exports.verification import verify_files
from api.settings import Settings
from ledger.evidence.statement import manifest_bytes
from ledger.keys.ed25519 import Signer, public_key_pem
from tests.e2e.conftest import Cli
from tests.integration.bundles.conftest import copy_of

MODEL = "credit-risk"


@pytest.fixture(scope="module")
def files(demo_evidence: Evidence, demo_ledger: object) -> dict[str, bytes]:
    return bundle_files(demo_evidence, extract_predictions(demo_ledger, demo_evidence.context))  # type: ignore[arg-type]


def _resigned(
    files: dict[str, bytes], signer: Signer, predicate: dict[str, object]
) -> dict[str, bytes]:
    """The bundle with the attacker's key added and the manifest signed again with it."""
    pem = f"{layout.EVENT_KEYS_DIR}/{signer.keyid.removeprefix('sha256:')}.pem"
    forged = {name: data for name, data in files.items() if name != layout.MANIFEST}
    forged[pem] = public_key_pem(signer.public_key)
    forged[layout.MANIFEST] = manifest_bytes(dict(sorted(forged.items())), predicate, signer)
    return forged


def test_the_exported_bundle_verifies_with_no_warning(files: dict[str, bytes]) -> None:
    report = verify_files(files)
    assert report.intact, report.problems
    assert report.warnings == []


def test_a_manifest_resigned_by_a_foreign_key_is_named_and_changes_nothing_it_covers(
    files: dict[str, bytes], demo_evidence: Evidence
) -> None:
    attacker = Signer.generate()
    predicate = bundle_predicate(demo_evidence.context)

    untouched = verify_files(_resigned(files, attacker, predicate))
    assert untouched.manifest_keyid == attacker.keyid
    assert any(attacker.keyid in warning for warning in untouched.warnings)
    # The README lists the bundle's event keys: the added one shows there.
    assert [p.file for p in untouched.problems] == [layout.README]

    annex = files[layout.ANNEX_IV].replace(b"ann-approver", b"ann-imposter", 1)
    assert annex != files[layout.ANNEX_IV]
    changed = verify_files(_resigned({**files, layout.ANNEX_IV: annex}, attacker, predicate))
    assert [p.file for p in changed.problems] == [layout.README, layout.ANNEX_IV]

    lines = files[layout.PREDICTIONS].splitlines(keepends=True)
    dropped = verify_files(
        _resigned({**files, layout.PREDICTIONS: b"".join(lines[1:])}, attacker, predicate)
    )
    assert {p.file for p in dropped.problems} == {layout.README, layout.PREDICTIONS}


def test_a_pinned_log_key_must_be_the_bundles(files: dict[str, bytes]) -> None:
    vkey = files[layout.LOG_VKEY].decode().strip()
    assert verify_files(files, trusted_vkey=vkey).intact
    other = "govledger.local/ledger+c3875dcb+AYFlWdQdROPfu9rm2VfoDU6sk9g3TT6FJleB0PAdsCEm"
    if other == vkey:
        other = other.replace("AYFl", "AYFm")
    pinned = verify_files(files, trusted_vkey=other)
    assert not pinned.intact
    assert layout.LOG_VKEY in {p.file for p in pinned.problems}


def test_a_key_rotated_after_the_cut_signs_a_bundle_that_verifies_with_a_warning(
    demo_cli: Cli, tmp_path: Path
) -> None:
    cli = copy_of(demo_cli, tmp_path / "copy")
    url = cli.database_url
    assert url is not None
    ledger = open_ledger(Settings(database_url=url, home=cli.home))
    try:
        cut = gather(ledger, MODEL, None, None).context.as_of
    finally:
        ledger.close()
    cli.ok("rotate-key")
    cli.ok("checkpoint")

    old_cut = tmp_path / "old"
    cli.ok("export", "--model", MODEL, "--as-of", str(cut), "--out", str(old_cut))
    latest = tmp_path / "latest"
    cli.ok("export", "--model", MODEL, "--out", str(latest))

    before = verify_files(read_bundle(old_cut))
    assert before.intact, before.problems
    assert len(before.warnings) == 1
    after = verify_files(read_bundle(latest))
    assert after.intact, after.problems
    assert after.warnings == []
    assert len(list((latest / layout.EVENT_KEYS_DIR).glob("*.pem"))) == 2


def test_archives_read_back_equal_and_hostile_members_are_refused(
    files: dict[str, bytes], tmp_path: Path
) -> None:
    good = tmp_path / "bundle.tar.gz"
    good.write_bytes(tar_gz(files, "bundle"))
    assert read_bundle(good) == files
    assert tar_gz(files, "bundle") == good.read_bytes()

    for name, kind in (
        ("bundle/../escape.txt", tarfile.REGTYPE),
        ("/etc/evil", tarfile.REGTYPE),
        ("bundle/link", tarfile.SYMTYPE),
    ):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w:gz") as archive:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
            archive.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
        hostile = tmp_path / "hostile.tar.gz"
        hostile.write_bytes(raw.getvalue())
        with pytest.raises(InputFileError):
            read_bundle(hostile)
    not_an_archive = tmp_path / "plain.tar.gz"
    not_an_archive.write_bytes(b"not a tar")
    with pytest.raises(InputFileError, match="not a readable"):
        read_bundle(not_an_archive)


def test_a_bundle_of_one_version_carries_fewer_events_and_verifies(
    demo_ledger: object, demo_evidence: Evidence
) -> None:
    one = gather(demo_ledger, MODEL, 1, None)  # type: ignore[arg-type]
    assert 0 < len(one.context.events) < len(demo_evidence.context.events)
    report = verify_files(bundle_files(one, extract_predictions(demo_ledger, one.context)))  # type: ignore[arg-type]
    assert report.intact, report.problems
    assert report.version == 1
