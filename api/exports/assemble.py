"""Gathering a bundle's evidence from an opened ledger: the cut, the events, their proofs, keys.

The cut is a signed checkpoint: the latest one (cut now if the log grew) or, with ``as_of``,
the latest signed at or before that log size or time. Every selected event is opened strictly
(``open_event``) and every inclusion proof checked before it is handed out.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.composition import Ledger
from api.exports.context import BundleContext, project_events
from api.exports.selection import select_leaves
from api.read_side import projector, read_view, resolve_as_of
from ledger.errors import VerificationError
from ledger.keys.ed25519 import Signer, public_key_pem
from ledger.keys.history import is_keys_aggregate, parse_rotation
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.store.signed_event import EventPayload, open_event
from ledger.tlog.checkpoint import open_checkpoint
from ledger.tlog.note import NoteVerifier, vkey_for
from ledger.tlog.tree_store import StoredCheckpoint
from projections.catalog import VERSION
from projections.errors import AsOfError, NotFoundError
from projections.inventory import inventory_entry
from projections.read_state import ReadView

__all__ = ["Evidence", "gather"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a bundle is made of, before any document is written."""

    context: BundleContext
    proofs: dict[int, list[bytes]]  # leaf -> inclusion proof against the checkpoint
    event_keys: dict[str, bytes]  # keyid -> public key PEM, every event key up to the cut
    log_vkey: str  # the C2SP verifier key that signed the checkpoint
    manifest_signer: Signer


def gather(ledger: Ledger, model: str, version: int | None, as_of: str | None) -> Evidence:
    """The evidence of ``model``'s bundle (one ``version`` or all) at the cut ``as_of`` names.

    NotFoundError or AsOfError (the message says what to fix) for a model, version or time
    that does not exist; VerificationError when the ledger fails its own checks.
    """
    projector(ledger).catch_up()
    view = read_view(ledger)
    cut = _cut(ledger, view, as_of)
    origin = ledger.settings.log_origin
    verifiers = ledger.log_verifiers()
    checkpoint = open_checkpoint(cut.note, verifiers, origin)
    _require_version(view, cut.size, model, version)
    leaves = select_leaves(ledger, view, cut.size, model, version)
    keyring = ledger.keyring()
    opened: list[tuple[int, bytes, EventPayload]] = []
    for leaf in leaves:
        entry = ledger.recorder.select_log_entries(leaf, 1)[0]
        if entry.stored is None or entry.leaf_index != leaf:
            raise VerificationError(f"leaf {leaf} names no stored event: run `govledger verify`")
        envelope = entry.stored.state
        assert isinstance(envelope, bytes)
        opened.append((leaf, envelope, open_event(entry.stored, keyring)))
    proofs = _proofs(ledger, opened, cut)
    events, read_side = project_events(opened, cut.size)
    context = BundleContext(
        model=model,
        version=version,
        origin=origin,
        checkpoint=checkpoint,
        checkpoint_note=cut.note,
        events=events,
        view=read_side,
    )
    return Evidence(
        context=context,
        proofs=proofs,
        event_keys=_event_keys(ledger, opened),
        log_vkey=_signing_vkey(ledger, cut.note, origin),
        manifest_signer=ledger.keystore.event_signer(),
    )


def _cut(ledger: Ledger, view: ReadView, as_of: str | None) -> StoredCheckpoint:
    if as_of is None:
        latest = ledger.checkpointer.cut()
        if latest is None:
            raise AsOfError("the log is empty: there is nothing to export yet")
        return latest
    size = resolve_as_of(as_of, view, ledger)
    tree = ledger.tree
    with tree.reading() as c:
        signed = [checkpoint for checkpoint in tree.checkpoints(c) if checkpoint.size <= size]
    if not signed:
        raise AsOfError(
            f"--as-of {as_of}: no checkpoint was signed at or before log size {size}; "
            "give a later time or size, or omit --as-of to cut one now"
        )
    return signed[-1]


def _require_version(view: ReadView, size: int, model: str, version: int | None) -> None:
    inventory_entry(view, size, model)  # NotFoundError for a model not registered then
    if version is None:
        return
    numbers = sorted(int(d.body["number"]) for d in view.documents(VERSION, size, scope=model))
    if version not in numbers:
        listed = ", ".join(str(n) for n in numbers) or "none"
        raise NotFoundError(
            f"{model} has no version {version} at log size {size}; its versions then: {listed}"
        )


def _proofs(
    ledger: Ledger, opened: list[tuple[int, bytes, EventPayload]], cut: StoredCheckpoint
) -> dict[int, list[bytes]]:
    proofs = {}
    tree = ledger.tree
    with tree.reading() as c:
        for leaf, envelope, _ in opened:
            hashes = tree.inclusion_proof(c, leaf, cut.size)
            try:
                verify_inclusion(leaf_hash(envelope), leaf, cut.size, hashes, cut.root)
            except VerificationError as exc:
                raise VerificationError(
                    f"the stored tree gives no valid proof of leaf {leaf}: {exc}; "
                    "run `govledger verify`"
                ) from None
            proofs[leaf] = hashes
    return proofs


def _event_keys(ledger: Ledger, opened: list[tuple[int, bytes, EventPayload]]) -> dict[str, bytes]:
    """The event keys of the key history up to the cut (the genesis key, each one rotated in)
    and the key that signs the manifest."""
    published = ledger.keyring().keys
    keys = {}
    for _, _, payload in opened:
        if payload.keyid in published:
            keys[payload.keyid] = public_key_pem(published[payload.keyid])
        if is_keys_aggregate(payload.aggregate_id):
            rotation = parse_rotation(payload.topic, payload.state)
            keys[rotation.incoming_keyid] = public_key_pem(rotation.incoming)
    signer = ledger.keystore.event_signer()
    keys[signer.keyid] = public_key_pem(signer.public_key)
    return dict(sorted(keys.items()))


def _signing_vkey(ledger: Ledger, note: str, origin: str) -> str:
    """The vkey of the published log key that signed ``note``."""
    for key in ledger.keystore.log_keys().values():
        vkey = vkey_for(origin, key)
        try:
            open_checkpoint(note, [NoteVerifier.from_vkey(vkey)], origin)
        except VerificationError:
            continue
        return vkey
    raise VerificationError("no published log key signed the checkpoint: run `govledger verify`")
