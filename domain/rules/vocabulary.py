"""The closed vocabularies of the lifecycle (docs/events.md): tiers, severities, places, digests."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TypeVar

from domain.errors import InvalidArgumentError
from ledger.encoding.digests import is_sha256_digest

__all__ = [
    "Environment",
    "FindingSource",
    "Outcome",
    "RiskTier",
    "SegmentKind",
    "Sensitivity",
    "Severity",
    "UatCheck",
    "check_digest",
    "check_digests",
    "parse",
]


class RiskTier(StrEnum):
    """How much harm a model can do; sets how many approvers it needs."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Sensitivity(StrEnum):
    """How confidential a dataset's content is (the usual four-level data classification)."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class Severity(StrEnum):
    """How serious a finding is."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class FindingSource(StrEnum):
    """Who or what raised a finding."""

    VALIDATION = "validation"
    MONITORING = "monitoring"
    PERSON = "person"


class Environment(StrEnum):
    """Where a model version runs."""

    DEV = "dev"
    UAT = "uat"
    PROD = "prod"


class Outcome(StrEnum):
    """The conclusion of a validation."""

    PASSED = "passed"
    FAILED = "failed"


class SegmentKind(StrEnum):
    """What the records of a prediction log segment are."""

    PREDICTION = "prediction"
    FEEDBACK = "feedback"


class UatCheck(StrEnum):
    """A check run in UAT before Prod."""

    INTEGRATION = "integration"
    PERFORMANCE = "performance"


VocabularyT = TypeVar("VocabularyT", bound=StrEnum)


def parse(kind: type[VocabularyT], value: str, what: str) -> VocabularyT:
    """``value`` as a member of ``kind``, or InvalidArgumentError naming the accepted values."""
    try:
        return kind(value)
    except (ValueError, TypeError):
        accepted = " | ".join(member.value for member in kind)
        raise InvalidArgumentError(f"{what} {value!r} is not one of {accepted}") from None


def check_digest(digest: str, what: str) -> str:
    """Return ``digest`` if it reads ``sha256:<64 lowercase hex>``, else InvalidArgumentError."""
    if not is_sha256_digest(digest):
        raise InvalidArgumentError(f"{what} {digest!r} is not sha256:<64 lowercase hex digits>")
    return digest


def check_digests(digests: Iterable[str], what: str) -> list[str]:
    """Check every digest of the list ``digests``; return them as a list."""
    if not isinstance(digests, list | tuple):
        raise InvalidArgumentError(f"{what}s {digests!r} are not a list of digests")
    return [check_digest(digest, what) for digest in digests]
