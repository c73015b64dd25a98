"""Records: the fast encoder writes exactly canonical_json's bytes and refuses bad records."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.prediction_log.records import (
    encode_record,
    feedback_record,
    format_number,
    format_time,
    prediction_record,
)
from domain.errors import InvalidArgumentError
from ledger.encoding.canonical import canonical_json

PREDICTION_ID = "01938f5e-8a3b-7c1d-9e2f-0123456789ab"
FEEDBACK_ID = "01938f5e-9000-7000-8000-000000000001"
TIME = "2026-11-30T12:00:00.123Z"

safe_integers = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
input_values = st.one_of(safe_integers, finite_floats, st.text())
column_names = st.one_of(st.text(), st.sampled_from(["age", "credit_amount", "purpose", "%s"]))


def a_prediction(**changes: Any) -> dict[str, Any]:
    record = prediction_record(
        prediction_id=PREDICTION_ID,
        model_version="credit-risk/2",
        artifact_digest="sha256:" + "ab" * 32,
        environment="prod",
        time=TIME,
        inputs={"age": 35, "credit_amount": 2500.5, "purpose": "car (new)"},
        score=0.25,
        decision=1,
    )
    record.update(changes)
    return record


@settings(max_examples=150, database=None, deadline=None)
@given(
    inputs=st.dictionaries(column_names, input_values, max_size=12),
    score=st.one_of(finite_floats, safe_integers),
    decision=safe_integers,
    texts=st.tuples(st.text(), st.text(), st.text()),
)
def test_prediction_records_encode_to_exactly_the_canonical_json_bytes(
    inputs: dict[str, Any], score: float, decision: int, texts: tuple[str, str, str]
) -> None:
    record = a_prediction(
        inputs=inputs,
        output={"score": score, "decision": decision},
        model_version=texts[0],
        environment=texts[1],
        artifact_digest=texts[2],
    )

    try:
        expected = canonical_json(record)
    except ValueError:  # a lone surrogate has no UTF-8 form: both must refuse it
        with pytest.raises(InvalidArgumentError, match="not Unicode"):
            encode_record(record)
        return
    assert encode_record(record) == expected


@settings(max_examples=100, database=None, deadline=None)
@given(label=st.text())
def test_feedback_records_encode_to_exactly_the_canonical_json_bytes(label: str) -> None:
    record = feedback_record(
        feedback_id=FEEDBACK_ID, prediction_id=PREDICTION_ID, time=TIME, label=label
    )
    try:
        expected = canonical_json(record)
    except ValueError:
        return
    assert encode_record(record) == expected


@settings(max_examples=500, database=None, deadline=None)
@given(value=finite_floats)
def test_numbers_are_written_as_ecmascript_writes_them(value: float) -> None:
    assert format_number(value).encode() == canonical_json(value)
    assert float(format_number(value)) == value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e16, "10000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (5e-324, "5e-324"),
        (123.456, "123.456"),
        (-1.7976931348623157e308, "-1.7976931348623157e+308"),
    ],
)
def test_number_formatting_edge_cases(value: float, text: str) -> None:
    assert format_number(value) == text


def test_input_columns_are_ordered_by_utf16_code_units_not_code_points() -> None:
    record = a_prediction(inputs={"\ue000": 1, "\U0001f600": 2, "a": 3})

    encoded = encode_record(record)

    assert encoded == canonical_json(record)
    assert encoded.index("\U0001f600".encode()) < encoded.index("\ue000".encode())


def test_numpy_scalars_are_written_as_the_plain_numbers_they_stand_for() -> None:
    plain = a_prediction(inputs={"age": 35, "rate": 2.5, "purpose": "car"})
    numpy = a_prediction(inputs={"age": np.int64(35), "rate": np.float64(2.5), "purpose": "car"})

    assert encode_record(numpy) == canonical_json(plain)


def test_a_column_whose_type_changes_between_records_is_written_right_each_time() -> None:
    for value in (3, 3.5, "three", 4.0, 2**60 // 2**10):
        record = a_prediction(inputs={"x": value, "y": 1.25})
        assert encode_record(record) == canonical_json(record)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "guess"}, "field 'kind' is 'guess'"),
        ({"extra": 1}, r"unknown fields \['extra'\]"),
        ({"inputs": {"age": True}}, "inputs column 'age' is True"),
        ({"inputs": {"age": None}}, "inputs column 'age' is None"),
        ({"inputs": {"age": [1]}}, "inputs column 'age'"),
        ({"inputs": {"age": 2**53}}, "'inputs.age' is 9007199254740992, outside the IEEE 754"),
        ({"inputs": {"rate": math.nan}}, "'inputs.rate' is nan; expected a finite number"),
        ({"inputs": {1: 2}}, "inputs column 1 is not a string"),
        ({"inputs": [1, 2]}, "field 'inputs' must be an object"),
        ({"output": {"score": 0.5}}, r"field 'output' lacks fields \['decision'\]"),
        ({"output": {"score": "high", "decision": 1}}, "'output.score' is 'high'"),
        ({"output": {"score": 0.5, "decision": 1.0}}, "'output.decision' is 1.0"),
        ({"output": {"score": math.inf, "decision": 1}}, "'output.score' is inf"),
        ({"id": "42"}, "field 'id' is '42'; expected a UUIDv7"),
        ({"time": "2026-11-30T12:00:00Z"}, "field 'time' .* RFC 3339 UTC with milliseconds"),
        ({"model_version": 2}, "field 'model_version' is 2; expected a string"),
        ({"environment": ["prod"]}, r"field 'environment' is \['prod'\]; expected a string"),
    ],
)
def test_bad_records_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        encode_record(a_prediction(**changes))


@settings(max_examples=100, database=None, deadline=None)
@given(extra=st.dictionaries(st.text().filter(lambda n: n not in {"id", "kind"}), input_values))
def test_feedback_records_may_carry_more_fields_still_encoded_canonically(
    extra: dict[str, Any],
) -> None:
    record: dict[str, Any] = {
        **extra,
        **feedback_record(
            feedback_id=FEEDBACK_ID, prediction_id=PREDICTION_ID, time=TIME, label="good"
        ),
        "prediction": {"score": 0.5, "decision": 1, "groups": {"sex": "female", "age": 1.0}},
    }
    try:
        expected = canonical_json(record)
    except ValueError:
        return
    assert encode_record(record) == expected


def test_feedback_with_more_fields_still_needs_the_required_ones() -> None:
    record = feedback_record(
        feedback_id=FEEDBACK_ID, prediction_id=PREDICTION_ID, time=TIME, label=""
    )
    del record["label"]

    with pytest.raises(InvalidArgumentError, match=r"lacks fields \['label'\]"):
        encode_record({**record, "prediction": {"score": math.nan}})
    with pytest.raises(InvalidArgumentError, match="cannot be logged: nan"):
        encode_record({**record, "label": "bad", "prediction": {"score": math.nan}})


def test_a_feedback_record_needs_a_prediction_id() -> None:
    record = feedback_record(feedback_id=FEEDBACK_ID, prediction_id="p-1", time=TIME, label="bad")

    with pytest.raises(InvalidArgumentError, match="field 'prediction_id' is 'p-1'"):
        encode_record(record)


def test_encoded_records_parse_back_to_the_record() -> None:
    record = a_prediction()

    assert json.loads(encode_record(record)) == record


def test_times_are_written_in_utc_with_milliseconds() -> None:
    moment = datetime(2026, 11, 30, 13, 0, 0, 123_999, tzinfo=timezone(timedelta(hours=1)))

    assert format_time(moment) == "2026-11-30T12:00:00.123Z"
    assert format_time(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00.000Z"


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="no time zone"):
        format_time(datetime(2026, 11, 30, 12, 0))
