"""Domain errors: each says which rule refused a command and what would satisfy it.

DomainError
├── NotFoundError        the command names an aggregate that does not exist
└── DuplicateError       the command would register something that already exists
"""

from __future__ import annotations

__all__ = ["DomainError", "DuplicateError", "NotAuthorizedError", "NotFoundError"]


class DomainError(Exception):
    """Base class of every refusal by the governance domain."""


class NotFoundError(DomainError):
    """A command names an aggregate that does not exist."""


class DuplicateError(DomainError):
    """A command would register something that already exists."""


class NotAuthorizedError(DomainError):
    """The actor may not issue this command; a ``CommandRefused`` event records the attempt."""
