"""The real adapters keep their ports' contracts (tests/contracts), the same the fakes pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.naive_bayes import GaussianNB

from adapters.artifacts.model_files import SkopsInspector, dump_model
from adapters.explaining.lime_explainer import LimeExplainer
from adapters.training.mitigation import FairlearnMitigator
from adapters.training.trainer import SklearnTrainer
from adapters.validation.assessor import HoldoutAssessor
from adapters.validation.fairness import CountingFairnessAssessor
from domain.ports.protocols import ModelAssessor
from tests.contracts.ml_ports import (
    ArtifactInspectorContract,
    ExplainerContract,
    FairnessAssessorContract,
    MitigatorContract,
    ModelAssessorContract,
    ModelInput,
    TrainerContract,
)
from tests.unit.adapters.test_lime_explainer import credit, holdout_row
from tests.unit.adapters.test_model_files import crafted, fitted


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


class TestSklearnTrainer(TrainerContract):
    @pytest.fixture
    def trainer(self) -> SklearnTrainer:
        return SklearnTrainer()

    @pytest.fixture
    def training_input(self) -> tuple[list[bytes], dict[str, object]]:
        c = credit()
        return [c.data], dict(c.spec)

    @pytest.fixture
    def refused_spec(self) -> dict[str, object]:
        spec = dict(credit().spec)
        spec["estimator"] = {"name": "os.system", "parameters": {}}
        return spec


class TestFairlearnMitigator(MitigatorContract):
    @pytest.fixture
    def mitigator(self) -> FairlearnMitigator:
        return FairlearnMitigator()

    @pytest.fixture
    def model_input(self) -> ModelInput:
        c = credit()
        return c.artifact, [c.data], c.spec

    @pytest.fixture
    def mitigation_choice(self) -> tuple[str, str]:
        return "age_band", "threshold_optimizer"


class TestSkopsInspector(ArtifactInspectorContract):
    @pytest.fixture
    def inspector(self) -> SkopsInspector:
        return SkopsInspector()

    @pytest.fixture
    def trusted_artifact(self) -> bytes:
        return credit().artifact

    @pytest.fixture
    def untrusted_artifact(self, tmp_path: Path) -> bytes:
        return crafted(tmp_path / "ran", "os", "system")


class TestSkopsInspectorOffTheAllowList(TestSkopsInspector):
    @pytest.fixture
    def untrusted_artifact(self) -> bytes:
        return dump_model(fitted("logistic_regression", estimator=GaussianNB()))
