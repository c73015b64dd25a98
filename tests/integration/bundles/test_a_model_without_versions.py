"""A model only registered (no version, no deployment, no prediction) still exports a bundle that
verifies, with valid standard files that say there is no version, and its event values escaped."""

from __future__ import annotations

from pathlib import Path

from api.exports import layout
from api.exports.archive import read_bundle
from api.exports.verification import verify_files
from tests.e2e.conftest import Cli
from tests.integration.bundles.conftest import copy_of
from tests.official_schemas import validate_model_card, validate_prov


def test_a_registered_model_without_versions_exports_a_bundle_that_verifies(
    demo_cli: Cli, tmp_path: Path
) -> None:
    cli = copy_of(demo_cli, tmp_path / "copy")
    cli.ok(
        "register-model",
        "--actor",
        "olivia-owner",
        "--name",
        "fraud-score",
        "--purpose",
        "<script>alert(1)</script> flag fraud",
        "--intended-use",
        "analysts review",
        "--risk-tier",
        "low",
    )
    out = tmp_path / "bundle"

    cli.ok("export", "--model", "fraud-score", "--out", str(out))

    files = read_bundle(out)
    report = verify_files(files)
    assert report.intact, report.problems
    assert 0 < report.events < 10
    assert files[layout.OPENLINEAGE] == b""
    assert files[layout.PREDICTIONS] == b""
    card = validate_model_card(files[layout.MODEL_CARD])
    assert "no version was trained by the cut" in card["model_details"]["documentation"]
    validate_prov(files[layout.PROV])
    for page in (layout.ANNEX_IV, layout.SR11_7):
        assert b"<script>alert" not in files[page]
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in files[page]
    assert len(files[layout.RISK_REGISTER].splitlines()) == 1  # the header: no version yet
