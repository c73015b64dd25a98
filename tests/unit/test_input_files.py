"""Finding 13 / Build 7: the files an operator hands to the CLI are decoded strictly.

``api.files.decode_json`` is the pure part of reading a policy (or any JSON input): UTF-8 with
no bad bytes, JSON with no NaN/Infinity, no duplicate keys, no lone surrogates and no absurd
nesting. Each refusal is an ``InputFileError`` (exit 2) naming the file and what to fix.
"""

from __future__ import annotations

import pytest

from api.errors import InputFileError
from api.files import MAX_JSON_DEPTH, decode_json, decode_text

SOURCE = "policy.json"


def test_a_well_formed_document_decodes_with_its_types() -> None:
    document = decode_json(b'{"a": [1, 1.0, "x", true, null, {"b": -0.5}]}', SOURCE)

    assert document == {"a": [1, 1.0, "x", True, None, {"b": -0.5}]}
    assert isinstance(document["a"][0], int)  # type: ignore[index]
    assert isinstance(document["a"][1], float)  # type: ignore[index]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_finding_13_non_finite_constants_are_refused(constant: str) -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE}: .*{constant}.*finite number"):
        decode_json(f'{{"psi_drift": {constant}}}'.encode(), SOURCE)


def test_finding_13_a_number_too_large_for_a_float_is_refused_not_read_as_infinity() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE}: .*1e999.*finite number"):
        decode_json(b'{"psi_drift": 1e999}', SOURCE)


def test_finding_13_an_integer_with_too_many_digits_is_one_clear_error() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE}: \$\[0\] is an integer of 5000 digits"):
        decode_json(b"[" + b"9" * 5000 + b"]", SOURCE)


def test_finding_13_a_duplicate_key_is_refused_naming_it() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE}: duplicate key 'version' at \$"):
        decode_json(b'{"version": "a", "approvals": {}, "version": "b"}', SOURCE)


def test_finding_13_a_lone_surrogate_escape_is_refused_naming_where() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE}: .*lone surrogate.*\$\.gates\.uat"):
        decode_json(b'{"gates": {"uat": "\\ud800"}}', SOURCE)


def test_finding_13_a_lone_surrogate_in_a_key_is_refused() -> None:
    with pytest.raises(InputFileError, match="lone surrogate"):
        decode_json(b'{"\\udfff": 1}', SOURCE)


def test_a_surrogate_pair_escape_is_an_ordinary_character() -> None:
    assert decode_json(b'["\\ud83d\\ude00"]', SOURCE) == ["\N{GRINNING FACE}"]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
@pytest.mark.parametrize(
    ("opening", "middle", "closing"), [(b"[", b"", b"]"), (b'{"a":', b"1", b"}")]
)
def test_finding_13_nesting_deeper_than_the_limit_is_refused(
    depth: int, opening: bytes, middle: bytes, closing: bytes
) -> None:
    data = opening * depth + middle + closing * depth

    with pytest.raises(InputFileError, match=rf"^{SOURCE}: .*deeper than {MAX_JSON_DEPTH}"):
        decode_json(data, SOURCE)


def test_nesting_at_the_limit_is_accepted() -> None:
    data = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"[]" + b"}" * (MAX_JSON_DEPTH - 1)

    assert decode_json(data, SOURCE) is not None


def test_finding_13_bytes_that_are_not_utf8_are_refused_naming_the_offset() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE} is not UTF-8 text: .*byte offset 13"):
        decode_json(b'{"version": "\xff"}', SOURCE)


def test_an_encoded_surrogate_is_not_utf8() -> None:
    with pytest.raises(InputFileError, match="byte offset 2"):
        decode_text(b'["\xed\xa0\x80"]', SOURCE)


def test_a_byte_order_mark_is_refused_saying_what_to_fix() -> None:
    with pytest.raises(InputFileError, match="byte order mark"):
        decode_text(b"\xef\xbb\xbf{}", SOURCE)


def test_malformed_json_names_the_file_and_the_position() -> None:
    with pytest.raises(InputFileError, match=rf"^{SOURCE} is not valid JSON: .*line 1 column"):
        decode_json(b'{"version": }', SOURCE)
