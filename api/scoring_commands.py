"""The scoring commands of the CLI: ``predict`` and ``feedback``, as the HTTP routes serve them.

Both take the same JSON body as their HTTP route (``api.scoring_models``) from a file
(``--rows @FILE`` / ``--labels @FILE``), score or log with the version the ledger says is
deployed for the model in the environment, and print what the route answers (``--json``: the
same document). Only a principal holding ``scoring_client`` may; another's attempt is refused
and the refusal recorded. The open log segments are sealed (and recorded) before exit.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from api.commands import EXIT_OK
from api.composition import Ledger, open_ledger
from api.errors import InputFileError
from api.files import read_json_object
from api.scoring_models import (
    FeedbackAnswer,
    FeedbackRequest,
    LogPosition,
    PredictAnswer,
    PredictRequest,
    Scored,
)
from api.settings import Settings
from domain.errors import NotAuthorizedError
from domain.rules.roles import Role

if TYPE_CHECKING:  # the scoring stack imports scikit-learn: only the commands that score
    from api.http.scorers import ScorerPool

__all__ = ["feedback", "predict", "register"]

T = TypeVar("T", bound=BaseModel)
Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(add: Adder) -> None:
    """Add ``predict`` and ``feedback`` through the CLI's ``add``."""
    for name, handler, option, text in (
        ("predict", predict, "--rows", "score rows with the deployed version; each is logged"),
        ("feedback", feedback, "--labels", "log the true outcomes of earlier predictions"),
    ):
        parser = add(name, handler, text)
        parser.add_argument("--environment", required=True, help="dev, uat or prod")
        parser.add_argument("--model", required=True, help="the model's name")
        parser.add_argument("--actor", required=True, help="a principal holding scoring_client")
        parser.add_argument(
            option,
            required=True,
            metavar="@FILE",
            help="a JSON file holding the HTTP route's body",
        )
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def predict(settings: Settings, arguments: argparse.Namespace) -> int:
    """Score the file's rows and print one prediction per row."""
    body = _body(PredictRequest, arguments.rows)
    with _scoring(settings, arguments, "predict") as (ledger, pool):
        scorer = pool.scorer(arguments.model, arguments.environment, arguments.actor)
        predictions = scorer.predict(body.rows)
        pool.close()
        answer = PredictAnswer(
            version_id=str(scorer.version_id),
            predictions=[Scored(id=p.id, score=p.score, decision=p.decision) for p in predictions],
            log=_log_position(ledger),
        )
    if arguments.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(f"scored with version {answer.version_id}:")
        for p in answer.predictions:
            print(f"  {p.id}  score {p.score:.6f}  decision {p.decision}")
    return EXIT_OK


def feedback(settings: Settings, arguments: argparse.Namespace) -> int:
    """Log the file's labels against the deployed version's predictions."""
    body = _body(FeedbackRequest, arguments.labels)
    with _scoring(settings, arguments, "send feedback") as (ledger, pool):
        scorer = pool.scorer(arguments.model, arguments.environment, arguments.actor)
        logged = scorer.feedback([(label.prediction_id, label.label) for label in body.labels])
        pool.close()
        answer = FeedbackAnswer(
            version_id=str(scorer.version_id), logged=logged, log=_log_position(ledger)
        )
    if arguments.json:
        print(answer.model_dump_json(indent=2))
    else:
        print(f"logged {answer.logged} labels against version {answer.version_id}")
    return EXIT_OK


def _body(model: type[T], reference: str) -> T:
    """The request in the file ``@FILE`` names; InputFileError saying what to fix."""
    path = Path(reference.removeprefix("@"))
    document = read_json_object(path)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputFileError(f"{path}: {where}: {first['msg']}") from None


@contextmanager
def _scoring(
    settings: Settings, arguments: argparse.Namespace, request: str
) -> Iterator[tuple[Ledger, ScorerPool]]:
    """The ledger and a scorer pool for one command by a scoring client; closed after.
    NotAuthorizedError (the refusal recorded) when ``--actor`` does not hold scoring_client."""
    from api.http.scorers import ScorerPool

    ledger = open_ledger(settings, with_ml=True)
    pool = ScorerPool(ledger)
    try:
        application, actor = ledger.application, arguments.actor
        if Role.SCORING_CLIENT not in application.get_principal(actor).roles:
            reason = f"{actor} does not hold the role scoring_client needed to {request}"
            application.record_refusal(actor=actor, request=request, reason=reason)
            raise NotAuthorizedError(reason)
        yield ledger, pool
    finally:
        pool.close()
        ledger.close()


def _log_position(ledger: Ledger) -> LogPosition:
    from api.http.routes.scoring import log_position

    return log_position(ledger)
