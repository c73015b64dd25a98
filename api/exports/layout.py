"""The files of an evidence bundle (``../docs`` and interfaces.md give each one's content)."""

from __future__ import annotations

__all__ = [
    "ANNEX_IV",
    "CHECKPOINT",
    "CROSSWALK",
    "EVENTS",
    "EVENT_KEYS_DIR",
    "LOG_VKEY",
    "MANIFEST",
    "MODEL_CARD",
    "OPENLINEAGE",
    "PREDICTIONS",
    "PROOFS",
    "PROV",
    "README",
    "RISK_REGISTER",
    "SR11_7",
]

MANIFEST = "manifest.dsse.json"
CHECKPOINT = "checkpoint.txt"
LOG_VKEY = "keys/log.vkey"
EVENT_KEYS_DIR = "keys/event-signers"  # <keyid>.pem, one per event key of the key history
EVENTS = "events.jsonl"
PROOFS = "proofs.jsonl"
OPENLINEAGE = "lineage.openlineage.jsonl"
PROV = "lineage.prov.json"
MODEL_CARD = "model_card.json"
ANNEX_IV = "annex_iv.html"
SR11_7 = "sr11_7.html"
CROSSWALK = "crosswalk.html"
RISK_REGISTER = "risk_register.csv"
PREDICTIONS = "predictions.jsonl"
README = "README.txt"
