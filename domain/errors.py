"""Domain errors: each says which rule refused a command and what would satisfy it.

DomainError
├── NotFoundError               the command names an aggregate that does not exist
├── DuplicateError              the command would register something that already exists
├── InvalidArgumentError        a value is malformed or outside the vocabulary (a tier, a digest...)
├── PortError                   a port (trainer, scorer, explainer) answered outside its contract
├── NotConfiguredError          the application was built without a port the command needs
└── RuleError                   a governance rule refused the command; a CommandRefused records it
    ├── NotAuthorizedError          the actor lacks a role the command needs
    ├── SegregationOfDutiesError    the actor already plays a conflicting part for the version
    ├── GateError                   a promotion gate of the policy is not met
    ├── InvalidStateError           the aggregate's lifecycle does not allow the command now
    ├── ArtifactError               content is missing from the artifact store or not its digest's
    └── SignatureError              the personal signature is missing, unknown, revoked or wrong
"""

from __future__ import annotations

__all__ = [
    "ArtifactError",
    "DomainError",
    "DuplicateError",
    "GateError",
    "InvalidArgumentError",
    "InvalidStateError",
    "NotAuthorizedError",
    "NotConfiguredError",
    "NotFoundError",
    "PortError",
    "RuleError",
    "SegregationOfDutiesError",
    "SignatureError",
]


class DomainError(Exception):
    """Base class of every refusal by the governance domain."""


class NotFoundError(DomainError):
    """A command names an aggregate that does not exist."""


class DuplicateError(DomainError):
    """A command would register something that already exists."""


class InvalidArgumentError(DomainError):
    """A command's argument is malformed, cannot be recorded, or is outside the vocabulary."""


class PortError(DomainError):
    """A port answered outside its contract: the adapter behind it is at fault, not the actor."""


class NotConfiguredError(DomainError):
    """The application was built without a port the command needs.

    The operator's configuration is at fault, not the actor: the command is refused but no
    ``CommandRefused`` is recorded, as for a ``PortError``.
    """


class RuleError(DomainError):
    """A governance rule refused the command; a ``CommandRefused`` event records the attempt."""


class NotAuthorizedError(RuleError):
    """The actor may not issue this command; a ``CommandRefused`` event records the attempt."""


class SegregationOfDutiesError(RuleError):
    """The actor already plays a part for this version that excludes the one it attempts."""


class GateError(RuleError):
    """A promotion gate of the current policy is not met."""


class InvalidStateError(RuleError):
    """The lifecycle of the aggregate does not allow this command in its current state."""


class ArtifactError(RuleError):
    """Content is missing from the artifact store, or is not what its digest says it is."""


class SignatureError(RuleError):
    """A personal signature is missing, by an unknown or revoked key, or does not verify."""
