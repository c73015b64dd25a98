"""Plain-text tables for the CLI's human output."""

from __future__ import annotations

from api.text_table import MAX_CELL, format_table


def test_columns_are_padded_to_their_widest_cell_under_a_rule() -> None:
    table = format_table(["leaf", "who"], [[7, "ann"], [12, None], [3, ["a", "b"]]])
    assert table.splitlines() == [
        "leaf  who",
        "----  ----",
        "7     ann",
        "12    -",
        "3     a, b",
    ]


def test_a_long_cell_is_cut_short_with_an_ellipsis() -> None:
    line = format_table(["text"], [["x" * 500]]).splitlines()[2]
    assert len(line) == MAX_CELL
    assert line.endswith("\u2026")
