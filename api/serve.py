"""``govledger serve``: the HTTP API under uvicorn, with the projection worker and the
checkpoint timer running beside it in background threads.

- the projection worker does what ``govledger project --follow`` does: it catches the read side
  up, then again whenever the log may have grown (PostgreSQL's NOTIFY, or polling on SQLite);
- the checkpoint timer does what ``govledger checkpoint --every`` does: every
  ``GOVLEDGER_CHECKPOINT_EVERY_SECONDS`` it signs what any process appended since;
- each opens its own connections to the ledger, as a separate process would. A failure of the
  database is logged and retried; an integrity failure stops that worker, and ``/readyz``
  answers 503 naming it from then on;
- SIGINT or SIGTERM stops uvicorn (requests under way finish), then the workers, then closes
  the ledger, and the command exits 0.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from api import read_side
from api.commands import EXIT_OK
from api.composition import Ledger, open_ledger
from api.errors import ConfigurationError
from api.read_follow import wait_for_appends
from api.settings import Settings
from ledger.errors import InconsistentLogError, VerificationError
from projections.errors import ProjectionError

__all__ = ["PROJECT_INTERVAL_SECONDS", "Workers", "register", "serve"]

PROJECT_INTERVAL_SECONDS = 1.0
"""How often the projection worker looks for new entries when nothing wakes it sooner."""

_RETRY_SECONDS = 5.0
_JOIN_SECONDS = 30
_INTEGRITY = (ProjectionError, InconsistentLogError, VerificationError)
_LOG = logging.getLogger("govledger.serve")

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]


def register(add: Adder) -> None:
    """Add ``serve`` through the CLI's ``add``."""
    parser = add(
        "serve",
        serve,
        "serve the HTTP API and the console, projecting the read side and cutting checkpoints "
        "in the background (stop with Ctrl-C or SIGTERM)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=_port, default=8000, metavar="N", help="port (0: any free one)"
    )


class Workers:
    """The background threads of ``serve``; ``failures()`` is what ``/readyz`` reports."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = threading.Event()
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(name, body), name=name, daemon=True)
            for name, body in (
                ("projection worker", self._project),
                ("checkpoint timer", self._cut_checkpoints),
            )
        ]

    def failures(self) -> list[str]:
        """One line per worker stopped by an integrity failure."""
        with self._lock:
            return list(self._failures)

    def running(self) -> bool:
        """True while any worker thread runs."""
        return any(thread.is_alive() for thread in self._threads)

    def start(self) -> None:
        """Start every worker."""
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop every worker and wait for it (a cut or a projection under way finishes)."""
        self.stop.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(_JOIN_SECONDS)

    def _run(self, name: str, body: Callable[[Ledger], None]) -> None:
        """Run ``body`` on a ledger of its own until stopped; retry after a database failure."""
        while not self.stop.is_set():
            try:
                ledger = open_ledger(self.settings)
                try:
                    body(ledger)
                finally:
                    ledger.close()
            except _INTEGRITY as exc:
                _LOG.critical("%s stopped: %s", name, exc)
                with self._lock:
                    self._failures.append(f"{name} stopped: {' '.join(str(exc).splitlines())}")
                return
            except Exception as exc:  # the database went away: say so, try again later
                _LOG.warning("%s: %s; retrying in %.0f s", name, exc, _RETRY_SECONDS)
                self.stop.wait(_RETRY_SECONDS)

    def _project(self, ledger: Ledger) -> None:
        worker = read_side.projector(ledger)
        position = worker.catch_up()
        _LOG.info("read side at log size %d", position)
        for _ in wait_for_appends(ledger, self.stop, PROJECT_INTERVAL_SECONDS):
            reached = worker.catch_up()
            if reached != position:
                position = reached
                _LOG.info("read side at log size %d", position)

    def _cut_checkpoints(self, ledger: Ledger) -> None:
        while not self.stop.wait(self.settings.checkpoint_every_seconds):
            signed = ledger.checkpointer.tick()
            if signed is not None:
                _LOG.info("checkpoint of %d leaves", signed.size)


def serve(settings: Settings, arguments: argparse.Namespace) -> int:
    """Serve the API until SIGINT or SIGTERM; exit 0 after a clean shutdown."""
    # Imported here: only this command needs the web stack, and every command starts faster.
    import uvicorn  # noqa: PLC0415

    from api.http.app import create_app  # noqa: PLC0415

    _log_to_stderr()
    with ExitStack() as resources:
        ledger = open_ledger(settings, with_ml=True)
        resources.callback(ledger.close)
        listening = resources.enter_context(_listen(arguments.host, arguments.port))
        workers = Workers(settings)
        app = create_app(settings, opened=ledger)
        app.state.background = workers
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=_JOIN_SECONDS)
        )
        host, port = listening.getsockname()[:2]
        print(f"serving the API on http://{host}:{port} (Ctrl-C to stop)", flush=True)
        with _signals_end(lambda: _end(server, workers)):
            workers.start()
            try:
                server.run(sockets=[listening])
            finally:
                workers.close()
    print("stopped", flush=True)
    return EXIT_OK


def _end(server: Any, workers: Workers) -> None:
    server.should_exit = True
    workers.stop.set()


def _log_to_stderr() -> None:
    """The workers' news on stderr beside uvicorn's, once per process."""
    if not any(getattr(handler, "govledger_serve", False) for handler in _LOG.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(threadName)s: %(message)s"))
        handler.govledger_serve = True  # type: ignore[attr-defined]
        _LOG.addHandler(handler)
    _LOG.setLevel(logging.INFO)


@contextmanager
def _signals_end(end: Callable[[], None]) -> Iterator[None]:
    """While serving, SIGINT and SIGTERM call ``end``.

    uvicorn takes them over while it runs and raises them again once it has shut down; they
    then land here, so the shutdown is not cut short and the command exits 0.
    """
    previous = {
        number: signal.signal(number, lambda *_: end())
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; ConfigurationError naming what to change when it cannot."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigurationError(f"--host {host!r} is not an address: {exc.strerror}") from None
    family, kind, protocol, _, address = found[0]
    listening = socket.socket(family, kind, protocol)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
    except OSError as exc:
        listening.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "or --host"
        ) from None
    return listening


def _port(text: str) -> int:
    """``--port``: 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port
