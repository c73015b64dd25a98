"""The runs the OpenLineage document reports, read off the bundle's lineage graph.

One run per dataset version registered, model version trained, bias mitigation, validation,
prediction or feedback segment sealed (scoring) and monitoring window evaluated; each names its
job, the lineage node it stands for (its deterministic run id), its input and output nodes, and
the leaves it is built from.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.exports.documents.openlineage_graph import LineageGraph

__all__ = ["RunSpec", "run_specs"]


@dataclass(frozen=True, slots=True)
class RunSpec:
    """A run: its ``kind``, job name (namespace ``govledger://jobs``), the lineage node it is
    keyed by, its input and output node keys, and the leaves of its events."""

    kind: str
    job: str
    node: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    leaves: tuple[int, ...]


def run_specs(graph: LineageGraph, names: dict[int, str]) -> list[RunSpec]:
    """Every run of ``graph``, by first leaf then node key; ``names`` maps leaves to event names."""
    runs = [
        *_registrations(graph),
        *_trainings(graph),
        *_mitigations(graph, names),
        *_validations(graph),
        *_segments(graph),
        *_windows(graph),
    ]
    return sorted(runs, key=lambda run: (run.leaves[0], run.node, run.kind))


def _registrations(graph: LineageGraph) -> list[RunSpec]:
    return [
        RunSpec(
            "dataset_registration",
            f"register/{node['name']}",
            node["key"],
            (),
            (node["key"],),
            tuple(node["sources"]),
        )
        for node in graph.of_type("dataset_version")
        if node.get("registered")
    ]


def _trainings(graph: LineageGraph) -> list[RunSpec]:
    runs = []
    for node in graph.of_type("training_run"):
        outputs = tuple(graph.sources_of(node["key"], "generated_by"))
        inputs = tuple(graph.targets(node["key"], "used"))
        runs.append(
            RunSpec("training", node["name"], node["key"], inputs, outputs, tuple(node["sources"]))
        )
    return runs


def _mitigations(graph: LineageGraph, names: dict[int, str]) -> list[RunSpec]:
    runs = []
    for node in graph.of_type("model_version"):
        leaves = tuple(
            leaf for leaf in node["sources"] if names.get(leaf) == "ModelVersion.BiasMitigated"
        )
        if leaves:
            runs.append(
                RunSpec(
                    "mitigation",
                    f"mitigate/{node['name']}",
                    f"{node['key']}#mitigation",
                    (node["key"],),
                    (node["key"],),
                    leaves,
                )
            )
    return runs


def _validations(graph: LineageGraph) -> list[RunSpec]:
    return [
        RunSpec(
            "validation",
            f"validate/{node['name']}",
            node["key"],
            tuple(graph.targets(node["key"], "validated")),
            (node["key"],),
            tuple(node["sources"]),
        )
        for node in graph.of_type("validation")
    ]


def _segments(graph: LineageGraph) -> list[RunSpec]:
    runs = []
    for node in graph.of_type("prediction_segment"):
        deployments = graph.targets(node["key"], "generated_by")
        versions = tuple(v for d in deployments for v in graph.targets(d, "deployed"))
        kind = "scoring" if node.get("kind") == "prediction" else "feedback"
        deployment = deployments[0].rpartition("/deployments/")[2] if deployments else node["name"]
        job = f"{'score' if kind == 'scoring' else 'collect-feedback'}/{deployment}"
        runs.append(
            RunSpec(kind, job, node["key"], versions, (node["key"],), tuple(node["sources"]))
        )
    return runs


def _windows(graph: LineageGraph) -> list[RunSpec]:
    runs = []
    for node in graph.of_type("monitoring_window"):
        deployment = node["name"].rpartition("/window-")[0]
        runs.append(
            RunSpec(
                "monitoring",
                f"monitor/{deployment}",
                node["key"],
                tuple(graph.targets(node["key"], "used")),
                (node["key"],),
                tuple(node["sources"]),
            )
        )
    return runs
