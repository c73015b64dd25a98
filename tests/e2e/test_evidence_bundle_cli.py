"""``govledger export`` and ``verify-bundle`` on the demo's ledger, on both engines: the bundle
verifies offline, with our tool and with securesystemslib holding only the bundle's keys; any
changed byte, dropped event or swapped checkpoint fails naming the file; the same state always
exports the same bytes, also over HTTP."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi.testclient import TestClient
from psycopg import sql
from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import SSlibKey

from api.composition import open_ledger
from api.database import parse_database_url
from api.exports import layout
from api.exports.archive import read_bundle
from api.exports.verification import verify_files
from api.http.app import create_app
from api.settings import Settings
from tests.e2e.conftest import Cli, assert_one_line_error
from tests.integration.test_http_reads import issue_token
from tests.official_schemas import validate_model_card, validate_openlineage, validate_prov

MODEL = "credit-risk"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """A home where `govledger demo` ran (ending with its own export and verification)."""
    folder = tmp_path_factory.mktemp(f"bundle-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'ledger.db'}"
        yield _run_demo(folder, url)
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"govledger_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin_database = parse_database_url(admin_url)
    yield _run_demo(
        folder,
        f"postgresql://{admin_database.user}@{admin_database.host}:{admin_database.port}/{name}",
    )
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _run_demo(folder: Path, url: str) -> Cli:
    cli = Cli(cwd=folder, home=folder / "home", database_url=url)
    cli.ok("init")
    outcome = cli.run("demo")
    assert outcome.status == 0, outcome
    last = outcome.stdout.strip().splitlines()[-1]
    assert last.startswith(f"evidence bundle of {MODEL} at checkpoint "), outcome
    assert last.endswith("verify-bundle: intact"), outcome
    return cli


@pytest.fixture(scope="module")
def bundle(demo: Cli) -> Path:
    out = demo.cwd / "bundle"
    printed = demo.ok("export", "--model", MODEL, "--out", str(out)).stdout
    assert f"in {out}" in printed
    return out


def test_the_demo_bundle_verifies_offline(demo: Cli, bundle: Path) -> None:
    outcome = demo.run("verify-bundle", str(bundle), "--json")

    assert outcome.status == 0, outcome
    report = json.loads(outcome.stdout)
    assert report["intact"] is True
    assert report["model"] == MODEL
    assert report["problems"] == []
    files = read_bundle(bundle)
    for name in (
        layout.MANIFEST,
        layout.CHECKPOINT,
        layout.LOG_VKEY,
        layout.EVENTS,
        layout.PROOFS,
        layout.OPENLINEAGE,
        layout.PROV,
        layout.MODEL_CARD,
        layout.ANNEX_IV,
        layout.SR11_7,
        layout.CROSSWALK,
        layout.RISK_REGISTER,
        layout.PREDICTIONS,
        layout.README,
    ):
        assert files.get(name), f"{name} is missing or empty"
    assert report["events"] == len(files[layout.EVENTS].splitlines())
    assert report["log"]["size"] > report["events"] > 50


def test_the_standard_formats_validate_against_the_official_schemas(bundle: Path) -> None:
    events = validate_openlineage((bundle / layout.OPENLINEAGE).read_bytes())
    assert {e["job"]["name"].partition("/")[0] for e in events} >= {"train", "validate"}
    document = validate_prov((bundle / layout.PROV).read_bytes())
    assert "wasGeneratedBy(govledger:models/credit-risk@1" in document.get_provn()
    card = validate_model_card((bundle / layout.MODEL_CARD).read_bytes())
    slices = {m["slice"] for m in card["quantitative_analysis"]["performance_metrics"]}
    assert {"overall", "age_band=under_25"} <= slices


def test_securesystemslib_verifies_manifest_and_events_with_only_the_bundles_keys(
    bundle: Path,
) -> None:
    keys = [
        SSlibKey.from_crypto(load_pem_public_key(pem.read_bytes()), keyid=f"sha256:{pem.stem}")
        for pem in sorted((bundle / layout.EVENT_KEYS_DIR).glob("*.pem"))
    ]
    assert keys

    manifest = SslibEnvelope.from_dict(json.loads((bundle / layout.MANIFEST).read_bytes()))
    verified = manifest.verify(keys, 1)
    assert len(verified) == 1
    statement = json.loads(manifest.payload)
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    on_disk = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {
        layout.MANIFEST
    }
    assert set(subjects) == on_disk
    lines = (bundle / layout.EVENTS).read_bytes().splitlines()
    for line in lines:
        envelope = SslibEnvelope.from_dict(json.loads(line)["envelope"])
        assert len(envelope.verify(keys, 1)) == 1
    assert len(lines) > 50


def test_any_changed_byte_fails_naming_the_file(bundle: Path) -> None:
    files = read_bundle(bundle)
    assert verify_files(files).intact
    for name, data in files.items():
        changed = bytearray(data)
        changed[len(changed) // 2] ^= 0x01
        report = verify_files({**files, name: bytes(changed)})
        assert not report.intact, name
        assert name in {p.file for p in report.problems}, (name, report.problems)


def test_a_dropped_event_fails_naming_the_events(demo: Cli, bundle: Path, tmp_path: Path) -> None:
    copy = tmp_path / "dropped"
    shutil.copytree(bundle, copy)
    lines = (copy / layout.EVENTS).read_bytes().splitlines(keepends=True)
    (copy / layout.EVENTS).write_bytes(b"".join(lines[:10] + lines[11:]))

    outcome = demo.run("verify-bundle", str(copy))

    assert outcome.status == 1, outcome
    assert f"  {layout.EVENTS}: " in outcome.stdout, outcome


def test_a_checkpoint_swapped_for_another_fails_naming_it(
    demo: Cli, bundle: Path, tmp_path: Path
) -> None:
    demo.ok("demo", "--data-only")  # the log grows; a new checkpoint is signed
    later = (demo.home / "log" / "checkpoint.txt").read_text()
    assert later != (bundle / layout.CHECKPOINT).read_text()
    copy = tmp_path / "swapped"
    shutil.copytree(bundle, copy)
    (copy / layout.CHECKPOINT).write_text(later)

    outcome = demo.run("verify-bundle", str(copy))

    assert outcome.status == 1, outcome
    assert f"  {layout.CHECKPOINT}: " in outcome.stdout, outcome


def test_the_same_state_exports_the_same_bytes_as_folder_archive_and_over_http(
    demo: Cli, bundle: Path
) -> None:
    size = json.loads((bundle / layout.MANIFEST).read_bytes())  # the envelope
    predicate = json.loads(base64.b64decode(size["payload"]))["predicate"]
    cut = str(predicate["log"]["size"])
    again = demo.cwd / f"again-{uuid.uuid4().hex[:6]}"
    demo.ok("export", "--model", MODEL, "--as-of", cut, "--out", str(again))
    assert read_bundle(again) == read_bundle(bundle)
    first, second = (
        demo.cwd / f"{n}-{uuid.uuid4().hex[:6]}" / f"{MODEL}-{cut}.tar.gz" for n in "ab"
    )
    for archive in (first, second):
        demo.ok("export", "--model", MODEL, "--as-of", cut, "--out", str(archive))
    assert first.read_bytes() == second.read_bytes()
    assert read_bundle(first) == read_bundle(bundle)
    assert demo.run("verify-bundle", str(first)).status == 0

    assert demo.database_url is not None
    ledger = open_ledger(Settings(database_url=demo.database_url, home=demo.home))
    try:
        token = issue_token(ledger, "vera-validator")
        with TestClient(create_app(ledger.settings, opened=ledger)) as client:
            answer = client.post(
                "/v1/exports",
                json={"model": MODEL, "as_of": cut},
                headers={"Authorization": f"Bearer {token}"},
            )
            unknown = client.post(
                "/v1/exports",
                json={"model": "no-such-model"},
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        ledger.close()
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/gzip"
    assert answer.content == first.read_bytes()
    assert unknown.status_code == 404, unknown.text


def test_one_version_exports_and_verifies(demo: Cli) -> None:
    out = demo.cwd / f"v2-{uuid.uuid4().hex[:6]}"
    demo.ok("export", "--model", MODEL, "--version", "2", "--out", str(out))
    report = json.loads(demo.ok("verify-bundle", str(out), "--json").stdout)
    assert report["intact"] is True
    assert report["version"] == 2


def test_bad_requests_get_one_line_and_write_nothing(demo: Cli, bundle: Path) -> None:
    missing = demo.cwd / "never-written"
    assert_one_line_error(
        demo.run("export", "--model", "no-such-model", "--out", str(missing)), "no-such-model"
    )
    assert_one_line_error(
        demo.run("export", "--model", MODEL, "--version", "99", "--out", str(missing)), "99"
    )
    assert not missing.exists()
    assert_one_line_error(demo.run("export", "--model", MODEL, "--out", str(bundle)), "not empty")
    assert_one_line_error(demo.run("verify-bundle", str(missing)), "no such bundle")
    empty = demo.cwd / f"empty-{uuid.uuid4().hex[:6]}"
    empty.mkdir()
    assert_one_line_error(demo.run("verify-bundle", str(empty)), "not an evidence bundle")
    wrong_key = demo.cwd / "wrong.vkey"
    wrong_key.write_text(
        "example.com/other+0badc0de+AYFlWdQdROPfu9rm2VfoDU6sk9g3TT6FJleB0PAdsCEm\n"
    )
    pinned = demo.run("verify-bundle", str(bundle), "--vkey", str(wrong_key))
    assert pinned.status == 1, pinned
    assert f"  {layout.LOG_VKEY}: " in pinned.stdout
