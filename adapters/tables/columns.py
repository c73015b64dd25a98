"""``Column``: one typed column of a table schema, and the conversion of a value to its type."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.tables.errors import describe
from domain.errors import InvalidArgumentError

__all__ = ["CATEGORY", "INTEGER", "KINDS", "NUMBER", "Column"]

INTEGER = "integer"
NUMBER = "number"
CATEGORY = "category"
KINDS = (INTEGER, NUMBER, CATEGORY)
_LIMITS = {INTEGER: 2**53, NUMBER: float(np.finfo(np.float64).max)}
"""Implicit bounds: integers past 2**53 are inexact in float64 (as CSV parsing reads them)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, type (``KINDS``), and the values it accepts (bounds inclusive)."""

    name: str
    kind: str
    minimum: float = 0
    maximum: float = 0
    categories: tuple[str, ...] = ()

    @classmethod
    def from_spec(cls, name: str, spec: object) -> Column:
        """The column ``spec`` describes; ``InvalidArgumentError`` for a malformed spec."""
        where = f"schema column {name!r}"
        if not isinstance(spec, Mapping) or spec.get("type") not in KINDS:
            raise InvalidArgumentError(f"{where}: needs a 'type' of {', '.join(KINDS)}")
        kind = str(spec["type"])
        if kind == CATEGORY:
            return cls._category(name, spec)
        unknown = set(spec) - {"type", "minimum", "maximum"}
        if unknown:
            raise InvalidArgumentError(f"{where}: unknown keys {sorted(map(str, unknown))}")
        limit = _LIMITS[kind]
        low, high = spec.get("minimum", -limit), spec.get("maximum", limit)
        for bound in (low, high):
            if not is_number(bound) or (kind == INTEGER and not isinstance(bound, int)):
                raise InvalidArgumentError(f"{where}: bounds must be {kind}s, not {bound!r}")
            if not -limit <= bound <= limit:
                raise InvalidArgumentError(f"{where}: bound {bound!r} is beyond {limit:g}")
        if low > high:
            raise InvalidArgumentError(f"{where}: minimum {low!r} exceeds maximum {high!r}")
        return cls(name, kind, low, high)

    @classmethod
    def _category(cls, name: str, spec: Mapping[str, Any]) -> Column:
        where = f"schema column {name!r}"
        categories = spec.get("categories")
        if set(spec) != {"type", "categories"} or not isinstance(categories, list):
            raise InvalidArgumentError(f"{where}: a category needs exactly 'type' and 'categories'")
        if not categories or not all(isinstance(c, str) and c for c in categories):
            raise InvalidArgumentError(f"{where}: 'categories' must be a non-empty list of names")
        if len(set(categories)) != len(categories):
            raise InvalidArgumentError(f"{where}: repeated categories")
        return cls(name, CATEGORY, categories=tuple(categories))

    @property
    def spec(self) -> dict[str, object]:
        """The column's JSON spec, as a schema document holds it."""
        if self.kind == CATEGORY:
            return {"type": CATEGORY, "categories": list(self.categories)}
        spec: dict[str, object] = {"type": self.kind}
        if self.minimum != -_LIMITS[self.kind]:
            spec["minimum"] = self.minimum
        if self.maximum != _LIMITS[self.kind]:
            spec["maximum"] = self.maximum
        return spec

    @property
    def accepted(self) -> str:
        """What the column accepts, in words, for error messages."""
        if self.kind == CATEGORY:
            shown = ", ".join(self.categories[:12])
            return shown + (", ..." if len(self.categories) > 12 else "")
        article = "an" if self.kind == INTEGER else "a"
        low, high = (_bound(b, self.kind) for b in (self.minimum, self.maximum))
        if low is not None and high is not None:
            return f"{article} {self.kind} from {low} to {high}"
        if low is not None or high is not None:
            return f"{article} {self.kind} " + (
                f"of at least {low}" if low is not None else f"of at most {high}"
            )
        return f"{article} finite {self.kind}" if self.kind == NUMBER else f"an {self.kind}"

    def convert(self, value: object) -> int | float | str:
        """``value`` as this column's Python type; ``ValueError`` saying what is accepted."""
        if self.kind == CATEGORY:
            if isinstance(value, str) and value in self.categories:
                return str(value)
            if isinstance(value, str):
                raise ValueError(f"{describe(value)} is not a known category ({self.accepted})")
            raise ValueError(f"{describe(value)} is not a category name: expected {self.accepted}")
        if not is_number(value):
            raise ValueError(f"{describe(value)} is not a number: expected {self.accepted}")
        if isinstance(value, numbers.Integral):
            typed: int | float = int(value)
        else:
            typed = _as_float(value)
            if not math.isfinite(typed):
                raise ValueError(f"{describe(value)} is not a finite number")
            if self.kind == INTEGER and not typed.is_integer():
                raise ValueError(
                    f"{describe(value)} is not a whole number: expected {self.accepted}"
                )
        if not self.minimum <= typed <= self.maximum:
            raise ValueError(f"{describe(value)} is out of range: expected {self.accepted}")
        return int(typed) if self.kind == INTEGER else float(typed)


def is_number(value: object) -> bool:
    """Whether ``value`` is a real number (Python's or numpy's); a bool is not."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _bound(bound: float, kind: str) -> str | None:
    """A bound as text, ``None`` for an implicit one."""
    if abs(bound) == _LIMITS[kind]:
        return None
    whole = float(bound).is_integer() and abs(bound) < 1e15
    return str(int(bound)) if whole else repr(float(bound))


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:
        return math.inf
