"""What the domain needs from outside, as Protocols; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = [
    "ArtifactStore",
    "Clock",
    "DriftDetector",
    "Explainer",
    "FairnessAssessor",
    "FeatureDrift",
    "Scorer",
    "SignatureVerifier",
    "Trainer",
]


class Clock(Protocol):
    """The current time (UTC)."""

    def now(self) -> datetime: ...


class SignatureVerifier(Protocol):
    """Checks a person's Ed25519 signature with their registered public key (PEM)."""

    def verify(self, public_key_pem: str, signature: bytes, message: bytes) -> bool: ...

    def keyid(self, public_key_pem: str) -> str: ...


class ArtifactStore(Protocol):
    """Content-addressed storage of large blobs; events carry only the digest.

    ``put`` returns ``sha256:<hex>`` of the content; ``get`` raises ``KeyError`` for a digest
    it holds nothing under. The domain checks both against the content, trusting neither.
    """

    def put(self, content: bytes) -> str: ...

    def get(self, digest: str) -> bytes: ...


class Trainer(Protocol):
    """Trains a model on dataset versions' contents (in the order referenced) by a training
    spec; returns the artifact and its holdout metrics."""

    def train(
        self, data: Sequence[bytes], spec: Mapping[str, object]
    ) -> tuple[bytes, Mapping[str, float]]: ...


class Scorer(Protocol):
    """Scores rows with a trained artifact."""

    def score(self, artifact: bytes, rows: Sequence[Mapping[str, object]]) -> list[float]: ...


class FairnessAssessor(Protocol):
    """Fairness metrics of predictions by group, ``disparate_impact`` (min/max positive rate)."""

    def assess(
        self, predictions: Sequence[float], groups: Sequence[str]
    ) -> Mapping[str, float]: ...


class Explainer(Protocol):
    """Explains one prediction: a mapping of ``method`` (str), ``parameters`` (mapping),
    ``weights`` (feature name to float) and ``fidelity`` (in [0, 1])."""

    def explain(
        self, artifact: bytes, row: Mapping[str, object], *, seed: int
    ) -> Mapping[str, object]: ...


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """How far one feature of a window moved from the reference: PSI and the KS test's p-value."""

    psi: float
    ks_p_value: float


class DriftDetector(Protocol):
    """Drift statistics (PSI, KS) of a window against a reference, per feature name."""

    def drift(
        self, reference: Sequence[Mapping[str, object]], window: Sequence[Mapping[str, object]]
    ) -> Mapping[str, FeatureDrift]: ...
