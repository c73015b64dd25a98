"""Every claim in docs/security.md's claims table names tests that exist and that pytest collects.

The table is the promise to auditors that no claim stands without a test; this keeps it from
citing a test that was renamed or removed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "docs" / "security.md"
TABLE_HEADING = "## Claims and the tests that back them"
NODE_ID = re.compile(r"`(tests/[\w/]+\.py(?:::[\w\[\]-]+)*)`")


def claims() -> list[tuple[str, list[str]]]:
    """The rows of the claims table: each claim with the test node ids it cites."""
    text = SECURITY.read_text(encoding="utf-8")
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in {"claim", ""} or set(cells[0]) <= {"-", ":"}:
            continue
        rows.append((cells[0], NODE_ID.findall(cells[1])))
    return rows


def test_every_claim_cites_at_least_one_test() -> None:
    rows = claims()
    assert len(rows) >= 40
    uncited = [claim for claim, tests in rows if not tests]
    assert uncited == []


def test_every_cited_test_is_collected() -> None:
    node_ids = sorted({node for _, tests in claims() for node in tests})
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            *node_ids,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    collected = completed.stdout
    missing = [node for node in node_ids if node not in collected]
    assert missing == []
