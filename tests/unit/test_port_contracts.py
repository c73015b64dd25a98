"""Every fake of tests/unit/fakes.py, and every adapter needing no I/O, keeps its port's contract.

Build 8: the domain suite trusts the fakes to behave as the real adapters will; these run the
same contract (tests/contracts) against both.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.ed25519_signatures import Ed25519SignatureVerifier
from domain.commands.service import UTCClock
from domain.ports.protocols import FeatureDrift
from tests.contracts.ml_ports import (
    ArtifactInspectorContract,
    DriftDetectorContract,
    ExplainerContract,
    FairnessAssessorContract,
    MitigatorContract,
    ModelAssessorContract,
    ModelInput,
    Rows,
    ScorerContract,
    TrainerContract,
)
from tests.contracts.ports import (
    ArtifactStoreContract,
    ClockContract,
    KeyPair,
    SignatureVerifierContract,
)
from tests.unit.fakes import (
    FakeArtifactInspector,
    FakeArtifactStore,
    FakeClock,
    FakeDriftDetector,
    FakeExplainer,
    FakeFairnessAssessor,
    FakeMitigator,
    FakeModelAssessor,
    FakeScorer,
    FakeTrainer,
    HmacSignatureVerifier,
    fake_key,
    sign,
)

ROWS = [{"age": 30, "amount": 1200}, {"age": 62, "amount": 300}]


class TestFakeClock(ClockContract):
    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()


class TestUTCClock(ClockContract):
    @pytest.fixture
    def clock(self) -> UTCClock:
        return UTCClock()


class TestHmacSignatureVerifier(SignatureVerifierContract):
    @pytest.fixture
    def verifier(self) -> HmacSignatureVerifier:
        return HmacSignatureVerifier()

    @pytest.fixture
    def new_key_pair(self) -> Callable[[], KeyPair]:
        serials = count(1)

        def make() -> KeyPair:
            key = fake_key("someone", next(serials))
            return KeyPair(key, lambda message: sign(key, message))

        return make


class TestEd25519SignatureVerifier(SignatureVerifierContract):
    @pytest.fixture
    def verifier(self) -> Ed25519SignatureVerifier:
        return Ed25519SignatureVerifier()

    @pytest.fixture
    def new_key_pair(self) -> Callable[[], KeyPair]:
        def make() -> KeyPair:
            private_key = Ed25519PrivateKey.generate()
            pem = private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return KeyPair(pem.decode("ascii"), private_key.sign)

        return make


class TestFakeArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def store(self) -> FakeArtifactStore:
        return FakeArtifactStore()


class TestFakeTrainer(TrainerContract):
    @pytest.fixture
    def trainer(self) -> FakeTrainer:
        return FakeTrainer()

    @pytest.fixture
    def training_input(self) -> tuple[list[bytes], dict[str, object]]:
        return [b"age,amount\n30,1200\n", b"age,amount\n62,300\n"], {"C": 1.0, "seed": 7}

    @pytest.fixture
    def refused_spec(self) -> dict[str, object]:
        return {"algorithm": "os.system", "seed": 7}


class TestFakeScorer(ScorerContract):
    @pytest.fixture
    def scorer(self) -> FakeScorer:
        return FakeScorer()

    @pytest.fixture
    def scoring_input(self) -> tuple[bytes, list[dict[str, object]]]:
        return b"model:weights", [dict(row) for row in ROWS]


class TestFakeExplainer(ExplainerContract):
    @pytest.fixture
    def explainer(self) -> FakeExplainer:
        return FakeExplainer()

    @pytest.fixture
    def explaining_input(self) -> tuple[bytes, dict[str, object]]:
        return b"model:weights", dict(ROWS[0])


class TestFakeFairnessAssessor(FairnessAssessorContract):
    @pytest.fixture
    def assessor(self) -> FakeFairnessAssessor:
        return FakeFairnessAssessor({"disparate_impact": 0.7})


class TestFakeDriftDetector(DriftDetectorContract):
    @pytest.fixture
    def detector(self) -> FakeDriftDetector:
        return FakeDriftDetector({"age": FeatureDrift(psi=0.4, ks_p_value=0.01)})

    @pytest.fixture
    def drift_input(self) -> tuple[Rows, Rows]:
        return ROWS[:1], ROWS[1:]


MODEL_INPUT: ModelInput = (b"model:weights", [b"age,sex,label\n30,f,1\n62,m,0\n"], {"seed": 7})


class TestFakeModelAssessor(ModelAssessorContract):
    @pytest.fixture
    def assessor(self) -> FakeModelAssessor:
        return FakeModelAssessor(
            fairness={"sex": {"disparate_impact": 0.7, "equalized_odds_difference": 0.3}}
        )

    @pytest.fixture
    def model_input(self) -> ModelInput:
        return MODEL_INPUT

    @pytest.fixture
    def protected_attributes(self) -> list[str]:
        return ["sex", "age"]


class TestFakeMitigator(MitigatorContract):
    @pytest.fixture
    def mitigator(self) -> FakeMitigator:
        return FakeMitigator()

    @pytest.fixture
    def model_input(self) -> ModelInput:
        return MODEL_INPUT

    @pytest.fixture
    def mitigation_choice(self) -> tuple[str, str]:
        return "sex", "threshold_optimizer"


class TestFakeArtifactInspector(ArtifactInspectorContract):
    @pytest.fixture
    def inspector(self) -> FakeArtifactInspector:
        return FakeArtifactInspector()

    @pytest.fixture
    def trusted_artifact(self) -> bytes:
        return b"model:weights"

    @pytest.fixture
    def untrusted_artifact(self) -> bytes:
        return b"model:untrusted"
