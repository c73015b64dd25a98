"""Names of the tables the ledger writes (created by the project's Alembic migrations)."""

from __future__ import annotations

__all__ = ["CHECKPOINTS_TABLE", "EVENTS_TABLE", "LEAVES_TABLE", "NODES_TABLE"]

EVENTS_TABLE = "ledger_events"
"""Signed stored events: eventsourcing's columns, the state being the DSSE envelope."""

LEAVES_TABLE = "ledger_leaves"
"""The transparency log's leaves: dense index, event identity and RFC 6962 leaf hash."""

NODES_TABLE = "ledger_tree_nodes"
"""Hashes of complete subtrees above the leaves, up to the latest checkpoint."""

CHECKPOINTS_TABLE = "ledger_checkpoints"
"""Every signed checkpoint: tree size, root hash and the C2SP signed note."""
