"""risk_register.csv and predictions.jsonl of the demo's credit-risk bundle."""

from __future__ import annotations

import csv
import io
import json

import pytest

from api.composition import Ledger
from api.exports.assemble import gather
from api.exports.context import BundleContext
from api.exports.documents import risk_register as register_module
from api.exports.documents.risk_register import COLUMNS, guard_cell, render_risk_register
from api.exports.predictions import check_predictions, extract_predictions
from ledger.encoding.canonical import canonical_json
from projections.risk.register import risk_register


@pytest.fixture(scope="module")
def extract(demo_ledger: Ledger, demo_context: BundleContext) -> bytes:
    return extract_predictions(demo_ledger, demo_context)


@pytest.fixture(scope="module")
def version_two(demo_ledger: Ledger) -> BundleContext:
    return gather(demo_ledger, "credit-risk", 2, None).context


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines()]


def _join(lines: list[dict]) -> bytes:
    return b"".join(canonical_json(line) + b"\n" for line in lines)


# predictions.jsonl


def test_the_extract_holds_the_first_records_of_every_sealed_segment_and_checks_clean(
    extract: bytes, demo_context: BundleContext
) -> None:
    lines = _lines(extract)
    sealed = [e for e in demo_context.events if e.name == "PredictionLog.SegmentSealed"]
    assert sealed, "the demo seals prediction segments"
    assert len(lines) == 5 * len(sealed)
    assert {line["sealed_leaf"] for line in lines} == {e.leaf_index for e in sealed}
    assert {line["kind"] for line in lines} == {"prediction", "feedback"}
    first = lines[0]
    assert first["record_index"] == 0
    assert first["record"]["kind"] == first["kind"]
    assert first["segment_root"] == demo_context.event_at(first["sealed_leaf"]).state["merkle_root"]
    assert check_predictions(extract, demo_context) == []


def test_two_extracts_are_identical(
    demo_ledger: Ledger, demo_context: BundleContext, extract: bytes
) -> None:
    assert extract_predictions(demo_ledger, demo_context) == extract
    fewer = extract_predictions(demo_ledger, demo_context, per_segment=1)
    assert fewer.count(b"\n") == extract.count(b"\n") // 5
    assert check_predictions(fewer, demo_context, per_segment=1) == []


def test_a_changed_record_fails_its_proof(extract: bytes, demo_context: BundleContext) -> None:
    lines = _lines(extract)
    lines[1]["record"]["time"] = "2020-01-01T00:00:00.000Z"
    problems = check_predictions(_join(lines), demo_context)
    assert problems[0].startswith("line 2: its record 1 does not prove into the root")
    line = lines[1]
    assert problems[1:] == [
        f"record 1 of segment {line['segment']} ({line['kind']} log of version "
        f"{line['version']} in {line['environment']}, sealed at leaf {line['sealed_leaf']}) "
        "is missing from the extract"
    ]


def test_a_changed_proof_hash_fails(extract: bytes, demo_context: BundleContext) -> None:
    lines = _lines(extract)
    proof = lines[2]["proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]
    problems = check_predictions(_join(lines), demo_context)
    assert problems[0].startswith("line 3: its record 2 does not prove")
    assert len(problems) == 2  # and record 2 counts as missing


def test_a_line_must_point_to_a_sealed_segment_the_bundle_carries(
    extract: bytes, demo_context: BundleContext
) -> None:
    lines = _lines(extract)
    lines[0]["sealed_leaf"] = demo_context.as_of + 5
    lines[1]["sealed_leaf"] = demo_context.events[0].leaf_index
    lines[2]["segment_root"] = "00" * 32
    problems = check_predictions(_join(lines), demo_context)
    assert (
        problems[0]
        == f"line 1: its sealed_leaf {demo_context.as_of + 5} is not an event of the bundle"
    )
    assert problems[1].startswith(
        f"line 2: its sealed_leaf {demo_context.events[0].leaf_index} is a "
    )
    assert problems[2].startswith("line 3: it describes its segment as")
    # the records those lines should carry are now missing
    assert sum("is missing from the extract" in p for p in problems) == 3


def test_another_bundle_refuses_lines_of_segments_it_does_not_carry(
    extract: bytes, version_two: BundleContext, demo_ledger: Ledger
) -> None:
    three = gather(demo_ledger, "credit-risk", 3, None).context
    assert extract_predictions(demo_ledger, three) == b""  # version 3 sealed no segment
    problems = check_predictions(extract, three)
    assert problems
    assert all("is not an event of the bundle" in p for p in problems)
    assert problems[0].startswith("line 1: ")


def test_a_version_bundle_extracts_that_versions_segments(
    demo_ledger: Ledger, version_two: BundleContext, extract: bytes
) -> None:
    two = extract_predictions(demo_ledger, version_two)
    assert two
    assert {line["version"] for line in _lines(two)} == {2}
    assert check_predictions(two, version_two) == []


def test_malformed_lines_are_named_never_raised(
    extract: bytes, demo_context: BundleContext
) -> None:
    lines = extract.splitlines(keepends=True)
    no_proof = json.loads(lines[3])
    del no_proof["proof"]
    bad_hex = json.loads(lines[4])
    bad_hex["proof"] = ["zz"]
    broken = [b"{not json\n", b"[1, 2]\n", b"\xff\xfe\n", canonical_json(no_proof) + b"\n"]
    data = b"".join([*broken, canonical_json(bad_hex) + b"\n", *lines[5:]]) + b'{"a": 1}'
    problems = check_predictions(data, demo_context)
    assert problems[0].startswith("line ")
    assert "does not end with a newline" in problems[0]
    assert problems[1].startswith("line 1: is not JSON")
    assert problems[2] == "line 2: is not a JSON object"
    assert problems[3].startswith("line 3: is not JSON")
    assert problems[4] == "line 4: its 'proof' is missing or not a list"
    assert problems[5].startswith("line 5: its record 4 does not prove")
    assert any(p.endswith("its 'model' is missing or not a str") for p in problems)
    assert check_predictions(b"", demo_context)  # nothing: every sample record missing


def test_a_repeated_line_is_named(extract: bytes, demo_context: BundleContext) -> None:
    lines = extract.splitlines(keepends=True)
    problems = check_predictions(b"".join([*lines, lines[0]]), demo_context)
    assert problems == [
        f"line {len(lines) + 1}: repeats record 0 of the segment sealed at leaf "
        f"{json.loads(lines[0])['sealed_leaf']} (line 1)"
    ]


# risk_register.csv


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_the_register_has_a_row_per_version_matching_the_read_side(
    demo_context: BundleContext,
) -> None:
    data = render_risk_register(demo_context)
    assert data == render_risk_register(demo_context)
    assert data.startswith(",".join(COLUMNS).encode() + b"\r\n")
    assert data.endswith(b"\r\n")
    expected = risk_register(demo_context.view, demo_context.as_of, demo_context.model)["rows"]
    rows = _rows(data)
    assert [(r["model"], r["version"]) for r in rows] == [
        (e["model"], str(e["version"])) for e in expected
    ]
    for row, answer in zip(rows, expected, strict=True):
        counts = answer["open_findings"]["value"]["by_severity"]
        assert row["open_high"] == str(counts["high"])
        assert row["open_critical"] == str(counts["critical"])
        assert row["residual_rating"].startswith(answer["residual_risk"]["rating"] + " [lea")
        assert row["residual_score"] == str(answer["residual_risk"]["score"])
        assert set(answer["sources"]) <= {int(leaf) for leaf in row["sources"].split()}
        for approval in answer["approvals"]:
            assert f"{approval['approver']} {approval['decision']}" in row["approvals"]
            assert f"[leaf {approval['sources'][0]}]" in row["approvals"]
        for finding in answer["open_findings"]["value"]["open"]:
            assert finding["id"] in row["open_findings"]
        if answer["open_findings"]["value"]["open"]:
            assert row["remediation_plan"].startswith("To be supplied by the model owner")
    drift = next(e for e in expected if e["version"] == 2)["monitoring"]["prod"]["drift"]
    prod_drift = next(r for r in rows if r["version"] == "2")["monitoring_drift"]
    assert prod_drift.startswith(f"prod: {drift['status']}")
    assert f"[leaves {', '.join(str(leaf) for leaf in drift['sources'])}]" in prod_drift


def test_a_version_bundle_registers_that_version_only(version_two: BundleContext) -> None:
    rows = _rows(render_risk_register(version_two))
    assert [r["version"] for r in rows] == ["2"]


def test_cells_a_spreadsheet_would_run_get_an_apostrophe(
    demo_context: BundleContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    for formula in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert guard_cell(formula) == "'" + formula
    assert guard_cell("credit-risk") == "credit-risk"
    # a value from an event that starts like a formula reaches the CSV guarded
    answer = risk_register(demo_context.view, demo_context.as_of, demo_context.model)
    answer["rows"][0]["model"] = "=cmd|' /C calc'!A0"
    answer["rows"][0]["approvals"] = [
        {**answer["rows"][2]["approvals"][0], "approver": "@evil", "revoked": None}
    ]
    monkeypatch.setattr(register_module, "risk_register", lambda *_: answer)
    row = _rows(render_risk_register(demo_context))[0]
    assert row["model"] == "'=cmd|' /C calc'!A0"
    assert row["approvals"].startswith("'@evil granted")
