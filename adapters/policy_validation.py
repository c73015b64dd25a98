"""Validation of a policy document against ``domain/rules/policy.schema.json`` (JSON Schema).

The schema is a first pass that says what each field may hold, in the words of its descriptions;
the domain's own invariants (``domain.rules.policy_invariants``: approvers for every tier,
ordered approvals and PSI levels, Prod gates that stay on) follow it, the same checks the
application applies to any client. Every problem is reported with the JSON path of the value
and what it should be.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from domain.rules.policy import Policy
from domain.rules.policy_invariants import policy_problems

__all__ = ["PolicyDocumentError", "policy_schema", "validate_policy_document"]

SCHEMA_FILE = "policy.schema.json"
"""The schema's name in the ``domain`` package."""

ROOT = "policy"
"""How a problem with the document as a whole names its path."""


class PolicyDocumentError(ValueError):
    """A policy document breaks the policy schema or a rule between its fields."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("policy document refused: " + "; ".join(self.problems))


def validate_policy_document(document: Mapping[str, Any]) -> Policy:
    """The Policy of a document that passes the schema and the rules; else PolicyDocumentError."""
    errors = sorted(_validator().iter_errors(document), key=_error_order)
    if errors:
        raise PolicyDocumentError(_describe(error) for error in errors)
    problems = policy_problems(document)
    if problems:
        raise PolicyDocumentError(problems)
    return Policy.from_document(document)


def policy_schema() -> dict[str, Any]:
    """A fresh copy of the policy JSON Schema shipped in the domain package."""
    text = resources.files("domain.rules").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = policy_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _error_order(error: ValidationError) -> tuple[str, str]:
    return _path(error), error.message


def _describe(error: ValidationError) -> str:
    """``<path>: <what is wrong> (expected: <what the schema says the value is>)``."""
    path = _path(error)
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if path == ROOT or not description:
        return f"{path}: {error.message}"
    return f"{path}: {error.message} (expected: {description})"


def _path(error: ValidationError) -> str:
    """The JSON path of the offending value, as ``gates.prod.blocking_finding_severities[1]``."""
    text = ""
    for part in error.absolute_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or ROOT
