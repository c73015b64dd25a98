"""Reading CSV bytes into a typed DataFrame, every value checked against its ``Column``.

RFC 4180 CSV, UTF-8, with a header row. pandas' C parser reads numbers straight into float64 and
the checks are vectorised per column, so a million rows read in seconds. Only when that finds a
fault is the file read again as text, to refuse the first bad value (lowest line, then column
order) with a ``RowError`` naming its line and saying what the column accepts. Lines are counted
as records: a quoted field holding a line break shifts the numbers after it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from adapters.tables.columns import CATEGORY, INTEGER, NUMBER, Column
from adapters.tables.errors import RowError

__all__ = ["parse_csv"]

_HEADER_LINES = 1
_PARSED = {CATEGORY: "category", INTEGER: np.float64, NUMBER: np.float64}
"""How the fast pass parses each kind: a category's codes check in O(categories), not O(rows)."""
_PARSER_LINE = re.compile(r"\bline (\d+)")


def parse_csv(content: bytes, columns: Sequence[Column]) -> pd.DataFrame:
    """``content`` as a DataFrame of ``columns`` (integer int64, number float64, category str)."""
    if not isinstance(content, bytes | bytearray):
        raise RowError(0, None, "send the CSV file's bytes", whole=True)
    body = bytes(content).removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if not body.strip():
        raise RowError(0, None, "the CSV file is empty: send a header line and rows", whole=True)
    _check_header(body, [c.name for c in columns])
    try:
        frame = _read(body, {c.name: _PARSED[c.kind] for c in columns})
    except (ValueError, OverflowError):
        frame = None  # a value that is not a number: the text pass below names it
    if frame is not None and all(_accepted(frame[c.name], c) for c in columns):
        for column in columns:
            frame[column.name] = _typed(frame[column.name], column)
        return frame
    _refuse_first_fault(_read(body, str), columns)
    raise RowError(
        0, None, "the CSV file's values cannot be read as the schema's types", whole=True
    )


def _check_header(body: bytes, names: list[str]) -> None:
    first = body.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except UnicodeDecodeError as exc:
        raise RowError(0, None, f"the CSV file is not UTF-8 text ({exc.reason})", line=1) from exc
    if header != names:
        raise RowError(
            0,
            None,
            f"the header must be exactly: {','.join(names)} (got {','.join(header)[:200]})",
            line=1,
        )
    if b"\n" not in body:
        raise RowError(0, None, "the CSV file has a header but no rows", line=1)


def _read(body: bytes, dtype: object) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(body),
            header=0,
            dtype=dtype,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8",
        )
    except UnicodeDecodeError as exc:
        raise RowError(
            0, None, f"the CSV file is not UTF-8 text ({exc.reason})", whole=True
        ) from exc
    except pd.errors.ParserError as exc:
        found = _PARSER_LINE.search(str(exc))
        line = int(found.group(1)) if found else None
        row = max(line - _HEADER_LINES - 1, 0) if line else 0
        raise RowError(
            row, None, f"the CSV file cannot be parsed: {exc}", line=line, whole=True
        ) from exc


def _accepted(values: pd.Series, column: Column) -> bool:
    """Whether the column accepts every one of the fast pass's parsed ``values``."""
    if column.kind == CATEGORY:
        return set(values.cat.categories) <= set(column.categories)
    return not _refused(values, column).any()


def _typed(values: pd.Series, column: Column) -> pd.Series:
    """Accepted parsed values as the column's type: int64, float64 or str."""
    if column.kind == CATEGORY:
        return values.astype(object)
    return values.astype(np.int64) if column.kind == INTEGER else values


def _refused(values: pd.Series, column: Column) -> npt.NDArray[np.bool_]:
    """A mask of the values (text for a category, float64 otherwise) the column refuses."""
    if column.kind == CATEGORY:
        return np.asarray(~values.isin(column.categories), dtype=np.bool_)
    numbers = values.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numbers) | (numbers < column.minimum) | (numbers > column.maximum)
        if column.kind == INTEGER:
            bad |= numbers != np.round(numbers)
    return np.asarray(bad, dtype=np.bool_)


def _refuse_first_fault(text: pd.DataFrame, columns: Sequence[Column]) -> None:
    """Raise the ``RowError`` of the first refused value of ``text`` (the file read as text)."""
    faults = []
    for position, column in enumerate(columns):
        cells = text[column.name]
        numbers = cells if column.kind == CATEGORY else pd.to_numeric(cells, errors="coerce")
        bad = _refused(numbers, column)
        if bad.any():
            faults.append((int(np.argmax(bad)), position))
    if faults:
        row, position = min(faults)
        column = columns[position]
        _refuse(row, column, str(text[column.name].iloc[row]))


def _refuse(row: int, column: Column, text: str) -> None:
    line = row + _HEADER_LINES + 1
    value = _value(text, column)
    if text.strip() == "":
        problem = f"empty: expected {column.accepted}"
    elif value is None:
        problem = f"{text!r} is not a number: expected {column.accepted}"
    else:
        try:
            column.convert(value)
            problem = f"{text!r} is refused: expected {column.accepted}"
        except ValueError as exc:
            problem = str(exc)
    raise RowError(row, column.name, problem, line=line)


def _value(text: str, column: Column) -> str | int | float | None:
    """The value ``text`` holds for ``column`` (``None`` for a number column: not a number)."""
    if column.kind == CATEGORY:
        return text
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if column.kind == INTEGER and number.is_integer() else number
