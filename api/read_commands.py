"""The auditor's questions and the projection worker on the command line.

``project`` keeps the read side current (``--follow``: a LISTEN/NOTIFY subscription on
PostgreSQL, polling on SQLite); ``replay`` rebuilds it from an empty read side, verifying every
event from leaf 0. The questions (``inventory``, ``lineage``, ``risk-register``, ``timeline``,
``why``, ``model``, ``deployments``, ``search``) first project what the log added since, then
answer as of ``--as-of`` (an RFC 3339 time or a log size): ``--json`` prints one document
carrying the log size and root it reflects, every row citing the leaves of its source events.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from api import read_side
from api.auditor_views import deployments as deployments_view
from api.auditor_views import inventory as inventory_view
from api.auditor_views import lineage as lineage_view
from api.auditor_views import model as model_view
from api.auditor_views import risk_register as risk_register_view
from api.auditor_views import search as search_view
from api.auditor_views import timeline as timeline_view
from api.auditor_views import why as why_view
from api.commands import EXIT_INTEGRITY
from api.composition import Ledger, open_ledger
from api.http.resource_state import model_state
from api.read_follow import wait_for_appends
from api.settings import Settings
from projections.decisions.query import why
from projections.deployments import deployments
from projections.errors import ReadSideError
from projections.inventory import inventory
from projections.lineage.queries import lineage
from projections.read_state import Direction
from projections.risk.register import risk_register
from projections.search_index import search
from projections.timeline import timeline
from projections.worker import Projector

__all__ = ["register"]

_MAX_INTERVAL = 3600.0
"""Seconds: a longer polling interval is surely a typo."""

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(add: Adder) -> None:
    """Add the read side's commands through the CLI's ``add``."""
    worker = add("project", project, "bring the read models up to date with the verified log")
    worker.add_argument("--follow", action="store_true", help="keep projecting new entries")
    worker.add_argument(
        "--interval",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="with --follow: look for new entries at least this often (default 1)",
    )
    replay = add("replay", replay_command, "rebuild every read model from the log, verifying it")
    replay.add_argument("--as-of", metavar="T", help="stop at this log size or RFC 3339 time")
    replay.add_argument(
        "--check",
        action="store_true",
        help="rebuild in memory and compare with the stored read side instead (exit 1: differs)",
    )
    listing = _question(add, "inventory", _inventory, "the model inventory (SR 11-7 fields)")
    _paging(listing)
    line = _question(add, "lineage", _lineage, "the lineage of a model, version or dataset")
    line.add_argument("name", help="credit-risk, credit-risk@2, german-credit or german-credit@1")
    way = line.add_mutually_exclusive_group()
    way.add_argument("--upstream", action="store_true", help="only what it came from")
    way.add_argument("--downstream", action="store_true", help="only what came from it")
    line.add_argument("--depth", type=int, default=5, metavar="N", help="edges to follow (1-20)")
    risk = _question(add, "risk-register", _risk_register, "the risk register per version")
    risk.add_argument("--model", help="only this model")
    time = _question(add, "timeline", _timeline, "every event about a model, in log order")
    time.add_argument("model")
    _paging(time)
    reason = _question(add, "why", _why, "why a version is allowed where it runs, cited")
    reason.add_argument("model")
    reason.add_argument("version", nargs="?", type=int, help="a version number (default: live)")
    state = _question(add, "model", _model, "a model's versions: ids, state, artifact, approvals")
    state.add_argument("model")
    live = _question(add, "deployments", _deployments, "which version runs where, since when")
    live.add_argument("--model", help="only this model")
    find = _question(add, "search", _search, "search predictions, explanations or refusals")
    find.add_argument("kind", choices=["prediction_segment", "explanation", "refusal"])
    for option in ("--model", "--actor"):
        find.add_argument(option)
    find.add_argument("--since", metavar="TIME", help="RFC 3339, inclusive")
    find.add_argument("--until", metavar="TIME", help="RFC 3339, inclusive")
    _paging(find)


def _question(
    add: Adder, name: str, handler: Callable[[argparse.Namespace], read_side.Query], text: str
) -> argparse.ArgumentParser:
    parser = add(name, partial(_answer, handler, name), text)
    parser.add_argument("--as-of", metavar="T", help="a log size or an RFC 3339 time")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    return parser


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_positive, default=100, metavar="N")
    parser.add_argument("--offset", type=_natural, default=0, metavar="N")


def _answer(
    query_for: Callable[[argparse.Namespace], read_side.Query],
    name: str,
    settings: Settings,
    arguments: argparse.Namespace,
) -> int:
    query = query_for(arguments)
    ledger = open_ledger(settings)
    try:
        read_side.projector(ledger).catch_up()
        view = read_side.read_view(ledger)
        try:
            result = read_side.cited_answer(ledger, view, arguments.as_of, query)
        except ValueError as exc:  # an argument the query refuses (depth, kind, time)
            raise ReadSideError(str(exc)) from None
    finally:
        ledger.close()
    if arguments.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        log = result["log"]
        print(f"as of log size {log['size']} (root {log['root']})\n")
        print(_VIEWS[name](result))
    return 0


def _inventory(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: inventory(
        view, as_of, limit=arguments.limit, offset=arguments.offset
    )


def _lineage(arguments: argparse.Namespace) -> read_side.Query:
    direction: Direction | None = None
    if arguments.upstream or arguments.downstream:
        direction = "upstream" if arguments.upstream else "downstream"
    return lambda view, as_of: lineage(
        view, as_of, arguments.name, direction=direction, depth=arguments.depth
    )


def _risk_register(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: risk_register(view, as_of, arguments.model)


def _timeline(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: timeline(
        view, as_of, arguments.model, limit=arguments.limit, offset=arguments.offset
    )


def _why(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: why(view, as_of, arguments.model, arguments.version)


def _model(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: model_state(view, as_of, arguments.model)


def _deployments(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: deployments(view, as_of, arguments.model)


def _search(arguments: argparse.Namespace) -> read_side.Query:
    return lambda view, as_of: search(
        view,
        as_of,
        arguments.kind,
        model=arguments.model,
        actor=arguments.actor,
        since=arguments.since,
        until=arguments.until,
        limit=arguments.limit,
        offset=arguments.offset,
    )


_VIEWS: dict[str, Callable[[dict[str, Any]], str]] = {
    "inventory": inventory_view.render,
    "lineage": lineage_view.render,
    "risk-register": risk_register_view.render,
    "timeline": timeline_view.render,
    "why": why_view.render,
    "model": model_view.render,
    "deployments": deployments_view.render,
    "search": search_view.render,
}


def project(settings: Settings, arguments: argparse.Namespace) -> int:
    """Project what the log added since; with ``--follow``, keep doing it until stopped."""
    ledger = open_ledger(settings)
    try:
        worker = read_side.projector(ledger)
        position = worker.catch_up()
        print(f"read side at log size {position}", flush=True)
        if arguments.follow:
            _follow(ledger, worker, arguments.interval)
    finally:
        ledger.close()
    return 0


def _follow(ledger: Ledger, worker: Projector, interval: float) -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    position = worker.position()
    for _ in wait_for_appends(ledger, stop, interval):
        reached = worker.catch_up()
        if reached != position:
            position = reached
            print(f"read side at log size {position}", flush=True)
    print("stopped", file=sys.stderr)


def replay_command(settings: Settings, arguments: argparse.Namespace) -> int:
    """Empty the read side and project the log again from leaf 0, verifying every event."""
    if arguments.check:
        return _check(settings)
    ledger = open_ledger(settings)
    try:
        until, until_time = read_side.replay_bound(ledger, arguments.as_of)
        read_side.clear_read_side(ledger)
        position = read_side.projector(ledger).replay(until, until_time)
    finally:
        ledger.close()
    print(f"read side rebuilt from the verified log: log size {position}")
    return 0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= _MAX_INTERVAL:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 3600")
    return value


def _check(settings: Settings) -> int:
    ledger = open_ledger(settings)
    try:
        position, compared, problems = read_side.check_read_side(ledger)
    finally:
        ledger.close()
    if problems:
        for problem in problems:
            print(problem)
        print(
            f"the read side at log size {position} differs from the verified log", file=sys.stderr
        )
        return EXIT_INTEGRITY
    print(f"read side matches the verified log: {compared} rows at log size {position}")
    return 0


def _positive(text: str) -> int:
    value = _natural(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def _natural(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value
