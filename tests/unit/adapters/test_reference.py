"""Reference statistics: bins, counts and their canonical JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adapters.monitoring.reference import ReferenceStatistics
from domain.errors import InvalidArgumentError


def training_frame(rows: int = 500, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(8, 0.7, rows).round(0),
            "duration": rng.integers(4, 60, rows).astype(float),
            "rate": rng.integers(1, 5, rows),
            "purpose": rng.choice(["car", "tv", "education"], rows),
            "sex": rng.choice(["female", "male"], rows),
            "risk": rng.choice(["good", "bad"], rows, p=[0.7, 0.3]),
        }
    )


def reference_of(frame: pd.DataFrame) -> ReferenceStatistics:
    return ReferenceStatistics.from_frame(
        frame,
        numeric=["amount", "duration", "rate"],
        categorical=["purpose"],
        protected=["sex"],
        target="risk",
        positive_label="good",
    )


def test_the_counts_per_bin_add_up_to_the_rows_and_match_the_bins_of_each_value() -> None:
    frame = training_frame()
    reference = reference_of(frame)

    for feature in ["amount", "duration", "rate"]:
        numeric = reference.numeric[feature]
        for grid in ("psi", "ks"):
            bins = [reference.bin_of(feature, v, grid) for v in frame[feature]]
            expected = np.bincount(bins, minlength=len(numeric.edges(grid)) + 1)
            assert list(numeric.counts(grid)) == list(expected)
            assert sum(numeric.counts(grid)) == len(frame)
    assert sum(reference.categorical["purpose"].counts) == len(frame)
    assert reference.categorical["purpose"].categories == ("car", "education", "tv")
    assert reference.rows == len(frame)
    assert reference.positive_rate == pytest.approx((frame["risk"] == "good").mean())


def test_psi_edges_are_deciles_and_ks_edges_finer_both_deduplicated() -> None:
    reference = reference_of(training_frame())

    amount, rate = reference.numeric["amount"], reference.numeric["rate"]
    assert len(amount.psi_edges) == 9
    assert 50 <= len(amount.ks_edges) <= 99
    assert rate.psi_edges == (1.0, 2.0, 3.0, 4.0)
    assert all(np.diff(amount.ks_edges) > 0)
    assert max(amount.psi_counts) <= 0.1 * 500 + 5


def test_a_value_on_an_edge_falls_in_the_bin_below_it() -> None:
    reference = reference_of(training_frame())
    edge = reference.numeric["rate"].psi_edges[1]

    assert reference.bin_of("rate", edge) == 1
    assert reference.bin_of("rate", edge + 0.5) == 2


def test_unseen_categories_fall_in_the_other_bin() -> None:
    reference = reference_of(training_frame())

    assert reference.bin_of("purpose", "yacht") == 3
    assert reference.bin_of("purpose", "car") == 0
    assert list(reference.bins_of("sex", np.array(["male", "x", "female"]))) == [1, 2, 0]


def test_the_vectorised_bins_equal_the_single_value_bins() -> None:
    frame = training_frame()
    reference = reference_of(frame)
    values = np.random.default_rng(9).normal(3000, 3000, 1000)

    for grid in ("psi", "ks"):
        one_by_one = [reference.bin_of("amount", v, grid) for v in values]
        assert list(reference.bins_of("amount", values, grid)) == one_by_one
    texts = np.array(["tv", "car", "boat", "education", "zzz"])
    assert list(reference.bins_of("purpose", texts)) == [
        reference.bin_of("purpose", t) for t in texts
    ]


def test_the_json_is_canonical_and_reads_back_equal() -> None:
    reference = reference_of(training_frame())

    data = reference.to_json()

    assert ReferenceStatistics.from_json(data) == reference
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d.pop("rows"), "rows"),
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d["numeric"]["amount"].update(psi_counts=[1, 2]), "psi_counts"),
        (lambda d: d["numeric"]["rate"].update(ks_edges=[3, 2]), "ks_edges"),
        (lambda d: d["categorical"]["purpose"].update(categories=["tv", "car", "x"]), "purpose"),
        (lambda d: d.update(positive_rate="high"), "positive_rate"),
    ],
)
def test_malformed_json_is_refused_naming_the_field(change: object, named: str) -> None:
    document = json.loads(reference_of(training_frame()).to_json())
    change(document)  # type: ignore[operator]

    with pytest.raises(InvalidArgumentError, match=named):
        ReferenceStatistics.from_json(json.dumps(document).encode())


def test_missing_columns_and_non_numeric_values_are_refused_by_name() -> None:
    frame = training_frame()

    with pytest.raises(InvalidArgumentError, match="sex"):
        reference_of(frame.drop(columns=["sex"]))
    frame["amount"] = frame["amount"].astype(object)
    frame.loc[4, "amount"] = "lots"
    with pytest.raises(InvalidArgumentError, match="amount"):
        reference_of(frame)
