"""The "verified" badge: the latest stored checkpoint and the result of verifying it.

Verifying means: the note's signature checks against a published log key and the pinned
origin, and the root it signs equals the stored tree's root at its size. The result is cached
by checkpoint (its size, stored root and note), so a page view costs one lookup, not a verification.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from api.composition import Ledger
from ledger.errors import VerificationError
from ledger.tlog.checkpoint import checkpoint_time, open_checkpoint

__all__ = ["Badge", "BadgeCache"]


@dataclass(frozen=True)
class Badge:
    """What the badge shows: ``verified`` or not, and why."""

    verified: bool
    size: int | None
    root: str | None
    time: str | None
    detail: str


class BadgeCache:
    """Badges of checkpoints already verified, by (size, stored root, note)."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, bytes, str], Badge] = {}
        self._lock = threading.Lock()

    def badge(self, ledger: Ledger) -> Badge:
        """The badge of the latest stored checkpoint (verified once per checkpoint)."""
        tree = ledger.tree
        with tree.reading() as c:
            latest = tree.latest_checkpoint(c)
        if latest is None:
            return Badge(False, None, None, None, "no checkpoint yet: run `govledger checkpoint`")
        key = (latest.size, latest.root, latest.note)
        with self._lock:
            if key not in self._found:
                self._found[key] = _verify(ledger, latest.size, latest.root, latest.note)
            return self._found[key]


def _verify(ledger: Ledger, size: int, stored_root: bytes, note: str) -> Badge:
    root = base64.b64encode(stored_root).decode("ascii")
    verifiers = ledger.log_verifiers()
    try:
        checkpoint = open_checkpoint(note, verifiers, ledger.settings.log_origin)
        seconds = checkpoint_time(note, verifiers)
    except (VerificationError, ValueError) as exc:
        return Badge(False, size, root, None, f"checkpoint {size} does not verify: {exc}")
    time = None if seconds is None else datetime.fromtimestamp(seconds, UTC).isoformat()
    tree = ledger.tree
    with tree.reading() as c:
        tree_root = tree.root_at(c, checkpoint.size)
    if checkpoint.size != size or checkpoint.root != stored_root or tree_root != stored_root:
        return Badge(False, size, root, time, f"checkpoint {size} does not match the stored tree")
    return Badge(
        True, size, root, time, "signature checks against the log key; root equals the tree's"
    )
