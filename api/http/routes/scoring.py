"""Routes: scoring with the deployed version, feedback, and a logged prediction's proof.

- ``POST /deployments/{environment}/{model}/predict`` and ``.../feedback``: scoring clients
  only (any other caller 403, the refusal recorded); the version served is the one the ledger
  says runs there (404 naming model and environment when none does); a bad row is 422 naming
  row and column and nothing of that request is logged. Concurrent requests are grouped into
  one model call (``api.http.scorers``).
- ``GET /predictions/{id}``: the logged record and its proof chain (record -> segment root ->
  ledger leaf -> signed checkpoint) once its segment is sealed; 409 ``not_sealed`` saying when
  it will be before that. ``GET /predictions/{id}/explanation``: the LIME explanation recorded
  for it, 404 if none. Reading roles only.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParameter

from adapters.prediction_log.lookup import FoundRecord, find_record
from api.composition import Ledger
from api.http.auth import Caller, require_roles
from api.http.problems import HttpError
from api.http.reading import Row, cited, read_access
from api.http.scorers import ScorerPool
from api.http.services import Services, services
from api.prediction_proofs import prove_prediction
from api.scoring_models import (
    FeedbackAnswer,
    FeedbackRequest,
    LogPosition,
    PredictAnswer,
    PredictRequest,
    Scored,
)
from domain.errors import NotFoundError
from domain.rules.roles import Role
from ledger.errors import VerificationError
from projections.search_index import search

__all__ = ["router", "scorer_pool"]

router = APIRouter(tags=["scoring"])

Found = Annotated[Services, Depends(services)]
Name = Annotated[str, PathParameter(max_length=200, description="the model's name")]
Environment = Annotated[str, PathParameter(max_length=20, description="dev, uat or prod")]
PredictionId = Annotated[str, PathParameter(max_length=64, description="a prediction's id")]

_SCORING = frozenset({Role.SCORING_CLIENT})


def scorer_pool(request: Request) -> ScorerPool:
    """The app's scorer pool (created with the app, closed when it stops)."""
    pool: ScorerPool = request.app.state.scorers
    return pool


Pool = Annotated[ScorerPool, Depends(scorer_pool)]


def log_position(ledger: Ledger) -> LogPosition:
    """The ledger's current size and root (base64)."""
    tree = ledger.tree
    with tree.reading() as c:
        size = tree.log_size(c)
        root = tree.root_at(c, size)
    return LogPosition(size=size, root=base64.b64encode(root).decode("ascii"))


@router.post(
    "/deployments/{environment}/{model}/predict",
    response_model=PredictAnswer,
    summary="Score rows with the version deployed there; every prediction is logged",
)
def predict(
    *,
    environment: Environment,
    model: Name,
    body: PredictRequest,
    found: Found,
    pool: Pool,
    caller: Annotated[Caller, require_roles(_SCORING, "predict")],
) -> PredictAnswer:
    """One prediction per row, in row order, each with its id in the prediction log."""
    scorer = pool.scorer(model, environment, caller.name)
    predictions = scorer.predict(body.rows)
    return PredictAnswer(
        version_id=str(scorer.version_id),
        predictions=[Scored(id=p.id, score=p.score, decision=p.decision) for p in predictions],
        log=log_position(found.ledger),
    )


@router.post(
    "/deployments/{environment}/{model}/feedback",
    response_model=FeedbackAnswer,
    summary="Log the true outcomes of earlier predictions",
)
def feedback(
    *,
    environment: Environment,
    model: Name,
    body: FeedbackRequest,
    found: Found,
    pool: Pool,
    caller: Annotated[Caller, require_roles(_SCORING, "send feedback")],
) -> FeedbackAnswer:
    """Each label must name a prediction of the version deployed there (else 422, none
    logged)."""
    scorer = pool.scorer(model, environment, caller.name)
    logged = scorer.feedback([(label.prediction_id, label.label) for label in body.labels])
    return FeedbackAnswer(
        version_id=str(scorer.version_id), logged=logged, log=log_position(found.ledger)
    )


@router.get(
    "/predictions/{prediction_id}",
    dependencies=read_access("read a prediction"),
    summary="A logged prediction and its proof chain up to a signed checkpoint",
)
def get_prediction(prediction_id: PredictionId, found: Found) -> Row:
    """The record, the version and environment that logged it, and its proof once sealed."""
    version_id, environment, record = _locate(found.settings.home, prediction_id)
    answer: Row = {
        "id": prediction_id,
        "version_id": str(version_id),
        "environment": environment,
        "record": record.record,
    }
    if not record.sealed:
        raise HttpError(409, "not_sealed", _not_sealed(found, prediction_id))
    try:
        proof = prove_prediction(
            found.ledger,
            found.settings.home,
            prediction_id=prediction_id,
            version_id=version_id,
            environment=environment,
        )
    except VerificationError as exc:
        raise HttpError(409, "not_sealed", str(exc)) from None
    answer["proof"] = {
        "record": base64.b64encode(proof.record).decode("ascii"),
        "segment_index": proof.segment_index,
        "segment_size": proof.segment_size,
        "segment_hashes": [h.hex() for h in proof.segment_hashes],
        "entry": base64.b64encode(proof.entry).decode("ascii"),
        "tlog_proof": proof.tlog_proof,
        "vkey": proof.vkey,
    }
    return answer


@router.get(
    "/predictions/{prediction_id}/explanation",
    dependencies=read_access("read an explanation"),
    summary="The LIME explanation recorded for a prediction",
)
def get_explanation(prediction_id: PredictionId, found: Found) -> Row:
    """The latest explanation recorded for the prediction, with its weights' digest, fidelity
    and parameters; 404 when none was recorded."""
    version_id, _, _ = _locate(found.settings.home, prediction_id)
    version = found.ledger.application.get_model_version(version_id)
    model = found.ledger.application.get_model(version.model_id).name
    answer = cited(found.ledger, None, lambda view, size: _explanations(view, size, model))
    mine = [row for row in answer.pop("rows") if row.get("prediction_ref") == prediction_id]
    if not mine:
        raise HttpError(
            404, "not_found", f"no explanation is recorded for prediction {prediction_id}"
        )
    row = mine[-1]
    explanation = found.ledger.application.get_explanation(UUID(str(row["explanation_id"])))
    return {
        "log": answer["log"],
        "as_of": answer["as_of"],
        **row,
        "parameters": explanation.parameters,
        "seed": explanation.seed,
    }


def _explanations(view: Any, size: int, model: str) -> dict[str, Any]:
    rows: list[Row] = []
    while True:
        page = search(view, size, "explanation", model=model, limit=1000, offset=len(rows))
        rows.extend(page["rows"])
        if page["count"] < 1000:
            return {"rows": rows}


def _locate(home: Path, prediction_id: str) -> tuple[UUID, str, FoundRecord]:
    """The version, environment and record of a logged prediction; NotFoundError if none."""
    root = home / "predictions"
    for directory in sorted(root.glob("*/*/prediction")) if root.is_dir() else []:
        try:
            found = find_record(directory, prediction_id)
        except NotFoundError:
            continue
        return UUID(directory.parent.parent.name), directory.parent.name, found
    raise NotFoundError(f"no prediction {prediction_id!r} is in any prediction log")


def _not_sealed(found: Services, prediction_id: str) -> str:
    limits = found.ledger.application.current_policy().prediction_log
    return (
        f"prediction {prediction_id} is logged but its segment is not sealed yet: it seals "
        f"when it holds {limits.segment_max_records} records or is "
        f"{limits.segment_max_seconds} s old, whichever comes first; ask again then"
    )
