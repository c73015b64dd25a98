"""Errors of table checking.

InvalidArgumentError (domain)
└── RowError        a row or CSV line is outside the table's schema
"""

from __future__ import annotations

from domain.errors import InvalidArgumentError

__all__ = ["RowError", "describe"]


class RowError(InvalidArgumentError):
    """A row is outside the schema: ``row`` is its 0-based index among the data rows, ``column``
    the column at fault (``None`` when the row or batch as a whole is), ``line`` the CSV line
    (1-based, the header being line 1) when the rows came from a CSV file."""

    def __init__(self, row: int, column: str | None, problem: str, *, line: int | None = None):
        where = f"line {line}" if line is not None else f"row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}")
        self.row = row
        self.column = column
        self.line = line
        self.problem = problem


def describe(value: object) -> str:
    """``value`` as an error message shows it: its repr, cut short."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
