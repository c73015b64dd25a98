"""``TableSchema``: the columns of a tabular data set, and the check every row must pass.

A schema document is JSON: ``{"columns": {name: spec, ...}, "target": name}``, columns in order,
each spec one of ``{"type": "integer", "minimum": int, "maximum": int}``,
``{"type": "number", "minimum": x, "maximum": x}`` (bounds optional) or
``{"type": "category", "categories": [str, ...]}``. The ledger records the document; rows sent
for scoring (``check_rows``) and CSV files (``read_csv``) are checked against it, and anything
outside it is refused with a ``RowError`` naming the row and the column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from adapters.tables.columns import CATEGORY, INTEGER, NUMBER, Column
from adapters.tables.csv_reading import parse_csv
from adapters.tables.errors import RowError, describe
from domain.errors import InvalidArgumentError

__all__ = ["TableSchema"]


class TableSchema:
    """The ordered, typed columns of a table, one of them (optionally) the target."""

    def __init__(self, columns: Sequence[Column], target: str | None = None) -> None:
        self._columns = tuple(columns)
        self.target = target
        self._by_name = {c.name: c for c in self._columns}
        # Per-column tuples unpacked in check_rows' loop: it sits on the scoring path.
        self._plans = {
            with_target: tuple(
                (c.name, c.kind, c.minimum, c.maximum, frozenset(c.categories), c)
                for c in self._columns
                if with_target or c.name != target
            )
            for with_target in (False, True)
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> TableSchema:
        """The schema ``doc`` describes; ``InvalidArgumentError`` naming what is malformed."""
        if not isinstance(doc, Mapping) or not set(doc) <= {"columns", "target"}:
            raise InvalidArgumentError("a table schema has 'columns' and, optionally, 'target'")
        specs = doc.get("columns")
        if not isinstance(specs, Mapping) or not specs:
            raise InvalidArgumentError("a table schema needs 'columns': a non-empty object")
        if not all(isinstance(name, str) and name for name in specs):
            raise InvalidArgumentError("table schema column names must be non-empty strings")
        columns = [Column.from_spec(name, spec) for name, spec in specs.items()]
        target = doc.get("target")
        if target is not None and target not in specs:
            raise InvalidArgumentError(f"the schema's target {target!r} is not one of its columns")
        return cls(columns, target)

    @property
    def document(self) -> dict[str, Any]:
        """The JSON document of this schema (what the ledger records)."""
        doc: dict[str, Any] = {"columns": {c.name: c.spec for c in self._columns}}
        if self.target is not None:
            doc["target"] = self.target
        return doc

    @property
    def columns(self) -> list[str]:
        """Every column's name, in order."""
        return [c.name for c in self._columns]

    @property
    def feature_columns(self) -> list[str]:
        """The columns other than the target, in order."""
        return [c.name for c in self._columns if c.name != self.target]

    def column(self, name: str) -> Column:
        """The column called ``name``; ``KeyError`` if there is none."""
        return self._by_name[name]

    def check_rows(
        self,
        rows: Sequence[Mapping[str, object]],
        *,
        with_target: bool = False,
        max_rows: int | None = None,
    ) -> list[dict[str, object]]:
        """``rows`` typed (int, float, str) with their columns in schema order.

        Each row must hold exactly the feature columns, and the target iff ``with_target``.
        ``RowError`` names the first bad row (0-based index) and column; for a batch that is not
        a list, is empty or exceeds ``max_rows``, the row is 0, 0 or ``max_rows``.
        """
        if not isinstance(rows, list | tuple) or not rows:
            raise RowError(
                0, None, "send a non-empty list of rows (objects keyed by column)", whole=True
            )
        if max_rows is not None and len(rows) > max_rows:
            raise RowError(
                max_rows,
                None,
                f"batch of {len(rows)} rows exceeds the cap of {max_rows}: split it",
                whole=True,
            )
        plan = self._plans[with_target]
        names = {entry[0] for entry in plan}
        typed_rows: list[dict[str, object]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping) or row.keys() != names:
                self._refuse_shape(index, row, names)
            typed: dict[str, object] = {}
            for name, kind, low, high, categories, column in plan:
                value = row[name]
                kind_of = type(value)
                if kind == CATEGORY:
                    if kind_of is str and value in categories:
                        typed[name] = value
                        continue
                elif (kind_of is int or (kind_of is float and kind == NUMBER)) and (
                    low <= value <= high
                ):
                    typed[name] = value if kind == INTEGER else float(value)
                    continue
                try:
                    typed[name] = column.convert(value)
                except ValueError as exc:
                    raise RowError(index, name, str(exc)) from None
            typed_rows.append(typed)
        return typed_rows

    def read_csv(self, content: bytes, *, with_target: bool = True) -> pd.DataFrame:
        """The CSV ``content`` as a DataFrame: integer columns int64, number float64, category str.

        The header must list the schema's columns (without the target unless ``with_target``) in
        order; every value is checked as ``check_rows`` checks it. ``RowError`` names the first
        bad line (1-based, the header being line 1) and column.
        """
        return parse_csv(content, [entry[5] for entry in self._plans[with_target]])

    def _refuse_shape(self, index: int, row: object, names: set[str]) -> None:
        if not isinstance(row, Mapping):
            raise RowError(index, None, f"expected an object keyed by column, not {describe(row)}")
        for name in (c.name for c in self._columns if c.name in names):
            if name not in row:
                raise RowError(index, name, "missing: every row needs this column")
        extra = next(key for key in row if key not in names)
        if extra == self.target:
            raise RowError(index, str(extra), "the target is not accepted here: leave it out")
        raise RowError(
            index, str(extra), f"not a column of the schema (expected {', '.join(sorted(names))})"
        )
