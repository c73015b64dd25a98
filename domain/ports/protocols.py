"""What the domain needs from outside, as Protocols; adapters implement them, tests fake them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

__all__ = [
    "ArtifactInspector",
    "ArtifactStore",
    "Assessment",
    "Clock",
    "DriftDetector",
    "Explainer",
    "FairnessAssessor",
    "FeatureDrift",
    "Mitigation",
    "Mitigator",
    "ModelAssessor",
    "Notifier",
    "Scorer",
    "SignatureVerifier",
    "TrainedModel",
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


@dataclass(frozen=True, slots=True)
class TrainedModel:
    """What training gives the ledger to record.

    ``artifact``: the model file's bytes (stored by its digest); ``metrics``: finite holdout
    metrics by name; ``reference``: canonical JSON of the reference statistics monitoring
    compares windows with (stored by its digest); ``environment``: texts by name, the package
    versions and an ``environment_digest`` among them.
    """

    artifact: bytes
    metrics: Mapping[str, float]
    reference: bytes
    environment: Mapping[str, str]


class Trainer(Protocol):
    """Trains a model on dataset versions' contents (in the order referenced) by a training
    spec. ``check_spec`` raises ``InvalidArgumentError`` naming what to fix in a spec it will
    not train (estimator off the allow-list, unknown parameter, missing feature, ...), before
    any data is read; ``train`` is deterministic given the spec's seed (same predictions)."""

    def check_spec(self, spec: Mapping[str, object]) -> None: ...

    def train(self, data: Sequence[bytes], spec: Mapping[str, object]) -> TrainedModel: ...


@dataclass(frozen=True, slots=True)
class Mitigation:
    """A bias-mitigated model derived from another: its artifact, holdout ``metrics``, the
    fairness of the sensitive attribute ``before`` and ``after`` (metric name to value), and the
    ``parameters`` that reproduce it (method, constraint, random state, ...)."""

    artifact: bytes
    metrics: Mapping[str, float]
    before: Mapping[str, float]
    after: Mapping[str, float]
    parameters: Mapping[str, object]


class Mitigator(Protocol):
    """Derives a fairer model from a trained artifact on the data and spec it was trained with.
    ``method`` names the mitigator (``InvalidArgumentError`` for one it does not offer)."""

    def mitigate(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        sensitive_attribute: str,
        method: str,
        seed: int,
    ) -> Mitigation: ...


@dataclass(frozen=True, slots=True)
class Assessment:
    """A validation run's numbers, each finite, by name.

    ``quality``: ``auc_roc``, ``accuracy``, ``precision``, ``recall``, ``f1``, ``brier`` on the
    holdout. ``fairness``: per protected attribute, ``selection_rate.<group>``,
    ``accuracy.<group>``, ``disparate_impact`` (min/max selection rate),
    ``demographic_parity_difference`` and ``equalized_odds_difference``. ``explainability``:
    ``fidelity_mean``, ``fidelity_min`` and ``samples`` of LIME on a sample. ``report``:
    canonical JSON of the whole assessment, stored as the evidence it rests on.
    """

    quality: Mapping[str, float]
    fairness: Mapping[str, Mapping[str, float]]
    explainability: Mapping[str, float]
    report: bytes


class ModelAssessor(Protocol):
    """Validates an artifact on the holdout of the data and spec it was trained with."""

    def assess(
        self,
        artifact: bytes,
        data: Sequence[bytes],
        spec: Mapping[str, object],
        *,
        protected_attributes: Sequence[str],
        seed: int,
    ) -> Assessment: ...


class ArtifactInspector(Protocol):
    """Checks that a model file loads with only trusted types, executing nothing of it;
    raises ``ArtifactError`` naming the untrusted types otherwise."""

    def inspect(self, artifact: bytes) -> None: ...


class Notifier(Protocol):
    """Delivers a notice (a JSON object) to people outside the ledger, e.g. a webhook; returns
    once the notice is durably queued, delivery retried until it succeeds."""

    def notify(self, notice: Mapping[str, object]) -> None: ...


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

    # The same (artifact, row, seed) gives the same bytes of weights, bit for bit.


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
