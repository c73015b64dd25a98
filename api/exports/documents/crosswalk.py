"""``crosswalk.html``: NIST AI RMF subcategories and ISO/IEC 42001 Annex A controls mapped to the
ledger events of the bundle that evidence each one, with their leaves, and "no evidence in the
ledger" where the bundle holds none.

``render_crosswalk(context) -> bytes`` is pure: the same context gives the same bytes.
"""

from __future__ import annotations

from api.exports.context import BundleContext
from api.exports.documents.html_page import Section, cite, page, paragraph, table, text, to_supply
from api.exports.documents.regulatory_evidence import named

__all__ = ["ISO_42001", "NIST_AI_RMF", "SECTION_HEADINGS", "render_crosswalk"]

Item = tuple[str, str, tuple[str, ...]]  # identifier, what it asks, the events that evidence it

_VALIDATION = (
    "ModelVersion.ValidationStarted",
    "ModelVersion.ValidationMetricsRecorded",
    "ModelVersion.ValidationConcluded",
)
_MONITORING = (
    "ModelVersion.MonitoringWindowEvaluated",
    "ModelVersion.DriftFlagged",
    "ModelVersion.FairnessBreached",
    "ModelVersion.QualityDegraded",
)
_ROLES = ("Principal.Registered", "Principal.RoleGranted", "Principal.RoleRevoked")
_DATA = ("Dataset.Registered", "Dataset.VersionAdded")

NIST_AI_RMF: tuple[Item, ...] = (
    (
        "GOVERN 1.4",
        "Risk management process and outcomes set through transparent policies",
        ("PolicyHistory.PolicySet",),
    ),
    (
        "GOVERN 1.6",
        "Mechanisms to inventory AI systems",
        ("Model.Registered", "Model.VersionAdded"),
    ),
    ("GOVERN 2.1", "Roles, responsibilities and lines of communication documented", _ROLES),
    (
        "MAP 1.1",
        "Intended purposes, context and uses understood and documented",
        ("Model.Registered",),
    ),
    (
        "MAP 2.1",
        "The specific tasks and methods used to implement them are defined",
        ("ModelVersion.Trained",),
    ),
    (
        "MAP 4.1",
        "Legal and technology risks of components, including third-party data, mapped",
        _DATA,
    ),
    (
        "MEASURE 1.1",
        "Approaches and metrics for measuring AI risks selected",
        ("PolicyHistory.PolicySet", "ModelVersion.ValidationMetricsRecorded"),
    ),
    (
        "MEASURE 2.3",
        "System performance demonstrated for deployment-like conditions",
        ("ModelVersion.ValidationMetricsRecorded", "ModelVersion.UatEvidenceRecorded"),
    ),
    ("MEASURE 2.4", "Functionality and behaviour monitored in production", _MONITORING),
    ("MEASURE 2.5", "The system is demonstrated to be valid and reliable", _VALIDATION),
    ("MEASURE 2.7", "Security and resilience evaluated and documented", ()),
    (
        "MEASURE 2.9",
        "The model is explained and its output interpreted",
        ("ModelVersion.ExplainabilityAssessed", "Explanation.Recorded"),
    ),
    (
        "MEASURE 2.11",
        "Fairness and bias evaluated and results documented",
        (
            "ModelVersion.FairnessAssessed",
            "ModelVersion.BiasMitigated",
            "ModelVersion.FairnessBreached",
        ),
    ),
    (
        "MEASURE 3.1",
        "Approaches to identify and track risks over time",
        ("Finding.Raised", "ModelVersion.DriftFlagged"),
    ),
    (
        "MANAGE 1.3",
        "Responses to high-priority risks developed and documented",
        (
            "Finding.Assigned",
            "Finding.Remediated",
            "Finding.RiskAccepted",
            "ModelVersion.BiasMitigated",
        ),
    ),
    (
        "MANAGE 2.4",
        "Mechanisms to supersede, disengage or deactivate the system",
        ("ModelVersion.RolledBack", "ModelVersion.Retired"),
    ),
    (
        "MANAGE 4.1",
        "Post-deployment monitoring plans implemented",
        (*_MONITORING, "ModelVersion.RetrainingRequested"),
    ),
)

ISO_42001: tuple[Item, ...] = (
    ("A.2.2", "AI policy", ("PolicyHistory.PolicySet",)),
    ("A.3.2", "AI roles and responsibilities", _ROLES),
    ("A.4.3", "Data resources", _DATA),
    ("A.5.2", "AI system impact assessment process", ()),
    ("A.6.2.2", "AI system requirements and specification", ("Model.Registered",)),
    ("A.6.2.3", "Documentation of AI system design and development", ("ModelVersion.Trained",)),
    (
        "A.6.2.4",
        "AI system verification and validation",
        (*_VALIDATION, "ModelVersion.UatEvidenceRecorded"),
    ),
    (
        "A.6.2.5",
        "AI system deployment",
        ("ModelVersion.ApprovalGranted", "ModelVersion.Deployed", "ModelVersion.RolledBack"),
    ),
    ("A.6.2.6", "AI system operation and monitoring", _MONITORING),
    (
        "A.6.2.8",
        "AI system recording of event logs",
        (
            "PredictionLog.Opened",
            "PredictionLog.SegmentSealed",
            "Explanation.Recorded",
            "CommandRefusal.CommandRefused",
        ),
    ),
    ("A.7.5", "Data provenance", ("Dataset.VersionAdded", "ModelVersion.Trained")),
    ("A.8.2", "System documentation and information for users", ()),
    (
        "A.9.2",
        "Processes for responsible use of AI systems",
        ("ModelVersion.ApprovalGranted", "CommandRefusal.CommandRefused"),
    ),
    ("A.9.4", "Intended use of the AI system", ("Model.Registered",)),
)

SECTION_HEADINGS = ("NIST AI RMF 1.0", "ISO/IEC 42001:2023 Annex A", "The ledger as an event log")


def render_crosswalk(context: BundleContext) -> bytes:
    """The crosswalk of the bundle's model to NIST AI RMF and ISO/IEC 42001 (UTF-8 HTML)."""
    sections: list[Section] = [
        ("nist", SECTION_HEADINGS[0], _mapping(context, NIST_AI_RMF)),
        ("iso", SECTION_HEADINGS[1], _mapping(context, ISO_42001)),
        ("log", SECTION_HEADINGS[2], _log(context)),
    ]
    return page(context, "Crosswalk to NIST AI RMF and ISO/IEC 42001", sections)


def _mapping(context: BundleContext, items: tuple[Item, ...]) -> str:
    rows = []
    for identifier, asks, names in items:
        found = named(context, *names) if names else []
        if found:
            counts = [
                f"{name} ({sum(1 for event in found if event.name == name)})"
                for name in names
                if any(event.name == name for event in found)
            ]
            evidence, leaves = text(", ".join(counts)), cite(event.leaf_index for event in found)
        else:
            evidence, leaves = "<strong>no evidence in the ledger</strong>", ""
        rows.append([text(identifier), text(asks), evidence, leaves])
    return table(["item", "what it asks", "ledger events evidencing it", "leaves"], rows) + (
        to_supply(
            "evidence for the items the ledger holds none for", "the AI management system owner"
        )
    )


def _log(context: BundleContext) -> str:
    leaves = [event.leaf_index for event in context.events]
    span = f"leaves {leaves[0]} to {leaves[-1]}" if leaves else "no leaf"
    return paragraph(
        f"Every one of the bundle's {len(leaves)} events ({text(span)}) is a DSSE-signed entry of "
        f"an append-only Merkle log whose checkpoint of size {context.as_of} is signed; "
        "events.jsonl and proofs.jsonl let anyone check each entry's inclusion offline. "
        "This is the evidence for ISO/IEC 42001 A.6.2.8 and EU AI Act Art. 12."
    )
