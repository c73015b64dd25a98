"""The in-memory read side passes the read side's storage contract."""

from __future__ import annotations

from projections.read_state import Position, ReadView
from projections.store.memory import InMemoryReadSide
from tests.contracts.read_side import Operation, ReadSideContract


class TestInMemoryReadSide(ReadSideContract):
    def apply_history(self, history: list[tuple[str, list[Operation]]], batch: int) -> ReadView:
        read_side = InMemoryReadSide()
        for leaf, (recorded_at, operations) in enumerate(history):
            read_side.at(Position(leaf, recorded_at))
            for operation in operations:
                operation(read_side)
        return read_side
