"""Principals as of a log size: their roles and personal keys, each key with its status.

No read model keeps principals (few, and each a short history), so they are read from the
signed store: a principal's events up to the last whose leaf is below the size asked for,
replayed through the application's mapper (which opens and checks every envelope). Every
principal cites the leaves of those events.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from api.composition import Ledger
from domain.aggregates.principal import Principal
from projections.errors import NotFoundError

__all__ = ["principal_names", "principal_state", "principals"]

_PAGE = 1000


def principal_state(ledger: Ledger, size: int, name: str) -> dict[str, Any]:
    """Principal ``name`` in the log of ``size`` leaves; NotFoundError if not registered then."""
    found = _principal_at(ledger, size, name)
    if found is None:
        known = ", ".join(principal_names(ledger, size)) or "none"
        raise NotFoundError(f"no principal {name!r} at log size {size}; registered: {known}")
    return found


def principals(ledger: Ledger, size: int) -> list[dict[str, Any]]:
    """Every principal registered in the log of ``size`` leaves, by name."""
    found = (_principal_at(ledger, size, name) for name in principal_names(ledger, size))
    return [principal for principal in found if principal is not None]


def principal_names(ledger: Ledger, size: int) -> list[str]:
    """The names of the principals registered below leaf ``size``, sorted."""
    topic = f"{get_topic(Principal)}.Registered"
    recorder = ledger.recorder
    names = []
    start: int | None = None
    while True:
        page = recorder.select_notifications(
            start, _PAGE, topics=[topic], inclusive_of_start=start is None
        )
        for notification in page:
            identity = UUID(str(notification.originator_id))
            entry = recorder.leaf_of(identity, notification.originator_version)
            if entry is not None and entry.leaf_index < size:
                principal: Principal = ledger.application.repository.get(identity, version=1)
                names.append(principal.name)
        if len(page) < _PAGE:
            return sorted(names)
        start = page[-1].id


def _principal_at(ledger: Ledger, size: int, name: str) -> dict[str, Any] | None:
    identity = Principal.create_id(name)
    recorder = ledger.recorder
    leaves = []
    for stored in recorder.select_events(identity):
        entry = recorder.leaf_of(identity, stored.originator_version)
        if entry is None or entry.leaf_index >= size:
            break
        leaves.append(entry.leaf_index)
    if not leaves:
        return None
    principal: Principal = ledger.application.repository.get(identity, version=len(leaves))
    return {
        "name": principal.name,
        "roles": sorted(role.value for role in principal.roles),
        "registered_by": principal.registered_by,
        "keys": [
            {
                "keyid": keyid,
                "public_key_pem": pem,
                "status": "revoked" if keyid in principal.revoked_keys else "active",
            }
            for keyid, pem in sorted(principal.keys.items())
        ],
        "sources": leaves,
    }
