"""Errors of table checking.

InvalidArgumentError (domain)
└── RowError        a row, a CSV line or a whole batch is outside the table's schema
"""

from __future__ import annotations

from domain.errors import InvalidArgumentError

__all__ = ["RowError", "describe"]


class RowError(InvalidArgumentError):
    """Rows outside the schema: ``row`` is the 0-based index of the bad data row, ``column`` the
    column at fault (``None`` when the row as a whole is), ``line`` the CSV line (1-based, the
    header being line 1) when the rows came from a CSV file. The message starts with the line or
    row and column, then says what is wrong and what is accepted."""

    def __init__(
        self,
        row: int,
        column: str | None,
        problem: str,
        *,
        line: int | None = None,
        whole: bool = False,
    ) -> None:
        """``whole``: the fault is the batch's or file's as a whole (empty, too large,
        unreadable), first showing at ``row`` (0 when there is no row to show)."""
        where = f"line {line}" if line is not None else "" if whole else f"row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {problem}" if where else problem)
        self.row = row
        self.column = column
        self.line = line
        self.problem = problem


def describe(value: object) -> str:
    """``value`` as an error message shows it: its repr, cut short."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
