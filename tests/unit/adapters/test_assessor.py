"""The holdout assessor: quality, fairness and LIME explainability of a model file."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest

from adapters.artifacts.model_files import dump_model
from adapters.explaining.lime_explainer import LimeExplainer
from adapters.models.governed import GovernedModel
from adapters.validation.assessor import HoldoutAssessor
from adapters.validation.fairness import fairness_metrics
from adapters.validation.quality import quality_metrics
from domain.errors import ArtifactError, InvalidArgumentError
from domain.ports.protocols import Assessment
from ledger.encoding.canonical import canonical_json
from ledger.encoding.digests import sha256_digest
from tests.unit.adapters.test_lime_explainer import credit

PROTECTED = ["sex", "age_band", "foreign_worker"]


def assessor() -> HoldoutAssessor:
    return HoldoutAssessor(LimeExplainer(num_samples=300), sample=4)


@functools.cache
def assessed(seed: int = 3) -> Assessment:
    c = credit()
    return assessor().assess(
        c.artifact, [c.data], c.spec, protected_attributes=PROTECTED, seed=seed
    )


def report(seed: int = 3) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(assessed(seed).report)
    return loaded


def test_quality_is_measured_on_the_trainers_holdout() -> None:
    model, holdout = credit().model, credit().holdout
    frame = model.typed(holdout)
    scores = model.score(frame)

    expected = quality_metrics(model.labels(holdout), scores, model.decide(frame, scores))

    assert assessed().quality == expected
    assert report()["holdout_rows"] == len(holdout) == 300


@pytest.mark.parametrize("attribute", PROTECTED)
def test_fairness_per_protected_attribute_is_that_of_the_holdout_decisions(attribute: str) -> None:
    model, holdout = credit().model, credit().holdout

    expected = fairness_metrics(
        model.labels(holdout), model.decide(model.typed(holdout)), holdout[attribute]
    )

    assert assessed().fairness[attribute] == expected
    counts = report()["fairness"][attribute]["counts"]
    assert sum(group["n"] for group in counts.values()) == len(holdout)


def test_explainability_is_lime_on_the_sampled_holdout_rows() -> None:
    explained = report()["explainability"]
    model = credit().model
    frame = model.typed(credit().holdout)
    lime = LimeExplainer(num_samples=300)

    expected = [
        lime.explain_model(model, frame.iloc[row["holdout_row"]].to_dict(), seed=3)
        for row in explained["rows"]
    ]

    assert len(explained["rows"]) == 4
    assert [row["fidelity"] for row in explained["rows"]] == [e["fidelity"] for e in expected]
    assert [row["weights"] for row in explained["rows"]] == [e["weights"] for e in expected]
    fidelities = [float(e["fidelity"]) for e in expected]  # type: ignore[arg-type]
    assert assessed().explainability == {
        "fidelity_mean": pytest.approx(sum(fidelities) / 4),
        "fidelity_min": min(fidelities),
        "samples": 4.0,
    }
    assert explained["parameters"]["num_samples"] == 300


def test_the_report_is_canonical_json_naming_the_spec_and_seed() -> None:
    raw = assessed().report

    assert canonical_json(json.loads(raw)) == raw
    assert report()["spec_digest"] == sha256_digest(canonical_json(credit().spec))
    assert report()["seed"] == 3
    assert report()["quality"] == assessed().quality


def test_another_seed_samples_other_rows_to_explain() -> None:
    rows = [[r["holdout_row"] for r in report(s)["explainability"]["rows"]] for s in (3, 4)]

    assert rows[0] != rows[1]
    assert assessed(4).quality == assessed(3).quality


def test_data_in_several_items_is_assessed_as_one() -> None:
    c = credit()
    lines = c.data.splitlines(keepends=True)
    first, second = b"".join(lines[:400]), lines[0] + b"".join(lines[400:])

    split = assessor().assess(
        c.artifact, [first, second], c.spec, protected_attributes=PROTECTED, seed=3
    )

    assert split.report == assessed().report


def with_thresholds(thresholds: dict[str, float]) -> GovernedModel:
    """The credit model deciding by a threshold per sex."""
    model = credit().model
    return GovernedModel(
        pipeline=model.pipeline,
        numeric=model.numeric,
        categorical=model.categorical,
        target=model.target,
        positive_label=model.positive_label,
        group_attribute="sex",
        group_thresholds=thresholds,
        stats=model.stats,
    )


def test_a_model_with_thresholds_per_group_is_judged_by_its_own_decisions() -> None:
    c = credit()
    biased = with_thresholds({"female": 0.0, "male": 1.01})

    fairness = (
        assessor()
        .assess(dump_model(biased), [c.data], c.spec, protected_attributes=["sex"], seed=1)
        .fairness["sex"]
    )

    assert fairness["selection_rate.female"] == 1.0
    assert fairness["selection_rate.male"] == 0.0
    assert fairness["disparate_impact"] == 0.0


def test_a_model_without_a_threshold_for_a_holdout_group_is_refused_naming_it() -> None:
    c = credit()
    artifact = dump_model(with_thresholds({"female": 0.5}))

    with pytest.raises(InvalidArgumentError, match=r"cannot decide.*\['male'\]"):
        assessor().assess(artifact, [c.data], c.spec, protected_attributes=["sex"], seed=1)


def test_a_protected_attribute_that_is_not_a_column_is_refused_naming_it() -> None:
    c = credit()

    with pytest.raises(InvalidArgumentError, match=r"protected attribute \['religion'\]"):
        assessor().assess(c.artifact, [c.data], c.spec, protected_attributes=["religion"], seed=1)


def test_a_spec_the_trainer_would_refuse_is_refused() -> None:
    c = credit()
    spec = {**c.spec, "split": {"test_size": 2}}

    with pytest.raises(InvalidArgumentError, match="/split/test_size"):
        assessor().assess(c.artifact, [c.data], spec, protected_attributes=["sex"], seed=1)


def test_data_items_with_different_headers_are_refused() -> None:
    c = credit()
    other = c.data.replace(b"personal_status", b"marital_status", 1)

    with pytest.raises(InvalidArgumentError, match="header"):
        assessor().assess(c.artifact, [c.data, other], c.spec, protected_attributes=["sex"], seed=1)


def test_bytes_that_are_not_a_model_file_are_refused() -> None:
    c = credit()

    with pytest.raises(ArtifactError):
        assessor().assess(b"PK junk", [c.data], c.spec, protected_attributes=["sex"], seed=1)


@pytest.mark.parametrize("seed", [-1, 2**32, True])
def test_a_seed_out_of_range_is_refused(seed: Any) -> None:
    c = credit()

    with pytest.raises(InvalidArgumentError, match="seed"):
        assessor().assess(c.artifact, [c.data], c.spec, protected_attributes=["sex"], seed=seed)


def test_a_sample_of_no_rows_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="sample"):
        HoldoutAssessor(sample=0)
