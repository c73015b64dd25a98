"""The console's SVG: a layered lineage graph and bar and line charts, every text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.console.svg import Bar, Edge, Node, bar_chart, layers, line_chart, lineage_graph

SVG = "{http://www.w3.org/2000/svg}"

NODES = [
    Node("d", "data", "dataset"),
    Node("d1", "data@1", "dataset_version"),
    Node("run", "train", "training_run"),
    Node("m1", "model@1", "model_version"),
    Node("m2", "model@2", "model_version"),
]
EDGES = [
    Edge("d1", "d", "version_of"),
    Edge("run", "d1", "used"),
    Edge("m1", "run", "generated_by"),
    Edge("m2", "m1", "derived_from"),
]


def parsed(markup: str) -> ET.Element:
    """The SVG as XML: it must be well formed."""
    return ET.fromstring(markup)


def x_of(root: ET.Element, key: str) -> float:
    for group in root.iter(f"{SVG}g"):
        if group.get("data-key") == key:
            rect = group.find(f"{SVG}rect")
            assert rect is not None
            return float(rect.get("x", "nan"))
    raise AssertionError(f"no node {key}")


def test_layers_put_each_node_one_past_the_deepest_thing_it_came_from() -> None:
    assert layers(NODES, EDGES) == {"d": 0, "d1": 1, "run": 2, "m1": 3, "m2": 4}


def test_a_cycle_is_cut_instead_of_recursing_forever() -> None:
    nodes = [Node("a", "a", "x"), Node("b", "b", "x")]
    found = layers(nodes, [Edge("a", "b", "r"), Edge("b", "a", "r")])

    assert sorted(found.values()) == [0, 1]


def test_the_graph_draws_a_node_per_node_and_a_labelled_edge_per_edge_left_to_right() -> None:
    root = parsed(lineage_graph(NODES, EDGES))

    groups = list(root.iter(f"{SVG}g"))
    nodes = [g for g in groups if g.get("class") == "node"]
    edges = [g for g in groups if g.get("class") == "edge"]
    assert [g.get("data-key") for g in nodes] == ["d", "d1", "run", "m1", "m2"]
    assert [g.get("data-relation") for g in edges] == [e.relation for e in EDGES]
    assert x_of(root, "d") < x_of(root, "d1") < x_of(root, "run") < x_of(root, "m1")


def test_edges_to_unknown_nodes_are_left_out() -> None:
    root = parsed(lineage_graph(NODES[:2], [*EDGES, Edge("d1", "elsewhere", "used")]))

    assert [g.get("data-relation") for g in root.iter(f"{SVG}g") if g.get("class") == "edge"] == [
        "version_of"
    ]


def test_every_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script>&'
    markup = str(lineage_graph([Node(hostile, hostile, hostile)], []))
    markup += str(bar_chart(hostile, [Bar(hostile, 1.0)]))
    markup += str(line_chart(hostile, [hostile], {hostile: [1.0]}))

    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    assert re.search(r"&(?!amp;|lt;|gt;|quot;|#x27;|#39;)", markup) is None


def test_bars_scale_to_the_largest_value_and_mark_those_over_the_threshold() -> None:
    root = parsed(bar_chart("PSI", [Bar("age", 3.0), Bar("job", 0.1)], threshold=0.25))

    rects = list(root.iter(f"{SVG}rect"))
    widths = [float(r.get("width", "0")) for r in rects]
    assert widths[0] == pytest.approx(30 * widths[1], rel=0.01)
    assert [r.get("fill") for r in rects] == ["#d1242f", "#1f6feb"]
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "threshold"]) == 1


def test_an_empty_bar_chart_says_so() -> None:
    markup = str(bar_chart("nothing", []))

    assert "no data" in markup
    parsed(markup)


def test_a_line_chart_draws_a_point_per_value_and_skips_gaps() -> None:
    root = parsed(
        line_chart("q", ["a", "b", "c"], {"auc": [0.7, None, 0.8], "f1": [0.5, 0.6, 0.7]})
    )

    points = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "point"]
    assert len(points) == 5
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(p.get("points", "").split()) for p in lines] == [2, 3]
    ys = [float(c.get("cy", "0")) for c in points[:2]]
    assert ys[0] > ys[1]  # the higher value is drawn higher up
