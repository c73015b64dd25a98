"""``WebhookNotifier``: the ``Notifier`` port over HTTP POST, with a durable outbox.

``notify`` appends the notice to ``outbox.jsonl`` (one canonical JSON line, RFC 8785, fsynced)
and returns: a receiver outage loses nothing. ``deliver_pending`` POSTs the queued notices in
order and records, durably, how far it got (``delivered``, the byte offset of the next notice).

Delivery is at-least-once: a crash after the receiver took a notice but before the offset is
written sends it again, with the same ``Idempotency-Key`` header (the notice's ``notice_id``) so
the receiver can drop the duplicate. Connection errors, timeouts, 408, 429 and 5xx are retried
with exponential backoff, a bounded number of times per call; the notice then stays queued, and
so do those after it (order is kept). Any other answer (3xx, 4xx) is permanent: the notice goes
to ``dead_letter.jsonl`` with the status, never silently dropped. One process per outbox.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidArgumentError
from ledger.encoding.canonical import canonical_json
from ledger.errors import CanonicalizationError

__all__ = ["DeliveryReport", "WebhookNotifier"]

_RETRIED_STATUSES = frozenset({408, 429})
_MAX_BACKOFF_S = 30.0


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one ``deliver_pending`` call did: notices ``delivered`` and ``dead_lettered``, the
    number still ``pending``, and the last retryable ``error`` (URL secrets redacted)."""

    delivered: int
    dead_lettered: int
    pending: int
    error: str | None = None


class WebhookNotifier:
    """Queues notices in ``outbox_dir`` and POSTs them as JSON to ``url`` (http or https)."""

    def __init__(
        self,
        url: str,
        outbox_dir: Path,
        *,
        timeout_s: float = 5.0,
        max_attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._target, self._authorization, self.shown_url = _checked_url(url)
        if timeout_s <= 0 or max_attempts < 1 or backoff_s < 0:
            raise InvalidArgumentError("timeout_s > 0, max_attempts >= 1 and backoff_s >= 0")
        self._timeout_s = timeout_s
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        outbox_dir.mkdir(parents=True, exist_ok=True)
        self._outbox = outbox_dir / "outbox.jsonl"
        self._position = outbox_dir / "delivered"
        self._dead_letter = outbox_dir / "dead_letter.jsonl"
        self._appending = threading.Lock()
        self._delivering = threading.Lock()
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._worker: tuple[threading.Thread, threading.Event] | None = None
        _drop_torn_tail(self._outbox)

    def notify(self, notice: Mapping[str, object]) -> None:
        """Queue ``notice`` (a JSON object without a ``notice_id``) durably, then return."""
        if "notice_id" in notice:
            raise InvalidArgumentError("a notice's notice_id is generated: leave it out")
        try:
            line = canonical_json({**notice, "notice_id": uuid.uuid4().hex}) + b"\n"
        except (CanonicalizationError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(f"a notice must be a JSON object: {exc}") from exc
        with self._appending:
            _append(self._outbox, line)

    def pending(self) -> int:
        """How many queued notices are neither delivered nor dead-lettered."""
        return len(self._queued(self._delivered_offset()))

    def deliver_pending(self) -> DeliveryReport:
        """POST the queued notices in order; stop at one still failing after the retries."""
        with self._delivering:
            offset = self._delivered_offset()
            queued = self._queued(offset)
            delivered = dead = 0
            for line in queued:
                status, error = self._post_with_retries(line)
                if error is not None:
                    return DeliveryReport(delivered, dead, len(queued) - delivered - dead, error)
                if not 200 <= status < 300:
                    _append(self._dead_letter, _dead_record(line, status))
                    dead += 1
                else:
                    delivered += 1
                offset += len(line)
                _replace(self._position, str(offset).encode("ascii"))
            return DeliveryReport(delivered, dead, 0)

    def start(self, every_s: float = 5.0) -> None:
        """Deliver in a background thread every ``every_s`` seconds until ``stop``."""
        if self._worker is not None:
            return
        stopping = threading.Event()

        def run() -> None:
            while not stopping.is_set():
                # A failing outbox folder leaves the notices queued for the next round.
                with contextlib.suppress(OSError):
                    self.deliver_pending()
                stopping.wait(every_s)

        thread = threading.Thread(target=run, name="webhook-notifier", daemon=True)
        self._worker = (thread, stopping)
        thread.start()

    def stop(self) -> None:
        """Stop the background thread after its current delivery."""
        if self._worker is not None:
            thread, stopping = self._worker
            stopping.set()
            thread.join()
            self._worker = None

    def _post_with_retries(self, line: bytes) -> tuple[int, str | None]:
        """(HTTP status, None) once the receiver answered for good; (0, error) if it still
        failed transiently after ``max_attempts``."""
        error = ""
        for attempt in range(self._max_attempts):
            if attempt:
                self._sleep(min(self._backoff_s * 2 ** (attempt - 1), _MAX_BACKOFF_S))
            status, error = self._post(line)
            if status and status < 500 and status not in _RETRIED_STATUSES:
                return status, None
        return 0, f"{self.shown_url}: {error} (after {self._max_attempts} attempts)"

    def _post(self, line: bytes) -> tuple[int, str]:
        body = line.rstrip(b"\n")
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": _notice_id(body),
            "User-Agent": "govledger-notifier",
            **({"Authorization": self._authorization} if self._authorization else {}),
        }
        # The scheme was checked to be http or https in the constructor.
        request = urllib.request.Request(  # noqa: S310
            self._target, data=body, headers=headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=self._timeout_s) as response:
                response.read()
                return int(response.status), ""
        except urllib.error.HTTPError as exc:
            exc.close()
            return int(exc.code), f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            return 0, f"{type(reason).__name__}: {_without(str(reason), self._target)}"

    def _delivered_offset(self) -> int:
        try:
            return int(self._position.read_text(encoding="ascii") or 0)
        except FileNotFoundError:
            return 0

    def _queued(self, offset: int) -> list[bytes]:
        try:
            with self._outbox.open("rb") as outbox:
                outbox.seek(offset)
                return [line for line in outbox if line.endswith(b"\n")]
        except FileNotFoundError:
            return []


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered as the 3xx it is: following it would re-send the notice as GET."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _checked_url(url: str) -> tuple[str, str, str]:
    """(URL without credentials, Authorization header or "", URL safe to show in errors)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = f"{parts.scheme}://{parts.hostname or ''}/..." if parts.scheme else "the URL"
        raise InvalidArgumentError(f"a webhook URL must be http(s)://host/..., not {shown}")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    authorization = ""
    if parts.username is not None:
        credentials = f"{urllib.parse.unquote(parts.username)}:"
        credentials += urllib.parse.unquote(parts.password or "")
        authorization = "Basic " + base64.b64encode(credentials.encode()).decode("ascii")
    target = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    # Paths and queries of webhook URLs often are the secret (tokens): show only the host.
    return target, authorization, f"{parts.scheme}://{netloc}/..."


def _without(text: str, target: str) -> str:
    parts = urllib.parse.urlsplit(target)
    for secret in (target, parts.path, parts.query):
        if len(secret) > 1:
            text = text.replace(secret, "...")
    return text


def _notice_id(body: bytes) -> str:
    notice_id: str = json.loads(body)["notice_id"]
    return notice_id


def _dead_record(line: bytes, status: int) -> bytes:
    return b'{"status":%d,"notice":%s}\n' % (status, line.rstrip(b"\n"))


def _append(path: Path, line: bytes) -> None:
    """Append ``line`` and fsync it (and the folder when the file is new)."""
    created = not path.exists()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    if created:
        _fsync_folder(path.parent)


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` atomically and durably (temporary file, fsync, rename)."""
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left without its newline by a crash: it was never acknowledged."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as outbox:
        outbox.seek(-1, os.SEEK_END)
        if outbox.read(1) == b"\n":
            return
    content = path.read_bytes()
    os.truncate(path, content.rfind(b"\n") + 1)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
