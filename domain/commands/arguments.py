"""Checks of command arguments: what the ledger can record exactly, and what the rules accept.

Events are stored as RFC 8785 (JCS) canonical JSON (I-JSON, RFC 7493): strings are Unicode
without lone surrogates, numbers are finite doubles, and integers are exact only within
+-(2**53 - 1). A value outside that would fail when saved, after other effects, or be changed by
storage; the commands therefore refuse it first, naming the argument and what it should be.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.errors import InvalidArgumentError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXACT_INTEGER",
    "MAX_NAME_LENGTH",
    "MAX_SEED",
    "check_count",
    "check_json",
    "check_list",
    "check_name",
    "check_number",
    "check_numbers",
    "check_seed",
    "check_text",
    "check_texts",
    "json_object",
    "json_value",
]

MAX_EXACT_INTEGER = 2**53 - 1
"""The largest integer a JSON number holds exactly (RFC 7493 section 2.2)."""

MAX_SEED = 2**32 - 1
"""The largest random seed: the range NumPy and scikit-learn accept."""

MAX_NAME_LENGTH = 200
"""The longest name (principal, dataset, model, licence...) a command accepts."""

MAX_DEPTH = 32
"""How deeply a free-form value (a training spec, parameters) may nest."""


def check_text(text: object, what: str) -> str:
    """``text`` if it is a string the ledger can store (no lone surrogate), else refused."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"{what} {text!r} is not text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            f"{what} {text!r} holds a lone surrogate, which is not Unicode text: send it as UTF-8"
        ) from None
    return text


def check_name(name: object, what: str) -> str:
    """``name`` if it is a non-empty, printable, single-line text of at most 200 characters."""
    if (
        not isinstance(name, str)
        or not 0 < len(name) <= MAX_NAME_LENGTH
        or not name.isprintable()
        or name != name.strip()
    ):
        raise InvalidArgumentError(
            f"{what} {name!r} is not a non-empty name of at most {MAX_NAME_LENGTH} printable "
            "characters without surrounding spaces"
        )
    return check_text(name, what)


def check_list(items: object, what: str) -> list[object]:
    """``items`` as a list if it is a list or tuple (not text, a mapping or a scalar)."""
    if not isinstance(items, list | tuple):
        raise InvalidArgumentError(f"{what}s {items!r} are not a list")
    return list(items)


def check_texts(texts: object, what: str) -> list[str]:
    """Every item of the list ``texts`` checked with ``check_text``, as a list."""
    return [check_text(text, what) for text in check_list(texts, what)]


def check_count(count: object, what: str) -> int:
    """``count`` if it is a whole number from 0 to 2**53 - 1 (not a bool), else refused."""
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_EXACT_INTEGER:
        raise InvalidArgumentError(
            f"{what} {count!r} is not a whole number from 0 to {MAX_EXACT_INTEGER}"
        )
    return count


def check_seed(seed: object, what: str = "seed") -> int:
    """``seed`` if it is a whole number from 0 to 2**32 - 1 (not a bool), else refused."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InvalidArgumentError(f"{what} {seed!r} is not a whole number from 0 to {MAX_SEED}")
    return seed


def check_number(number: object, what: str) -> float:
    """``number`` as a float if it is a finite int or float (not a bool), else refused."""
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise InvalidArgumentError(f"{what}: {number!r} is not a number")
    if isinstance(number, float) and not math.isfinite(number):
        raise InvalidArgumentError(f"{what}: {number!r} is not finite")
    # RFC 8785 writes a double beyond 2**53 as a long integer, which reads back inexactly.
    if not -MAX_EXACT_INTEGER <= number <= MAX_EXACT_INTEGER:
        raise InvalidArgumentError(
            f"{what}: {number!r} is outside the exact integers of JSON, "
            f"+-{MAX_EXACT_INTEGER}: send it as text"
        )
    return float(number)


def check_numbers(numbers: Mapping[str, object], what: str) -> dict[str, float]:
    """A mapping of names to finite numbers, as floats; refused naming the first bad entry."""
    if not isinstance(numbers, Mapping):
        raise InvalidArgumentError(f"{what}s {numbers!r} are not a mapping of names to numbers")
    return {
        check_text(name, f"{what} name"): check_number(value, f"{what} {name}")
        for name, value in numbers.items()
    }


def check_json(value: object, what: str) -> None:
    """Refuse ``value`` unless canonical JSON records it exactly (UUIDs count as strings)."""
    _check_json(value, what, 0)


def json_value(value: object, what: str) -> object:
    """``value`` checked with ``check_json`` and as storage gives it back.

    RFC 8785 writes a whole double as an integer (``1.0`` as ``1``), and a JSON number has no
    integer/float distinction: converting here means the application shows the same free-form
    value before and after it is stored. Fields with a declared type keep it (``check_number``).
    """
    check_json(value, what)
    return _as_stored(value)


def json_object(value: Mapping[str, object], what: str) -> dict[str, Any]:
    """``json_value`` of a mapping, as a dict; refused if ``value`` is not a mapping."""
    stored = json_value(value, what)
    if not isinstance(stored, dict):
        raise InvalidArgumentError(f"{what} {value!r} is not a mapping of names to values")
    return stored


def _check_json(value: object, what: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidArgumentError(f"{what} nests deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | UUID):
        return
    if isinstance(value, str):
        check_text(value, what)
    elif isinstance(value, int | float):
        check_number(value, what)
    elif isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str):
                raise InvalidArgumentError(f"{what}: member name {name!r} is not text")
            check_text(name, f"{what} member name")
            _check_json(item, f"{what}.{name}", depth + 1)
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            _check_json(item, f"{what}[{position}]", depth + 1)
    else:
        raise InvalidArgumentError(f"{what}: {type(value).__name__} {value!r} is not a JSON value")


def _as_stored(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {name: _as_stored(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_as_stored(item) for item in value]
    return value
