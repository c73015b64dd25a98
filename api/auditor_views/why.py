"""Human output of ``projections.decisions.query.why``: why each version is allowed where it runs.

Per version: where it runs, a table of the verdict per environment, then one statement per
line, each ending with its citation (``[leaf 41]``, ``[leaves 41, 42]``), so every claim can be
checked with an inclusion proof of the leaves cited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from api.text_table import format_table

__all__ = ["citation", "render"]


def render(result: Mapping[str, Any]) -> str:
    """The model's tier and policy, then each version's verdicts and statements."""
    tier, policy = result["risk_tier"], result["policy"]
    lines = [
        f"Why {result['model']} (risk tier {tier['tier']} {citation(tier['sources'])}; "
        f"policy {policy['version']} {citation(policy['sources'])})"
    ]
    if not result["versions"]:
        lines.append("(no version trained)")
    for version in result["versions"]:
        lines += ["", *_version(version)]
    return "\n".join(lines)


def citation(sources: Sequence[int]) -> str:
    """``[leaf 41]``, ``[leaves 41, 42]``, or ``[no leaf: defaults]`` for what the log never set."""
    if not sources:
        return "[no leaf: defaults]"
    if len(sources) == 1:
        return f"[leaf {sources[0]}]"
    return f"[leaves {', '.join(str(leaf) for leaf in sources)}]"


def _version(version: Mapping[str, Any]) -> list[str]:
    runs = ", ".join(version["environments"]) or "nowhere"
    verdicts = [
        [
            verdict["environment"],
            "live" if verdict["live"] else "not deployed",
            "yes" if verdict["allowed"] else "no",
            verdict["reason"],
        ]
        for verdict in version["allowed"]
    ]
    table = format_table(["environment", "state", "allowed", "reason"], verdicts)
    statements = [
        f"- {item['statement']} {citation(item['sources'])}" for item in version["statements"]
    ]
    return [f"Version {version['version']}: runs in {runs}", table, "Statements:", *statements]
