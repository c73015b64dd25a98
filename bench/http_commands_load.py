"""Closed-loop load: N client threads, each running iterations of dependent operations.

Each client starts at one barrier and runs iterations back to back until the run's time is up
(it finishes the iteration it is in). An iteration is a list of operations that depend on each
other (a version, then its approval, then its deployment), so the first failure ends it. Every
operation is timed alone; ops/s counts successful operations over the wall time of the run.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter

__all__ = ["Load", "Operation", "percentile", "run_clients"]


@dataclass(frozen=True)
class Operation:
    """One timed operation: ``call`` returns on success and raises on failure."""

    name: str
    call: Callable[[], None]


@dataclass
class Load:
    """What a run measured."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    iterations: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def successes(self) -> int:
        """Operations that succeeded."""
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Successful operations per second."""
        return self.successes / self.seconds

    @property
    def iteration_rate(self) -> float:
        """Complete iterations per second."""
        return self.iterations / self.seconds

    def error_summary(self) -> str:
        """``none``, or the count of errors and the most common messages."""
        if not self.errors:
            return "none"
        common = "; ".join(f"{count}x {message}" for message, count in self.errors.most_common(3))
        return f"{sum(self.errors.values())} ({common})"


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (``fraction`` in (0, 1])."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


def run_clients(
    clients: int, iteration: Callable[[int], list[Operation]], *, seconds: float
) -> Load:
    """Run ``clients`` threads, client ``i`` running ``iteration(i)`` until ``seconds`` pass."""
    load = Load(clients=clients)
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(number: int) -> None:
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        done = 0
        barrier.wait()
        while perf_counter() < deadline[0]:
            for operation in iteration(number):
                started = perf_counter()
                try:
                    operation.call()
                except Exception as error:
                    errors[f"{operation.name}: {_message(error)}"] += 1
                    break
                latencies.append(perf_counter() - started)
            else:
                done += 1
        with lock:
            load.latencies.extend(latencies)
            load.errors.update(errors)
            load.iterations += done

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    started = perf_counter()
    deadline[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    load.seconds = perf_counter() - started
    return load


def _message(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text[:160]}"
