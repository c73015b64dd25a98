"""Errors of the composition root.

ApiError
└── ConfigurationError   a setting is wrong or a resource it names is unusable (exit 2)
"""

from __future__ import annotations

__all__ = ["ApiError", "ConfigurationError"]


class ApiError(Exception):
    """Base class of errors raised by the composition root."""


class ConfigurationError(ApiError):
    """A setting is wrong, or the database or key it names cannot be used."""
