"""Reading the files operators hand to commands: capped, strictly decoded, one-line errors.

Every input file (policy documents, checkpoints, proofs, entries, verifier keys) is read up to
``MAX_INPUT_BYTES`` and refused beyond it, so naming a log or a device by mistake cannot exhaust
memory. Text is UTF-8 (RFC 3629) without a byte order mark. JSON (RFC 8259) is read as I-JSON
(RFC 7493): finite numbers only (no ``NaN``/``Infinity``, no literal that overflows a double),
unique member names, strings of Unicode scalar values (no lone surrogate escapes), and nesting
at most ``MAX_JSON_DEPTH`` deep. Every refusal is an ``InputFileError`` naming the file, the
place in it and what to fix; it is an operator error (exit 2), never an integrity failure.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from pathlib import Path
from typing import Any

from api.errors import InputFileError

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_JSON_DEPTH",
    "decode_json",
    "decode_text",
    "read_bytes",
    "read_json_object",
    "read_text",
]

MAX_INPUT_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
_CAP = "1 MiB"
_MAX_INTEGER_DIGITS = 1000  # far beyond any real count; stops int() from spending seconds
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, at most ``MAX_INPUT_BYTES`` of them; else InputFileError."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputFileError(
            f"{path} is larger than {_CAP}, the limit for input files: check it is the right file"
        )
    return data


def read_text(path: Path) -> str:
    """The strict UTF-8 text of ``path`` (see ``decode_text``), size-capped."""
    return decode_text(read_bytes(path), str(path))


def read_json_object(path: Path) -> dict[str, Any]:
    """The strict JSON object in ``path`` (see ``decode_json``), size-capped."""
    document = decode_json(read_bytes(path), str(path))
    if not isinstance(document, dict):
        raise InputFileError(f"{path}: the document must be a JSON object {{...}} at the top level")
    return document


def decode_text(data: bytes, source: str) -> str:
    """``data`` as UTF-8 text; InputFileError naming ``source`` and the first bad byte's offset."""
    if data.startswith(codecs.BOM_UTF8):
        raise InputFileError(
            f"{source} starts with a byte order mark: save it as UTF-8 without a BOM"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{source} is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} ({exc.reason}); save the file as UTF-8"
        ) from None


def decode_json(data: bytes, source: str) -> object:
    """The I-JSON value in ``data``: dicts, lists, str, int, float, bool and None.

    Raises InputFileError naming ``source`` for bad UTF-8, malformed JSON, a non-finite or
    overlong number, a duplicate member name, a lone surrogate or nesting beyond the limit.
    """
    text = decode_text(data, source)
    try:
        raw = json.loads(
            text,
            object_pairs_hook=_Members,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_integer,
        )
    except RecursionError:
        raise _too_deep(source, "$") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{source} is not valid JSON: {exc}") from None
    return _checked(raw, source=source, path="$", depth=1)


class _Members(list[tuple[str, Any]]):
    """An object's members in document order, so duplicates are seen (json.loads keeps one)."""


class _Unusable:
    """A number literal with no I-JSON value, kept so the walk can say where it is."""

    def __init__(self, literal: str, advice: str) -> None:
        self.literal, self.advice = literal, advice


def _constant(literal: str) -> _Unusable:
    return _Unusable(literal, "JSON numbers must be finite: write a finite number")


def _float(literal: str) -> float | _Unusable:
    value = float(literal)
    if math.isfinite(value):
        return value
    return _Unusable(literal, "it overflows a double: write a finite number in range")


def _integer(literal: str) -> int | _Unusable:
    if len(literal) > _MAX_INTEGER_DIGITS:
        return _Unusable(f"an integer of {len(literal)} digits", "write a smaller number")
    return int(literal)


def _checked(value: object, *, source: str, path: str, depth: int) -> object:
    """``value`` with objects as dicts, after the checks json.loads does not make."""
    if isinstance(value, str):
        _check_scalar_values(value, source=source, where=path)
        return value
    if isinstance(value, _Unusable):
        raise InputFileError(f"{source}: {path} is {value.literal}: {value.advice}")
    if not isinstance(value, list):
        return value  # bool, None, int, float
    if depth > MAX_JSON_DEPTH:
        raise _too_deep(source, path)
    if not isinstance(value, _Members):
        return [
            _checked(item, source=source, path=f"{path}[{index}]", depth=depth + 1)
            for index, item in enumerate(value)
        ]
    members: dict[str, object] = {}
    for key, item in value:
        _check_scalar_values(key, source=source, where=f"a member name in {path}")
        if key in members:
            raise InputFileError(
                f"{source}: duplicate key {key!r} at {path}: keep exactly one of them"
            )
        members[key] = _checked(item, source=source, path=_member(path, key), depth=depth + 1)
    return members


def _check_scalar_values(text: str, *, source: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        code = ord(text[exc.start])
        raise InputFileError(
            f"{source}: a lone surrogate \\u{code:04x} in the string at {where} is not a "
            "character: fix the escape (a pair such as \\ud83d\\ude00 is fine)"
        ) from None


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if _NAME.fullmatch(key) else f"{path}[{json.dumps(key)}]"


def _too_deep(source: str, path: str) -> InputFileError:
    return InputFileError(
        f"{source}: nested deeper than {MAX_JSON_DEPTH} levels at {path}: flatten the document"
    )
