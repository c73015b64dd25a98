"""The API's scorers: one ``ScoringService`` per deployed (version, environment), micro-batched.

- ``ScorerPool.scorer(model, environment, actor)`` answers the scorer of the version the ledger
  says runs there (the latest-numbered version live in that environment), created on first use
  and replaced (the old one sealed and closed) when a deploy or rollback changes that version.
  Which version runs is read from the aggregates again only when the log has grown.
- ``Scorer.predict`` validates a request's rows on their own (a bad row fails only its request,
  nothing logged), then joins a queue: the first request to take the scorer's lock scores every
  queued request (each request's rows as one compiled model call, so its scores are exactly
  what it would get alone), logs them all in ONE log append, and hands each its own slice.
  Uncontended, a request is scored at once, alone.
- a background thread ticks every scorer every ``tick_seconds`` so segments seal on time even
  when no request comes; ``close()`` stops it and seals and closes every scorer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from adapters.artifacts.file_store import FileArtifactStore
from api.composition import Ledger
from api.read_side import log_size
from api.serving import Prediction, ScoringService
from domain.aggregates.model import Model
from domain.aggregates.model_version import ModelVersion
from domain.errors import InvalidStateError, NotFoundError

__all__ = ["Scorer", "ScorerPool"]

_LOG = logging.getLogger("govledger.scoring")


@dataclass
class _Job:
    """One request's checked rows, waiting for its slice of a batch."""

    rows: Sequence[Mapping[str, object]]
    predictions: list[Prediction] | None = None
    error: BaseException | None = None
    done: bool = field(default=False)


class Scorer:
    """A scoring service behind a leader/follower queue that groups concurrent requests."""

    def __init__(self, service: ScoringService) -> None:
        self.service = service
        self.batches = 0
        """How many model calls scored requests (fewer than ``requests`` when grouped)."""
        self.requests = 0
        """How many requests were scored."""
        self._queue: list[_Job] = []
        self._queue_lock = threading.Lock()
        self._model_lock = threading.Lock()
        self.closed = False

    @property
    def version_id(self) -> UUID:
        """The version this scorer serves."""
        return self.service.version_id

    def predict(self, rows: Sequence[Mapping[str, object]]) -> list[Prediction]:
        """Score and log ``rows``; ``RowError`` naming row and column for a bad one (nothing of
        this request logged, other requests unaffected)."""
        schema, cap = self.service.schema, self.service.max_rows
        job = _Job(schema.check_rows(rows, max_rows=cap))
        with self._queue_lock:
            self._queue.append(job)
        with self._model_lock:
            if not job.done:
                self._lead()
        if job.error is not None:
            raise job.error
        assert job.predictions is not None
        return job.predictions

    def _lead(self) -> None:
        """Score every queued job in one call (the model lock is held)."""
        with self._queue_lock:
            jobs, self._queue = self._queue, []
        rows = [row for job in jobs for row in job.rows]
        try:
            if self.closed:
                raise InvalidStateError(
                    "the deployment changed while scoring: send the request again"
                )
            predictions = self.service.predict_checked(rows, [len(job.rows) for job in jobs])
        except Exception as error:  # every request of the batch learns why it failed
            for job in jobs:
                job.error, job.done = error, True
            return
        self.batches += 1
        self.requests += len(jobs)
        start = 0
        for job in jobs:
            job.predictions = predictions[start : start + len(job.rows)]
            job.done = True
            start += len(job.rows)

    def feedback(self, labels: Sequence[tuple[str, str]]) -> int:
        """Log true outcomes of this version's earlier predictions; how many."""
        with self._model_lock:
            return self.service.feedback(labels)

    @property
    def waiting(self) -> int:
        """How many requests are queued for the next batch."""
        with self._queue_lock:
            return len(self._queue)

    def seal(self) -> None:
        """Seal and record both open segments now."""
        with self._model_lock:
            if not self.closed:
                self.service.seal()

    def tick(self) -> None:
        """Seal a segment the policy says is due."""
        with self._model_lock:
            if not self.closed:
                self.service.tick()

    def close(self) -> None:
        """Seal what is open and release the logs (waiting requests are told to retry)."""
        with self._model_lock:
            if not self.closed:
                self.closed = True
                self.service.close()


class ScorerPool:
    """The scorers of one API, keyed by (model, environment)."""

    def __init__(self, ledger: Ledger, *, tick_seconds: float = 1.0) -> None:
        self.ledger = ledger
        self.tick_seconds = tick_seconds
        self._lock = threading.Lock()
        self._scorers: dict[tuple[str, str], Scorer] = {}
        self._resolved: dict[tuple[str, str], tuple[int, UUID]] = {}
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def scorer(self, model: str, environment: str, actor: str) -> Scorer:
        """The scorer of the version deployed for ``model`` in ``environment`` (``actor``
        signs the segments it seals); NotFoundError naming both when none is deployed."""
        key = (model, environment)
        version_id = self._deployed(model, environment)
        with self._lock:
            current = self._scorers.get(key)
            if current is not None and current.version_id == version_id and not current.closed:
                return current
            settings = self.ledger.settings
            fresh = Scorer(
                ScoringService(
                    self.ledger.application,
                    version_id=version_id,
                    environment=environment,
                    actor=actor,
                    store=FileArtifactStore.in_home(settings.home),
                    home=settings.home,
                    max_rows=settings.scoring_batch_max_rows,
                )
            )
            self._scorers[key] = fresh
            self._start_ticker()
        if current is not None:
            current.close()
        return fresh

    def scorers(self) -> list[Scorer]:
        """The scorers serving now."""
        with self._lock:
            return list(self._scorers.values())

    def _deployed(self, model: str, environment: str) -> UUID:
        """The latest-numbered version of ``model`` live in ``environment``; re-read from the
        aggregates only when the log has grown since the last answer."""
        key = (model, environment)
        size = log_size(self.ledger)
        known = self._resolved.get(key)
        if known is not None and known[0] == size:
            return known[1]
        application = self.ledger.application
        try:
            found = application.get_model(Model.create_id(model))
        except NotFoundError:
            raise NotFoundError(f"no model named {model!r}") from None
        live: list[ModelVersion] = [
            version
            for version in map(application.get_model_version, found.version_ids)
            if environment in version.environments
        ]
        if not live:
            raise NotFoundError(f"no version of model {model!r} is deployed in {environment!r}")
        chosen = max(live, key=lambda version: version.number).id
        self._resolved[key] = (size, chosen)
        return chosen

    def _start_ticker(self) -> None:
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="scorer-ticker", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            for scorer in self.scorers():
                try:
                    scorer.tick()
                except Exception:  # the next tick (or close) seals it
                    _LOG.exception("sealing a due prediction segment failed; retrying later")

    def close(self) -> None:
        """Stop ticking; seal, record and close every scorer."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        for scorer in self.scorers():
            scorer.close()
        with self._lock:
            self._scorers.clear()
