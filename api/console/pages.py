"""What each console page shows, as one cited answer: every part read at the same log size.

The read side is brought up to date first (as the CLI's questions do); then the queries run as
of ``as_of`` (a log size or an RFC 3339 time; None: the latest) in one session.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from api import read_side
from api.composition import Ledger
from api.console.monitoring import KPIS, QUALITY, charts_of
from api.console.svg import Bar, Edge, Node, bar_chart, line_chart, lineage_graph
from projections.decisions.query import why
from projections.deployments import deployments
from projections.inventory import inventory
from projections.lineage.queries import lineage
from projections.read_state import ReadView
from projections.risk.register import risk_register
from projections.timeline import timeline

__all__ = ["inventory_page", "model_page"]

_TIMELINE_LIMIT = 1000
_DI_THRESHOLD = 0.8
_PSI_THRESHOLD = 0.25


def _answer(ledger: Ledger, as_of: str | None, query: read_side.Query) -> dict[str, Any]:
    read_side.projector(ledger).catch_up()
    return read_side.cited_answer(ledger, read_side.read_view(ledger), as_of, query)


def inventory_page(ledger: Ledger, as_of: str | None) -> dict[str, Any]:
    """The model inventory as of ``as_of``."""
    return _answer(ledger, as_of, lambda view, size: inventory(view, size, limit=1000))


def model_page(ledger: Ledger, as_of: str | None, model: str) -> dict[str, Any]:
    """A model's why, timeline, risk register, deployments, lineage graph and charts."""

    def query(view: ReadView, size: int) -> dict[str, Any]:
        reasons = why(view, size, model)
        register = risk_register(view, size, model)
        events = timeline(view, size, model, limit=_TIMELINE_LIMIT)
        versions = [row["version"] for row in register["rows"]]
        graphs = [lineage(view, size, model, direction=None, depth=5)] + [
            lineage(view, size, f"{model}@{v}", direction="upstream", depth=4) for v in versions
        ]
        return {
            "why": reasons,
            "register": register,
            "timeline": events,
            "deployments": deployments(view, size, model),
            "graph": _merged(graphs),
        }

    answer = _answer(ledger, as_of, query)
    charts = charts_of(ledger.application, answer["timeline"]["rows"])
    nodes, edges = answer["graph"]
    answer["lineage_svg"] = lineage_graph(nodes, edges)
    answer["lineage_counts"] = {"nodes": len(nodes), "edges": len(edges)}
    answer["approvals"] = _approvals(answer["register"]["rows"])
    labels = [point.label for point in charts.over_time]
    answer["charts"] = {
        "fairness": bar_chart(
            f"Selection rate by group ({charts.fairness_of or 'no validation yet'})",
            [Bar(k, v) for k, v in charts.selection_by_group.items()],
        ),
        "disparate_impact": bar_chart(
            f"Disparate impact per attribute ({charts.window_of or 'no monitoring window yet'})",
            [Bar(k, v) for k, v in charts.disparate_impact.items()],
        ),
        "psi": bar_chart(
            "PSI per feature (drift; features with PSI over the warning level)",
            [Bar(k, v) for k, v in sorted(charts.psi.items())],
            threshold=_PSI_THRESHOLD,
        ),
        "quality": line_chart(
            "Quality over time",
            labels,
            {m: [p.metrics.get(m) for p in charts.over_time] for m in QUALITY},
        ),
        "kpis": line_chart(
            "KPIs over time (monitoring windows)",
            labels,
            {m: [p.metrics.get(m) for p in charts.over_time] for m in KPIS},
        ),
    }
    answer["di_threshold"] = _DI_THRESHOLD
    return answer


def _merged(graphs: list[dict[str, Any]]) -> tuple[list[Node], list[Edge]]:
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    for graph in graphs:
        for node in graph["nodes"]:
            nodes.setdefault(node["key"], Node(node["key"], node["name"], node["type"]))
        for edge in graph["edges"]:
            key = (edge["source"], edge["target"], edge["relation"])
            edges.setdefault(key, Edge(*key))
    return list(nodes.values()), list(edges.values())


def _approvals(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every approval with the status of its signature: valid, revoked or expired."""
    today = date.today().isoformat()
    found = []
    for row in rows:
        for approval in row["approvals"]:
            if approval.get("revoked"):
                status = "revoked"
            elif approval.get("expires") and str(approval["expires"]) < today:
                status = "expired"
            else:
                status = "valid"
            found.append({"version": row["version"], "status": status, **approval})
    return found
