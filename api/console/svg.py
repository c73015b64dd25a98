"""Inline SVG drawn on the server: a layered lineage graph, bar charts and line charts.

Every text is escaped here, so the markup returned is safe to insert into a page as is. The
drawings need no script, stylesheet or font from anywhere: a page shows them as served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

__all__ = ["Bar", "Edge", "Node", "bar_chart", "layers", "line_chart", "lineage_graph"]

_NODE_W, _NODE_H, _GAP_X, _GAP_Y, _PAD = 190, 30, 70, 14, 16
_CHART_W, _CHART_H, _LEFT, _BOTTOM = 640, 240, 150, 30
_COLOURS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#0a7ea4")
_TYPE_COLOURS = {
    "dataset": "#dbeafe",
    "dataset_version": "#dbeafe",
    "training_run": "#fef3c7",
    "model": "#dcfce7",
    "model_version": "#dcfce7",
    "finding": "#fee2e2",
    "approval": "#ede9fe",
}


@dataclass(frozen=True)
class Node:
    """A lineage node: its key (unique), the label shown and its type."""

    key: str
    label: str
    type: str


@dataclass(frozen=True)
class Edge:
    """``source`` came from, or acts on, ``target`` (``relation`` says how)."""

    source: str
    target: str
    relation: str


@dataclass(frozen=True)
class Bar:
    """One bar: its label and value."""

    label: str
    value: float


def _svg(parts: list[str]) -> Markup:
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through _text)


def _text(value: object) -> str:
    return escape(str(value), quote=True)


def layers(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, int]:
    """Each node's layer: 0 for a node with no edge out (what others came from), else one
    more than the deepest target of its edges. Cycles are cut where they close."""
    out: dict[str, list[str]] = {node.key: [] for node in nodes}
    for edge in edges:
        if edge.source in out and edge.target in out:
            out[edge.source].append(edge.target)
    depth: dict[str, int] = {}

    def visit(key: str, path: frozenset[str]) -> int:
        if key in depth:
            return depth[key]
        targets = [t for t in out[key] if t not in path]
        found = 1 + max((visit(t, path | {key}) for t in targets), default=-1)
        depth[key] = found
        return found

    for node in nodes:
        visit(node.key, frozenset())
    return depth


def lineage_graph(nodes: Sequence[Node], edges: Sequence[Edge]) -> Markup:
    """The graph drawn left to right by layer: nodes as labelled boxes, edges as labelled
    lines from a node to the node it came from."""
    depth = layers(nodes, edges)
    columns: dict[int, list[Node]] = {}
    for node in nodes:
        columns.setdefault(depth[node.key], []).append(node)
    place = _placed(columns, edges)
    width = _PAD * 2 + (max(columns, default=0) + 1) * (_NODE_W + _GAP_X) - _GAP_X
    tallest = max((len(m) for m in columns.values()), default=1)
    height = _PAD * 2 + tallest * (_NODE_H + _GAP_Y)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lineage" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'style="max-width:100%;height:auto">',
        "<title>Lineage graph</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/>'
        "</marker></defs>",
    ]
    for edge in edges:
        if edge.source not in place or edge.target not in place:
            continue
        (sx, sy), (tx, ty) = place[edge.source], place[edge.target]
        x1, y1 = sx, sy + _NODE_H / 2
        x2, y2 = tx + _NODE_W, ty + _NODE_H / 2
        parts.append(
            f'<g class="edge" data-relation="{_text(edge.relation)}">'
            f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#8c959f" '
            f'marker-end="url(#arrow)"/><text x="{(x1 + x2) / 2:.0f}" y="{(y1 + y2) / 2 - 3:.0f}"'
            f' font-size="9" fill="#57606a" text-anchor="middle">{_text(edge.relation)}</text>'
            f"<title>{_text(edge.source)} {_text(edge.relation)} {_text(edge.target)}</title></g>"
        )
    for node in nodes:
        x, y = place[node.key]
        fill = _TYPE_COLOURS.get(node.type, "#f6f8fa")
        label = node.label if len(node.label) <= 28 else node.label[:27] + "…"
        parts.append(
            f'<g class="node" data-type="{_text(node.type)}" data-key="{_text(node.key)}">'
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{_NODE_W}" height="{_NODE_H}" rx="5" '
            f'fill="{fill}" stroke="#57606a"/><text x="{x + 8:.0f}" y="{y + 19:.0f}" '
            f'font-size="12">{_text(label)}</text>'
            f"<title>{_text(node.type)}: {_text(node.key)}</title></g>"
        )
    return _svg(parts)


def _placed(
    columns: Mapping[int, list[Node]], edges: Sequence[Edge]
) -> dict[str, tuple[float, float]]:
    """Each node's top-left corner: a column per layer; within a column, nodes ordered by the
    mean row of what they came from (fewer crossings), then by type and label."""
    targets: dict[str, list[str]] = {}
    for edge in edges:
        targets.setdefault(edge.source, []).append(edge.target)
    row_of: dict[str, int] = {}
    place: dict[str, tuple[float, float]] = {}
    for layer in sorted(columns):

        def order(node: Node) -> tuple[float, str, str]:
            rows = [row_of[t] for t in targets.get(node.key, []) if t in row_of]
            return (sum(rows) / len(rows) if rows else 0.0, node.type, node.label)

        for row, node in enumerate(sorted(columns[layer], key=order)):
            row_of[node.key] = row
            place[node.key] = (_PAD + layer * (_NODE_W + _GAP_X), _PAD + row * (_NODE_H + _GAP_Y))
    return place


def bar_chart(title: str, bars: Sequence[Bar], *, threshold: float | None = None) -> Markup:
    """Horizontal bars scaled to the largest value (or ``threshold``, drawn as a dashed line)."""
    top = max(
        [abs(b.value) for b in bars] + ([threshold] if threshold is not None else []), default=1.0
    )
    scale = (_CHART_W - _LEFT - 60) / (top or 1.0)
    row = 22
    height = 30 + row * max(len(bars), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" role="img" '
        f'width="{_CHART_W}" height="{height}" viewBox="0 0 {_CHART_W} {height}">',
        f'<title>{_text(title)}</title><text x="4" y="16" font-size="13" font-weight="bold">'
        f"{_text(title)}</text>",
    ]
    if not bars:
        parts.append('<text x="4" y="44" font-size="12" fill="#57606a">no data</text>')
    for index, bar in enumerate(bars):
        y = 28 + index * row
        width = max(abs(bar.value) * scale, 1.0)
        over = threshold is not None and bar.value >= threshold
        parts.append(
            f'<g class="bar"><text x="{_LEFT - 6}" y="{y + 14}" font-size="11" '
            f'text-anchor="end">{_text(bar.label)}</text><rect x="{_LEFT}" y="{y + 3}" '
            f'width="{width:.1f}" height="{row - 6}" fill="{"#d1242f" if over else "#1f6feb"}"/>'
            f'<text x="{_LEFT + width + 4:.1f}" y="{y + 14}" font-size="11">{bar.value:.3g}'
            f"</text><title>{_text(bar.label)}: {bar.value}</title></g>"
        )
    if threshold is not None and bars:
        x = _LEFT + threshold * scale
        parts.append(
            f'<line class="threshold" x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 6}" '
            f'stroke="#9a6700" stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{height - 4}" '
            f'font-size="10" fill="#9a6700">threshold {threshold:g}</text>'
        )
    return _svg(parts)


def line_chart(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> Markup:
    """One polyline per series over the x positions ``labels`` (None: no point there); the
    y axis spans the values' range."""
    values = [v for points in series.values() for v in points if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    plot_w, plot_h = _CHART_W - 60 - 20, _CHART_H - 40 - _BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return 60 + index * step, 30 + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" role="img" '
        f'width="{_CHART_W}" height="{_CHART_H}" viewBox="0 0 {_CHART_W} {_CHART_H}">',
        f'<title>{_text(title)}</title><text x="4" y="16" font-size="13" font-weight="bold">'
        f"{_text(title)}</text>",
        f'<line x1="60" y1="{30 + plot_h}" x2="{60 + plot_w}" y2="{30 + plot_h}" '
        'stroke="#8c959f"/>',
        f'<text x="54" y="34" font-size="10" text-anchor="end">{high:.3g}</text>'
        f'<text x="54" y="{30 + plot_h}" font-size="10" text-anchor="end">{low:.3g}</text>',
    ]
    for index, label in enumerate(labels):
        x, _ = xy(index, low)
        parts.append(
            f'<text x="{x:.1f}" y="{30 + plot_h + 16}" font-size="10" text-anchor="middle">'
            f"{_text(label)}</text>"
        )
    if not values:
        parts.append('<text x="60" y="60" font-size="12" fill="#57606a">no data</text>')
    for number, (name, points) in enumerate(series.items()):
        colour = _COLOURS[number % len(_COLOURS)]
        placed = [(i, xy(i, v)) for i, v in enumerate(points) if v is not None]
        if len(placed) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for _, (x, y) in placed)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for i, (x, y) in placed:
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{_text(name)} at {_text(labels[i])}: {points[i]}</title></circle>"
            )
        parts.append(
            f'<text x="{60 + number * 120}" y="{_CHART_H - 4}" font-size="11" fill="{colour}">'
            f"■ {_text(name)}</text>"
        )
    return _svg(parts)
