"""Checking a training spec against ``training_spec.schema.json`` (JSON Schema draft 2020-12).

The schema says what each field may hold, the estimators and their typed, bounded parameters
among them; the cross checks follow it (features disjoint and at least one, the target and the
protected attributes not features). A problem is reported with the JSON pointer (RFC 6901) of
the value and what would be accepted there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from domain.errors import InvalidArgumentError

__all__ = ["check_training_spec", "training_spec_schema"]

SCHEMA_FILE = "training_spec.schema.json"


def check_training_spec(spec: Mapping[str, object]) -> dict[str, Any]:
    """A plain-dict copy of ``spec`` when it is one the trainer accepts; else
    ``InvalidArgumentError`` listing each problem as ``training spec <pointer>: <what to fix>``."""
    if not isinstance(spec, Mapping):
        raise InvalidArgumentError(
            f"training spec must be a JSON object, not {type(spec).__name__}"
        )
    try:
        document: dict[str, Any] = json.loads(json.dumps(spec, default=_refuse, allow_nan=False))
    except ValueError as exc:
        raise InvalidArgumentError(f"training spec is not plain JSON: {exc}") from exc
    errors = sorted(_validator().iter_errors(document), key=lambda e: (_pointer(e), e.message))
    problems = [_describe(error) for error in errors] or _cross_problems(document)
    if problems:
        raise InvalidArgumentError("; ".join(problems))
    return document


def training_spec_schema() -> dict[str, Any]:
    """A fresh copy of the training spec JSON Schema shipped in this package."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = training_spec_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _refuse(value: object) -> object:
    raise InvalidArgumentError(
        f"training spec holds a {type(value).__name__}: use only JSON values "
        "(objects, lists, text, numbers, true, false, null)"
    )


def _cross_problems(spec: Mapping[str, Any]) -> list[str]:
    numeric, categorical = spec["features"]["numeric"], spec["features"]["categorical"]
    problems = []
    if not numeric and not categorical:
        problems.append("training spec /features: name at least one numeric or categorical feature")
    both = sorted(set(numeric) & set(categorical))
    if both:
        problems.append(
            f"training spec /features: {both} are both numeric and categorical: list each once"
        )
    if spec["target"] in {*numeric, *categorical}:
        problems.append(
            f"training spec /target: {spec['target']!r} is also a feature: remove it from /features"
        )
    protected = sorted(set(spec.get("protected_attributes", ())) & {spec["target"]})
    if protected:
        problems.append(
            f"training spec /protected_attributes: {protected[0]!r} is the target: "
            "name a column describing the applicant"
        )
    return problems


def _describe(error: ValidationError) -> str:
    """``training spec <pointer>: <what is wrong> (expected: <the schema's description>)``."""
    where = f"training spec {_pointer(error)}".rstrip()
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "enum" and description:
        return f"{where}: {error.instance!r} is not {description}"
    if description:
        return f"{where}: {error.message} (expected: {description})"
    return f"{where}: {error.message}"


def _pointer(error: ValidationError) -> str:
    """The RFC 6901 JSON pointer of the offending value ("" for the whole spec)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in error.absolute_path
    )
