"""RFC 8785 JSON Canonicalization Scheme (JCS).

Objects have their members sorted by the UTF-16 code units of their names, strings use the
minimal JSON escapes, numbers are written as ECMAScript's Number.prototype.toString writes
IEEE 754 doubles (RFC 8785 section 3.2.2.3), and no whitespace is emitted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring

from ledger.errors import CanonicalizationError

__all__ = ["canonical_json", "canonical_json_text", "json_string"]

_MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-compatible value."""
    parts: list[str] = []
    _write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalizationError(f"string is not valid Unicode: {exc}") from exc


def canonical_json_text(text: bytes) -> bytes:
    """Return the RFC 8785 canonical form of JSON text.

    Values without numbers outside the safe integers and without characters at or above U+E000
    (where UTF-16 and code point order differ) take the C-accelerated ``json`` path, which
    writes exactly the canonical form for them; everything else goes the general way.
    """
    try:
        value = _PLAIN_DECODER.decode(text.decode("utf-8"))
    except _NotPlainError:
        return canonical_json(_parse(text))
    except ValueError as exc:
        raise CanonicalizationError(f"not JSON: {exc}") from exc
    try:
        fast = _PLAIN_ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalizationError(f"string is not valid Unicode: {exc}") from exc
    if not fast.isascii() and _AT_OR_ABOVE_U_E000.search(fast):
        return canonical_json(value)
    return fast


class _NotPlainError(Exception):
    """The JSON text holds a number the plain path cannot write canonically."""


def _refuse_float(_: str) -> float:
    raise _NotPlainError


def _safe_int(literal: str) -> int:
    number = int(literal)
    if abs(number) > _MAX_SAFE_INTEGER:
        raise _NotPlainError
    return number


def _parse(text: bytes) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CanonicalizationError(f"not JSON: {exc}") from exc


_PLAIN_DECODER = json.JSONDecoder(
    parse_float=_refuse_float, parse_int=_safe_int, parse_constant=_refuse_float
)
_PLAIN_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_AT_OR_ABOVE_U_E000 = re.compile(b"[\xee-\xff]")
"""A UTF-8 lead byte of a character at or above U+E000."""


def json_string(value: str) -> bytes:
    """Return the canonical JSON form of one string."""
    return _string(value).encode("utf-8")


def _write(value: object, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_double(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out.append("[")
        for position, item in enumerate(value):
            if position:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise CanonicalizationError(f"{type(value).__name__} is not a JSON value")


def _write_object(value: Mapping[object, object], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalizationError(f"object key {key!r} is not a string")
    out.append("{")
    names = sorted(value, key=lambda name: str(name).encode("utf-16-be", "surrogatepass"))
    for position, name in enumerate(names):
        if position:
            out.append(",")
        out.append(_string(str(name)))
        out.append(":")
        _write(value[name], out)
    out.append("}")


def _string(value: str) -> str:
    return encode_basestring(value)


def _integer(value: int) -> str:
    if abs(value) > _MAX_SAFE_INTEGER:
        raise CanonicalizationError(
            f"integer {value} is outside the IEEE 754 safe range; encode it as a string"
        )
    return str(value)


def _double(value: float) -> str:
    """Format a double as ECMAScript does (ECMA-262 Number::toString)."""
    if not math.isfinite(value):
        raise CanonicalizationError(f"{value!r} has no JSON representation")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digit string that round-trips, as ECMAScript requires.
    digits_tuple, exponent = Decimal(repr(abs(value))).normalize().as_tuple()[1:]
    digits = "".join(str(d) for d in digits_tuple)
    k = len(digits)
    n = k + int(exponent)  # value == 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{'+' if n - 1 > 0 else '-'}{abs(n - 1)}"
    return sign + text
