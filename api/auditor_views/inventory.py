"""Human output of ``projections.inventory``: per model, each SR 11-7 field, its value and the
leaves it rests on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.text_table import format_table

__all__ = ["render"]

_FIELDS = (
    "purpose",
    "intended_use",
    "restrictions",
    "owner",
    "risk_tier",
    "developers",
    "validators",
    "status",
    "last_validation",
    "next_validation",
    "open_exceptions",
)


def render(result: Mapping[str, Any]) -> str:
    """The inventory (``{"rows": [...]}``) or one entry (a row) as one table per model."""
    rows = result.get("rows", [result])
    if not rows:
        return "No model is registered at this log size."
    tables = "\n\n".join(_model(row) for row in rows)
    if "count" not in result:
        return tables
    first = result["offset"] + 1
    heading = f"Models {first}-{first + len(rows) - 1} of {result['count']}"
    return f"{heading}\n\n{tables}"


def _model(row: Mapping[str, Any]) -> str:
    lines = [
        [field.replace("_", " "), _value(field, row[field]), row[field]["sources"]]
        for field in _FIELDS
    ]
    table = format_table(["field", "value", "leaves"], lines)
    return f"Model {row['model']}\n{table}"


def _value(field: str, cited: Mapping[str, Any]) -> object:
    value = cited["value"]
    if field == "status" and cited["environments"]:
        return f"{value} ({', '.join(cited['environments'])})"
    if field == "last_validation" and value is not None:
        return f"{value['outcome']} (version {value['version']}) at {value['at']}"
    if field == "next_validation":
        return value or "not validated yet"
    if field == "open_exceptions":
        return _exceptions(value)
    return value


def _exceptions(value: Mapping[str, Any]) -> str:
    counts = [f"{n} {severity}" for severity, n in value["by_severity"].items() if n]
    titles = [f"{f['severity']}: {f['title']} (v{f['version']})" for f in value["open"]]
    accepted = [
        f"{f['title']} (v{f['version']}, by {f['approver']})" for f in value["risk_accepted"]
    ]
    parts = [", ".join(counts) or "none open", *titles]
    if accepted:
        parts.append("risk accepted: " + "; ".join(accepted))
    return "; ".join(parts)
