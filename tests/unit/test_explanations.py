"""Explanations of single predictions on in-memory persistence."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.errors import InvalidArgumentError, NotAuthorizedError, NotFoundError
from tests.unit.fakes import NewOrganisation, Organisation, refused, topics

WEIGHTS = "sha256:" + "c" * 64


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    return new_organisation()


def lime(**changes: Any) -> dict[str, Any]:
    """The arguments of a LIME explanation by the monitor service, with ``changes``."""
    return {
        "actor": "mon",
        "prediction_ref": "batch-7/row-12",
        "method": "lime",
        "parameters": {"num_samples": 5000, "kernel_width": 0.75},
        "seed": 42,
        "weights_digest": WEIGHTS,
        "fidelity": 0.87,
    } | changes


def test_the_monitor_service_records_an_explanation_that_reads_back(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    explanation_id = org.app.record_explanation(version_id=version_id, **lime())

    explanation = org.app.get_explanation(explanation_id)
    assert explanation.model_version_id == version_id
    assert (explanation.prediction_ref, explanation.method, explanation.seed) == (
        "batch-7/row-12",
        "lime",
        42,
    )
    assert explanation.parameters == {"num_samples": 5000, "kernel_width": 0.75}
    assert (explanation.weights_digest, explanation.fidelity) == (WEIGHTS, 0.87)
    assert explanation.recorded_by == "mon"
    assert topics(org.app)[-1] == "Recorded"


def test_only_the_monitor_service_records_an_explanation(org: Organisation) -> None:
    version_id = org.train(org.register_model())

    with refused(org.app, NotAuthorizedError, "'olga' may not record_explanation"):
        org.app.record_explanation(version_id=version_id, **lime(actor="olga"))


def test_an_explanation_of_an_unknown_version_is_refused(org: Organisation) -> None:
    with refused(org.app, NotFoundError, "no model version with id"):
        org.app.record_explanation(version_id=uuid4(), **lime())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weights_digest": "md5:abc"}, "weights digest 'md5:abc' is not sha256:"),
        ({"fidelity": 1.5}, r"fidelity 1.5 is outside \[0, 1\]"),
        ({"fidelity": -0.1}, r"fidelity -0.1 is outside \[0, 1\]"),
        ({"fidelity": float("nan")}, "fidelity: nan is not finite"),
        ({"method": ""}, "names its prediction and its method"),
    ],
)
def test_a_malformed_explanation_is_refused_and_the_refusal_recorded(
    org: Organisation, changes: dict[str, Any], message: str
) -> None:
    version_id = org.train(org.register_model())
    with refused(org.app, InvalidArgumentError, message):
        org.app.record_explanation(version_id=version_id, **lime(**changes))
