"""UAT checks: the served path must reproduce the offline one exactly; latency and throughput."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from adapters.credit import german
from adapters.credit.generator import rows
from adapters.scoring.compiled import CompiledModel
from adapters.uat.checks import integration_check, performance_check
from domain.errors import InvalidArgumentError, PortError
from tests.unit.adapters.german_models import fitted_german_model

Rows = Sequence[Mapping[str, object]]
ROWS: list[dict[str, object]] = [{"x": float(i)} for i in range(20)]


def offline(batch: Rows) -> np.ndarray:
    return np.array([float(row["x"]) / 100 for row in batch])  # type: ignore[arg-type]


def test_an_identical_path_has_no_mismatch() -> None:
    assert integration_check(offline, offline, ROWS) == {
        "rows": 20,
        "mismatches": 0,
        "max_abs_difference": 0.0,
    }


def test_a_score_off_by_one_ulp_is_a_mismatch() -> None:
    def served(batch: Rows) -> np.ndarray:
        scores = offline(batch)
        scores[[3, 9]] = np.nextafter(scores[[3, 9]], 1.0)
        return scores

    result = integration_check(offline, served, ROWS)

    assert result["mismatches"] == 2
    assert 0 < result["max_abs_difference"] < 1e-15


def test_a_decision_that_differs_is_a_mismatch_though_the_scores_agree() -> None:
    def decided(threshold: float):  # type: ignore[no-untyped-def]
        return lambda batch: (offline(batch), (offline(batch) >= threshold).astype(int))

    result = integration_check(decided(0.10), decided(0.12), ROWS)

    assert result == {"rows": 20, "mismatches": 2, "max_abs_difference": 0.0}


def test_a_non_finite_served_score_is_a_mismatch_and_the_difference_stays_finite() -> None:
    def served(batch: Rows) -> np.ndarray:
        scores = offline(batch)
        scores[0] = np.nan
        scores[1] += 0.5
        return scores

    result = integration_check(offline, served, ROWS)

    assert result["mismatches"] == 2
    assert result["max_abs_difference"] == pytest.approx(0.5)


def test_a_path_answering_too_few_scores_is_a_port_error() -> None:
    with pytest.raises(PortError, match="served scoring path answered 19 scores for 20 rows"):
        integration_check(offline, lambda batch: offline(batch)[1:], ROWS)


def test_no_rows_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="at least one row"):
        integration_check(offline, offline, [])
    with pytest.raises(InvalidArgumentError, match="at least one row"):
        performance_check(lambda row: 0.0, [])


def test_the_compiled_path_reproduces_the_pipeline_on_a_german_holdout() -> None:
    applicants = rows(german.german_credit_csv())
    train, holdout = applicants[:700], applicants[700:]
    model = fitted_german_model("random_forest", {"n_estimators": 10}, seed=2, train=train)
    compiled = CompiledModel.compile(model)

    def served_one_by_one(batch: Rows) -> tuple[list[float], list[int]]:
        scores = [compiled.score_row(row) for row in batch]
        return scores, list(compiled.decide(batch, np.array(scores)))

    result = integration_check(
        lambda batch: (model.score(model.frame(batch)), model.decide(model.frame(batch))),
        served_one_by_one,
        holdout,
    )

    assert result == {"rows": 300, "mismatches": 0, "max_abs_difference": 0.0}


class SteppedClock:
    """A nanosecond clock that a scoring call advances by the latency given for its row."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        self.now += 1000  # the loop's own time between readings
        return self.now


def test_percentiles_are_nearest_rank_and_throughput_counts_the_wall_time() -> None:
    clock = SteppedClock()
    scored: list[object] = []

    def score_one(row: Mapping[str, object]) -> float:
        scored.append(row["x"])
        clock.now += int(row["x"]) * 1_000_000  # type: ignore[call-overload]
        return 0.0

    batch = [{"x": float(ms)} for ms in [1, 1, 2, 2, 3, 3, 4, 4, 5, 100]]
    result = performance_check(score_one, batch, warmup=3, repeat=2, clock=clock)

    assert scored == [1.0, 1.0, 2.0, *[row["x"] for row in batch] * 2]
    assert result["requests"] == 20
    assert result["p50_ms"] == 3.001  # the 10th of 20 latencies, each plus the clock's 1 us
    assert result["p99_ms"] == 100.001
    elapsed_s = (2 * 125 * 1_000_000 + 2 * 20 * 1000 + 1000) / 1e9
    assert result["throughput_per_s"] == pytest.approx(20 / elapsed_s)


def test_a_real_call_is_timed_with_the_real_clock() -> None:
    result = performance_check(lambda row: time.sleep(0.001), ROWS[:5], warmup=0)

    assert result["requests"] == 5
    assert result["p50_ms"] >= 1.0
    assert result["throughput_per_s"] <= 1000


def test_a_negative_warmup_or_no_repeat_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="warmup >= 0 and repeat >= 1"):
        performance_check(lambda row: 0.0, ROWS, warmup=-1)
    with pytest.raises(InvalidArgumentError, match="warmup >= 0 and repeat >= 1"):
        performance_check(lambda row: 0.0, ROWS, repeat=0)
