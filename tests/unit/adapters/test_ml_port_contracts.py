"""The real explaining and validation adapters keep their ports' contracts (tests/contracts)."""

from __future__ import annotations

import pytest

from adapters.explaining.lime_explainer import LimeExplainer
from adapters.validation.assessor import HoldoutAssessor
from adapters.validation.fairness import CountingFairnessAssessor
from domain.ports.protocols import ModelAssessor
from tests.contracts.ml_ports import (
    ExplainerContract,
    FairnessAssessorContract,
    ModelAssessorContract,
    ModelInput,
)
from tests.unit.adapters.test_lime_explainer import credit, holdout_row


class TestLimeExplainer(ExplainerContract):
    @pytest.fixture
    def explainer(self) -> LimeExplainer:
        return LimeExplainer(num_samples=300)

    @pytest.fixture
    def explaining_input(self) -> tuple[bytes, dict[str, object]]:
        return credit().artifact, holdout_row(0)


class TestCountingFairnessAssessor(FairnessAssessorContract):
    @pytest.fixture
    def assessor(self) -> CountingFairnessAssessor:
        return CountingFairnessAssessor()


class TestHoldoutAssessor(ModelAssessorContract):
    @pytest.fixture
    def assessor(self) -> ModelAssessor:
        return HoldoutAssessor(LimeExplainer(num_samples=300), sample=3)

    @pytest.fixture
    def model_input(self) -> ModelInput:
        c = credit()
        return c.artifact, [c.data], c.spec

    @pytest.fixture
    def protected_attributes(self) -> list[str]:
        return ["sex", "age_band"]
