"""The UAT evidence the Prod gate can require: the served scoring path reproduces the offline
predictions (integration) and answers fast enough (performance).

Both are pure functions of the scoring paths they are given, so the serving layer checks its own
path and records the returned metrics (finite numbers by name) as signed evidence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from domain.errors import InvalidArgumentError, PortError

__all__ = ["integration_check", "performance_check"]

Row = Mapping[str, object]
Rows = Sequence[Row]
Scored = Any
"""What a scoring path answers for a batch: its scores (one float per row), or the pair
(scores, decisions) when decisions are to be compared too."""


def integration_check(
    offline: Callable[[Rows], Scored], served: Callable[[Rows], Scored], rows: Rows
) -> dict[str, float]:
    """How far ``served`` is from ``offline`` on ``rows`` (a holdout).

    ``rows``: rows scored; ``mismatches``: rows whose scores differ at all (no tolerance: the
    served path must reproduce the offline one) or whose decisions differ, when both paths
    answer decisions; ``max_abs_difference``: the largest score difference among finite
    pairs (a non-finite score is a mismatch). ``PortError`` if a path answers a different
    number of scores than rows.
    """
    if not rows:
        raise InvalidArgumentError("an integration check needs at least one row")
    offline_scores, offline_decisions = _answer(offline(rows), len(rows), "offline")
    served_scores, served_decisions = _answer(served(rows), len(rows), "served")
    differ = offline_scores != served_scores
    if offline_decisions is not None and served_decisions is not None:
        differ |= offline_decisions != served_decisions
    finite = np.isfinite(offline_scores) & np.isfinite(served_scores)
    gaps = np.abs(offline_scores[finite] - served_scores[finite])
    return {
        "rows": len(rows),
        "mismatches": int(np.count_nonzero(differ | ~finite)),
        "max_abs_difference": float(gaps.max()) if gaps.size else 0.0,
    }


def performance_check(
    score_one: Callable[[Row], object],
    rows: Rows,
    *,
    warmup: int = 50,
    repeat: int = 1,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[str, float]:
    """Latency and throughput of ``score_one`` called on one row at a time.

    Method: ``warmup`` untimed calls (cycling through ``rows``) fill caches; then every row is
    scored ``repeat`` times in order, each call timed alone with ``clock`` (nanoseconds,
    ``time.perf_counter_ns``).
    ``p50_ms``/``p99_ms`` are nearest-rank percentiles of those latencies (the smallest
    latency at least that share of calls did not exceed); ``throughput_per_s`` is the number
    of timed calls over the wall time from the first call's start to the last one's end, so
    it includes the loop's own overhead, as a caller would see it.
    """
    if not rows:
        raise InvalidArgumentError("a performance check needs at least one row")
    if warmup < 0 or repeat < 1:
        raise InvalidArgumentError(
            f"a performance check needs warmup >= 0 and repeat >= 1, not {warmup} and {repeat}"
        )
    for index in range(warmup):
        score_one(rows[index % len(rows)])
    latencies: list[int] = []
    started = clock()
    for _ in range(repeat):
        for row in rows:
            before = clock()
            score_one(row)
            latencies.append(clock() - before)
    elapsed = max(clock() - started, 1)
    latencies.sort()
    return {
        "requests": len(latencies),
        "p50_ms": _nearest_rank(latencies, 50) / 1e6,
        "p99_ms": _nearest_rank(latencies, 99) / 1e6,
        "throughput_per_s": len(latencies) / (elapsed / 1e9),
    }


def _nearest_rank(ordered: list[int], percent: int) -> int:
    return ordered[max(math.ceil(percent / 100 * len(ordered)), 1) - 1]


def _answer(
    answer: Scored, count: int, path: str
) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, Any] | None]:
    """(scores, decisions or None) of a path's answer, checked to have one per row."""
    scores, decisions = answer if isinstance(answer, tuple) else (answer, None)
    try:
        values = np.asarray(scores, dtype=np.float64).reshape(-1)
        decided = None if decisions is None else np.asarray(decisions).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise PortError(f"the {path} scoring path answered something other than scores") from exc
    sizes = {len(values), count} | ({len(decided)} if decided is not None else set())
    if len(sizes) != 1:
        raise PortError(
            f"the {path} scoring path answered {len(values)} scores"
            + (f" and {len(decided)} decisions" if decided is not None else "")
            + f" for {count} rows"
        )
    return values, decided
