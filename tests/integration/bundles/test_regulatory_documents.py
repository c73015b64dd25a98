"""annex_iv.html, sr11_7.html and crosswalk.html of the demo's credit-risk bundle: every required
section, facts matching the read side with the leaves they cite, no markup injected by event
values, identical bytes on every render, and a one-version bundle."""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Callable
from html.parser import HTMLParser
from xml.etree import ElementTree

import pytest

from api.composition import Ledger
from api.exports.assemble import gather
from api.exports.context import BundleContext, project_events
from api.exports.documents import annex_iv, crosswalk, sr11_7
from api.exports.documents.charts import bar_chart, number
from api.exports.documents.html_page import cite, fact, table, text, to_supply
from api.exports.personal_signatures import VERIFIED
from projections.decisions.query import why
from projections.inventory import inventory_entry

Render = Callable[[BundleContext], bytes]

DOCUMENTS: list[tuple[Render, tuple[str, ...]]] = [
    (annex_iv.render_annex_iv, annex_iv.SECTION_HEADINGS),
    (sr11_7.render_sr11_7, sr11_7.SECTION_HEADINGS),
    (crosswalk.render_crosswalk, crosswalk.SECTION_HEADINGS),
]
IDS = ["annex_iv", "sr11_7", "crosswalk"]
SCRIPT = "<script>alert('x')</script>"


class _Outline(HTMLParser):
    """The h2 headings, the tags and the data: URIs of images of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.tags: list[str] = []
        self.images: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_h2 = tag == "h2"
        if tag == "h2":
            self.headings.append("")
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings[-1] += data


def _outline(page: bytes) -> _Outline:
    parser = _Outline()
    parser.feed(page.decode("utf-8"))
    return parser


def _cited(page: bytes) -> set[int]:
    return {int(found) for found in re.findall(rb"\[leaf (\d+)\]", page)}


@pytest.mark.parametrize(("render", "headings"), DOCUMENTS, ids=IDS)
def test_every_required_section_is_there_and_every_citation_is_a_bundle_leaf(
    demo_context: BundleContext, render: Render, headings: tuple[str, ...]
) -> None:
    page = render(demo_context)
    outline = _outline(page)
    assert outline.headings == ["Contents", *headings]
    leaves = {event.leaf_index for event in demo_context.events}
    cited = _cited(page)
    assert cited
    assert cited <= leaves, sorted(cited - leaves)
    assert "script" not in outline.tags
    assert "link" not in outline.tags
    assert b"http://" not in page.replace(b"http://www.w3.org/2000/svg", b"")
    assert b"https://" not in page
    assert b"@media print" in page


@pytest.mark.parametrize(("render", "headings"), DOCUMENTS, ids=IDS)
def test_rendering_twice_gives_identical_bytes(
    demo_context: BundleContext, render: Render, headings: tuple[str, ...]
) -> None:
    assert render(demo_context) == render(demo_context)


def test_annex_iv_shows_signed_reports_approvers_oversight_and_record_keeping(
    demo_context: BundleContext,
) -> None:
    page = annex_iv.render_annex_iv(demo_context).decode("utf-8")
    answer = why(demo_context.view, demo_context.as_of, demo_context.model)
    signed = [
        statement
        for version in answer["versions"]
        for statement in version["statements"]
        if statement.get("signature")
    ]
    assert len(signed) >= 4  # three validation conclusions and the approvals
    for statement in signed:
        signature = statement["signature"]
        leaf = statement["sources"][0]
        row = re.search(rf"<tr>(?:(?!</tr>).)*\[leaf {leaf}\](?:(?!</tr>).)*</tr>", page)
        assert row is not None, leaf
        for value in (signature["signer"], signature["signed_at"], VERIFIED):
            assert text(value) in row.group(0)
    approvers = {
        e.state["actor"] for e in demo_context.events if e.name.endswith("ApprovalGranted")
    }
    assert approvers == {"ann-approver", "abe-approver"}
    oversight = page.split('id="s11"')[1]
    for approver in approvers:
        assert approver in oversight
    assert "dee-deployer" in oversight
    assert "rolled back prod" in oversight
    sealed = [e for e in demo_context.events if e.name == "PredictionLog.SegmentSealed"]
    records = page.split('id="s10"')[1].split('id="s11"')[0]
    total = sum(int(e.state["record_count"]) for e in sealed)
    assert (
        f"{len(sealed)} prediction log segment(s) sealed, {total} prediction record(s)" in records
    )
    assert "predictions.jsonl" in records
    assert all(f"[leaf {e.leaf_index}]" in records for e in sealed)
    assert page.count("To be supplied by") >= 5


def test_annex_iv_embeds_charts_as_valid_svg_images(demo_context: BundleContext) -> None:
    images = _outline(annex_iv.render_annex_iv(demo_context)).images
    windows = sum(1 for e in demo_context.events if e.name.endswith("MonitoringWindowEvaluated"))
    fairness = sum(1 for e in demo_context.events if e.name.endswith("FairnessAssessed"))
    assert len(images) == fairness + 2 * windows
    titles = []
    for source in images:
        prefix = "data:image/svg+xml;base64,"
        assert source.startswith(prefix)
        svg = ElementTree.fromstring(base64.b64decode(source[len(prefix) :]))
        titles.append("".join(svg.itertext()))
    assert any("PSI by feature" in title and "age" in title for title in titles)
    assert any("Disparate impact by attribute" in title for title in titles)


def test_sr11_7_inventory_and_independence_match_the_read_side(demo_context: BundleContext) -> None:
    page = sr11_7.render_sr11_7(demo_context).decode("utf-8")
    entry = inventory_entry(demo_context.view, demo_context.as_of, demo_context.model)
    for field in ("purpose", "intended_use", "owner", "risk_tier"):
        assert fact(entry[field]["value"], entry[field]["sources"]) in page
    assert entry["next_validation"]["value"] in page
    independence = page.split('id="s2"')[1].split('id="s3"')[0]
    assert independence.count("independent: the validator is not the developer") == 3
    assert "deniz-developer" in independence
    assert "vera-validator" in independence
    assert "grant_approval" in independence  # the refused self-approval
    approvals = page.split('id="s7"')[1]
    assert "<strong>not met</strong>" in approvals  # v2's prod gate: open high findings


def test_crosswalk_names_evidence_and_says_where_there_is_none(demo_context: BundleContext) -> None:
    page = crosswalk.render_crosswalk(demo_context).decode("utf-8")
    row = re.search(r"<tr><td>A\.6\.2\.8</td>(?:(?!</tr>).)*</tr>", page)
    assert row is not None
    sealed = [e.leaf_index for e in demo_context.events if e.name == "PredictionLog.SegmentSealed"]
    assert "PredictionLog.SegmentSealed (7)" in row.group(0)
    assert all(f"[leaf {leaf}]" in row.group(0) for leaf in sealed)
    fairness = re.search(r"<tr><td>MEASURE 2\.11</td>(?:(?!</tr>).)*</tr>", page)
    assert fairness is not None
    assert "ModelVersion.FairnessAssessed (3)" in fairness.group(0)
    empty = re.search(r"<tr><td>MEASURE 2\.7</td>(?:(?!</tr>).)*</tr>", page)
    assert empty is not None
    assert "no evidence in the ledger" in empty.group(0)


def test_event_values_cannot_inject_markup(demo_context: BundleContext) -> None:
    raw = []
    for event in demo_context.events:
        state = dict(event.state)
        if event.name == "Finding.Raised":
            state["title"] = SCRIPT
        if event.name == "Model.Registered":
            state["purpose"] = SCRIPT
        if event.name == "Principal.Registered" and state["name"] == "ann-approver":
            state["name"] = "<b>ann</b>"
        raw.append(
            (event.leaf_index, event.envelope, dataclasses.replace(event.payload, state=state))
        )
    events, view = project_events(raw, demo_context.as_of)
    forged = dataclasses.replace(demo_context, events=events, view=view)
    for render, _ in DOCUMENTS:
        page = render(forged)
        assert b"<script" not in page
        assert b"<b>ann" not in page
        assert _outline(page).tags.count("script") == 0
    assert b"&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in annex_iv.render_annex_iv(forged)
    assert b"&lt;script&gt;" in sr11_7.render_sr11_7(forged)


def test_helpers_escape_and_cite() -> None:
    assert text(SCRIPT) == "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert (
        cite([5, 3, 5]) == '<span class="cite">[leaf 3]</span> <span class="cite">[leaf 5]</span>'
    )
    assert fact(["a<", "b"], [1]).startswith("a&lt;, b ")
    assert "To be supplied by the model owner:" in to_supply("x<y")
    assert "x&lt;y" in to_supply("x<y")
    assert table(["h<"], []) == (
        '<table><thead><tr><th>h&lt;</th></tr></thead><tbody><tr><td colspan="1">none</td></tr>'
        "</tbody></table>"
    )
    assert number(0.80000) == "0.8"
    assert number(3.10756457) == "3.1076"
    assert number(-0.00001) == "0"
    chart = bar_chart(SCRIPT, [("<g>", 0.5)], 0.8)
    svg = base64.b64decode(chart.split("base64,")[1].split('"')[0])
    assert b"<script" not in svg
    assert b"&lt;g&gt;" in svg
    assert bar_chart("empty", []) == ""


def test_one_version_bundle(demo_ledger: Ledger) -> None:
    context = gather(demo_ledger, "credit-risk", 2, None).context
    leaves = {event.leaf_index for event in context.events}
    for render, headings in DOCUMENTS:
        page = render(context)
        assert _outline(page).headings == ["Contents", *headings]
        assert _cited(page) <= leaves
        assert render(context) == page
        assert b"credit-risk v2" in page
    sr = sr11_7.render_sr11_7(context).decode("utf-8")
    independence = sr.split('id="s2"')[1].split('id="s3"')[0]
    assert "<td>v2</td>" in independence
    assert "<td>v3</td>" not in independence
