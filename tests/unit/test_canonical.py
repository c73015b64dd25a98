"""RFC 8785 (JCS) known answers for ledger.encoding.canonical; a cross-check against ``rfc8785``."""

from __future__ import annotations

import json
import struct
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.encoding.canonical import canonical_json, canonical_json_text
from ledger.errors import CanonicalizationError

MAX_SAFE_INTEGER = 2**53 - 1


def double(bits: str) -> float:
    """The IEEE 754 double with the given big-endian hex bit pattern."""
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


# RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


# Ordering


def test_sorts_members_by_utf16_code_units_as_in_rfc_8785_section_3_2_3() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",  # "\ud83d\ude00" in the RFC's JSON
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }

    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


def test_sorts_an_astral_character_before_a_high_bmp_one_unlike_code_point_order() -> None:
    # U+1F600 is the surrogate pair D83D DE00, which sorts below U+FB33 as UTF-16 code units
    # although its code point is higher.
    assert canonical_json({"\ufb33": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb33":1}'.encode()


def test_sorts_a_key_before_its_extensions() -> None:
    assert canonical_json({"ab": 1, "a": 2, "b": 3}) == b'{"a":2,"ab":1,"b":3}'


def test_sorts_nested_objects_and_keeps_array_order() -> None:
    value = {"z": [3, {"y": 1, "x": 2}, 1], "a": {"c": None, "b": True}}

    assert canonical_json(value) == b'{"a":{"b":true,"c":null},"z":[3,{"x":2,"y":1},1]}'


def test_writes_no_whitespace() -> None:
    assert canonical_json({"a": [1, 2], "b": {"c": "d e"}}) == b'{"a":[1,2],"b":{"c":"d e"}}'


def test_writes_literals() -> None:
    assert canonical_json([None, True, False, [], {}]) == b"[null,true,false,[],{}]"


# Numbers


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_writes_the_rfc_8785_appendix_b_numbers(bits: str, expected: str) -> None:
    assert canonical_json(double(bits)) == expected.encode("ascii")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"),
        (-0.0, "0"),
        (0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (333333333.3333333, "333333333.3333333"),
        (100.0, "100"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (0.1, "0.1"),
        (1.5e300, "1.5e+300"),
        (-2.5e-8, "-2.5e-8"),
    ],
)
def test_writes_doubles_as_ecmascript_number_to_string(value: float, expected: str) -> None:
    assert canonical_json(value) == expected.encode("ascii")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (-17, "-17"),
        (MAX_SAFE_INTEGER, "9007199254740991"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
    ],
)
def test_writes_safe_integers_in_decimal(value: int, expected: str) -> None:
    assert canonical_json(value) == expected.encode("ascii")


# Strings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\b\f\n\r\t", r"\b\f\n\r\t"),
        ('"\\', r"\"\\"),
        ("\x00", r"\u0000"),
        ("\x0b", r"\u000b"),
        ("\x1f", r"\u001f"),
        ("/", "/"),
        ("\x7f", "\x7f"),
    ],
)
def test_escapes_only_what_json_requires_with_lowercase_hex(text: str, expected: str) -> None:
    assert canonical_json(text) == f'"{expected}"'.encode()


def test_writes_non_ascii_as_raw_utf8() -> None:
    text = "\u00e9\u20ac\u2028\U0001f600"

    assert canonical_json(text) == b'"' + text.encode("utf-8") + b'"'


def test_writes_the_rfc_8785_section_3_2_2_example() -> None:
    source = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""

    expected = (
        r'{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(json.loads(source)) == expected.encode("utf-8")


# Refusals


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_refuses_a_non_finite_double(value: float) -> None:
    with pytest.raises(CanonicalizationError, match="no JSON representation"):
        canonical_json({"x": value})


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, -MAX_SAFE_INTEGER - 1, 10**30])
def test_refuses_an_integer_beyond_the_ieee_754_safe_range(value: int) -> None:
    with pytest.raises(CanonicalizationError, match="outside the IEEE 754 safe range"):
        canonical_json([value])


@pytest.mark.parametrize("key", [1, None, 1.5, ("a",)])
def test_refuses_an_object_key_that_is_not_a_string(key: object) -> None:
    with pytest.raises(CanonicalizationError, match="is not a string"):
        canonical_json({"fine": 1, key: 2})


@pytest.mark.parametrize("value", [b"bytes", bytearray(b"bytes")])
def test_refuses_bytes(value: object) -> None:
    with pytest.raises(CanonicalizationError, match="is not a JSON value"):
        canonical_json({"x": value})


@pytest.mark.parametrize("value", [object(), {1, 2}, Decimal("1.5")])
def test_refuses_an_arbitrary_object(value: object) -> None:
    with pytest.raises(CanonicalizationError, match="is not a JSON value"):
        canonical_json([value])


def test_refuses_a_lone_surrogate() -> None:
    with pytest.raises(CanonicalizationError, match="not valid Unicode"):
        canonical_json("\ud800")


# Cross-check against an independent implementation

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, database=None)
@given(json_values)
def test_agrees_with_the_rfc8785_package(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=300, database=None)
@given(json_values)
def test_is_a_fixed_point_of_parsing_as_doubles_and_recanonicalising(value: object) -> None:
    once = canonical_json(value)

    # Parse every number as a double, as JSON.parse does: 2.0**53 is written "9007199254740992",
    # which Python's default parser would read back as an (unsafe) int.
    assert canonical_json(json.loads(once, parse_int=float)) == once


@given(json_values)
def test_canonicalising_json_text_equals_canonicalising_its_value(value: object) -> None:
    text = json.dumps(value, ensure_ascii=True).encode()

    assert canonical_json_text(text) == canonical_json(json.loads(text))


@given(json_values)
def test_canonicalising_raw_utf8_json_text_equals_canonicalising_its_value(value: object) -> None:
    try:
        text = json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form
        return

    assert canonical_json_text(text) == canonical_json(json.loads(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"b": 1, "a": [true, null, "x"]}', b'{"a":[true,null,"x"],"b":1}'),
        (b'{"n": 1.0, "m": 1e21}', b'{"m":1e+21,"n":1}'),
        (b'{"\\ud83d\\ude00": 1, "\\ufb33": 2}', '{"\U0001f600":1,"\ufb33":2}'.encode()),
    ],
    ids=["sorted-compact", "doubles", "utf16-key-order"],
)
def test_canonicalises_json_text(text: bytes, expected: bytes) -> None:
    assert canonical_json_text(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"big": 9007199254740993}', "safe range"),
        (b'{"x": NaN}', "no JSON representation"),
        (b'{"x": -Infinity}', "no JSON representation"),
    ],
    ids=["unsafe-integer", "nan", "infinity"],
)
def test_refuses_json_text_without_a_canonical_form(text: bytes, reason: str) -> None:
    with pytest.raises(CanonicalizationError, match=reason):
        canonical_json_text(text)


def test_refuses_json_text_that_is_not_json() -> None:
    with pytest.raises(CanonicalizationError, match="not JSON"):
        canonical_json_text(b"{not json")
