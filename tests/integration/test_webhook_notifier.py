"""WebhookNotifier against a real HTTP receiver on 127.0.0.1: delivery, outages, retries,
redelivery after a crash (at-least-once, same Idempotency-Key), dead letters."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adapters.notify.webhook import WebhookNotifier
from domain.errors import InvalidArgumentError


class Receiver:
    """An HTTP server answering POSTs with scripted statuses (then 200), recording each one."""

    def __init__(self, port: int = 0, statuses: tuple[int, ...] = (), delay_s: float = 0) -> None:
        self.received: list[tuple[dict[str, str], dict[str, object]]] = []
        self.statuses = list(statuses)
        self.delay_s = delay_s
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), json.loads(body)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                    receiver.delay_s = 0
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/secret-token"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def notifier(url: str, outbox: Path, **options: float) -> WebhookNotifier:
    return WebhookNotifier(url, outbox, backoff_s=0.01, **options)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


FINDING = {"kind": "DriftFlagged", "model": "credit-risk", "version": 2, "share": 0.4}


def test_a_notice_is_delivered_once_with_its_body_and_idempotency_key(
    receiver: Receiver, tmp_path: Path
) -> None:
    webhook = notifier(receiver.url, tmp_path)
    webhook.notify(FINDING)

    first, again = webhook.deliver_pending(), webhook.deliver_pending()

    assert (first.delivered, first.pending, again.delivered) == (1, 0, 0)
    [(headers, body)] = receiver.received
    assert body == {**FINDING, "notice_id": body["notice_id"]}
    assert headers["Idempotency-Key"] == body["notice_id"]
    assert headers["Content-Type"] == "application/json"


def test_notices_are_delivered_in_the_order_they_were_queued(
    receiver: Receiver, tmp_path: Path
) -> None:
    webhook = notifier(receiver.url, tmp_path)
    for version in range(5):
        webhook.notify({**FINDING, "version": version})

    assert webhook.deliver_pending().delivered == 5
    assert [body["version"] for _, body in receiver.received] == [0, 1, 2, 3, 4]


def test_a_receiver_outage_keeps_the_notices_queued_until_it_is_back(tmp_path: Path) -> None:
    port = free_port()
    webhook = notifier(f"http://127.0.0.1:{port}/hook", tmp_path, max_attempts=2)
    webhook.notify(FINDING)
    webhook.notify({**FINDING, "version": 3})

    down = webhook.deliver_pending()

    assert (down.delivered, down.pending) == (0, 2)
    assert down.error is not None
    assert "ConnectionRefusedError" in down.error
    assert "after 2 attempts" in down.error
    back = Receiver(port)
    try:
        up = webhook.deliver_pending()
    finally:
        back.close()
    assert (up.delivered, up.pending, up.error) == (2, 0, None)
    assert [body["version"] for _, body in back.received] == [2, 3]


def test_a_receiver_answering_503_twice_gets_the_notice_on_the_third_attempt(
    tmp_path: Path,
) -> None:
    flaky = Receiver(statuses=(503, 503))
    try:
        webhook = notifier(flaky.url, tmp_path, max_attempts=3)
        webhook.notify(FINDING)
        report = webhook.deliver_pending()
    finally:
        flaky.close()

    assert (report.delivered, report.pending) == (1, 0)
    keys = {headers["Idempotency-Key"] for headers, _ in flaky.received}
    assert len(flaky.received) == 3
    assert len(keys) == 1


def test_retries_are_bounded_per_call_and_the_notice_stays_queued(tmp_path: Path) -> None:
    busy = Receiver(statuses=(429, 500, 502, 200))
    try:
        webhook = notifier(busy.url, tmp_path, max_attempts=2)
        webhook.notify(FINDING)
        first = webhook.deliver_pending()
        second = webhook.deliver_pending()
    finally:
        busy.close()

    assert (first.delivered, first.pending) == (0, 1)
    assert first.error is not None
    assert "HTTP 500" in first.error
    assert (second.delivered, second.pending) == (1, 0)
    assert len(busy.received) == 4


def test_a_crash_before_marking_redelivers_with_the_same_key(tmp_path: Path) -> None:
    # The receiver takes the notice but answers after the sender gave up: as if the sender
    # crashed between the POST and writing down that it was delivered.
    slow = Receiver(delay_s=1.0)
    try:
        crashed = notifier(slow.url, tmp_path, max_attempts=1, timeout_s=0.2)
        crashed.notify(FINDING)
        lost = crashed.deliver_pending()
        restarted = notifier(slow.url, tmp_path)
        redelivered = restarted.deliver_pending()
    finally:
        slow.close()

    assert (lost.delivered, lost.pending) == (0, 1)
    assert (redelivered.delivered, redelivered.pending) == (1, 0)
    [first, second] = slow.received
    assert first[0]["Idempotency-Key"] == second[0]["Idempotency-Key"]
    assert first[1] == second[1]


def test_a_permanent_refusal_goes_to_the_dead_letter_file_and_the_next_notice_goes_on(
    tmp_path: Path,
) -> None:
    refusing = Receiver(statuses=(400,))
    try:
        webhook = notifier(refusing.url, tmp_path)
        webhook.notify(FINDING)
        webhook.notify({**FINDING, "version": 3})
        report = webhook.deliver_pending()
    finally:
        refusing.close()

    assert (report.delivered, report.dead_lettered, report.pending) == (1, 1, 0)
    [dead] = [
        json.loads(line) for line in (tmp_path / "dead_letter.jsonl").read_text().split("\n")[:-1]
    ]
    assert dead["status"] == 400
    assert dead["notice"] == refusing.received[0][1]


def test_a_line_torn_by_a_crash_during_notify_is_dropped_on_restart(
    receiver: Receiver, tmp_path: Path
) -> None:
    notifier(receiver.url, tmp_path).notify(FINDING)
    with (tmp_path / "outbox.jsonl").open("ab") as outbox:
        outbox.write(b'{"kind":"Drif')

    restarted = notifier(receiver.url, tmp_path)
    restarted.notify({**FINDING, "version": 3})

    assert restarted.pending() == 2
    assert restarted.deliver_pending().delivered == 2
    assert [body["version"] for _, body in receiver.received] == [2, 3]


def test_the_background_thread_delivers_until_stopped(receiver: Receiver, tmp_path: Path) -> None:
    webhook = notifier(receiver.url, tmp_path)
    webhook.start(every_s=0.02)
    try:
        webhook.notify(FINDING)
        deadline = time.monotonic() + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        webhook.stop()

    assert len(receiver.received) == 1
    assert webhook.pending() == 0


def test_credentials_in_the_url_go_in_a_header_and_never_in_an_error(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://alert:s3cret@127.0.0.1:{port}/hooks/t0ken?key=k3y"
    webhook = notifier(url, tmp_path, max_attempts=1)
    webhook.notify(FINDING)

    report = webhook.deliver_pending()

    assert report.error is not None
    for secret in ("s3cret", "t0ken", "k3y", "alert"):
        assert secret not in report.error
        assert secret not in webhook.shown_url
    back = Receiver(port)
    try:
        webhook.deliver_pending()
    finally:
        back.close()
    [(headers, _)] = back.received
    assert headers["Authorization"] == "Basic YWxlcnQ6czNjcmV0"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/hook", "file:///etc/passwd", "http:///no-host", "example.org/hook"]
)
def test_only_http_and_https_urls_are_accepted(url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match=r"http\(s\)://host"):
        WebhookNotifier(url, tmp_path)


def test_a_notice_that_is_not_json_or_brings_its_own_id_is_refused(tmp_path: Path) -> None:
    webhook = WebhookNotifier("https://hooks.example.org/x", tmp_path)

    with pytest.raises(InvalidArgumentError, match="JSON object"):
        webhook.notify({"when": object()})
    with pytest.raises(InvalidArgumentError, match="notice_id is generated"):
        webhook.notify({"notice_id": "mine"})
    assert webhook.pending() == 0
