"""The demo job: the governed life of the ``credit-risk`` model on the German credit data.

A distinct principal in each role registers the data, trains, validates (a fairness gap shows up
as a finding), mitigates into a derived version and validates it; a self-approval and a Prod
deployment before approval are refused (and the refusals recorded); two approvers sign; the
version goes dev -> uat -> prod with UAT evidence; a few thousand applications are scored and
some explained; a shifted window flags drift and raises a finding; the model is retrained,
validated, approved and deployed again. Every step is a signed event; ``govledger demo`` then
cuts a checkpoint and verifies everything. A second run on the same home adds new versions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from adapters.artifacts.file_store import FileArtifactStore
from adapters.credit import german
from adapters.credit.generator import APPLICANT_SHIFT, derived_sample, rows
from adapters.training.environment import code_version
from api import lifecycle
from api.cast import Cast, Signers, enrol_cast
from api.serving import ScoringService
from domain.application import GovernanceApplication
from domain.errors import DomainError
from domain.rules.policy import default_policy_document

__all__ = ["DemoReport", "ServingLimits", "demo_policy", "run_demo"]

T = TypeVar("T")

MITIGATED_ATTRIBUTE = "age_band"
SCORED_APPLICATIONS = 3000
SHIFTED_APPLICATIONS = 2000
EXPLAINED = 3


@dataclass(frozen=True)
class ServingLimits:
    """How the demo's scoring services cap batches (from the settings; sealing is policy's)."""

    max_rows: int = 10_000


@dataclass
class DemoReport:
    """What the demo did, for the closing report."""

    lines: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    deployed: UUID | None = None

    def say(self, line: str) -> None:
        """Print a step's outcome and keep it for the report."""
        self.lines.append(line)
        print(line, flush=True)


def demo_policy() -> dict[str, Any]:
    """The demo's policy: the defaults, plus UAT evidence required for Prod, retraining on a
    monitoring breach, and an explanation-fidelity floor suited to LIME on a linear model."""
    document = default_policy_document()
    document["version"] = "demo-1"
    document["gates"]["prod"]["requires_uat_evidence"] = True
    document["monitoring"]["retrain_on_breach"] = True
    # LIME's local surrogates of this credit model explain about 40% of the variance around each
    # applicant (R^2); the bank accepts that for a linear model and asks for more only below 0.3.
    document["validation"] = {"fidelity_min": 0.3}
    document["prediction_log"] = {"segment_max_records": 1000, "segment_max_seconds": 600}
    return document


def run_demo(
    application: GovernanceApplication,
    *,
    admin: str,
    store: FileArtifactStore,
    home: Path,
    serving: ServingLimits | None = None,
) -> DemoReport:
    """Run the lifecycle once on ``application`` (which has the real ML ports)."""
    demo = _Demo(application, store=store, home=home, serving=serving or ServingLimits())
    demo.prepare(admin)
    released = demo.first_release()
    demo.operate(released)
    demo.retrain(released)
    return demo.report


class _Demo:
    """The demo's shared context and its phases."""

    def __init__(
        self,
        application: GovernanceApplication,
        *,
        store: FileArtifactStore,
        home: Path,
        serving: ServingLimits,
    ) -> None:
        self.app = application
        self.store = store
        self.home = home
        self.serving = serving
        self.cast = Cast()
        self.report = DemoReport()
        self.spec = lifecycle.credit_training_spec()
        self.holdout = _features(rows(derived_sample(300, seed=5)))
        self.signers: Signers
        self.data: lifecycle.DatasetRef
        self.model_id: UUID
        self.shifted_sample = b""

    def prepare(self, admin: str) -> None:
        """The people, the policy, the data and the model in the inventory."""
        app, cast, say = self.app, self.cast, self.report.say
        self.signers = enrol_cast(app, admin=admin, cast=cast, keys=self.home / "people")
        if app.current_policy().version != "demo-1":
            app.set_policy(actor=admin, document=demo_policy())
        say(f"people: {len(cast.roles())} principals, one per role; policy demo-1 in force")
        self.data = lifecycle.register_credit_data(
            app, cast, self.store, german.german_credit_csv()
        )
        self.model_id = lifecycle.register_credit_model(app, cast)
        say(f"data: german-credit version {self.data.number} ({self.data.digest[:19]}...)")

    def first_release(self) -> UUID:
        """Train, validate, mitigate, validate, and release through the gates; the version."""
        app, cast, say = self.app, self.cast, self.report.say
        original = lifecycle.train(app, cast, self.model_id, [self.data], self.spec)
        trained = app.get_model_version(original)
        say(
            f"trained version {trained.number}: holdout AUC {trained.metrics['auc_roc']:.3f}, "
            f"artifact {trained.artifact_digest[:19]}..."
        )
        first = lifecycle.validate(app, cast, self.signers, original)
        say(
            f"validation of version {trained.number}: {first.outcome}; "
            f"{len(first.finding_ids)} finding(s): " + ("; ".join(first.breaches) or "none")
        )
        candidate = self.mitigated(original, first.breaches)
        second = lifecycle.validate(app, cast, self.signers, candidate)
        say(f"validation of the mitigated version: {second.outcome}")
        self.refused(
            "self-approval by the developer",
            lambda: lifecycle.approve(app, self.signers, candidate, [cast.developer]),
        )
        self.release(candidate, show_refused_prod=True)
        return candidate

    def release(self, version_id: UUID, *, show_refused_prod: bool = False) -> None:
        """dev -> uat with UAT evidence -> two signed approvals -> prod (alone there)."""
        app, cast = self.app, self.cast
        for environment in ("dev", "uat"):
            lifecycle.deploy(app, cast, version_id, environment)
        integration, performance = lifecycle.record_uat_evidence(
            app, cast, self.store, self.service(version_id, "uat"), self.holdout
        )
        self.report.say(
            f"UAT evidence: integration {_passed(integration)}, performance {_passed(performance)}"
        )
        if show_refused_prod:
            self.refused(
                "prod deployment before approval",
                lambda: lifecycle.deploy(app, cast, version_id, "prod"),
            )
        lifecycle.approve(app, self.signers, version_id, cast.approvers)
        for other in app.get_model(self.model_id).version_ids:
            if other != version_id and "prod" in app.get_model_version(other).environments:
                app.roll_back(actor=cast.deployer, version_id=other, environment="prod")
        lifecycle.deploy(app, cast, version_id, "prod")
        number = app.get_model_version(version_id).number
        self.report.say(
            f"version {number} approved by {', '.join(cast.approvers)} (signed), "
            "deployed dev -> uat -> prod"
        )
        self.report.deployed = version_id

    def operate(self, version_id: UUID) -> None:
        """Score, explain, and monitor a steady window and then a shifted one."""
        app, cast, say = self.app, self.cast, self.report.say
        prod = self.service(version_id, "prod")
        start = _now()
        ids = _score_and_label(prod, derived_sample(SCORED_APPLICATIONS, seed=21), "scoring")
        explained = lifecycle.explain_predictions(app, cast, prod, ids[:EXPLAINED])
        say(f"scored {len(ids):,} applications; explained {len(explained)} with LIME")
        steady = lifecycle.evaluate_window(app, cast, self.store, prod, start=start, end=_now())
        say(f"monitoring window 1: {_window_text(steady)}")
        seen = _sealed(app, prod)
        start = _now()
        self.shifted_sample = derived_sample(SHIFTED_APPLICATIONS, seed=22, shift=APPLICANT_SHIFT)
        _score_and_label(prod, self.shifted_sample, "shifted window")
        shifted = lifecycle.evaluate_window(
            app, cast, self.store, prod, start=start, end=_now(), after_sequence=seen
        )
        say(f"monitoring window 2 (shifted applicants): {_window_text(shifted)}")

    def retrain(self, version_id: UUID) -> None:
        """Retrain on the original and the recent labelled data, validate, release."""
        app, cast, say = self.app, self.cast, self.report.say
        recent = lifecycle.register_credit_data(app, cast, self.store, self.shifted_sample)
        retrained = lifecycle.train(
            app, cast, self.model_id, [self.data, recent], self.spec, derived_from=version_id
        )
        say(f"retrained on the original and {SHIFTED_APPLICATIONS:,} recent labelled rows")
        third = lifecycle.validate(app, cast, self.signers, retrained)
        if third.outcome != "passed":
            say(f"validation of the retrained version: failed ({'; '.join(third.breaches)})")
            retrained = self.mitigated(retrained, third.breaches)
            third = lifecycle.validate(app, cast, self.signers, retrained)
        say(f"validation of the retrained version: {third.outcome}")
        self.release(retrained)

    def mitigated(self, version_id: UUID, breaches: Sequence[str]) -> UUID:
        """The developer derives a fairer version with fairlearn's ThresholdOptimizer, on the
        first protected attribute whose disparate impact the validation found too low."""
        attribute = next(
            (a for a in german.PROTECTED_ATTRIBUTES for b in breaches if f"impact of {a} " in b),
            MITIGATED_ATTRIBUTE,
        )
        mitigated = self.app.mitigate_model_version(
            actor=self.cast.developer,
            version_id=version_id,
            sensitive_attribute=attribute,
            method="threshold_optimizer",
            seed=42,
            code_version=code_version(),
            environment={"runtime": "govledger"},
        )
        version = self.app.get_model_version(mitigated)
        before, after = version.mitigation["before"], version.mitigation["after"]
        self.report.say(
            f"mitigated on {attribute} into version {version.number}: disparate "
            f"impact {before['disparate_impact']:.2f} -> {after['disparate_impact']:.2f}"
        )
        return mitigated

    def service(self, version_id: UUID, environment: str) -> ScoringService:
        """The scoring service of a deployed version, its prediction log under the home."""
        return ScoringService(
            self.app,
            version_id=version_id,
            environment=environment,
            actor=self.cast.scoring,
            store=self.store,
            home=self.home,
            max_rows=self.serving.max_rows,
        )

    def refused(self, what: str, attempt: Callable[[], object]) -> None:
        """Try what the rules forbid; the refusal is recorded by the domain and reported."""
        try:
            attempt()
        except DomainError as error:
            self.report.refusals.append(f"{what}: {error}")
            self.report.say(f"refused (and recorded): {what}: {error}")
        else:
            raise AssertionError(f"the demo expected {what} to be refused")


def _score_and_label(service: ScoringService, sample: bytes, what: str) -> list[str]:
    """Score the sample's applications in batches of 100, then send their true outcomes."""
    applications = rows(sample)
    features = _features(applications)
    ids: list[str] = []
    for start in _progress(range(0, len(features), 100), what):
        ids.extend(p.id for p in service.predict(features[start : start + 100]))
    labels = [str(row[german.TARGET]) for row in applications]
    service.feedback(list(zip(ids, labels, strict=True)))
    return ids


def _features(applications: Sequence[dict[str, object]]) -> list[dict[str, object]]:
    """The applications without their outcome: what a scoring client sends."""
    return [{k: v for k, v in row.items() if k != german.TARGET} for row in applications]


def _sealed(application: GovernanceApplication, service: ScoringService) -> dict[str, int]:
    """The last sealed sequence per kind, so the next window starts after it."""
    return {
        kind: max(
            (s.sequence for s in application.prediction_segments(service.version_id, "prod", kind)),
            default=0,
        )
        for kind in ("prediction", "feedback")
    }


def _window_text(outcome: Any) -> str:
    if not outcome.breaches:
        return "within policy"
    finding = f"; finding {outcome.finding_id}" if outcome.finding_id else ""
    retrain = "; retraining requested" if outcome.retraining_requested else ""
    return (
        f"{len(outcome.breaches)} breach(es): {'; '.join(outcome.breaches[:3])}{finding}{retrain}"
    )


def _passed(flag: bool) -> str:
    return "passed" if flag else "FAILED"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _progress(items: Sequence[T], what: str) -> Iterator[T]:
    """``items``, drawing a progress bar on stderr as they are consumed."""
    total = len(items)
    for done, item in enumerate(items, start=1):
        yield item
        filled = 30 * done // total
        end = "\n" if done == total else ""
        print(
            f"\r  {what:<16} [{'#' * filled}{'.' * (30 - filled)}] {done}/{total}",
            end=end,
            file=sys.stderr,
            flush=True,
        )
