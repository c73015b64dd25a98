"""The HTML building blocks of the regulatory documents: escaping, leaf citations, "to be
supplied" markers, tables and a self-contained page that prints cleanly.

Every function returns safe HTML (``str``); every value that comes from an event goes through
``text`` (or a helper that calls it), so no event can inject markup. No external resources, no
scripts: the page is one file an auditor opens or prints offline.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from api.exports.context import BundleContext

__all__ = [
    "Section",
    "cite",
    "fact",
    "item_list",
    "page",
    "paragraph",
    "table",
    "text",
    "to_supply",
]

Section = tuple[str, str, str]  # anchor id, heading text, body HTML

_CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#111;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #999;
margin-top:2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;table-layout:fixed;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere}
th{background:#eee}.cite{color:#555;font-size:.8rem;white-space:nowrap}
.supply{border-left:4px solid #c60;background:#fff4e5;padding:.3rem .6rem}
.meta{color:#333;font-size:.9rem}code{font-size:.85rem;word-break:break-all}
img.chart{max-width:100%;height:auto;display:block;margin:.5rem 0}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
table,img.chart{page-break-inside:avoid}a{color:inherit;text-decoration:none}
.supply{background:none}}
"""


def text(value: Any) -> str:
    """``value`` as escaped text (lists joined by commas; None as an empty string)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(text(item) for item in value)
    return html.escape(str(value), quote=True)


def cite(leaves: Iterable[int]) -> str:
    """The citation of the leaves a fact comes from: ``[leaf N]`` each, ascending, deduplicated."""
    unique = sorted({int(leaf) for leaf in leaves})
    return " ".join(f'<span class="cite">[leaf {leaf}]</span>' for leaf in unique)


def fact(value: Any, leaves: Iterable[int]) -> str:
    """An escaped value followed by the citation of its leaves."""
    citation = cite(leaves)
    return f"{text(value)} {citation}" if citation else text(value)


def to_supply(what: str, who: str = "the model owner") -> str:
    """A visible marker for what a person must supply because the ledger does not hold it."""
    return f'<p class="supply"><strong>To be supplied by {text(who)}:</strong> {text(what)}</p>'


def paragraph(body_html: str) -> str:
    """A paragraph of already-safe HTML."""
    return f"<p>{body_html}</p>"


def item_list(items_html: Iterable[str]) -> str:
    """A bulleted list of already-safe HTML items; an empty list renders as nothing."""
    items = "".join(f"<li>{item}</li>" for item in items_html)
    return f"<ul>{items}</ul>" if items else ""


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "none") -> str:
    """A table: ``headers`` are plain text (escaped here), cells are already-safe HTML."""
    head = "".join(f"<th>{text(header)}</th>" for header in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td colspan="{len(headers)}">{text(empty)}</td></tr>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(context: BundleContext, title: str, sections: Sequence[Section]) -> bytes:
    """The whole document: a header naming the subject and the signed cut, a table of contents,
    then ``sections`` as ``<h2 id=...>`` blocks. UTF-8 bytes, deterministic."""
    subject = context.model if context.version is None else f"{context.model} v{context.version}"
    root = context.checkpoint.root.hex()
    header = (
        f"<h1>{text(title)}</h1>"
        f'<p class="meta">Model: <strong>{text(subject)}</strong>. Log {text(context.origin)}, '
        f"checkpoint size {context.as_of}, root <code>{root}</code>; facts as of "
        f"{text(context.cut_at)} (the bundle's last event). Each fact cites the log leaf it comes "
        "from as [leaf N]; verify the leaves with the bundle's events.jsonl and proofs.jsonl.</p>"
    )
    contents = item_list(
        f'<a href="#{text(anchor)}">{text(heading)}</a>' for anchor, heading, _ in sections
    )
    body = "".join(
        f'<section><h2 id="{text(anchor)}">{text(heading)}</h2>{content}</section>'
        for anchor, heading, content in sections
    )
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{text(title)}: {text(subject)}</title><style>{_CSS}</style></head>"
        f"<body>{header}<nav><h2>Contents</h2>{contents}</nav>{body}</body></html>\n"
    )
    return document.encode("utf-8")
