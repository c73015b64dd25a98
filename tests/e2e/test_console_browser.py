"""The auditor console in a real browser: headless Chromium (Debian's) driven by Playwright.

An auditor signs in with a token on the demo's ledger, finds credit-risk in the inventory, opens
its page and sees its lineage graph and monitoring charts drawn, the verified badge, and fewer
versions as of an early log size. Full-page screenshots are saved under
``$GOVLEDGER_TEST_ARTIFACTS/console`` (default ``test-artifacts/console``).

Under CI (``CI`` set) a missing /usr/bin/chromium is a failure, not a skip: `.ci/run` installs it.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from api.composition import open_ledger
from api.http.app import create_app
from api.settings import Settings
from api.tokens import TokenStore
from domain.rules.roles import Role
from tests.e2e.conftest import GOVLEDGER, Cli

CHROMIUM = Path("/usr/bin/chromium")
AUDITOR = "ada-auditor"
MODEL = "credit-risk"
_DEMO_SECONDS = 900
_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _artifacts() -> Path:
    folder = Path(os.environ.get("GOVLEDGER_TEST_ARTIFACTS", "test-artifacts")) / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, an auditor's token) of the API serving the demo's ledger on a free port."""
    _require_chromium()
    folder = tmp_path_factory.mktemp("console")
    database_url = f"sqlite:///{folder / 'ledger.db'}"
    cli = Cli(cwd=folder, home=folder / "home", database_url=database_url)
    cli.ok("init")
    demo = subprocess.run(  # the demo trains and scores: slower than Cli.run's timeout on CI
        [str(GOVLEDGER), "demo"],
        cwd=folder,
        env=cli.environment(),
        capture_output=True,
        text=True,
        timeout=_DEMO_SECONDS,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    cli.ok("checkpoint")
    ledger = open_ledger(Settings(database_url=database_url, home=cli.home))
    ledger.application.register_principal(actor="admin", name=AUDITOR, roles=[Role.AUDITOR])
    expires = datetime.now(UTC) + timedelta(days=1)
    token = TokenStore(ledger.database).issue(AUDITOR, label="browser", expires_at=expires).secret
    port = _free_port()
    app = create_app(ledger.settings, opened=ledger)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start in 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        ledger.close()


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 600, (path, width)
    assert height >= 200, (path, height)
    assert len(data) > 20_000, (path, len(data))


def _sign_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/console/")
    assert page.url.endswith("/console/login")
    page.fill("#token", "gl_000000000000_" + "x" * 43)
    page.click("#signin")
    refusal = page.inner_text("#message")
    assert refusal
    assert "x" * 43 not in refusal
    page.fill("#token", token)
    page.click("#signin")
    page.wait_for_url(f"{base}/console/")


def _check_model_page(page: Page) -> None:
    assert page.inner_text("#model-name") == MODEL
    graph = page.locator("#lineage svg")
    node_types = graph.locator("g.node").evaluate_all("ns => ns.map(n => n.dataset.type)")
    assert {"dataset", "dataset_version", "training_run", "model_version"} <= set(node_types)
    assert node_types.count("model_version") == 3
    assert graph.locator("g.edge").count() >= 30
    assert graph.locator("g.edge[data-relation='used']").count() >= 3
    assert page.locator("#lineage svg text", has_text="german-credit@1").count() == 1
    box = graph.bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 200
    assert page.locator("#chart-fairness svg g.bar").count() >= 6
    assert page.locator("#chart-di svg g.bar").count() == 3
    assert page.locator("#chart-psi svg g.bar").count() >= 4
    assert page.locator("#chart-quality svg circle.point").count() >= 5
    assert page.locator("#chart-kpis svg circle.point").count() >= 2
    assert page.locator("#approvals td.status-valid").count() == 4
    assert page.locator("#timeline tr").count() > 50


def test_an_auditor_reads_credit_risk_in_headless_chromium(console: tuple[str, str]) -> None:
    base, token = console
    shots = _artifacts()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        _sign_in(page, base, token)
        assert page.locator("#inventory a", has_text=MODEL).count() == 1
        assert "✔ verified: checkpoint" in page.inner_text("#badge")
        page.screenshot(path=str(shots / "inventory.png"), full_page=True)

        page.click(f"#inventory a:has-text('{MODEL}')")
        page.wait_for_selector("#lineage svg")
        _check_model_page(page)
        page.screenshot(path=str(shots / "credit-risk.png"), full_page=True)
        page.locator("#lineage svg").screenshot(path=str(shots / "credit-risk-lineage.png"))

        page.fill("#as_of", "30")
        page.click("form.asof button")
        page.wait_for_url("**as_of=30")
        assert page.inner_text("#log-size") == "30"
        assert page.locator(".version").all_inner_texts() == ["v1"]
        assert page.locator("#lineage svg g.node[data-type='model_version']").count() == 1
        page.screenshot(path=str(shots / "credit-risk-as-of-30.png"), full_page=True)

        page.goto(f"{base}/console/models/no-such-model")
        assert "no model 'no-such-model'" in page.inner_text("#message")
        browser.close()

    for name in ("inventory", "credit-risk", "credit-risk-lineage", "credit-risk-as-of-30"):
        _assert_png(shots / f"{name}.png")
