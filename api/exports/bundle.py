"""A bundle's files, byte for byte: the same evidence always gives the same bytes.

``documents(context)`` is the one place that says which document each file holds and how it is
built; ``govledger verify-bundle`` rebuilds them through it from the bundle's own verified
events, so an export and a verification cannot disagree on what a document should say.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from api.exports import layout
from api.exports.assemble import Evidence
from api.exports.context import BundleContext
from api.exports.documents.annex_iv import render_annex_iv
from api.exports.documents.crosswalk import render_crosswalk
from api.exports.documents.model_card import render_model_card
from api.exports.documents.openlineage import render_openlineage
from api.exports.documents.prov import render_prov
from api.exports.documents.risk_register import render_risk_register
from api.exports.documents.sr11_7 import render_sr11_7
from api.exports.readme_text import readme_text
from ledger.evidence.lines import event_line, proof_line
from ledger.evidence.statement import manifest_bytes

__all__ = ["DOCUMENTS", "bundle_files", "documents", "predicate", "readme"]

Renderer = Callable[[BundleContext], bytes]

DOCUMENTS: dict[str, Renderer] = {
    layout.OPENLINEAGE: render_openlineage,
    layout.PROV: render_prov,
    layout.MODEL_CARD: render_model_card,
    layout.ANNEX_IV: render_annex_iv,
    layout.SR11_7: render_sr11_7,
    layout.CROSSWALK: render_crosswalk,
    layout.RISK_REGISTER: render_risk_register,
}
"""Each document of a bundle and what builds it from the bundle's events."""


def documents(context: BundleContext) -> dict[str, bytes]:
    """Every document of the bundle ``context`` describes, built from its events alone."""
    return {name: render(context) for name, render in DOCUMENTS.items()}


def readme(context: BundleContext, event_keyids: list[str], log_vkey: str) -> bytes:
    """The bundle's README.txt: how to verify it with tools we did not write."""
    return readme_text(
        model=context.model,
        origin=context.origin,
        size=context.checkpoint.size,
        root_b64=base64.b64encode(context.checkpoint.root).decode("ascii"),
        event_keyids=event_keyids,
        log_vkey=log_vkey,
    )


def predicate(context: BundleContext) -> dict[str, Any]:
    """What the manifest says the bundle is: its subject and its cut."""
    return {
        "model": context.model,
        "version": context.version,
        "log": {
            "origin": context.origin,
            "size": context.checkpoint.size,
            "root": base64.b64encode(context.checkpoint.root).decode("ascii"),
        },
        "events": len(context.events),
    }


def bundle_files(evidence: Evidence, predictions: bytes) -> dict[str, bytes]:
    """Every file of the bundle (path -> bytes), the signed manifest last."""
    context = evidence.context
    files: dict[str, bytes] = {
        layout.CHECKPOINT: context.checkpoint_note.encode("utf-8"),
        layout.LOG_VKEY: (evidence.log_vkey + "\n").encode("utf-8"),
        layout.EVENTS: b"".join(event_line(e.leaf_index, e.envelope) for e in context.events),
        layout.PROOFS: b"".join(
            proof_line(e.leaf_index, context.as_of, evidence.proofs[e.leaf_index])
            for e in context.events
        ),
        layout.PREDICTIONS: predictions,
        layout.README: readme(context, sorted(evidence.event_keys), evidence.log_vkey),
    }
    for keyid, pem in evidence.event_keys.items():
        files[event_key_path(keyid)] = pem
    files.update(documents(context))
    files[layout.MANIFEST] = manifest_bytes(
        _sorted(files), predicate(context), evidence.manifest_signer
    )
    return _sorted(files)


def event_key_path(keyid: str) -> str:
    """Where an event key's PEM lives in a bundle (``sha256:<hex>`` -> ``<hex>.pem``)."""
    return f"{layout.EVENT_KEYS_DIR}/{keyid.removeprefix('sha256:')}.pem"


def _sorted(files: Mapping[str, bytes]) -> dict[str, bytes]:
    return dict(sorted(files.items()))
