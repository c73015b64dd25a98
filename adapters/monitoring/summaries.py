"""Per-segment summaries of the prediction log, computed at sealing and merged by monitoring.

A summary holds counts only (plus a sum of scores), so the summary of a window is the sum of
its segments' summaries and no row is read twice. ``PredictionSummary`` counts each feature's
values per reference bin (``adapters.monitoring.reference``), each protected group's decisions
and the scores. ``FeedbackSummary`` and ``summarise_feedback``, the labelled outcomes' summary,
live in ``adapters.monitoring.labelled`` and are re-exported here beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import numpy as np

from adapters.monitoring.labelled import FeedbackSummary, summarise_feedback
from adapters.monitoring.reference import ReferenceStatistics
from domain.errors import InvalidArgumentError
from ledger.encoding.digests import sha256_digest

__all__ = [
    "SCORE_BINS",
    "FeedbackSummary",
    "PredictionSummary",
    "column_summariser",
    "reference_digest",
    "summarise_feedback",
    "summarise_predictions",
]

SCORE_BINS = 20
"""Equal-width bins of the score histogram on [0, 1]; a score of 1 falls in the last."""

Counts = tuple[int, ...]
Summariser = Callable[[Sequence[Mapping[str, Any]]], dict[str, Any]]
ColumnSummariser = Callable[..., dict[str, Any]]


def reference_digest(reference: ReferenceStatistics) -> str:
    """The digest of the reference a summary's bins belong to (its canonical JSON's)."""
    return sha256_digest(reference.to_json())


@dataclass(frozen=True, slots=True)
class PredictionSummary:
    """Counts of a set of prediction records against one reference (``reference`` digest).

    ``psi`` / ``ks``: numeric feature -> count per bin of that grid; ``categories``:
    categorical feature -> count per category, "other" last; ``groups``: protected attribute
    -> group value -> (refused, approved); ``decisions``: (refused, approved); ``scores``:
    count per ``SCORE_BINS`` bin; ``first`` / ``last``: the earliest and latest record time.
    """

    reference: str
    count: int
    first: str
    last: str
    psi: Mapping[str, Counts]
    ks: Mapping[str, Counts]
    categories: Mapping[str, Counts]
    groups: Mapping[str, Mapping[str, Counts]]
    decisions: Counts
    scores: Counts
    score_sum: float

    def merge(self, other: PredictionSummary) -> PredictionSummary:
        """The summary of both sets of records; ``InvalidArgumentError`` if their references
        differ."""
        if other.reference != self.reference:
            raise InvalidArgumentError(
                f"cannot merge summaries of different references: {self.reference} and "
                f"{other.reference}"
            )
        if not other.count:
            return self
        if not self.count:
            return other
        return PredictionSummary(
            reference=self.reference,
            count=self.count + other.count,
            first=min(self.first, other.first),
            last=max(self.last, other.last),
            psi=_add_each(self.psi, other.psi),
            ks=_add_each(self.ks, other.ks),
            categories=_add_each(self.categories, other.categories),
            groups={
                attribute: _add_each(self.groups[attribute], other.groups.get(attribute, {}))
                for attribute in self.groups
            },
            decisions=_add(self.decisions, other.decisions),
            scores=_add(self.scores, other.scores),
            score_sum=self.score_sum + other.score_sum,
        )

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict (``from_dict`` reads it back)."""
        return {
            "kind": "prediction_summary",
            "reference": self.reference,
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "psi": {k: list(v) for k, v in self.psi.items()},
            "ks": {k: list(v) for k, v in self.ks.items()},
            "categories": {k: list(v) for k, v in self.categories.items()},
            "groups": {
                a: {g: list(c) for g, c in groups.items()} for a, groups in self.groups.items()
            },
            "decisions": list(self.decisions),
            "scores": list(self.scores),
            "score_sum": self.score_sum,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PredictionSummary:
        """A summary from ``to_dict``'s shape; ``InvalidArgumentError`` naming a bad field."""
        try:
            if data["kind"] != "prediction_summary":
                raise ValueError("kind: not prediction_summary")
            return cls(
                reference=str(data["reference"]),
                count=_count(data["count"]),
                first=str(data["first"]),
                last=str(data["last"]),
                psi=_counts_by_name(data["psi"]),
                ks=_counts_by_name(data["ks"]),
                categories=_counts_by_name(data["categories"]),
                groups={str(a): _counts_by_name(g) for a, g in dict(data["groups"]).items()},
                decisions=_counts(data["decisions"], 2),
                scores=_counts(data["scores"], SCORE_BINS),
                score_sum=float(data["score_sum"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"a prediction summary is malformed: {exc!r}") from exc


def summarise_predictions(reference: ReferenceStatistics) -> Summariser:
    """The function the prediction log calls at sealing: prediction records -> their
    ``PredictionSummary`` as a dict. ``InvalidArgumentError`` names the record and column of a
    value it cannot count (a missing column, a non-finite number, a decision not 0 or 1)."""
    counter = _SegmentCounter(reference)
    names = list(dict.fromkeys([*reference.features, *reference.protected]))

    def summarise(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        inputs = [record["inputs"] for record in records]
        outputs = [record["output"] for record in records]
        scored, decided = _scores_and_decisions(
            [output["score"] for output in outputs], [output["decision"] for output in outputs]
        )
        try:
            # One pass over the records, each dict read once while it is in cache, then
            # columns: walking a million dicts once per column is memory-bound.
            rows = map(itemgetter(*names), inputs) if len(names) > 1 else _single(names, inputs)
            columns = dict(zip(names, zip(*rows, strict=True), strict=True)) if inputs else {}
            return counter.summary(
                lambda name: iter(columns.get(name, ())),
                scored=scored,
                decided=decided,
                times=[record["time"] for record in records],
            )
        except KeyError as exc:
            index = next(i for i, row in enumerate(inputs) if exc.args[0] not in row)
            raise InvalidArgumentError(
                f"record {index}: column {exc.args[0]!r} is missing"
            ) from exc

    return summarise


def column_summariser(reference: ReferenceStatistics) -> ColumnSummariser:
    """Like ``summarise_predictions`` from columns (each a list or array of one value per
    record) with the records' scores, decisions and times: the fast path for a log that
    already holds a scored batch as columns."""
    counter = _SegmentCounter(reference)

    def summarise(
        columns: Mapping[str, Sequence[Any] | np.ndarray[Any, Any]],
        *,
        scores: Sequence[float] | np.ndarray[Any, Any],
        decisions: Sequence[int] | np.ndarray[Any, Any],
        times: Sequence[str],
    ) -> dict[str, Any]:
        scored, decided = _scores_and_decisions(scores, decisions)
        return counter.summary(
            lambda name: iter(_column(columns, name, len(scored))),
            scored=scored,
            decided=decided,
            times=times,
        )

    return summarise


Values = Callable[[str], Iterator[Any]]


def _single(names: list[str], inputs: list[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of the only column (``itemgetter`` of one name answers a value, not a tuple)."""
    return ((row[names[0]],) for row in inputs)


class _Bins(dict[Any, int]):
    """A categorical feature's value -> reference bin, learnt as values are met (dict lookups
    at C speed; ``bin_of`` once per distinct value)."""

    def __init__(self, reference: ReferenceStatistics, feature: str) -> None:
        super().__init__()
        self.reference, self.feature = reference, feature

    def __missing__(self, value: Any) -> int:
        found = self.reference.bin_of(self.feature, value)
        if len(self) < _MAX_REMEMBERED:
            self[value] = found
        return found


class _Codes(dict[Any, int]):
    """Each distinct value -> its index, in order of first appearance."""

    def __missing__(self, value: Any) -> int:
        code = self[value] = len(self)
        return code


_MAX_REMEMBERED = 10_000
"""Distinct values a categorical feature's bin lookup keeps (unseen ones past it are looked up
each time), so a stream of new values cannot grow it without bound."""


class _SegmentCounter:
    """Counts one segment against a reference: numbers into grid bins (``searchsorted``),
    categories into reference bins and protected groups into codes, all via ``np.fromiter``
    over the values, so no per-value Python bytecode runs."""

    def __init__(self, reference: ReferenceStatistics) -> None:
        self.digest = reference_digest(reference)
        self.protected = reference.protected
        self.bins = {
            f: _Bins(reference, f) for f in reference.features if f in reference.categorical
        }
        self.sizes = {f: len(reference.categorical[f].counts) for f in self.bins}
        self.grids = {
            f: (np.asarray(r.psi_edges, dtype=np.float64), np.asarray(r.ks_edges, dtype=np.float64))
            for f, r in reference.numeric.items()
        }

    def summary(
        self,
        values: Values,
        *,
        scored: np.ndarray[Any, np.dtype[np.float64]],
        decided: np.ndarray[Any, np.dtype[np.int64]],
        times: Sequence[str],
    ) -> dict[str, Any]:
        """The summary of the segment whose column ``name`` is ``values(name)``."""
        size = len(scored)
        psi, ks = {}, {}
        for feature, (psi_edges, ks_edges) in self.grids.items():
            numbers = _floats(values, feature, size)
            psi[feature] = _bincount(np.searchsorted(psi_edges, numbers), len(psi_edges) + 1)
            ks[feature] = _bincount(np.searchsorted(ks_edges, numbers), len(ks_edges) + 1)
        categories = {
            f: _bincount(_codes(values, f, size, bins), self.sizes[f])
            for f, bins in self.bins.items()
        }
        groups = {}
        for attribute in self.protected:
            index = _Codes()
            codes = _codes(values, attribute, size, index)
            table = _bincount(2 * codes + decided, 2 * len(index))
            groups[attribute] = _by_text(index, table)
        bins = np.minimum((scored * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
        return PredictionSummary(
            reference=self.digest,
            count=size,
            first=min(times, default=""),
            last=max(times, default=""),
            psi=psi,
            ks=ks,
            categories=categories,
            groups=groups,
            decisions=_bincount(decided, 2),
            scores=_bincount(bins, SCORE_BINS),
            score_sum=float(scored.sum()),
        ).to_dict()


def _floats(values: Values, name: str, size: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    try:
        numbers = np.fromiter(values(name), dtype=np.float64, count=size)
    except (TypeError, ValueError):
        numbers = np.array([_number(v) for v in values(name)], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        raise InvalidArgumentError(f"record {bad[0]}: column {name!r} is not a finite number")
    return numbers


def _codes(
    values: Values, name: str, size: int, index: dict[Any, int]
) -> np.ndarray[Any, np.dtype[np.int64]]:
    try:
        return np.fromiter(map(index.__getitem__, values(name)), dtype=np.int64, count=size)
    except TypeError as exc:
        raise InvalidArgumentError(f"column {name!r} holds a value that is not text") from exc


def _by_text(index: Mapping[Any, int], table: Counts) -> dict[str, Counts]:
    groups: dict[str, list[int]] = {}
    for value, code in index.items():
        counts = groups.setdefault(str(value), [0, 0])
        counts[0] += table[2 * code]
        counts[1] += table[2 * code + 1]
    return {group: tuple(groups[group]) for group in sorted(groups)}


def _scores_and_decisions(
    scores: Sequence[float] | np.ndarray[Any, Any], decisions: Sequence[int] | np.ndarray[Any, Any]
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.int64]]]:
    try:
        scored = np.asarray(scores, dtype=np.float64).reshape(-1)
        decided = np.asarray(decisions, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"an output is not a score and a decision: {exc}") from exc
    if scored.shape != decided.shape:
        raise InvalidArgumentError(f"{scored.size} scores but {decided.size} decisions")
    good = (scored >= 0) & (scored <= 1) & ((decided == 0) | (decided == 1))
    bad = np.flatnonzero(~good)
    if bad.size:
        raise InvalidArgumentError(
            f"record {bad[0]}: output needs a score in [0, 1] and a decision 0 or 1"
        )
    return scored, decided.astype(np.int64)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _column(
    columns: Mapping[str, Sequence[Any] | np.ndarray[Any, Any]], name: str, size: int
) -> Sequence[Any]:
    if name not in columns:
        raise InvalidArgumentError(f"column {name!r} is missing")
    values = columns[name]
    if len(values) != size:
        raise InvalidArgumentError(f"column {name!r} has {len(values)} values for {size} records")
    return values.tolist() if isinstance(values, np.ndarray) else values


def _bincount(values: np.ndarray[Any, Any], size: int) -> Counts:
    return tuple(np.bincount(values, minlength=size).tolist())


def _add(a: Counts, b: Counts) -> Counts:
    if len(a) != len(b):
        raise InvalidArgumentError(f"cannot add counts of {len(a)} and {len(b)} bins")
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _add_each(a: Mapping[str, Counts], b: Mapping[str, Counts]) -> dict[str, Counts]:
    merged = dict(a)
    for key, counts in b.items():
        merged[key] = _add(merged[key], counts) if key in merged else counts
    return dict(sorted(merged.items()))


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _counts(value: object, size: int | None = None) -> Counts:
    if not isinstance(value, list | tuple) or (size is not None and len(value) != size):
        raise ValueError(f"{value!r} is not a list of {size or 'some'} counts")
    return tuple(_count(v) for v in value)


def _counts_by_name(value: object) -> dict[str, Counts]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{value!r} is not an object")
    return {str(k): _counts(v) for k, v in value.items()}
