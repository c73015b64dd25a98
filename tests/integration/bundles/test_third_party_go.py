"""The Go program the bundle's README.txt gives (golang.org/x/mod/sumdb/note and sumdb/tlog) is
extracted from the README, built offline against Debian's golang.org/x/mod, and run on a real
bundle: it accepts the bundle and rejects a changed envelope, a changed proof hash, a missing
event and a checkpoint whose root was changed under its signature.

Needs ``go`` and golang.org/x/mod's sources (Debian: golang-go, golang-golang-x-mod-dev): the
tests skip without them, and fail under CI=1."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from api.composition import Ledger
from api.exports import layout
from api.exports.archive import write_folder
from api.exports.assemble import Evidence
from api.exports.bundle import bundle_files
from api.exports.predictions import extract_predictions

X_MOD = Path("/usr/share/gocode/src/golang.org/x/mod")
INSTALL = "apt-get install golang-go golang-golang-x-mod-dev"
PROGRAM = re.compile(
    r"^--- begin check_proofs\.go ---\n(.*?)^--- end check_proofs\.go ---$", re.S | re.M
)
GO_MOD = f"""module check_proofs

go 1.19

require golang.org/x/mod v0.7.0

replace golang.org/x/mod => {X_MOD}
"""


@pytest.fixture(scope="session")  # session: set up before the demo, so a skip is quick
def go() -> str:
    """The go command; fails under CI and skips elsewhere when Go or x/mod is missing."""
    go = shutil.which("go")
    problem = None
    if go is None:
        problem = "no go command"
    elif not (X_MOD / "sumdb" / "tlog").is_dir():
        problem = f"no golang.org/x/mod sources under {X_MOD}"
    if problem is not None:
        message = f"the bundle README's Go program needs Go: {problem} ({INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(f"CI: {message}")
        pytest.skip(message)
    assert go is not None
    return go


@pytest.fixture(scope="module")
def bundle(
    demo_evidence: Evidence, demo_ledger: Ledger, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The demo's credit-risk bundle, written as `govledger export` writes it."""
    out = tmp_path_factory.mktemp("go-bundle") / "bundle"
    predictions = extract_predictions(demo_ledger, demo_evidence.context)
    write_folder(out, bundle_files(demo_evidence, predictions))
    return out


@pytest.fixture(scope="module")
def check_proofs(go: str, bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's check_proofs.go, built offline; returns the executable (Go is looked for
    before the bundle is built, so a missing Go skips at once)."""
    found = PROGRAM.search((bundle / layout.README).read_text(encoding="utf-8"))
    assert found is not None, "README.txt holds no check_proofs.go program"
    work = tmp_path_factory.mktemp("check-proofs-go")
    source = work / "src"
    source.mkdir()
    (source / "main.go").write_text(found.group(1), encoding="utf-8")
    (source / "go.mod").write_text(GO_MOD, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    environment |= {
        "GOCACHE": str(work / "cache"),
        "GOPATH": str(work / "gopath"),
        "GOENV": "off",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOSUMDB": "off",
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
        "CGO_ENABLED": "0",
    }
    executable = work / "check_proofs"
    built = subprocess.run(
        [go, "build", "-o", str(executable), "."],
        cwd=source,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, f"go build failed:\n{built.stderr}"
    return executable


def _run(check_proofs: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(check_proofs), *arguments], capture_output=True, text=True, timeout=60, check=False
    )


def _copy(bundle: Path, tmp_path: Path) -> Path:
    copied = tmp_path / "bundle"
    shutil.copytree(bundle, copied)
    return copied


def _rewrite_line(path: Path, number: int, change: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = change(lines[number])
    assert changed != lines[number]
    lines[number] = changed
    path.write_text("".join(lines), encoding="utf-8")


def _flipped(b64: str) -> str:
    """The base64 of the same bytes with the first bit of the first byte flipped."""
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 0x80
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_the_readme_program_accepts_the_bundle(check_proofs: Path, bundle: Path) -> None:
    events = (bundle / layout.EVENTS).read_text(encoding="utf-8").splitlines()
    tree_size = (bundle / layout.CHECKPOINT).read_text(encoding="utf-8").splitlines()[1]
    result = _run(check_proofs, str(bundle))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"checkpoint verifies; {len(events)} events are in the log of {tree_size} leaves\n"
    )
    assert len(events) > 10


def test_a_changed_envelope_byte_fails(check_proofs: Path, bundle: Path, tmp_path: Path) -> None:
    copied = _copy(bundle, tmp_path)
    # Within the payload's base64: the JSON stays valid, only the envelope's bytes differ.
    _rewrite_line(
        copied / layout.EVENTS,
        3,
        lambda line: re.sub(
            r'("payload":")(.)', lambda m: m[1] + ("B" if m[2] != "B" else "C"), line, count=1
        ),
    )
    result = _run(check_proofs, str(copied))
    assert result.returncode != 0
    assert "invalid transparency proof" in result.stderr


def test_a_changed_proof_hash_fails(check_proofs: Path, bundle: Path, tmp_path: Path) -> None:
    copied = _copy(bundle, tmp_path)

    def change(line: str) -> str:
        proof = json.loads(line)
        proof["hashes"][-1] = _flipped(proof["hashes"][-1])
        return json.dumps(proof, separators=(",", ":")) + "\n"

    _rewrite_line(copied / layout.PROOFS, 5, change)
    result = _run(check_proofs, str(copied))
    assert result.returncode != 0
    assert "invalid transparency proof" in result.stderr


def test_a_missing_event_fails(check_proofs: Path, bundle: Path, tmp_path: Path) -> None:
    copied = _copy(bundle, tmp_path)
    _rewrite_line(copied / layout.EVENTS, 0, lambda line: "")
    result = _run(check_proofs, str(copied))
    assert result.returncode != 0
    assert "is not for leaf" in result.stderr


def test_a_checkpoint_with_a_changed_root_fails(
    check_proofs: Path, bundle: Path, tmp_path: Path
) -> None:
    copied = _copy(bundle, tmp_path)
    _rewrite_line(copied / layout.CHECKPOINT, 2, lambda line: _flipped(line.strip()) + "\n")
    result = _run(check_proofs, str(copied))
    assert result.returncode != 0
    assert "invalid signature" in result.stderr
    assert "checkpoint verifies" not in result.stdout


def test_without_a_folder_it_prints_its_usage(check_proofs: Path) -> None:
    result = _run(check_proofs)
    assert result.returncode != 0
    assert "usage: go run . /path/to/the/bundle/folder" in result.stderr
    assert "panic" not in result.stderr
