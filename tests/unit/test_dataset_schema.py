"""A dataset version records its schema: each column to a description of its type or range."""

from __future__ import annotations

from typing import Any

import pytest

from domain.aggregates.dataset import Dataset
from domain.errors import InvalidArgumentError
from tests.unit.fakes import NewOrganisation, Organisation, refused

SCHEMA = {
    "age": {"type": "integer", "minimum": 18, "maximum": 75},
    "sex": {"type": "category", "categories": ["female", "male"]},
}


def add_version(org: Organisation, **schema: Any) -> int:
    return org.app.add_dataset_version(
        Dataset.create_id("german-credit"),
        digest="sha256:" + "d" * 64,
        row_count=1000,
        columns=["age", "sex", "default"],
        protected_attributes=["sex", "age"],
        sensitivity="confidential",
        license="CC-BY-4.0",
        actor="stu",
        **schema,
    )


def recorded_schema(org: Organisation) -> object:
    (version,) = org.app.get_dataset(Dataset.create_id("german-credit")).versions
    return version.schema


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    organisation = new_organisation()
    organisation.app.register_dataset(name="german-credit", description="d", actor="stu")
    return organisation


def test_the_schema_is_recorded_with_the_version(org: Organisation) -> None:
    add_version(org, schema=SCHEMA)

    assert recorded_schema(org) == SCHEMA


def test_a_version_without_a_schema_records_an_empty_one(org: Organisation) -> None:
    add_version(org)

    assert recorded_schema(org) == {}


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        ({"income": {"type": "number"}}, "schema column 'income' is not a column of the version"),
        ({"age": "integer"}, "schema of column 'age' is 'integer', not an object"),
        (["age"], "schema .* is not a mapping"),
    ],
)
def test_a_schema_that_does_not_describe_the_columns_is_refused(
    org: Organisation, schema: Any, match: str
) -> None:
    with refused(org.app, InvalidArgumentError, match):
        add_version(org, schema=schema)
