"""``model_card.json``: a Model Card Toolkit (schema v0.0.2) card of one version of the model.

The card describes the bundle's version, or for a bundle of all versions the version live in
production at the cut (else the latest one), and says which. Facts come from the signed events:
registration (purpose, intended use, restrictions, owner), training (data, estimator, features),
validation (overall metrics, and metrics by group from the fairness assessment), mitigation,
findings. ``model_details.citations`` lists the leaf of every event used; descriptions cite
``[leaf N]``; what the ledger does not hold says "To be supplied by the model owner".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from api.exports.context import BundleContext, BundleEvent
from api.exports.documents.openlineage_graph import lineage_graph

__all__ = ["render_model_card", "subject_version"]

_SUPPLY = "To be supplied by the model owner: "


def render_model_card(context: BundleContext) -> bytes:
    """The card's JSON, pretty-printed with sorted keys."""
    card = _Card(context).build()
    return (json.dumps(card, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def subject_version(context: BundleContext) -> tuple[int | None, str]:
    """The version the card describes and why: the bundle's, else live in prod, else latest."""
    if context.version is not None:
        return context.version, "the version this bundle is about"
    live = [
        node
        for node in lineage_graph(context).of_type("deployment")
        if node.get("environment") == "prod" and node.get("live")
    ]
    numbers = [int(str(node["name"]).rpartition("@")[2].partition("/")[0]) for node in live]
    if numbers:
        return max(numbers), f"the version live in production at the cut ({context.cut_at})"
    trained = [int(e.state["number"]) for e in context.events if e.name == "ModelVersion.Trained"]
    if trained:
        return max(trained), "the latest version (none is live in production)"
    return None, "no version was trained by the cut"


class _Card:
    def __init__(self, context: BundleContext) -> None:
        self.context = context
        self.number, self.why = subject_version(context)
        self.cited: dict[int, str] = {}
        trained = self._events("ModelVersion.Trained")
        found = [e for e in trained if int(e.state["number"]) == self.number]
        self.version_id = found[0].payload.aggregate_id if found else ""
        self.trained = self._cite(found[0]) if found else {}

    def _subject(self) -> str:
        if self.number is None:
            return f"This card describes {self.context.model}: {self.why}"
        return f"This card describes version {self.number} of {self.context.model}, {self.why}"

    def _reference(self) -> str:
        version = "" if self.number is None else f"@{self.number}"
        return f"govledger://models/{self.context.model}{version}"

    def _events(self, name: str, aggregate: str | None = None) -> list[BundleEvent]:
        return [
            event
            for event in self.context.events
            if event.name == name and (aggregate is None or event.payload.aggregate_id == aggregate)
        ]

    def _cite(self, event: BundleEvent) -> dict[str, Any]:
        self.cited[event.leaf_index] = event.name
        return event.state

    def _last(self, name: str) -> tuple[dict[str, Any], str]:
        """The state of this version's last event ``name`` and its citation, or ({}, "")."""
        events = self._events(name, self.version_id)
        if not events:
            return {}, ""
        return self._cite(events[-1]), f" [leaf {events[-1].leaf_index}]"

    def build(self) -> dict[str, Any]:
        registered = self._events("Model.Registered")
        model = self._cite(registered[0]) if registered else {}
        leaf = f" [leaf {registered[0].leaf_index}]" if registered else ""
        card = {
            "schema_version": "0.0.2",
            "model_parameters": self._parameters(),
            "quantitative_analysis": {"performance_metrics": self._metrics()},
            "considerations": self._considerations(model, leaf),
        }
        card["model_details"] = self._details(model, leaf)
        return card

    def _details(self, model: Mapping[str, Any], leaf: str) -> dict[str, Any]:
        date = str(self.trained.get("timestamp", {}).get("_data_", ""))[:10]
        version: dict[str, Any] = {"name": str(self.number or "")}
        if date:
            version["date"] = date
        mitigation, mitigation_leaf = self._last("ModelVersion.BiasMitigated")
        diff = (
            f"Bias mitigated with {mitigation['method']} on {mitigation['sensitive_attribute']}"
            f"{mitigation_leaf}"
            if mitigation
            else "Trained from the data below"
        )
        if self.trained.get("derived_from"):
            diff += f"; retrained from {self.trained['derived_from']}{self._trained_leaf()}"
        version["diff"] = diff
        owner = str(model.get("owner", ""))
        return {
            "name": self.context.model,
            "overview": f"{model.get('purpose', _SUPPLY + 'purpose')}{leaf}",
            "documentation": (
                f"{self._subject()}. Risk tier {model.get('risk_tier', 'unknown')}{leaf}. Every "
                f"fact cites the ledger leaf (log {self.context.origin}) it comes from."
            ),
            "owners": [{"name": owner, "contact": _SUPPLY + "contact of " + owner}],
            "version": version,
            "licenses": [{"custom_text": _SUPPLY + "the model's licence"}],
            "references": [{"reference": self._reference()}],
            "citations": [
                {"style": "govledger leaf", "citation": f"{name} [leaf {index}]"}
                for index, name in sorted(self.cited.items())
            ],
        }

    def _parameters(self) -> dict[str, Any]:
        spec = self.trained.get("training_spec", {})
        estimator = spec.get("estimator", {})
        parameters = json.dumps(estimator.get("parameters", {}), sort_keys=True)
        features = spec.get("features", {})
        kinds = [(n, "categorical") for n in features.get("categorical", [])]
        kinds += [(n, "numeric") for n in features.get("numeric", [])]
        cite = self._trained_leaf()
        data = []
        for used in self.trained.get("dataset_versions", []):
            data.append(
                {
                    "name": f"{used['dataset']}@{used['version']}",
                    "description": f"Training and holdout data, digest {used['digest']}{cite}",
                    "sensitive": {"sensitive_data": list(spec.get("protected_attributes", []))},
                }
            )
        return {
            "model_architecture": f"{estimator.get('name', '')} {parameters}{cite}",
            "data": data,
            "input_format": "Tabular record of the features below" + cite,
            "input_format_map": [{"key": name, "value": kind} for name, kind in sorted(kinds)],
            "output_format": f"Probability of {spec.get('target', '')} = "
            f"{spec.get('positive_label', '')}{cite}",
        }

    def _trained_leaf(self) -> str:
        found = self._events("ModelVersion.Trained", self.version_id)
        return f" [leaf {found[0].leaf_index}]" if found else ""

    def _metrics(self) -> list[dict[str, Any]]:
        overall, _ = self._last("ModelVersion.ValidationMetricsRecorded")
        metrics = [
            {"type": name, "value": str(value), "slice": "overall"}
            for name, value in sorted(overall.get("metrics", {}).items())
        ]
        fairness, _ = self._last("ModelVersion.FairnessAssessed")
        for attribute, values in sorted(fairness.get("fairness", {}).items()):
            for key, value in sorted(values.items()):
                metric, _, group = key.partition(".")
                where = f"{attribute}={group}" if group else f"{attribute} (across groups)"
                metrics.append({"type": metric, "value": str(value), "slice": where})
        return metrics

    def _considerations(self, model: Mapping[str, Any], leaf: str) -> dict[str, Any]:
        restrictions = [{"description": f"{text}{leaf}"} for text in model.get("restrictions", [])]
        explainability, cite = self._last("ModelVersion.ExplainabilityAssessed")
        if explainability:
            fidelity = explainability.get("metrics", {}).get("fidelity_min")
            restrictions.append({"description": f"Minimum explanation fidelity {fidelity}{cite}"})
        mitigation, mitigation_leaf = self._last("ModelVersion.BiasMitigated")
        tradeoffs = [{"description": _SUPPLY + "accuracy and performance tradeoffs"}]
        if mitigation:
            before = mitigation.get("before", {}).get("disparate_impact")
            after = mitigation.get("after", {}).get("disparate_impact")
            tradeoffs = [
                {
                    "description": f"Mitigation raised disparate impact on "
                    f"{mitigation['sensitive_attribute']} from {before} to {after}{mitigation_leaf}"
                }
            ]
        return {
            "users": [{"description": f"{model.get('intended_use', _SUPPLY + 'users')}{leaf}"}],
            "use_cases": [{"description": f"{model.get('purpose', _SUPPLY + 'use cases')}{leaf}"}],
            "limitations": restrictions,
            "tradeoffs": tradeoffs,
            "ethical_considerations": self._findings(),
        }

    def _findings(self) -> list[dict[str, Any]]:
        hexid = self.version_id.replace("-", "")
        risks = []
        for event in self._events("Finding.Raised"):
            if event.state.get("model_version_id", {}).get("_data_") != hexid:
                continue
            self._cite(event)
            later = [
                e
                for e in self.context.events
                if e.payload.aggregate_id == event.payload.aggregate_id
            ]
            status = later[-1].name.rpartition(".")[2]
            strategy = (
                _SUPPLY + "the remediation plan"
                if status == "Raised"
                else f"{status} [leaf {later[-1].leaf_index}]"
            )
            risks.append(
                {
                    "name": f"{event.state['severity']} finding: {event.state['title']}"
                    f" [leaf {event.leaf_index}]",
                    "mitigation_strategy": strategy,
                }
            )
        return risks or [{"name": _SUPPLY + "ethical considerations (no finding recorded)"}]
