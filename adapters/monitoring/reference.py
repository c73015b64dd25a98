"""Reference statistics: the training rows' bins that monitoring compares windows with.

Built once at training, on the train split, and stored as canonical JSON (RFC 8785) by its
digest. A numeric feature has two grids of interior edges taken at the training quantiles
(``inverted_cdf``, so every edge is a value seen in training; ties deduplicated): deciles for
PSI and percentiles for KS. A value ``v`` falls in bin ``i`` when ``edges[i-1] < v <= edges[i]``
(``np.searchsorted(edges, v, side="left")``), so the cumulative count up to bin ``i`` is the
empirical CDF at ``edges[i]``. A categorical column (a model feature or a protected attribute)
has its sorted categories and one last "other" bin for values never seen in training.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from domain.errors import InvalidArgumentError
from ledger.encoding.canonical import canonical_json

__all__ = [
    "CategoricalReference",
    "Grid",
    "NumericReference",
    "ReferenceStatistics",
    "categorical_reference",
    "numeric_reference",
]

FORMAT = "govledger.reference/1"
PSI_BINS = 10
KS_BINS = 100

Grid = Literal["psi", "ks"]
IntArray = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True, slots=True)
class NumericReference:
    """A numeric feature's grids (interior edges, ascending) with the training counts per bin
    (one more count than edges), and its min, max and mean."""

    psi_edges: tuple[float, ...]
    psi_counts: tuple[int, ...]
    ks_edges: tuple[float, ...]
    ks_counts: tuple[int, ...]
    minimum: float
    maximum: float
    mean: float

    def edges(self, grid: Grid) -> tuple[float, ...]:
        """The interior edges of ``grid``."""
        return self.psi_edges if grid == "psi" else self.ks_edges

    def counts(self, grid: Grid) -> tuple[int, ...]:
        """The training counts per bin of ``grid``."""
        return self.psi_counts if grid == "psi" else self.ks_counts


@dataclass(frozen=True, slots=True)
class CategoricalReference:
    """A categorical column's sorted categories and training counts, the last count being the
    "other" bin (always 0 in training)."""

    categories: tuple[str, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReferenceStatistics:
    """What monitoring needs of the training rows.

    ``features``: the model's features (numeric first), whose drift is measured; ``numeric``
    and ``categorical`` hold their bins, ``categorical`` also the ``protected`` attributes'.
    """

    features: tuple[str, ...]
    numeric: Mapping[str, NumericReference]
    categorical: Mapping[str, CategoricalReference]
    protected: tuple[str, ...]
    target: str
    positive_label: str
    rows: int
    positive_rate: float

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        numeric: Sequence[str],
        categorical: Sequence[str],
        protected: Sequence[str],
        target: str,
        positive_label: str,
    ) -> ReferenceStatistics:
        """The statistics of ``frame`` (the train split); ``InvalidArgumentError`` naming a
        missing column, a non-numeric or non-finite numeric value, or an empty frame."""
        needed = [*numeric, *categorical, *protected, target]
        missing = [column for column in needed if column not in frame.columns]
        if missing:
            raise InvalidArgumentError(f"reference statistics: no column {missing} in the data")
        if len(frame) == 0:
            raise InvalidArgumentError("reference statistics: the training data has no rows")
        numerics = {name: numeric_reference(frame[name], name) for name in numeric}
        columns = [*categorical, *(p for p in protected if p not in categorical)]
        categoricals = {name: categorical_reference(frame[name]) for name in columns}
        labels = frame[target].astype(str) == positive_label
        return cls(
            features=(*numeric, *categorical),
            numeric=numerics,
            categorical=categoricals,
            protected=tuple(protected),
            target=target,
            positive_label=positive_label,
            rows=len(frame),
            positive_rate=float(labels.mean()),
        )

    def bin_of(self, feature: str, value: object, grid: Grid = "psi") -> int:
        """The bin of one value of ``feature`` (a numeric grid's, or a category's index with
        ``len(categories)`` for "other")."""
        if feature in self.numeric:
            return bisect.bisect_left(self.numeric[feature].edges(grid), float(value))  # type: ignore[arg-type]
        categories = self.categorical[feature].categories
        text = str(value)
        index = bisect.bisect_left(categories, text)
        return index if index < len(categories) and categories[index] == text else len(categories)

    def bins_of(self, feature: str, values: np.ndarray[Any, Any], grid: Grid = "psi") -> IntArray:
        """``bin_of`` over an array: floats for a numeric feature, strings for a categorical."""
        if feature in self.numeric:
            edges = np.asarray(self.numeric[feature].edges(grid), dtype=np.float64)
            return np.searchsorted(edges, values.astype(np.float64), side="left").astype(np.int64)
        categories = np.asarray(self.categorical[feature].categories, dtype=str)
        texts = values.astype(str)
        index = np.searchsorted(categories, texts, side="left").astype(np.int64)
        if len(categories) == 0:
            return index
        found = categories[np.minimum(index, len(categories) - 1)] == texts
        return np.where(found, index, len(categories))

    def to_json(self) -> bytes:
        """The statistics as canonical JSON (RFC 8785)."""
        return canonical_json(
            {
                "format": FORMAT,
                "features": list(self.features),
                "protected": list(self.protected),
                "target": self.target,
                "positive_label": self.positive_label,
                "rows": self.rows,
                "positive_rate": self.positive_rate,
                "numeric": {name: _numeric_json(ref) for name, ref in self.numeric.items()},
                "categorical": {
                    name: {"categories": list(ref.categories), "counts": list(ref.counts)}
                    for name, ref in self.categorical.items()
                },
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> ReferenceStatistics:
        """Statistics from ``to_json``'s bytes; ``InvalidArgumentError`` naming the first field
        that is missing or malformed."""
        try:
            document = json.loads(data)
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError(f"format: not {FORMAT}")
            return cls(
                features=_texts(document, "features"),
                numeric={
                    str(name): _numeric_from(value, name)
                    for name, value in _object(document, "numeric").items()
                },
                categorical={
                    str(name): _categorical_from(value, name)
                    for name, value in _object(document, "categorical").items()
                },
                protected=_texts(document, "protected"),
                target=str(document["target"]),
                positive_label=str(document["positive_label"]),
                rows=_count(document["rows"], "rows"),
                positive_rate=_number(document["positive_rate"], "positive_rate"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgumentError(f"reference statistics are malformed: {exc}") from exc


def numeric_reference(column: pd.Series[Any], name: str) -> NumericReference:
    """The grids and statistics of a numeric column (``name`` for errors)."""
    try:
        values = np.sort(column.to_numpy(dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"reference statistics: column {name!r}: {exc}") from exc
    if not np.isfinite(values).all():
        raise InvalidArgumentError(f"reference statistics: column {name!r} has a missing value")
    psi_edges = _quantile_edges(values, PSI_BINS)
    ks_edges = _quantile_edges(values, KS_BINS)
    return NumericReference(
        psi_edges=psi_edges,
        psi_counts=_counts(values, psi_edges),
        ks_edges=ks_edges,
        ks_counts=_counts(values, ks_edges),
        minimum=float(values[0]),
        maximum=float(values[-1]),
        mean=float(values.mean()),
    )


def _quantile_edges(sorted_values: np.ndarray[Any, Any], bins: int) -> tuple[float, ...]:
    levels = np.arange(1, bins) / bins
    edges = np.unique(np.quantile(sorted_values, levels, method="inverted_cdf"))
    return tuple(float(edge) for edge in edges)


def _counts(values: np.ndarray[Any, Any], edges: tuple[float, ...]) -> tuple[int, ...]:
    bins = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")
    return tuple(int(n) for n in np.bincount(bins, minlength=len(edges) + 1))


def categorical_reference(column: pd.Series[Any]) -> CategoricalReference:
    """The sorted categories of a column (as text) and their counts."""
    counts = column.astype(str).value_counts().sort_index()
    return CategoricalReference(
        categories=tuple(str(c) for c in counts.index),
        counts=(*(int(n) for n in counts.to_numpy()), 0),
    )


def _numeric_json(ref: NumericReference) -> dict[str, object]:
    for value in (*ref.psi_edges, *ref.ks_edges, ref.minimum, ref.maximum, ref.mean):
        if not math.isfinite(value):
            raise InvalidArgumentError("reference statistics: a numeric statistic is not finite")
    return {
        "psi_edges": list(ref.psi_edges),
        "psi_counts": list(ref.psi_counts),
        "ks_edges": list(ref.ks_edges),
        "ks_counts": list(ref.ks_counts),
        "min": ref.minimum,
        "max": ref.maximum,
        "mean": ref.mean,
    }


def _object(document: Mapping[str, Any], field: str) -> Mapping[str, Any]:
    value = document[field]
    if not isinstance(value, dict):
        raise TypeError(f"{field}: not an object")
    return value


def _texts(document: Mapping[str, Any], field: str) -> tuple[str, ...]:
    value = document[field]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{field}: not a list of strings")
    return tuple(value)


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{field}: not a finite number")
    return float(value)


def _count(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{field}: not a count")
    return value


def _numbers(document: Mapping[str, Any], field: str) -> tuple[float, ...]:
    values = document[field]
    if not isinstance(values, list):
        raise TypeError(f"{field}: not a list")
    numbers = tuple(_number(v, field) for v in values)
    if any(a >= b for a, b in itertools.pairwise(numbers)):
        raise ValueError(f"{field}: not strictly ascending")
    return numbers


def _counts_from(document: Mapping[str, Any], field: str, size: int) -> tuple[int, ...]:
    values = document[field]
    if not isinstance(values, list) or len(values) != size:
        raise TypeError(f"{field}: not a list of {size} counts")
    return tuple(_count(v, field) for v in values)


def _numeric_from(value: object, name: str) -> NumericReference:
    if not isinstance(value, dict):
        raise TypeError(f"numeric.{name}: not an object")
    psi_edges = _numbers(value, "psi_edges")
    ks_edges = _numbers(value, "ks_edges")
    return NumericReference(
        psi_edges=psi_edges,
        psi_counts=_counts_from(value, "psi_counts", len(psi_edges) + 1),
        ks_edges=ks_edges,
        ks_counts=_counts_from(value, "ks_counts", len(ks_edges) + 1),
        minimum=_number(value["min"], f"numeric.{name}.min"),
        maximum=_number(value["max"], f"numeric.{name}.max"),
        mean=_number(value["mean"], f"numeric.{name}.mean"),
    )


def _categorical_from(value: object, name: str) -> CategoricalReference:
    if not isinstance(value, dict):
        raise TypeError(f"categorical.{name}: not an object")
    categories = _texts(value, "categories")
    if list(categories) != sorted(set(categories)):
        raise ValueError(f"categorical.{name}.categories: not sorted and distinct")
    return CategoricalReference(
        categories=categories,
        counts=_counts_from(value, "counts", len(categories) + 1),
    )
