"""The Statlog (German Credit Data) set with readable names: its schema, codebook and facts.

The raw file (``adapters/datasets/german_credit.csv``, UCI codes such as ``A11``) is decoded by
``readable_from_uci`` with the UCI codebook (see ``german_credit.README.md``) into readable column
names and categories, plus two derived protected columns: ``sex`` (from the personal-status code:
A92 and A95 are female) and ``age_band``. The readable file ships beside the raw one.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources
from typing import Any

from adapters.tables import TableSchema
from domain.errors import InvalidArgumentError

__all__ = [
    "ATTRIBUTION",
    "CATEGORICAL_FEATURES",
    "COST_MATRIX",
    "DESCRIPTION",
    "LICENSE",
    "NUMERIC_FEATURES",
    "POSITIVE_LABEL",
    "PROTECTED_ATTRIBUTES",
    "SCHEMA",
    "TARGET",
    "age_band",
    "german_credit_csv",
    "readable_from_uci",
    "table_schema",
    "uci_csv",
]

LICENSE = "CC-BY-4.0"
DESCRIPTION = (
    "Statlog (German Credit Data): 1,000 loan applicants described by 20 attributes, "
    "labelled good or bad credit risks; readable names and two derived protected columns "
    "(sex, age_band)."
)
ATTRIBUTION = (
    "Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine Learning "
    "Repository. https://doi.org/10.24432/C5NC77 (CC BY 4.0)."
)
TARGET = "credit_risk"
POSITIVE_LABEL = "good"
PROTECTED_ATTRIBUTES = ("sex", "age_band", "foreign_worker")
COST_MATRIX = {"bad_accepted": 5.0, "good_refused": 1.0}
"""The data set's own costs: accepting a bad applicant costs 5, refusing a good one costs 1."""
AGE_BAND_LIMIT = 25

# Readable column <- (UCI column, {UCI code: readable category}); numeric columns map to None.
_CODEBOOK: dict[str, tuple[str, dict[str, str] | None]] = {
    "checking_account": (
        "status_of_existing_checking_account",
        {"A11": "lt_0", "A12": "0_to_200", "A13": "ge_200", "A14": "none"},
    ),
    "duration_months": ("duration_in_month", None),
    "credit_history": (
        "credit_history",
        {
            "A30": "no_credits_all_paid",
            "A31": "all_paid_this_bank",
            "A32": "existing_paid",
            "A33": "delayed_past",
            "A34": "critical_other_credits",
        },
    ),
    "purpose": (
        "purpose",
        {
            "A40": "car_new",
            "A41": "car_used",
            "A42": "furniture_equipment",
            "A43": "radio_tv",
            "A44": "domestic_appliances",
            "A45": "repairs",
            "A46": "education",
            "A47": "vacation",
            "A48": "retraining",
            "A49": "business",
            "A410": "others",
        },
    ),
    "credit_amount": ("credit_amount", None),
    "savings": (
        "savings_account/bonds",
        {
            "A61": "lt_100",
            "A62": "100_to_500",
            "A63": "500_to_1000",
            "A64": "ge_1000",
            "A65": "unknown_none",
        },
    ),
    "employment_since": (
        "present_employment_since",
        {
            "A71": "unemployed",
            "A72": "lt_1_year",
            "A73": "1_to_4_years",
            "A74": "4_to_7_years",
            "A75": "ge_7_years",
        },
    ),
    "installment_rate": ("installment_rate_in_percentage_of_disposable_income", None),
    "personal_status": (
        "personal_status_and_sex",
        {
            "A91": "male_divorced",
            "A92": "female_div_married",
            "A93": "male_single",
            "A94": "male_married_widowed",
            "A95": "female_single",
        },
    ),
    "other_debtors": (
        "other_debtors/guarantors",
        {"A101": "none", "A102": "co_applicant", "A103": "guarantor"},
    ),
    "residence_since": ("present_residence_since", None),
    "property": (
        "property",
        {
            "A121": "real_estate",
            "A122": "savings_insurance",
            "A123": "car_other",
            "A124": "unknown_none",
        },
    ),
    "age": ("age_in_years", None),
    "other_installment_plans": (
        "other_installment_plans",
        {"A141": "bank", "A142": "stores", "A143": "none"},
    ),
    "housing": ("housing", {"A151": "rent", "A152": "own", "A153": "for_free"}),
    "existing_credits": ("number_of_existing_credits_at_this_bank", None),
    "job": (
        "job",
        {
            "A171": "unskilled_non_resident",
            "A172": "unskilled_resident",
            "A173": "skilled",
            "A174": "highly_qualified",
        },
    ),
    "people_liable": ("number_of_people_being_liable_to_provide_maintenance_for", None),
    "telephone": ("telephone", {"A191": "none", "A192": "yes"}),
    "foreign_worker": ("foreign_worker", {"A201": "yes", "A202": "no"}),
}
_FEMALE = frozenset({"female_div_married", "female_single"})
_RISK = {"1": "good", "2": "bad"}

NUMERIC_FEATURES = (
    "duration_months",
    "credit_amount",
    "installment_rate",
    "residence_since",
    "age",
    "existing_credits",
    "people_liable",
)
CATEGORICAL_FEATURES = tuple(
    name
    for name, (_, codes) in _CODEBOOK.items()
    if codes is not None and name != "personal_status"
)
"""The default model's categorical features: ``personal_status`` (which encodes sex), ``sex`` and
``age_band`` are columns for fairness assessment, not features."""


def _integer(low: int, high: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def _category(values: list[str]) -> dict[str, Any]:
    return {"type": "category", "categories": values}


_RANGES: dict[str, dict[str, Any]] = {
    "duration_months": _integer(1, 120),
    "credit_amount": {"type": "number", "minimum": 0, "maximum": 1_000_000},
    "installment_rate": _integer(1, 4),
    "residence_since": _integer(1, 4),
    "age": _integer(18, 100),
    "existing_credits": _integer(1, 10),
    "people_liable": _integer(0, 10),
}
SCHEMA: dict[str, Any] = {
    "columns": {
        **{
            name: _RANGES[name] if codes is None else _category(list(codes.values()))
            for name, (_, codes) in _CODEBOOK.items()
        },
        "sex": _category(["female", "male"]),
        "age_band": _category(["under_25", "25_and_over"]),
        TARGET: _category(["good", "bad"]),
    },
    "target": TARGET,
}
"""The readable data's ``TableSchema`` document: codebook categories, plausible numeric ranges."""


def age_band(age: int) -> str:
    """The age band of an applicant aged ``age``."""
    return "under_25" if age < AGE_BAND_LIMIT else "25_and_over"


@functools.cache
def table_schema() -> TableSchema:
    """``SCHEMA`` as a ``TableSchema``."""
    return TableSchema.from_document(SCHEMA)


def readable_from_uci(raw_csv: bytes) -> bytes:
    """The raw UCI file decoded into the readable CSV (``\\n`` line ends, integers as digits).

    ``InvalidArgumentError`` names the line and column of a code outside the codebook.
    """
    reader = csv.reader(io.StringIO(raw_csv.decode("utf-8")))
    header = next(reader, [])
    expected = [uci for uci, _ in _CODEBOOK.values()] + ["credit_risk"]
    if header != expected:
        raise InvalidArgumentError(f"the raw German credit header must be {','.join(expected)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SCHEMA["columns"])
    for line, cells in enumerate(reader, start=2):
        if len(cells) != len(expected):
            raise InvalidArgumentError(
                f"line {line}: {len(cells)} fields, expected {len(expected)}"
            )
        raw = dict(zip(expected, cells, strict=True))
        row = {
            name: _decode(raw[uci], codes, line, uci) for name, (uci, codes) in _CODEBOOK.items()
        }
        row["sex"] = "female" if row["personal_status"] in _FEMALE else "male"
        row["age_band"] = age_band(int(row["age"]))
        row[TARGET] = _decode(raw["credit_risk"], _RISK, line, "credit_risk")
        writer.writerow(row.values())
    return out.getvalue().encode("utf-8")


def _decode(cell: str, codes: dict[str, str] | None, line: int, column: str) -> str:
    if codes is None:
        if not cell.isdigit():
            raise InvalidArgumentError(f"line {line}, column {column!r}: {cell!r} is not a count")
        return str(int(cell))
    if cell not in codes:
        raise InvalidArgumentError(
            f"line {line}, column {column!r}: {cell!r} is not a code of ({', '.join(codes)})"
        )
    return codes[cell]


def german_credit_csv() -> bytes:
    """The shipped readable German credit CSV (``german_credit_readable.csv``)."""
    return resources.files("adapters.datasets").joinpath("german_credit_readable.csv").read_bytes()


def uci_csv() -> bytes:
    """The shipped raw UCI file (``german_credit.csv``), from which the readable one is derived."""
    return resources.files("adapters.datasets").joinpath("german_credit.csv").read_bytes()
