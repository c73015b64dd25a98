"""``annex_iv.html``: the EU AI Act Annex IV technical documentation of a model, its nine
sections filled from the bundle's events, with Art. 12 record keeping and Art. 14 human
oversight; what the ledger does not hold is marked "To be supplied by ...".

``render_annex_iv(context) -> bytes`` is pure: the same context gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from api.exports.context import BundleContext
from api.exports.documents.development_records import (
    datasets,
    explanations,
    human_oversight,
    mitigations,
    prediction_segments,
    refusals,
    training_runs,
    uat_checks,
)
from api.exports.documents.html_page import (
    Section,
    fact,
    item_list,
    page,
    paragraph,
    to_supply,
)
from api.exports.documents.regulatory_blocks import (
    change_log,
    deployment_history,
    findings,
    monitoring_windows,
    policy_thresholds,
    signed_reports,
    validation_fairness,
    validation_quality,
)
from api.exports.documents.regulatory_evidence import (
    inventory_answer,
    named,
    version_numbers,
    version_of,
)
from projections.risk.register import risk_register

__all__ = ["SECTION_HEADINGS", "render_annex_iv"]

SECTION_HEADINGS = (
    "1. General description of the AI system",
    "2. Detailed description of the elements of the AI system and of its development process",
    "3. Monitoring, functioning and control of the AI system",
    "4. Appropriateness of the performance metrics",
    "5. Risk management system (Art. 9)",
    "6. Relevant changes made through the lifecycle",
    "7. Harmonised standards applied",
    "8. EU declaration of conformity",
    "9. Post-market monitoring plan (Art. 72)",
    "Art. 12 Record keeping",
    "Art. 14 Human oversight",
)


def render_annex_iv(context: BundleContext) -> bytes:
    """The Annex IV technical documentation of the bundle's model at its cut (UTF-8 HTML)."""
    bodies = (
        _general(context),
        _development(context),
        _monitoring(context),
        _metrics(context),
        _risk(context),
        change_log(context),
        _standards(),
        _declaration(),
        _post_market(context),
        prediction_segments(context),
        human_oversight(context) + "<h3>Refused commands</h3>" + refusals(context),
    )
    sections: list[Section] = [
        (f"s{index}", heading, body)
        for index, (heading, body) in enumerate(zip(SECTION_HEADINGS, bodies, strict=True), 1)
    ]
    return page(context, "EU AI Act Annex IV technical documentation", sections)


def _entry(entry: dict[str, Any], field: str) -> str:
    """An inventory field's value with its sources."""
    answer = entry.get(field, {})
    return fact(answer.get("value", ""), answer.get("sources", []))


def _general(context: BundleContext) -> str:
    entry = inventory_answer(context)
    facts = [
        f"<strong>Intended purpose:</strong> {_entry(entry, 'purpose')}",
        f"<strong>Intended use:</strong> {_entry(entry, 'intended_use')}",
        f"<strong>Restrictions (uses not intended):</strong> {_entry(entry, 'restrictions')}",
        f"<strong>Provider's model owner:</strong> {_entry(entry, 'owner')}",
        f"<strong>Risk tier:</strong> {_entry(entry, 'risk_tier')}",
        f"<strong>Status:</strong> {_entry(entry, 'status')}",
        f"<strong>Developers:</strong> {_entry(entry, 'developers')}",
    ]
    return (
        item_list(facts)
        + "<h3>Versions</h3>"
        + item_list(
            fact(f"v{number}: artifact {digest}, trained by {actor}", [leaf])
            for number, digest, actor, leaf in _versions(context)
        )
        + to_supply(
            "the provider's name and address; how the system interacts with hardware or software "
            "that is not part of it; the forms in which it is placed on the market; the hardware "
            "it runs on; instructions for use and a description of the user interface (1(b)-(h))"
        )
    )


def _versions(context: BundleContext) -> list[tuple[int | None, str, str, int]]:
    """Each trained version: number, artifact digest, developer, leaf."""
    numbers = version_numbers(context)
    return [
        (
            version_of(numbers, event),
            str(event.state.get("artifact_digest", "")),
            str(event.state.get("actor", "")),
            event.leaf_index,
        )
        for event in named(context, "ModelVersion.Trained")
    ]


def _development(context: BundleContext) -> str:
    return (
        "<h3>2(a) Methods and steps of development; 2(c) system architecture</h3>"
        + training_runs(context)
        + to_supply("the system architecture and the computational resources used (2(c))")
        + "<h3>2(b) Design choices</h3>"
        + to_supply(
            "the design specifications, key design choices and their rationale, and trade-offs"
            " made (2(b))",
            "the model developer",
        )
        + "<h3>2(d) Data requirements: datasets and their provenance</h3>"
        + datasets(context)
        + "<h3>2(e) Human oversight measures</h3>"
        + paragraph("See Art. 14 Human oversight below.")
        + "<h3>2(f) Pre-determined changes</h3>"
        + paragraph("Retraining is recorded by the policy's monitoring rules; see section 9.")
        + "<h3>2(g) Validation and testing procedures, metrics and test reports</h3>"
        + paragraph(
            "Test reports dated and signed by the responsible persons: each validation conclusion "
            "and approval with its signer, date, key and personal signature status."
        )
        + signed_reports(context)
        + "<h4>Quality metrics</h4>"
        + validation_quality(context)
        + "<h4>Fairness by protected group</h4>"
        + validation_fairness(context)
        + "<h4>Bias mitigation</h4>"
        + mitigations(context)
        + "<h4>User acceptance tests</h4>"
        + uat_checks(context)
        + "<h3>2(h) Cybersecurity measures</h3>"
        + to_supply("the cybersecurity measures put in place (2(h))")
    )


def _monitoring(context: BundleContext) -> str:
    entry = inventory_answer(context)
    return (
        paragraph(f"Limitations and foreseeable misuse: {_entry(entry, 'restrictions')}")
        + "<h3>Monitoring windows in operation</h3>"
        + monitoring_windows(context)
        + "<h3>Explanations of individual predictions</h3>"
        + explanations(context)
        + to_supply("the expected level of accuracy for specific persons or groups of persons")
    )


def _metrics(context: BundleContext) -> str:
    return (
        paragraph(
            "Metrics recorded: the validations' quality metrics (section 2(g)), fairness metrics "
            "per protected attribute and group, and the thresholds the policy enforces:"
        )
        + policy_thresholds(context)
        + to_supply("why these metrics are appropriate for the system's intended purpose")
    )


def _risk(context: BundleContext) -> str:
    register = risk_register(context.view, context.as_of, context.model)
    rows = [
        fact(
            f"v{row['version']}: residual risk {row['residual_risk']['rating']} "
            f"(score {row['residual_risk']['score']})",
            row["residual_risk"]["sources"],
        )
        for row in register["rows"]
        if context.version is None or row["version"] == context.version
    ]
    return (
        "<h3>Residual risk at the cut</h3>"
        + (item_list(rows) or paragraph("No version in the risk register."))
        + "<h3>Findings and their treatment</h3>"
        + findings(context)
        + to_supply("the risk management process description (Art. 9) and accepted residual risks")
    )


def _standards() -> str:
    return paragraph(
        "No harmonised standard or common specification is recorded in the ledger. The bundle's "
        "evidence uses DSSE, in-toto Statement v1, C2SP checkpoints (RFC 9162 proofs), "
        "OpenLineage 2-0-2, W3C PROV-JSON and the Model Card Toolkit schema v0.0.2."
    ) + to_supply("the harmonised standards applied, or the other solutions adopted (Art. 40, 41)")


def _declaration() -> str:
    return to_supply("a copy of the EU declaration of conformity (Art. 47)", "the provider")


def _post_market(context: BundleContext) -> str:
    retraining = [
        fact(f"{event.state.get('actor', '')}: {event.state.get('reason', '')}", [event.leaf_index])
        for event in named(context, "ModelVersion.RetrainingRequested")
    ]
    return (
        paragraph("Monitoring thresholds and retraining rules in force (policy):")
        + policy_thresholds(context)
        + "<h3>Deployments and rollbacks</h3>"
        + deployment_history(context)
        + "<h3>Retraining requested on breaches</h3>"
        + (item_list(retraining) or paragraph("No retraining requested."))
        + to_supply("the post-market monitoring plan document (Art. 72(3))", "the provider")
    )
