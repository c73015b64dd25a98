"""``govledger serve`` as an operator runs it, on SQLite and on PostgreSQL: it answers probes,
takes a token from ``govledger token create``, projects what another process appends, and
stops cleanly (exit 0) on SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import GOVLEDGER, Cli, assert_one_line_error

_STARTUP_SECONDS = 120.0
_PATIENCE_SECONDS = 30.0
_SERVING = re.compile(r"serving the API on (http://\S+) ")


@dataclass(frozen=True)
class Answer:
    """An HTTP status and body (0 and "" when nothing answered)."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass(frozen=True)
class Server:
    """A running ``govledger serve`` and where it answers."""

    process: subprocess.Popen[str]
    url: str
    stdout: Path
    stderr: Path

    def get(self, path: str, token: str | None = None) -> Answer:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Answer(response.status, response.read().decode())
        except urllib.error.HTTPError as refused:
            return Answer(refused.code, refused.read().decode())
        except OSError:  # not listening yet
            return Answer(0, "")

    def output(self) -> str:
        return f"--- stdout\n{self.stdout.read_text()}--- stderr\n{self.stderr.read_text()}"


def _eventually(condition: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.1)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=url)
    cli.ok("init")
    return cli


@pytest.fixture
def server(cli: Cli, tmp_path: Path) -> Iterator[Server]:
    """``govledger serve --port 0`` (a free port, which it prints), stopped after the test."""
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [str(GOVLEDGER), "serve", "--port", "0"],
            cwd=cli.cwd,
            env={**cli.environment(), "GOVLEDGER_CHECKPOINT_EVERY_SECONDS": "0.5"},
            stdout=out,
            stderr=err,
            text=True,
        )
    try:
        found: list[str] = []

        def listening() -> bool:
            assert process.poll() is None, stderr.read_text()
            found.extend(_SERVING.findall(stdout.read_text()))
            return bool(found)

        _eventually(listening, "serve says where it listens", _STARTUP_SECONDS)
        yield Server(process, found[0], stdout, stderr)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _ready(server: Server) -> dict[str, Any]:
    answer = server.get("/readyz")
    body: dict[str, Any] = answer.json()
    return body


def test_serve_answers_authenticates_projects_and_stops_cleanly(cli: Cli, server: Server) -> None:
    _eventually(lambda: server.get("/healthz").status_code == 200, "healthz", _PATIENCE_SECONDS)
    assert server.get("/healthz").json() == {"status": "ok"}
    _eventually(lambda: server.get("/readyz").status_code == 200, "ready", _PATIENCE_SECONDS)
    assert _ready(server)["checks"]["workers"] == {"ok": True, "detail": "running"}

    issued = json.loads(cli.ok("token", "create", "--principal", "admin", "--json").stdout)
    without = server.get("/v1/ledger/keys")
    garbage = server.get("/v1/ledger/keys", token="garbage")
    with_token = server.get("/v1/ledger/keys", token=issued["token"])
    assert without.status_code == 401, without.text
    assert garbage.status_code == 401, garbage.text
    assert with_token.status_code == 200, with_token.text
    cli.ok("token", "revoke", issued["id"])
    assert server.get("/v1/ledger/keys", token=issued["token"]).status_code == 401

    cli.ok("demo", "--data-only")  # another process appends 3 entries

    def projected() -> bool:
        read_side = _ready(server)["checks"]["read_side"]
        return bool(read_side["position"] == read_side["log_size"] == 4)

    _eventually(projected, "the worker projects what demo appended", _PATIENCE_SECONDS)
    metrics = server.get("/metrics").text
    assert "govledger_read_side_lag 0.0" in metrics
    assert 'route="/v1/ledger/keys",status="401"' in metrics

    server.process.send_signal(signal.SIGTERM)
    status = server.process.wait(timeout=60)

    assert status == 0, server.output()
    assert server.stdout.read_text().rstrip().endswith("stopped"), server.output()
    assert "Traceback" not in server.output()
    assert issued["token"] not in server.output()


def test_a_port_in_use_is_a_one_line_error(cli: Cli, server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]

    outcome = cli.run("serve", "--port", port)

    assert_one_line_error(outcome, f"cannot listen on 127.0.0.1:{port}", "--port")


def test_serve_on_an_uninitialised_ledger_is_a_one_line_error(
    tmp_path: Path, sqlite_url: str
) -> None:
    cli = Cli(cwd=tmp_path, home=tmp_path / "home", database_url=sqlite_url)

    outcome = cli.run("serve", "--port", "0")

    assert_one_line_error(outcome, "not initialised", "govledger init")


def test_a_port_out_of_range_is_refused_by_the_parser(tmp_path: Path) -> None:
    outcome = Cli(cwd=tmp_path, home=tmp_path / "home").run("serve", "--port", "70000")

    assert outcome.status == 2, outcome
    assert "not a port number (0 to 65535)" in outcome.stderr
    assert "Traceback" not in outcome.stderr
