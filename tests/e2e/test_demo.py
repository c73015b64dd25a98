"""``govledger demo`` as a user runs it: the governed life of credit-risk, then verify; and a
second run on the same home."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.conftest import Cli

STEPS = (
    r"^validation of version 1: failed; \d+ finding\(s\): .*disparate impact of age_band",
    r"^mitigated on age_band into version 2: disparate impact 0\.\d\d -> 0\.\d\d$",
    r"^validation of the mitigated version: passed$",
    r"^refused \(and recorded\): self-approval by the developer: .*developed version 2",
    r"^UAT evidence: integration passed, performance passed$",
    r"^refused \(and recorded\): prod deployment before approval: prod needs 2 distinct",
    r"^scored 3,000 applications; explained 3 with LIME$",
    r"^monitoring window 2 \(shifted applicants\): .*PSI of age [\d.]+ >= 0\.25 \(drift\).*"
    r"; finding [0-9a-f-]{36}; retraining requested$",
    r"^validation of the retrained version: passed$",
    r"^read side at log size \d+: credit-risk v3 runs in prod since leaf \d+, approved by "
    r"ann-approver \[leaf \d+\], abe-approver \[leaf \d+\]; `govledger why credit-risk`",
    r"^ledger intact: \d+ events, .*; \d+ artifact\(s\) and \d+ prediction segment\(s\) match",
)


def test_the_demo_runs_the_lifecycle_and_ends_verified_twice_on_one_home(tmp_path: Path) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home")
    cli.ok("init")

    first = cli.run("demo")

    assert first.status == 0, first
    for step in STEPS:
        assert re.search(step, first.stdout, re.MULTILINE), (step, first.stdout)
    second = cli.run("demo")
    assert second.status == 0, second
    assert re.search(r"^trained version 4: ", second.stdout, re.MULTILINE), second.stdout
    report = json.loads(cli.ok("verify", "--json").stdout)
    assert report["intact"]
    assert report["evidence"]["segments_checked"] >= 4
    assert report["evidence"]["problems"] == []
