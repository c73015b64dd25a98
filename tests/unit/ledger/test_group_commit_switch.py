"""GOVLEDGER_GROUP_COMMIT turns group commit off for the baseline; anything else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.errors import KeyStoreError
from ledger.store.components import GROUP_COMMIT_KEY, SignedStoreParts


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("on", True), (" OFF ", False)])
def test_the_switch_reads_on_or_off(tmp_path: Path, value: str | None, enabled: bool) -> None:
    env = {"GOVLEDGER_HOME": str(tmp_path)}
    if value is not None:
        env[GROUP_COMMIT_KEY] = value

    assert SignedStoreParts(env).group_commit is enabled


def test_any_other_value_is_refused_with_what_to_write(tmp_path: Path) -> None:
    env = {"GOVLEDGER_HOME": str(tmp_path), GROUP_COMMIT_KEY: "sometimes"}

    with pytest.raises(KeyStoreError, match="must be 'on' or 'off', not 'sometimes'"):
        SignedStoreParts(env)
