"""The policy command of the CLI: put a validated policy document in force."""

from __future__ import annotations

import argparse

from adapters.policy_validation import PolicyDocumentError, validate_policy_document
from api.commands import EXIT_OK
from api.composition import open_ledger
from api.errors import ConfigurationError
from api.files import read_json_object
from api.settings import Settings

__all__ = ["set_policy"]


def set_policy(settings: Settings, arguments: argparse.Namespace) -> int:
    """Validate a policy document against its JSON Schema, then record it in the ledger."""
    document = read_json_object(arguments.file)  # capped, strict I-JSON: one-line errors
    try:
        validate_policy_document(document)
    except PolicyDocumentError as exc:
        raise ConfigurationError(f"{arguments.file}: {exc}") from None
    ledger = open_ledger(settings)
    try:
        policy = ledger.application.set_policy(actor=arguments.actor, document=document)
    finally:
        ledger.close()
    print(f"policy {policy.version} ({policy.digest}) is in force")
    return EXIT_OK
