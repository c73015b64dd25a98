"""The German credit data ships decoded and checked, and derived samples are deterministic."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import pytest

from adapters.credit import german
from adapters.credit.generator import APPLICANT_SHIFT, Shift, derived_sample, rows
from adapters.tables import TableSchema
from domain.errors import InvalidArgumentError


@pytest.fixture(scope="module")
def credit() -> pd.DataFrame:
    return german.table_schema().read_csv(german.german_credit_csv())


@pytest.fixture(scope="module")
def shifted() -> pd.DataFrame:
    return german.table_schema().read_csv(derived_sample(4000, seed=11, shift=APPLICANT_SHIFT))


def test_the_shipped_readable_file_is_the_derivation_of_the_raw_one() -> None:
    assert german.german_credit_csv() == german.readable_from_uci(german.uci_csv())


def test_the_readme_states_both_files_digests() -> None:
    readme = resources.files("adapters.datasets").joinpath("german_credit.README.md").read_text()
    raw, readable = re.findall(r"sha256\s+`([0-9a-f]{64})`", readme)
    assert hashlib.sha256(german.uci_csv()).hexdigest() == raw
    assert hashlib.sha256(german.german_credit_csv()).hexdigest() == readable


def test_the_data_has_its_known_counts(credit: pd.DataFrame) -> None:
    assert len(credit) == 1000
    assert credit["credit_risk"].value_counts().to_dict() == {"good": 700, "bad": 300}
    assert credit["sex"].value_counts().to_dict() == {"male": 690, "female": 310}
    assert credit["age_band"].value_counts().to_dict() == {"25_and_over": 851, "under_25": 149}
    assert credit["foreign_worker"].value_counts().to_dict() == {"yes": 963, "no": 37}
    assert credit["purpose"].value_counts()["radio_tv"] == 280


def test_the_derived_columns_follow_their_sources(credit: pd.DataFrame) -> None:
    female = credit["personal_status"].str.startswith("female")
    assert ((credit["sex"] == "female") == female).all()
    assert ((credit["age_band"] == "under_25") == (credit["age"] < 25)).all()


def test_the_raw_codes_decode_with_the_codebook() -> None:
    raw = german.uci_csv().decode().splitlines()
    readable = german.german_credit_csv().decode().splitlines()
    assert raw[1].startswith("A11,6,A34,A43,1169,A65,A75,4,A93,")
    assert readable[1] == (
        "lt_0,6,critical_other_credits,radio_tv,1169,unknown_none,ge_7_years,4,male_single,none,"
        "4,real_estate,67,none,own,2,skilled,1,yes,yes,male,25_and_over,good"
    )
    assert readable[2].endswith(
        "female_div_married,none,2,real_estate,22,none,own,1,skilled,1,none,yes,female,under_25,bad"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ((b"A11,6,A34,A43", b"A19,6,A34,A43"), r"line 2, column 'status_of_.*'A19' is not a code"),
        ((b"A11,6,A34,A43", b"A11,six,A34,A43"), r"line 2, column 'duration_in_month'"),
        ((b",A201,1\n", b",A201,3\n"), r"column 'credit_risk': '3' is not a code of \(1, 2\)"),
        ((b",A201,1\n", b",A201\n"), r"line 2: 20 fields, expected 21"),
        ((b"purpose,", b"goal,"), "the raw German credit header must be"),
    ],
)
def test_a_raw_file_off_the_codebook_is_refused(edit: tuple[bytes, bytes], message: str) -> None:
    raw = german.uci_csv()
    first_row = raw.index(b"\n") + 1
    second_row = raw.index(b"\n", first_row) + 1
    edited = raw[:second_row].replace(*edit) + raw[second_row:]
    with pytest.raises(InvalidArgumentError, match=message):
        german.readable_from_uci(edited)


def test_the_schema_and_feature_lists_agree() -> None:
    schema = TableSchema.from_document(german.SCHEMA)
    features = [*german.NUMERIC_FEATURES, *german.CATEGORICAL_FEATURES]
    assert schema.document == german.SCHEMA
    assert schema.target == german.TARGET == "credit_risk"
    assert len(set(features)) == len(features)
    assert set(features) <= set(schema.feature_columns)
    assert set(schema.feature_columns) - set(features) == {"personal_status", "sex", "age_band"}
    assert {schema.column(name).kind for name in german.NUMERIC_FEATURES} <= {"integer", "number"}
    assert {schema.column(name).kind for name in german.CATEGORICAL_FEATURES} == {"category"}
    assert set(german.PROTECTED_ATTRIBUTES) <= set(schema.columns)
    assert german.POSITIVE_LABEL in schema.column(german.TARGET).categories
    assert german.LICENSE == "CC-BY-4.0"
    assert "10.24432/C5NC77" in german.ATTRIBUTION


def test_a_sample_is_the_same_bytes_for_the_same_arguments() -> None:
    first = derived_sample(500, seed=5)
    assert derived_sample(500, seed=5) == first
    assert derived_sample(500, seed=6) != first
    assert derived_sample(500, seed=5, shift=APPLICANT_SHIFT) != first


def test_a_sample_has_the_schema_and_real_looking_rows(credit: pd.DataFrame) -> None:
    sample = german.table_schema().read_csv(derived_sample(3000, seed=2))

    assert len(sample) == 3000
    assert list(sample.columns) == german.table_schema().columns
    female = sample["personal_status"].str.startswith("female")
    assert ((sample["sex"] == "female") == female).all()
    assert ((sample["age_band"] == "under_25") == (sample["age"] < 25)).all()
    fixed = [
        c
        for c in credit.columns
        if c not in {"age", "age_band", "duration_months", "credit_amount"}
    ]
    real_rows = set(credit[fixed].itertuples(index=False))
    assert set(sample[fixed].itertuples(index=False)) <= real_rows
    for column in ("age", "credit_amount", "duration_months"):
        assert sample[column].mean() == pytest.approx(credit[column].mean(), rel=0.05)
    assert sample["credit_risk"].value_counts(normalize=True)["good"] == pytest.approx(
        0.7, abs=0.03
    )


def psi(reference: np.ndarray[Any, Any], current: np.ndarray[Any, Any]) -> float:
    """PSI over the reference's quartile bins (right-closed), shares floored at 1e-4."""
    edges = np.quantile(reference, [0.25, 0.5, 0.75])
    expected = np.bincount(np.searchsorted(edges, reference), minlength=4) / len(reference)
    actual = np.bincount(np.searchsorted(edges, current), minlength=4) / len(current)
    expected, actual = np.maximum(expected, 1e-4), np.maximum(actual, 1e-4)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def test_the_applicant_shift_moves_the_population(
    credit: pd.DataFrame, shifted: pd.DataFrame
) -> None:
    assert shifted["age"].mean() > credit["age"].mean() + 10
    assert shifted["credit_amount"].mean() > credit["credit_amount"].mean() * 1.5
    assert shifted["duration_months"].mean() > credit["duration_months"].mean() * 1.5
    business = (shifted["purpose"] == "business").mean()
    assert business > 2 * (credit["purpose"] == "business").mean()
    assert (shifted["age_band"] == "under_25").mean() < 0.05
    for column in ("age", "credit_amount", "duration_months"):
        assert psi(credit[column].to_numpy(), shifted[column].to_numpy()) >= 0.25, column


def test_an_unshifted_sample_does_not_drift(credit: pd.DataFrame) -> None:
    sample = german.table_schema().read_csv(derived_sample(4000, seed=11))
    for column in ("age", "credit_amount", "duration_months"):
        assert psi(credit[column].to_numpy(), sample[column].to_numpy()) < 0.1, column


def test_a_shifted_sample_stays_inside_the_schema() -> None:
    extreme = Shift(age_offset=90, amount_factor=1000.0, duration_factor=0.01)
    sample = german.table_schema().read_csv(derived_sample(300, seed=1, shift=extreme))
    assert set(sample["age"]) == {100}
    assert set(sample["duration_months"]) == {1}
    assert sample["credit_amount"].max() == 1_000_000
    assert set(sample["age_band"]) == {"25_and_over"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"age_offset": 1.5}, "age_offset must be a whole number"),
        ({"amount_factor": 0}, "amount_factor must be a positive finite number"),
        ({"duration_factor": float("inf")}, "duration_factor must be a positive finite number"),
        ({"purpose_weights": {"spaceship": 2.0}}, "'spaceship' is not one of"),
        ({"purpose_weights": {"business": -1.0}}, "must be a finite weight >= 0"),
    ],
)
def test_a_malformed_shift_is_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        Shift(**arguments)


def test_weights_that_leave_nothing_to_sample_are_refused() -> None:
    purposes = german.SCHEMA["columns"]["purpose"]["categories"]
    nothing = Shift(purpose_weights=dict.fromkeys(purposes, 0.0))
    with pytest.raises(InvalidArgumentError, match="leave no row to sample"):
        derived_sample(10, seed=1, shift=nothing)
    only_business = Shift(purpose_weights={**dict.fromkeys(purposes, 0.0), "business": 1.0})
    sample = german.table_schema().read_csv(derived_sample(50, seed=1, shift=only_business))
    assert set(sample["purpose"]) == {"business"}


@pytest.mark.parametrize("n", [0, -1, True, 2.0])
def test_a_sample_size_must_be_a_positive_count(n: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="a sample has 1 to"):
        derived_sample(n, seed=1)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", None])
def test_a_seed_must_be_a_whole_number(seed: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="the seed must be a whole number >= 0"):
        derived_sample(10, seed=seed)


def test_rows_are_typed_dicts_that_pass_the_schema() -> None:
    content = derived_sample(20, seed=3)
    typed = rows(content)
    assert len(typed) == 20
    assert german.table_schema().check_rows(typed, with_target=True) == typed
    assert {type(typed[0][c]) for c in german.NUMERIC_FEATURES} == {int, float}
    assert type(typed[0]["credit_amount"]) is float
    assert type(typed[0]["purpose"]) is str
