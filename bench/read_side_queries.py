"""The auditor's as-of questions, timed at random log sizes of a loaded ledger.

Each sample draws a log size ``as_of`` uniformly from the last 95 % of the log, a model that
was registered by then and a version of it trained by then, and times the whole cited answer
the CLI gives (``api.read_side.cited_answer``: the query, then the log's root at that size).
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from api.composition import Ledger
from api.read_side import Query, cited_answer, read_view
from bench.read_side_history import ModelPlan, VersionPlan
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory
from projections.lineage.queries import lineage
from projections.read_state import ReadView
from projections.risk.register import risk_register
from projections.timeline import timeline

__all__ = ["QUESTIONS", "Latencies", "time_questions"]

STORY_EVENTS = 80
"""More than the events of one version's story: a version written before ``as_of`` minus this
is wholly in the log at ``as_of``."""
TIMELINE_PAGE = 100
TIMELINE_LINES_PER_VERSION = 60


@dataclass(frozen=True)
class Sample:
    """What one question is asked about."""

    as_of: int
    model: ModelPlan
    version: VersionPlan
    rng: random.Random


def _timeline_page(sample: Sample) -> Query:
    versions = sum(1 for v in sample.model.versions if v.number <= sample.version.number)
    pages = max(1, versions * TIMELINE_LINES_PER_VERSION // TIMELINE_PAGE)
    offset = TIMELINE_PAGE * sample.rng.randrange(pages)
    return lambda view, as_of: timeline(
        view, as_of, sample.model.name, limit=TIMELINE_PAGE, offset=offset
    )


def _upstream(sample: Sample) -> Query:
    name = f"{sample.model.name}@{sample.version.number}"
    return lambda view, as_of: lineage(view, as_of, name, direction="upstream", depth=5)


def _downstream(sample: Sample) -> Query:
    name = f"{sample.model.dataset}@{sample.version.dataset_version}"
    return lambda view, as_of: lineage(view, as_of, name, direction="downstream", depth=5)


def _about_model(
    question: Callable[[ReadView, int, str], dict[str, Any]],
) -> Callable[[Sample], Query]:
    return lambda sample: lambda view, as_of: question(view, as_of, sample.model.name)


QUESTIONS: dict[str, Callable[[Sample], Query]] = {
    "why <model>": _about_model(why),
    "inventory (a page of 100)": lambda sample: inventory,
    "risk-register <model>": _about_model(risk_register),
    "deployments <model>": _about_model(deployments),
    "timeline <model> (a page of 100)": _timeline_page,
    "lineage <version> upstream, depth 5": _upstream,
    "lineage <dataset version> downstream, depth 5": _downstream,
}


@dataclass(frozen=True)
class Latencies:
    """One question's timed answers: seconds each, and the log sizes asked at."""

    question: str
    seconds: list[float]
    sizes: list[int]

    @property
    def p99(self) -> float:
        """The 99th percentile latency in seconds."""
        return _percentile(self.seconds, 0.99)

    @property
    def p50(self) -> float:
        """The median latency in seconds."""
        return statistics.median(self.seconds)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_questions(
    ledger: Ledger, plans: list[ModelPlan], leaf_offset: int, samples: int, seed: int
) -> list[Latencies]:
    """Ask every question ``samples`` times at random sizes, round-robin over the questions."""
    rng = random.Random(seed)
    view = read_view(ledger)
    size = view.size()
    timed: dict[str, Latencies] = {q: Latencies(q, [], []) for q in QUESTIONS}
    for _ in range(samples):
        for question, build in QUESTIONS.items():
            sample = _sample(rng, plans, leaf_offset, size)
            query = build(sample)
            started = perf_counter()
            cited_answer(ledger, view, str(sample.as_of), query)
            timed[question].seconds.append(perf_counter() - started)
            timed[question].sizes.append(sample.as_of)
    return list(timed.values())


def _sample(rng: random.Random, plans: list[ModelPlan], leaf_offset: int, size: int) -> Sample:
    """A size in the last 95 % of the log, with a model and a version wholly written by then."""
    while True:
        as_of = rng.randint(max(1, size // 20), size)
        written = as_of - leaf_offset - STORY_EVENTS
        models = [plan for plan in plans if plan.versions and plan.versions[0].written_at < written]
        if not models:
            continue
        model = rng.choice(models)
        versions = [v for v in model.versions if v.written_at < written]
        return Sample(as_of, model, rng.choice(versions), rng)
