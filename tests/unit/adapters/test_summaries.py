"""Per-segment prediction summaries: counts per reference bin that merge into a window's."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from adapters.monitoring.reference import ReferenceStatistics
from adapters.monitoring.summaries import (
    SCORE_BINS,
    PredictionSummary,
    column_summariser,
    summarise_predictions,
)
from domain.errors import InvalidArgumentError
from ledger.encoding.canonical import canonical_json

NUMERIC = ["amount", "duration"]
CATEGORICAL = ["purpose"]
PROTECTED = ["sex", "age_band"]


def frame(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(8 + shift, 0.7, rows).round(0),
            "duration": rng.integers(4, 60, rows),
            "purpose": rng.choice(["car", "tv", "education", "boat"][: 3 + (shift > 0)], rows),
            "sex": rng.choice(["female", "male"], rows),
            "age_band": rng.choice(["<25", "25-60", ">60"], rows),
            "risk": rng.choice(["good", "bad"], rows),
        }
    )


def reference() -> ReferenceStatistics:
    return ReferenceStatistics.from_frame(
        frame(400, 1),
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        protected=PROTECTED,
        target="risk",
        positive_label="good",
    )


def records(rows: int, seed: int, shift: float = 0.0) -> list[dict[str, object]]:
    data = frame(rows, seed, shift).drop(columns=["risk"])
    scores = np.random.default_rng(seed + 1).random(rows)
    return [
        {
            "id": f"p{i}",
            "kind": "prediction",
            "model_version": "1",
            "artifact_digest": "sha256:" + "0" * 64,
            "environment": "prod",
            "time": f"2026-11-30T10:{i % 60:02d}:{i % 7:02d}Z",
            "inputs": {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()},
            "output": {"score": float(s), "decision": int(s >= 0.5)},
        }
        for i, (row, s) in enumerate(zip(data.to_dict("records"), scores, strict=True))
    ]


def counted_one_by_one(
    ref: ReferenceStatistics, rows: list[dict[str, object]]
) -> dict[str, object]:
    """The summary counted record by record with ``bin_of``: what the vectorised path must equal."""
    psi = {f: [0] * (len(ref.numeric[f].psi_edges) + 1) for f in NUMERIC}
    ks = {f: [0] * (len(ref.numeric[f].ks_edges) + 1) for f in NUMERIC}
    categories = {f: [0] * len(ref.categorical[f].counts) for f in CATEGORICAL}
    groups: dict[str, dict[str, list[int]]] = {a: {} for a in PROTECTED}
    scores = [0] * SCORE_BINS
    for record in rows:
        inputs, output = record["inputs"], record["output"]
        assert isinstance(inputs, dict)
        assert isinstance(output, dict)
        for f in NUMERIC:
            psi[f][ref.bin_of(f, inputs[f], "psi")] += 1
            ks[f][ref.bin_of(f, inputs[f], "ks")] += 1
        for f in CATEGORICAL:
            categories[f][ref.bin_of(f, inputs[f])] += 1
        for a in PROTECTED:
            groups[a].setdefault(inputs[a], [0, 0])[output["decision"]] += 1
        scores[min(int(output["score"] * SCORE_BINS), SCORE_BINS - 1)] += 1
    return {
        "psi": psi,
        "ks": ks,
        "categories": categories,
        "groups": {a: dict(sorted(g.items())) for a, g in groups.items()},
        "scores": scores,
    }


def test_the_summary_counts_every_record_in_its_reference_bin() -> None:
    ref, rows = reference(), records(700, 5, shift=0.5)

    summary = summarise_predictions(ref)(rows)

    expected = counted_one_by_one(ref, rows)
    for field in ("psi", "ks", "categories", "groups", "scores"):
        assert summary[field] == expected[field], field
    assert summary["count"] == 700
    assert summary["categories"]["purpose"][-1] > 0  # "boat" is in the other bin
    approved = sum(r["output"]["decision"] for r in rows)  # type: ignore[index]
    assert summary["decisions"] == [700 - approved, approved]
    assert summary["score_sum"] == pytest.approx(sum(r["output"]["score"] for r in rows))  # type: ignore[index]
    assert summary["first"] == "2026-11-30T10:00:00Z"
    assert summary["last"] == max(str(r["time"]) for r in rows)


def test_merged_segment_summaries_equal_the_summary_of_all_records() -> None:
    ref, rows = reference(), records(900, 6)
    summarise = summarise_predictions(ref)

    merged = PredictionSummary.from_dict(summarise([]))
    for start in range(0, 900, 250):
        merged = merged.merge(PredictionSummary.from_dict(summarise(rows[start : start + 250])))

    whole = PredictionSummary.from_dict(summarise(rows)).to_dict()
    merged_dict = merged.to_dict()
    assert merged_dict.pop("score_sum") == pytest.approx(whole.pop("score_sum"))
    assert merged_dict == whole
    assert merged.count == 900


def test_a_summary_is_canonical_json_ready_and_reads_back_equal() -> None:
    summary = summarise_predictions(reference())(records(50, 7))

    text = canonical_json(summary)

    assert PredictionSummary.from_dict(json.loads(text)).to_dict() == summary


def test_columns_summarise_the_same_as_records() -> None:
    ref, rows = reference(), records(300, 8)
    columns = {
        name: np.array([r["inputs"][name] for r in rows])  # type: ignore[index]
        for name in [*NUMERIC, *CATEGORICAL, *PROTECTED]
    }

    summary = column_summariser(ref)(
        columns,
        scores=np.array([r["output"]["score"] for r in rows]),  # type: ignore[index]
        decisions=np.array([r["output"]["decision"] for r in rows]),  # type: ignore[index]
        times=[str(r["time"]) for r in rows],
    )

    assert summary == summarise_predictions(ref)(rows)


def test_summaries_of_different_references_do_not_merge() -> None:
    ref = reference()
    other = ReferenceStatistics.from_frame(
        frame(400, 2),
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        protected=PROTECTED,
        target="risk",
        positive_label="good",
    )
    first = PredictionSummary.from_dict(summarise_predictions(ref)(records(10, 1)))
    second = PredictionSummary.from_dict(summarise_predictions(other)(records(10, 1)))

    with pytest.raises(InvalidArgumentError, match="different references"):
        first.merge(second)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: r["inputs"].pop("duration"), r"record 3: column 'duration' is missing"),
        (lambda r: r["inputs"].update(amount=None), r"record 3: column 'amount' is not a finite"),
        (lambda r: r["inputs"].update(amount="lots"), r"record 3: column 'amount' is not a finite"),
        (lambda r: r["output"].update(decision=2), r"record 3: output needs .* decision 0 or 1"),
        (lambda r: r["output"].update(score=1.5), r"record 3: output needs a score in \[0, 1\]"),
    ],
)
def test_a_value_that_cannot_be_counted_is_refused_naming_record_and_column(
    spoil: object, message: str
) -> None:
    rows = records(6, 9)
    spoil(rows[3])  # type: ignore[operator]

    with pytest.raises(InvalidArgumentError, match=message):
        summarise_predictions(reference())(rows)


def test_a_malformed_summary_is_refused() -> None:
    summary = summarise_predictions(reference())(records(5, 3))
    summary["scores"] = [1, 2]

    with pytest.raises(InvalidArgumentError, match="prediction summary is malformed"):
        PredictionSummary.from_dict(summary)


def test_a_reference_of_a_single_feature_summarises_its_records() -> None:
    ref = ReferenceStatistics.from_frame(
        pd.DataFrame({"x": np.arange(50.0), "risk": ["good"] * 50}),
        numeric=["x"],
        categorical=[],
        protected=[],
        target="risk",
        positive_label="good",
    )
    rows = [
        {"time": "t", "inputs": {"x": x}, "output": {"score": 0.5, "decision": 1}}
        for x in (3.0, 60.0, -1.0)
    ]

    summary = summarise_predictions(ref)(rows)

    assert summary["psi"]["x"] == [
        sum(ref.bin_of("x", x) == b for x in (3.0, 60.0, -1.0)) for b in range(10)
    ]
