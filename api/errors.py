"""Errors of the composition root; the CLI shows each as one line and exits 2.

ApiError
├── ConfigurationError   a setting is wrong or a resource it names is unusable
└── InputFileError       a file given on the command line is unreadable, too large or malformed
"""

from __future__ import annotations

__all__ = ["ApiError", "ConfigurationError", "InputFileError"]


class ApiError(Exception):
    """Base class of errors raised by the composition root: the operator has something to fix."""


class ConfigurationError(ApiError):
    """A setting is wrong, or the database or key it names cannot be used."""


class InputFileError(ApiError):
    """A file the operator named cannot be read, is over the size cap, or is not strict UTF-8/JSON.

    An operator error, never an integrity failure: the message names the file and what to fix.
    """
