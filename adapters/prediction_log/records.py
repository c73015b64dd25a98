"""Prediction and feedback records and their RFC 8785 canonical bytes, written fast.

A prediction record is ``{"id", "kind": "prediction", "model_version", "artifact_digest",
"environment", "time", "inputs": {column: int | float | str}, "output": {"score", "decision"}}``;
a feedback record is ``{"id", "kind": "feedback", "prediction_id", "time", "label"}`` and may
carry further JSON fields (written by the general encoder: feedback is rare). Times are
RFC 3339 UTC with milliseconds (``2026-11-30T12:00:00.123Z``). ``encode_record`` writes exactly
the bytes ``ledger.encoding.canonical.canonical_json`` writes for the same record (RFC 8785
section 3.2), but knows the shapes in advance: member names are sorted once per set of input
columns, strings go through the same C escaper, and numbers follow ECMAScript's Number::toString
(RFC 8785 section 3.2.2.3). A record's Merkle leaf is RFC 6962 ``leaf_hash`` of these bytes.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from adapters.prediction_log.ids import ID_PATTERN
from domain.errors import InvalidArgumentError
from ledger.encoding.canonical import canonical_json
from ledger.errors import CanonicalizationError

__all__ = [
    "KINDS",
    "TIME_PATTERN",
    "encode_record",
    "feedback_record",
    "format_number",
    "format_time",
    "prediction_record",
]

KINDS = ("prediction", "feedback")
TIME_PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
"""A record's time: RFC 3339, UTC, exactly three fractional digits (``fullmatch`` it)."""

_MAX_SAFE_INTEGER = 2**53 - 1
_PREDICTION_FIELDS = frozenset(
    {"id", "kind", "model_version", "artifact_digest", "environment", "time", "inputs", "output"}
)
_FEEDBACK_FIELDS = frozenset({"id", "kind", "prediction_id", "time", "label"})
_OUTPUT_FIELDS = frozenset({"score", "decision"})
_CACHE_LIMIT = 1024


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC text with milliseconds of an aware datetime (microseconds truncated)."""
    if moment.tzinfo is None:
        raise InvalidArgumentError(f"time {moment.isoformat()} has no time zone; give a UTC time")
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def prediction_record(
    *,
    prediction_id: str,
    model_version: str,
    artifact_digest: str,
    environment: str,
    time: str,
    inputs: Mapping[str, int | float | str],
    score: float,
    decision: int,
) -> dict[str, object]:
    """A prediction record (``encode_record`` checks it)."""
    return {
        "id": prediction_id,
        "kind": "prediction",
        "model_version": model_version,
        "artifact_digest": artifact_digest,
        "environment": environment,
        "time": time,
        "inputs": dict(inputs),
        "output": {"score": score, "decision": decision},
    }


def feedback_record(
    *, feedback_id: str, prediction_id: str, time: str, label: str
) -> dict[str, object]:
    """A feedback record attaching ``label`` to an earlier prediction."""
    return {
        "id": feedback_id,
        "kind": "feedback",
        "prediction_id": prediction_id,
        "time": time,
        "label": label,
    }


def encode_record(record: Mapping[str, object]) -> bytes:
    """RFC 8785 bytes of a prediction or feedback record; InvalidArgumentError naming the field."""
    kind = record.get("kind")
    if kind == "prediction":
        text = _prediction_text(record)
    elif kind == "feedback":
        text = _feedback_text(record)
    else:
        raise InvalidArgumentError(f"field 'kind' is {kind!r}; expected one of {list(KINDS)}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidArgumentError(f"the record holds text that is not Unicode: {exc}") from exc


def _prediction_text(record: Mapping[str, object]) -> str:
    _check_fields(record, _PREDICTION_FIELDS, "a prediction record")
    output = record["output"]
    if type(output) is not dict and not isinstance(output, Mapping):
        raise InvalidArgumentError("field 'output' must be an object with 'score' and 'decision'")
    _check_fields(output, _OUTPUT_FIELDS, "field 'output'")
    decision = output["decision"]
    if type(decision) is not int:
        raise InvalidArgumentError(f"field 'output.decision' is {decision!r}; expected an integer")
    source = (record["artifact_digest"], record["environment"], record["model_version"])
    try:
        texts = _sources.get(source)
    except TypeError:  # an unhashable value: _source_texts names the field
        texts = None
    head, model_version = texts or _source_texts(source)
    return (
        f'{head},"id":"{_id(record, "id")}"'
        f',"inputs":{{{_inputs(record["inputs"])}}}'
        f',"kind":"prediction","model_version":{model_version}'
        f',"output":{{"decision":{_integer(decision, "output.decision")}'
        f',"score":{_number(output["score"], "output.score")}}}'
        f',"time":"{_time(record)}"}}'
    )


_sources: dict[tuple[object, ...], tuple[str, str]] = {}
"""Written fields that stay the same for every prediction of one deployed version."""


def _source_texts(source: tuple[object, ...]) -> tuple[str, str]:
    fields = dict(zip(("artifact_digest", "environment", "model_version"), source, strict=True))
    texts = (
        f'{{"artifact_digest":{_text(fields, "artifact_digest")}'
        f',"environment":{_text(fields, "environment")}',
        _text(fields, "model_version"),
    )
    if len(_sources) >= _CACHE_LIMIT:
        _sources.clear()
    _sources[source] = texts
    return texts


def _feedback_text(record: Mapping[str, object]) -> str:
    if record.keys() == _FEEDBACK_FIELDS:
        return (
            f'{{"id":"{_id(record, "id")}","kind":"feedback","label":{_text(record, "label")}'
            f',"prediction_id":"{_id(record, "prediction_id")}","time":"{_time(record)}"}}'
        )
    _check_fields(record, _FEEDBACK_FIELDS, "a feedback record", more=True)
    for field in ("id", "prediction_id"):
        _id(record, field)
    _time(record)
    _text(record, "label")
    try:  # extra fields (what the prediction was, say) are rare enough for the general way
        return canonical_json(record).decode("utf-8")
    except CanonicalizationError as exc:
        raise InvalidArgumentError(f"the feedback record cannot be logged: {exc}") from None


def _check_fields(
    value: Mapping[str, object], expected: frozenset[str], what: str, *, more: bool = False
) -> None:
    """Refuse ``value`` unless it has exactly the ``expected`` fields (at least, if ``more``)."""
    if value.keys() != expected and not (more and expected <= value.keys()):
        missing, extra = sorted(expected - value.keys()), sorted(map(str, value.keys() - expected))
        raise InvalidArgumentError(f"{what} lacks fields {missing} and has unknown fields {extra}")


def _text(record: Mapping[str, object], field: str) -> str:
    value = record[field]
    if not isinstance(value, str):
        raise InvalidArgumentError(f"field {field!r} is {value!r}; expected a string")
    return encode_basestring(value)


def _id(record: Mapping[str, object], field: str) -> str:
    value = record[field]
    if not isinstance(value, str) or ID_PATTERN.fullmatch(value) is None:
        raise InvalidArgumentError(f"field {field!r} is {value!r}; expected a UUIDv7 text")
    return value


def _time(record: Mapping[str, object]) -> str:
    value = record["time"]
    if not isinstance(value, str) or TIME_PATTERN.fullmatch(value) is None:
        raise InvalidArgumentError(
            f"field 'time' is {value!r}; expected RFC 3339 UTC with milliseconds, "
            "such as '2026-11-30T12:00:00.123Z'"
        )
    return value


class _Layout:
    """How one set of input columns is written: RFC 8785 order (UTF-16 code units) and names."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.ordered = tuple(sorted(columns, key=lambda c: c.encode("utf-16-be", "surrogatepass")))
        self.values: Callable[[Mapping[str, object]], tuple[Any, ...]] = _picker(self.ordered)
        self.prefixes = tuple(encode_basestring(column) + ":" for column in self.ordered)
        self.writers: dict[tuple[type, ...], _Writer] = {}


class _Writer:
    """How values of one tuple of exact types are written: strings and integers by C functions.

    ``repr`` writes an int as RFC 8785 does, if it is within the safe range: ``integers`` picks
    the integer texts so one length test can send a record with a long one the general way.
    Floats go through ``format_number``; a non-finite one raises ValueError, likewise.
    """

    def __init__(self, types: tuple[type, ...]) -> None:
        self.converters = tuple(_CONVERTERS[kind] for kind in types)
        self.integers = _picker(tuple(i for i, kind in enumerate(types) if kind is int))


def _picker(keys: tuple[Any, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """Like ``operator.itemgetter(*keys)`` but always returning a tuple."""
    if len(keys) == 1:
        only = keys[0]
        return lambda items: (items[only],)
    if not keys:
        return lambda items: ()
    return operator.itemgetter(*keys)


_layouts: dict[tuple[object, ...], _Layout] = {}
_LONGEST_SAFE_TEXT = 15
"""Digits (with sign) of integer texts that are surely within +-(2**53 - 1)."""


def _inputs(inputs: object) -> str:
    if type(inputs) is not dict and not isinstance(inputs, Mapping):
        raise InvalidArgumentError("field 'inputs' must be an object of column -> value")
    columns = tuple(inputs)
    layout = _layouts.get(columns) or _layout_of(columns)
    values = layout.values(inputs)
    types = tuple(map(type, values))
    writer = layout.writers.get(types)
    if writer is None and all(kind in _CONVERTERS for kind in types):
        writer = layout.writers[types] = _Writer(types)
    if writer is not None:
        try:
            texts = tuple(map(operator.call, writer.converters, values))
        except ValueError:
            texts = ()
        if texts and max(map(len, writer.integers(texts)), default=0) <= _LONGEST_SAFE_TEXT:
            return ",".join(map(operator.add, layout.prefixes, texts))
    # The general way writes any number exactly and names the column of a bad value.
    return ",".join(_member(column, inputs[column]) for column in layout.ordered)


def _layout_of(columns: tuple[object, ...]) -> _Layout:
    names: list[str] = []
    for column in columns:
        if not isinstance(column, str):
            raise InvalidArgumentError(f"inputs column {column!r} is not a string")
        names.append(column)
    layout = _Layout(tuple(names))
    if len(_layouts) >= _CACHE_LIMIT:
        _layouts.clear()
    _layouts[columns] = layout
    return layout


def _member(column: str, value: object) -> str:
    return f"{encode_basestring(column)}:{_value(value, column)}"


def _value(value: object, column: str) -> str:
    """One input value: str, int or float, or a NumPy scalar standing for one; never bool/None."""
    if isinstance(value, bool) or value is None:
        raise InvalidArgumentError(
            f"inputs column {column!r} is {value!r}; expected an integer, a number or a string"
        )
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, int):
        return _integer(value, f"inputs.{column}")
    if isinstance(value, float):
        return _number(float(value), f"inputs.{column}")
    try:
        if hasattr(value, "__index__"):
            plain: object = operator.index(value)
        elif hasattr(value, "__float__"):
            plain = float(value)
        else:
            raise TypeError
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"inputs column {column!r} is {value!r}; expected an integer, a number or a string"
        ) from None
    return _value(plain, column)


def _integer(value: int, field: str) -> str:
    if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
        return int.__repr__(value)
    raise InvalidArgumentError(
        f"field {field!r} is {value}, outside the IEEE 754 safe integers; log it as a string"
    )


def _number(value: object, field: str) -> str:
    if type(value) is not float and isinstance(value, int) and not isinstance(value, bool):
        return _integer(value, field)
    if not isinstance(value, float):
        raise InvalidArgumentError(f"field {field!r} is {value!r}; expected a number")
    try:
        return format_number(value)
    except ValueError:
        message = f"field {field!r} is {value!r}; expected a finite number"
        raise InvalidArgumentError(message) from None


def format_number(value: float) -> str:
    """ECMAScript Number::toString of a finite double (RFC 8785 3.2.2.3); else ValueError."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} has no JSON form")
    if value == 0:
        return "0"
    # float.__repr__ gives the shortest round-tripping digits, as ECMAScript does; only the
    # layout differs: Python switches to exponents outside [1e-4, 1e16), ECMAScript outside
    # [1e-6, 1e21), and Python writes integral values with a trailing ".0".
    text = float.__repr__(value)
    if "e" not in text:
        return text[:-2] if text.endswith(".0") else text
    mantissa, exponent = text.split("e")
    sign = "-" if mantissa[0] == "-" else ""
    digits = mantissa.lstrip("-").replace(".", "")
    k, n = len(digits), int(exponent) + 1  # value == 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    fraction = "." + digits[1:] if k > 1 else ""
    return f"{sign}{digits[0]}{fraction}e{'+' if n > 1 else '-'}{abs(n - 1)}"


_CONVERTERS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: repr,
    float: format_number,
}
