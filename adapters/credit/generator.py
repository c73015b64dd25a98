"""Deterministic samples derived from the German credit data, plain or shifted, for tests,
benchmarks and the demo.

``derived_sample`` resamples the 1,000 real rows with replacement (bootstrap) and jitters the
continuous columns (age, duration, amount) a little; a ``Shift`` moves the population (older
applicants, larger and longer credits, other purposes) so monitoring has drift to find. Every value
stays inside ``SCHEMA``; ``age_band`` is recomputed from the jittered age, and ``sex`` follows
``personal_status``, which is resampled with its row. Same arguments, same bytes (for one numpy
release: ``numpy.random.Generator`` streams may change between releases).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from adapters.credit.german import SCHEMA, age_band, german_credit_csv, table_schema
from domain.errors import InvalidArgumentError

__all__ = ["APPLICANT_SHIFT", "Shift", "derived_sample", "rows"]

_MAX_ROWS = 50_000_000
_AMOUNT_JITTER = 0.05
"""Standard deviation of the log-normal factor on credit amounts: about +-5 %."""


@dataclass(frozen=True)
class Shift:
    """A population shift: years added to every age, factors on credit amount and duration, and
    relative weights of purposes when resampling (a purpose not named keeps weight 1)."""

    age_offset: int = 0
    amount_factor: float = 1.0
    duration_factor: float = 1.0
    purpose_weights: Mapping[str, float] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.age_offset, bool) or not isinstance(self.age_offset, int):
            raise InvalidArgumentError(
                f"age_offset must be a whole number of years, not {self.age_offset!r}"
            )
        for name in ("amount_factor", "duration_factor"):
            factor = getattr(self, name)
            if not isinstance(factor, int | float) or not 0 < factor < math.inf:
                raise InvalidArgumentError(
                    f"{name} must be a positive finite number, not {factor!r}"
                )
        purposes = SCHEMA["columns"]["purpose"]["categories"]
        for purpose, weight in self.purpose_weights.items():
            if purpose not in purposes:
                raise InvalidArgumentError(f"purpose_weights: {purpose!r} is not one of {purposes}")
            if not isinstance(weight, int | float) or not 0 <= weight < math.inf:
                raise InvalidArgumentError(
                    f"purpose_weights[{purpose!r}] must be a finite weight >= 0, not {weight!r}"
                )
        object.__setattr__(self, "purpose_weights", MappingProxyType(dict(self.purpose_weights)))


APPLICANT_SHIFT = Shift(
    age_offset=12,
    amount_factor=1.6,
    duration_factor=1.6,
    purpose_weights={"business": 4.0, "car_used": 2.0, "radio_tv": 0.5},
)
"""A shift strong enough that age, credit amount and duration each drift (PSI >= 0.25)."""


def derived_sample(n: int, *, seed: int, shift: Shift | None = None) -> bytes:
    """``n`` rows derived from the German credit data as CSV bytes in ``SCHEMA``'s columns."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _MAX_ROWS:
        raise InvalidArgumentError(f"a sample has 1 to {_MAX_ROWS} rows, not {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(f"the seed must be a whole number >= 0, not {seed!r}")
    shift = shift or Shift()
    base = _base()
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(base.frame), size=n, p=base.weights(shift))
    columns = SCHEMA["columns"]
    age = base.frame["age"].to_numpy()[picked] + rng.integers(-2, 3, n) + shift.age_offset
    age = _clip(age, columns["age"])
    duration = base.frame["duration_months"].to_numpy()[picked] * shift.duration_factor
    duration = _clip(np.rint(duration + rng.integers(-1, 2, n)), columns["duration_months"])
    amount = base.frame["credit_amount"].to_numpy()[picked] * shift.amount_factor
    amount *= rng.lognormal(0.0, _AMOUNT_JITTER, n)
    amount = _clip(np.rint(amount), columns["credit_amount"])
    heads = base.heads[picked, duration - columns["duration_months"]["minimum"]].tolist()
    tails = base.tails[picked, age - columns["age"]["minimum"]].tolist()
    lines = [f"{h}{a}{t}" for h, a, t in zip(heads, amount.tolist(), tails, strict=True)]
    return (",".join(columns) + "\n" + "\n".join(lines) + "\n").encode("utf-8")


def rows(content: bytes, *, with_target: bool = True) -> list[dict[str, object]]:
    """The CSV ``content`` (in ``SCHEMA``) as typed rows: int, float and str values."""
    frame = table_schema().read_csv(content, with_target=with_target)
    records: list[dict[str, object]] = frame.to_dict("records")
    return records


def _clip(values: npt.NDArray[Any], spec: Mapping[str, Any]) -> npt.NDArray[np.int64]:
    return np.asarray(np.clip(values, spec["minimum"], spec["maximum"]), dtype=np.int64)


@dataclass(frozen=True)
class _Base:
    """The real rows, with their text pre-joined around the credit amount: ``heads[row, d]`` is
    the row's columns before it with duration ``d`` (offset by its minimum) and ``tails[row, a]``
    those after it with age ``a`` (and its band), so a sample is built by indexing, not formatting.
    """

    frame: pd.DataFrame
    heads: npt.NDArray[np.object_]
    tails: npt.NDArray[np.object_]

    def weights(self, shift: Shift) -> npt.NDArray[np.float64] | None:
        if not shift.purpose_weights:
            return None
        weights = self.frame["purpose"].map(dict(shift.purpose_weights)).fillna(1.0)
        total = float(weights.sum())
        if total <= 0:
            raise InvalidArgumentError("purpose_weights leave no row to sample: raise a weight")
        return np.asarray(weights, dtype=np.float64) / total


@functools.cache
def _base() -> _Base:
    frame = table_schema().read_csv(german_credit_csv())
    columns = SCHEMA["columns"]
    names = list(columns)
    cut = names.index("credit_amount")
    durations = _values(columns["duration_months"])
    ages = _values(columns["age"])
    varying = {
        "duration_months": durations,
        "age": ages,
        "age_band": np.array([age_band(int(a)) for a in ages[0]], dtype=object)[None, :],
    }
    heads = _joined(frame, names[:cut], varying) + ","
    tails = "," + _joined(frame, names[cut + 1 :], varying)
    return _Base(frame, heads, tails)


def _values(spec: Mapping[str, Any]) -> npt.NDArray[np.object_]:
    """Every value of an integer column as text, in a row (shape 1 x count)."""
    return np.array([str(v) for v in range(spec["minimum"], spec["maximum"] + 1)], dtype=object)[
        None, :
    ]


def _joined(
    frame: pd.DataFrame, names: list[str], varying: Mapping[str, npt.NDArray[np.object_]]
) -> npt.NDArray[np.object_]:
    """The comma-joined text of ``names`` per row of ``frame`` (rows x values of the varying
    column among them), fixed columns from ``frame``, varying ones from ``varying``."""
    parts = [
        varying[name]
        if name in varying
        else frame[name].astype(str).to_numpy(dtype=object)[:, None]
        for name in names
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "," + part
    return np.asarray(joined, dtype=object)
