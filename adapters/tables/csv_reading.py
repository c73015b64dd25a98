"""Reading CSV bytes into a typed DataFrame, every value checked against its ``Column``.

RFC 4180 CSV, UTF-8, with a header row. Checking is vectorised per column (pandas), so a file of
a million rows reads in seconds; the first bad value found (lowest line, then column order) is
refused with a ``RowError`` naming its line.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from adapters.tables.columns import CATEGORY, INTEGER, Column
from adapters.tables.errors import RowError

__all__ = ["parse_csv"]

_HEADER_LINES = 1
_PARSER_LINE = re.compile(r"\bline (\d+)")


def parse_csv(content: bytes, columns: Sequence[Column]) -> pd.DataFrame:
    """``content`` as a DataFrame of ``columns`` (integer int64, number float64, category str)."""
    if not isinstance(content, bytes | bytearray):
        raise RowError(0, None, "send the CSV file's bytes")
    body = bytes(content).removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if not body.strip():
        raise RowError(0, None, "the CSV file is empty: send a header line and at least one row")
    cells = _cells(body)
    names = [c.name for c in columns]
    header = list(cells.iloc[0])
    if header != names:
        raise RowError(
            0,
            None,
            f"the header must be exactly: {','.join(names)} (got {','.join(header)})",
            line=1,
        )
    data = cells.iloc[_HEADER_LINES:].reset_index(drop=True)
    if data.empty:
        raise RowError(0, None, "the CSV file has a header but no rows", line=1)
    data.columns = names
    typed: dict[str, object] = {}
    failures: list[tuple[int, int, Column]] = []
    for position, column in enumerate(columns):
        values, bad = _typed_column(data[column.name], column)
        typed[column.name] = values
        if bad.any():
            failures.append((int(np.argmax(bad)), position, column))
    if failures:
        row, _, column = min(failures, key=lambda failure: failure[:2])
        _refuse(row, column, data[column.name].iloc[row])
    return pd.DataFrame(typed, columns=names)


def _cells(body: bytes) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(body),
            header=None,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8",
        )
    except UnicodeDecodeError as exc:
        raise RowError(0, None, f"the CSV file is not UTF-8 text ({exc.reason})") from exc
    except (pd.errors.ParserError, ValueError) as exc:
        found = _PARSER_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        row = max(line - _HEADER_LINES - 1, 0) if line else 0
        raise RowError(row, None, f"the CSV file cannot be parsed: {exc}", line=line) from exc


def _typed_column(text: pd.Series, column: Column) -> tuple[object, npt.NDArray[np.bool_]]:
    """The column's typed values and a mask of the values it refuses."""
    if column.kind == CATEGORY:
        return text.astype(object), ~text.isin(column.categories).to_numpy()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numbers) | (numbers < column.minimum) | (numbers > column.maximum)
    if column.kind == INTEGER:
        bad |= np.isfinite(numbers) & (numbers != np.round(numbers))
        return np.where(bad, 0, numbers).astype(np.int64), bad
    return numbers, bad


def _refuse(row: int, column: Column, text: str) -> None:
    line = row + _HEADER_LINES + 1
    if text.strip() == "":
        raise RowError(row, column.name, f"empty: expected {column.accepted}", line=line)
    value: object = text
    if column.kind != CATEGORY:
        try:
            value = float(text)
        except ValueError:
            raise RowError(
                row, column.name, f"{text!r} is not a number: expected {column.accepted}", line=line
            ) from None
    try:
        column.convert(value)
    except ValueError as exc:
        raise RowError(row, column.name, str(exc), line=line) from None
    raise RowError(row, column.name, f"{text!r} is refused: expected {column.accepted}", line=line)
