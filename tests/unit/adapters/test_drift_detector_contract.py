"""``SummaryDriftDetector`` keeps the ``DriftDetector`` contract, and finds what moved."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from adapters.monitoring.drift import psi
from adapters.monitoring.drift_detector import SummaryDriftDetector
from domain.errors import InvalidArgumentError
from domain.ports.protocols import DriftDetector
from tests.contracts.ml_ports import DriftDetectorContract, Rows


def rows(count: int, seed: int, shift: float = 0.0) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    amounts = rng.lognormal(8 + shift, 0.6, count).round(0)
    purposes = rng.choice(
        ["car", "tv", "education"], count, p=[0.5 - shift / 4, 0.3, 0.2 + shift / 4]
    )
    ages = rng.integers(19, 75, count)
    return [
        {"amount": float(a), "purpose": str(p), "age": int(g)}
        for a, p, g in zip(amounts, purposes, ages, strict=True)
    ]


class TestSummaryDriftDetector(DriftDetectorContract):
    @pytest.fixture
    def detector(self) -> DriftDetector:
        return SummaryDriftDetector()

    @pytest.fixture
    def drift_input(self) -> tuple[Rows, Rows]:
        return rows(300, 1), rows(500, 2, shift=0.4)


def test_a_shifted_feature_drifts_and_a_stable_one_does_not() -> None:
    reference, window = rows(800, 3), rows(2000, 4, shift=0.6)

    drifts = SummaryDriftDetector().drift(reference, window)

    assert drifts["amount"].psi > 0.2
    assert drifts["amount"].ks_p_value < 1e-6
    assert drifts["purpose"].ks_p_value < 1e-6
    assert drifts["age"].psi < 0.05
    assert drifts["age"].ks_p_value > 0.001


def test_a_categorical_p_value_is_the_chi_squared_tests() -> None:
    reference, window = rows(400, 5), rows(600, 6, shift=0.2)

    drift = SummaryDriftDetector().drift(reference, window)["purpose"]

    categories = ["car", "education", "tv"]
    ref = [sum(r["purpose"] == c for r in reference) for c in categories]
    win = [sum(r["purpose"] == c for r in window) for c in categories]
    expected = stats.chi2_contingency(np.array([ref, win]), correction=False)
    assert drift.ks_p_value == pytest.approx(expected.pvalue)
    assert drift.psi == pytest.approx(psi([*ref, 0], [*win, 0], 1e-4))


def test_a_window_row_without_a_feature_is_refused_by_row_and_column() -> None:
    window = rows(10, 7)
    del window[4]["age"]

    with pytest.raises(InvalidArgumentError, match=r"window row 4: column 'age' is missing"):
        SummaryDriftDetector().drift(rows(10, 8), window)
