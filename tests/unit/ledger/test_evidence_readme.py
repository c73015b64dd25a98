"""The bundle's README: deterministic plain text whose programs check a bundle without govledger."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from api.exports.readme_text import readme_text
from tests.unit.ledger.evidence_bundle import A, bundle, resign, synthetic_log

SCHEMAS = Path(__file__).parents[2] / "data" / "schemas"
KEYIDS = ["sha256:" + "a" * 64, "sha256:" + "b" * 64]
ARGUMENTS = {
    "model": "credit-risk",
    "origin": "govledger.example/ledger",
    "size": 1234,
    "root_b64": "q83vEjRWeJASNFZ4kBI0VniQEjRWeJASNFZ4kBI0Vng=",
    "event_keyids": KEYIDS,
    "log_vkey": "govledger.example/ledger+0a1b2c3d+AXq3+zPJqO7Al33aV5ymbTgEvb9gyJHOr/PliYj5MyQU",
}


def readme(**changes: object) -> str:
    return readme_text(**{**ARGUMENTS, **changes}).decode("ascii")  # type: ignore[arg-type]


def program(text: str, name: str) -> str:
    match = re.search(
        f"^--- begin {re.escape(name)} ---\n(.*?)^--- end {re.escape(name)} ---$", text, re.M | re.S
    )
    assert match, f"no program {name}"
    return match.group(1)


def run(script: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def test_the_readme_is_deterministic_plain_ascii_within_100_columns() -> None:
    text = readme_text(**ARGUMENTS)  # type: ignore[arg-type]

    assert text == readme_text(**ARGUMENTS)  # type: ignore[arg-type]
    assert text.isascii()
    assert max(len(line) for line in text.decode().splitlines()) <= 100
    assert "\t" not in text.decode()


def test_the_readme_names_the_bundle_its_checkpoint_and_its_keys() -> None:
    text = readme()

    for value in ("credit-risk", "govledger.example/ledger", "1234", ARGUMENTS["root_b64"]):
        assert str(value) in text
    assert f"\n    {ARGUMENTS['log_vkey']}\n" in text
    assert all(f"\n    {keyid}\n" in text for keyid in KEYIDS)
    for file in (
        "manifest.dsse.json",
        "checkpoint.txt",
        "keys/log.vkey",
        "events.jsonl",
        "proofs.jsonl",
    ):
        assert f"\n{file}\n" in text


def test_the_readme_names_the_tools_and_the_official_schemas() -> None:
    text = readme()

    for needle in (
        "SSlibKey.from_crypto(public_key, keyid=",
        "Envelope.from_dict(",
        ".verify(keys, 1)",
        "sha256sum",
        "note.NewVerifier(",
        "note.Open(",
        "tlog.CheckRecord(",
        "tlog.RecordHash(",
        "SHA-256(0x00 || envelope bytes)",
        "https://openlineage.io/spec/2-0-2/OpenLineage.json",
        "https://www.w3.org/submissions/prov-json/schema",
        "model_card_toolkit/schema/v0.0.2/model_card.schema.json",
        "govledger verify-bundle DIR",
    ):
        assert needle in text, needle


def test_non_ascii_arguments_are_escaped() -> None:
    assert "mod\\xe8le" in readme(model="mod\u00e8le")


def test_the_signature_program_verifies_a_bundle_and_refuses_a_tampered_one(tmp_path: Path) -> None:
    log = synthetic_log()
    files = bundle(log, log.leaves_of({A}), documents={"README.txt": readme().encode()})
    script = tmp_path / "verify_signatures.py"
    script.write_text(program(readme(), "verify_signatures.py"))
    intact = write(tmp_path / "intact", files)
    tampered = write(tmp_path / "tampered", {**files, "annex_iv.html": b"<html>changed</html>\n"})

    accepted, refused = run(script, intact), run(script, tampered)

    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout == "the manifest, every listed file and every event verify\n"
    assert refused.returncode == 1
    assert refused.stderr == "annex_iv.html: sha256 does not match the manifest\n"


def test_the_signature_program_refuses_an_event_by_a_key_not_in_the_bundle(tmp_path: Path) -> None:
    log = synthetic_log()
    genesis, successor = log.event_signers
    files = bundle(log, log.leaves_of({A}))  # leaves 0, 3, 5 (the rotation), 7, 10
    del files[next(name for name in files if successor.keyid.removeprefix("sha256:") in name)]
    script = tmp_path / "verify_signatures.py"
    script.write_text(program(readme(), "verify_signatures.py"))

    refused = run(script, write(tmp_path / "bundle", resign(files, genesis)))

    assert refused.returncode == 1
    assert refused.stderr.startswith("events.jsonl line 4: ")  # leaf 7, the successor's first


def test_the_schema_program_validates_with_the_official_schemas(tmp_path: Path) -> None:
    here = tmp_path / "program"
    here.mkdir()
    (here / "check_schemas.py").write_text(program(readme(), "check_schemas.py"))
    shutil.copy(SCHEMAS / "openlineage" / "OpenLineage.json", here / "OpenLineage.json")
    shutil.copy(SCHEMAS / "prov" / "prov-json.schema.json", here / "prov-json.schema.json")
    shutil.copy(
        SCHEMAS / "model_card_toolkit" / "model_card.schema.v0.0.2.json",
        here / "model_card.schema.json",
    )
    run_event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "https://govledger.dev",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.UUID(int=1))},
        "job": {"namespace": "govledger", "name": "train"},
        "inputs": [],
        "outputs": [],
    }
    documents = {
        "lineage.openlineage.jsonl": (json.dumps(run_event) + "\n").encode(),
        "lineage.prov.json": b'{"entity": {"ex:model": {}}}',
        "model_card.json": b'{"model_details": {"name": "credit-risk"}}',
    }
    broken = {**documents, "model_card.json": b'{"model_details": {"name": 7}}'}

    valid = run(here / "check_schemas.py", write(tmp_path / "valid", documents))
    invalid = run(here / "check_schemas.py", write(tmp_path / "invalid", broken))

    assert valid.returncode == 0, valid.stderr
    assert valid.stdout == "the lineage and the model card are valid\n"
    assert invalid.returncode == 1
    assert "7 is not of type 'string'" in invalid.stderr


@pytest.mark.parametrize("name", ["verify_signatures.py", "check_schemas.py"])
def test_the_python_programs_compile(name: str) -> None:
    compile(program(readme(), name), name, "exec")


def test_the_go_program_is_one_whole_main_package() -> None:
    go = program(readme(), "check_proofs.go")

    assert go.startswith("package main\n")
    assert go.count("{") == go.count("}")
    assert '"golang.org/x/mod/sumdb/note"' in go
    assert '"golang.org/x/mod/sumdb/tlog"' in go
