"""A table schema refuses every row outside it with a RowError naming the row and the column."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.tables import RowError, TableSchema
from domain.errors import InvalidArgumentError

DOCUMENT: dict[str, Any] = {
    "columns": {
        "age": {"type": "integer", "minimum": 18, "maximum": 100},
        "credit_amount": {"type": "number", "minimum": 0, "maximum": 1_000_000},
        "purpose": {"type": "category", "categories": ["car_new", "car_used", "business"]},
        "credit_risk": {"type": "category", "categories": ["good", "bad"]},
    },
    "target": "credit_risk",
}
ROW: dict[str, object] = {"age": 41, "credit_amount": 2500.5, "purpose": "car_new"}


@pytest.fixture
def schema() -> TableSchema:
    return TableSchema.from_document(DOCUMENT)


def rows_with(index: int, **change: object) -> list[dict[str, object]]:
    """Four valid rows, row ``index`` changed."""
    rows = [dict(ROW) for _ in range(4)]
    rows[index].update(change)
    return rows


def test_the_document_round_trips_and_names_the_columns(schema: TableSchema) -> None:
    assert schema.document == DOCUMENT
    assert schema.columns == ["age", "credit_amount", "purpose", "credit_risk"]
    assert schema.feature_columns == ["age", "credit_amount", "purpose"]
    assert schema.target == "credit_risk"


def test_valid_rows_come_back_typed_in_column_order(schema: TableSchema) -> None:
    rows = [
        {"purpose": "business", "credit_amount": 1200, "age": 30.0},
        {"credit_amount": np.float64(3.5), "age": np.int64(99), "purpose": "car_used"},
    ]

    typed = schema.check_rows(rows)

    assert typed == [
        {"age": 30, "credit_amount": 1200.0, "purpose": "business"},
        {"age": 99, "credit_amount": 3.5, "purpose": "car_used"},
    ]
    assert [list(row) for row in typed] == [schema.feature_columns] * 2
    assert [type(v) for v in typed[0].values()] == [int, float, str]
    assert [type(v) for v in typed[1].values()] == [int, float, str]


def test_the_target_is_checked_like_any_category_when_asked_for(schema: TableSchema) -> None:
    typed = schema.check_rows([{**ROW, "credit_risk": "bad"}], with_target=True)
    assert typed == [{**ROW, "credit_risk": "bad"}]

    with pytest.raises(RowError, match="row 0, column 'credit_risk': 'ugly' is not a known"):
        schema.check_rows([{**ROW, "credit_risk": "ugly"}], with_target=True)
    with pytest.raises(RowError, match="row 0, column 'credit_risk': missing"):
        schema.check_rows([ROW], with_target=True)
    with pytest.raises(RowError, match="row 0, column 'credit_risk': the target is not accepted"):
        schema.check_rows([{**ROW, "credit_risk": "bad"}])


@pytest.mark.parametrize(
    ("change", "column", "message"),
    [
        ({"purpose": "spaceship"}, "purpose", r"'spaceship' is not a known category \(car_new, "),
        ({"purpose": 3}, "purpose", "3 is not a category name: expected car_new"),
        ({"purpose": None}, "purpose", "None is not a category name"),
        ({"age": "41"}, "age", "'41' is not a number: expected an integer from 18 to 100"),
        ({"age": True}, "age", "True is not a number"),
        ({"age": 41.5}, "age", "41.5 is not a whole number"),
        ({"age": 17}, "age", "17 is out of range: expected an integer from 18 to 100"),
        ({"age": 101.0}, "age", "101.0 is out of range"),
        ({"age": 10**400}, "age", r"1000+\.\.\. is out of range"),
        ({"credit_amount": math.nan}, "credit_amount", "nan is not a finite number"),
        ({"credit_amount": -math.inf}, "credit_amount", "-inf is not a finite number"),
        (
            {"credit_amount": -0.01},
            "credit_amount",
            "-0.01 is out of range: expected a number from 0 to 1000000$",
        ),
        ({"credit_amount": np.bool_(True)}, "credit_amount", "np.True_ is not a number"),
        ({"credit_amount": [1]}, "credit_amount", r"\[1\] is not a number"),
        ({"surname": "Smith"}, "surname", "not a column of the schema"),
    ],
)
def test_a_bad_value_is_refused_naming_its_row_and_column(
    schema: TableSchema, change: dict[str, object], column: str, message: str
) -> None:
    with pytest.raises(RowError, match=rf"^row 2, column '{column}': {message}") as refused:
        schema.check_rows(rows_with(2, **change))
    assert (refused.value.row, refused.value.column) == (2, column)
    assert isinstance(refused.value, InvalidArgumentError)


def test_a_missing_column_is_named(schema: TableSchema) -> None:
    rows = rows_with(1)
    del rows[1]["credit_amount"]
    with pytest.raises(RowError, match=r"^row 1, column 'credit_amount': missing") as refused:
        schema.check_rows(rows)
    assert (refused.value.row, refused.value.column) == (1, "credit_amount")


def test_a_row_that_is_not_an_object_is_refused(schema: TableSchema) -> None:
    rows: list[Any] = [ROW, ["41", 2500, "car_new"]]
    with pytest.raises(RowError, match=r"^row 1: expected an object keyed by column") as refused:
        schema.check_rows(rows)
    assert (refused.value.row, refused.value.column) == (1, None)


@pytest.mark.parametrize("batch", [[], (), {"age": 41}, "rows", None])
def test_a_batch_must_be_a_non_empty_list(schema: TableSchema, batch: Any) -> None:
    with pytest.raises(RowError, match=r"^send a non-empty list of rows"):
        schema.check_rows(batch)


def test_a_batch_over_the_cap_is_refused_before_any_row_is_checked(schema: TableSchema) -> None:
    rows = [{"anything": "at all"}] * 6
    with pytest.raises(
        RowError, match=r"^batch of 6 rows exceeds the cap of 5: split it"
    ) as refused:
        schema.check_rows(rows, max_rows=5)
    assert refused.value.row == 5

    assert len(schema.check_rows([ROW] * 5, max_rows=5)) == 5


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "needs 'columns'"),
        ({"columns": {}}, "needs 'columns'"),
        ({"columns": {"a": {"type": "integer"}}, "index": "a"}, "has 'columns' and, optionally"),
        ({"columns": {"a": {"type": "date"}}}, "column 'a': needs a 'type' of integer, number"),
        ({"columns": {"a": "integer"}}, "column 'a': needs a 'type'"),
        ({"columns": {"a": {"type": "integer", "minimum": 1.5}}}, "bounds must be integers"),
        ({"columns": {"a": {"type": "number", "maximum": math.inf}}}, "bound inf is beyond"),
        ({"columns": {"a": {"type": "number", "minimum": True}}}, "bounds must be numbers"),
        ({"columns": {"a": {"type": "number", "minimum": 2, "maximum": 1}}}, "exceeds maximum"),
        ({"columns": {"a": {"type": "integer", "step": 2}}}, r"unknown keys \['step'\]"),
        ({"columns": {"a": {"type": "category"}}}, "needs exactly 'type' and 'categories'"),
        ({"columns": {"a": {"type": "category", "categories": []}}}, "non-empty list of names"),
        ({"columns": {"a": {"type": "category", "categories": ["x", "x"]}}}, "repeated"),
        ({"columns": {"a": {"type": "integer"}}, "target": "b"}, "target 'b' is not one of"),
    ],
)
def test_a_malformed_document_is_refused(document: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        TableSchema.from_document(document)


def test_an_unbounded_number_column_still_refuses_infinity() -> None:
    schema = TableSchema.from_document({"columns": {"x": {"type": "number"}}})
    assert schema.document == {"columns": {"x": {"type": "number"}}}
    assert schema.check_rows([{"x": -1e300}]) == [{"x": -1e300}]
    with pytest.raises(RowError, match="column 'x': inf is not a finite number"):
        schema.check_rows([{"x": math.inf}])


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["car_new", "good", "bad"]),
    st.lists(st.integers(), max_size=2),
)
KEYS = st.sampled_from(["age", "credit_amount", "purpose", "credit_risk", "other"])


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(st.dictionaries(KEYS, VALUES, max_size=5), max_size=3),
    with_target=st.booleans(),
)
def test_check_rows_raises_nothing_but_row_errors(
    rows: list[dict[str, object]], with_target: bool
) -> None:
    schema = TableSchema.from_document(DOCUMENT)
    try:
        typed = schema.check_rows(rows, with_target=with_target)
    except RowError:
        return
    assert len(typed) == len(rows)


CSV = (
    b"age,credit_amount,purpose,credit_risk\n"
    b"41,2500.5,car_new,good\n"
    b"23,800,business,bad\n"
    b"67,12000.25,car_used,good\n"
)


def test_a_csv_file_reads_typed(schema: TableSchema) -> None:
    frame = schema.read_csv(CSV)

    assert list(frame.columns) == schema.columns
    assert [str(t) for t in frame.dtypes] == ["int64", "float64", "object", "object"]
    assert frame["age"].tolist() == [41, 23, 67]
    assert frame["credit_amount"].tolist() == [2500.5, 800.0, 12000.25]
    assert frame["purpose"].tolist() == ["car_new", "business", "car_used"]
    assert schema.read_csv(CSV.replace(b"\n", b"\r\n")).equals(frame)


def test_a_csv_file_without_the_target_reads_its_features(schema: TableSchema) -> None:
    features = b"age,credit_amount,purpose\n41,2500.5,car_new\n"
    assert schema.read_csv(features, with_target=False).to_dict("records") == [ROW]
    with pytest.raises(RowError, match=r"^line 1: the header must be exactly: age,credit_amount"):
        schema.read_csv(features)


@pytest.mark.parametrize(
    ("edit", "line", "column", "message"),
    [
        ((b"23,800", b"23.5,800"), 3, "age", "23.5 is not a whole number"),
        ((b"23,800", b"twenty,800"), 3, "age", "'twenty' is not a number: expected an integer"),
        (
            (b"23,800", b"17,800"),
            3,
            "age",
            "17 is out of range: expected an integer from 18 to 100",
        ),
        ((b"23,800", b",800"), 3, "age", "empty: expected an integer"),
        ((b"800,business", b"nan,business"), 3, "credit_amount", "nan is not a finite number"),
        ((b"800,business", b"inf,business"), 3, "credit_amount", "inf is not a finite number"),
        ((b"800,business", b"800,spaceship"), 3, "purpose", "'spaceship' is not a known category"),
        ((b"car_used,good", b"car_used,ugly"), 4, "credit_risk", "'ugly' is not a known category"),
        ((b"car_used,good", b"car_used,"), 4, "credit_risk", "empty: expected good, bad"),
    ],
)
def test_a_bad_csv_value_is_refused_naming_its_line_and_column(
    schema: TableSchema, edit: tuple[bytes, bytes], line: int, column: str, message: str
) -> None:
    with pytest.raises(RowError, match=rf"^line {line}, column '{column}': {message}") as refused:
        schema.read_csv(CSV.replace(*edit))
    assert (refused.value.line, refused.value.row, refused.value.column) == (line, line - 2, column)


def test_the_first_bad_line_is_named_when_several_are_bad(schema: TableSchema) -> None:
    content = CSV.replace(b"67,", b"7,").replace(b"800,business", b"800,spaceship")
    with pytest.raises(RowError, match=r"^line 3, column 'purpose'"):
        schema.read_csv(content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "^the CSV file is empty"),
        (b"\n\n", "^the CSV file is empty"),
        (b"age,credit_amount,purpose,credit_risk\n", "^line 1: the CSV file has a header but no"),
        (b"credit_amount,age,purpose,credit_risk\n2,41,car_new,good\n", "^line 1: the header must"),
        (b"age,purpose,credit_risk\n41,car_new,good\n", "^line 1: the header must be exactly"),
        (CSV + b"41,2500.5,car_new,good,extra\n", "^line 5: the CSV file cannot be parsed"),
        (b"\xff\xfe" + CSV, "is not UTF-8 text"),
        (CSV.replace(b"car_new", "caf\u00e9".encode("latin-1")), "is not UTF-8 text"),
    ],
)
def test_a_malformed_csv_file_is_refused(schema: TableSchema, content: bytes, message: str) -> None:
    with pytest.raises(RowError, match=message):
        schema.read_csv(content)
