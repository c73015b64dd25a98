"""Routes: the transparency log's public material, for anyone holding a reading role.

- ``/ledger/checkpoint``: the latest stored checkpoint, the C2SP signed note as published;
- ``/ledger/checkpoints``: every stored checkpoint, smallest tree first, a page at a time;
- ``/ledger/entries``: the signed DSSE envelopes with their leaf index and leaf hash;
- ``/ledger/proofs/inclusion`` and ``/ledger/proofs/consistency``: RFC 9162 proofs (hashes in
  base64) against checkpointed sizes, checked with ``ledger.merkle`` before they are served,
  with the C2SP tlog-proof ``govledger verify-proof`` reads when the size is a checkpoint's;
- ``/ledger/keys``: the log keys as C2SP vkeys, the event signers as PEM and JWK, with windows.

A parameter out of range is 422 naming it (a size beyond the latest checkpoint: 404).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from api.composition import Ledger, log_vkey
from api.http.ledger_keys import event_keys, key_windows, log_keys
from api.http.problems import HttpError
from api.http.reading import MAX_LIMIT, MAX_POSITION, read_access
from api.http.services import Services, services
from ledger.errors import VerificationError
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.tlog.proof_format import TlogProof
from ledger.tlog.tree_store import StoredCheckpoint

__all__ = ["router"]

router = APIRouter(prefix="/ledger", tags=["ledger"])

Found = Annotated[Services, Depends(services)]
Start = Annotated[
    int, Query(ge=0, le=MAX_POSITION, description="the first leaf index (or tree size) to list")
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class CheckpointRow(BaseModel):
    """One signed checkpoint: its tree size, root (base64) and C2SP signed note."""

    size: int
    root: str
    note: str


class CheckpointsPage(BaseModel):
    """Checkpoints with ``size >= start``, smallest first; ``count``: all stored."""

    data: list[CheckpointRow]
    count: int
    start: int
    limit: int


class EntryRow(BaseModel):
    """One leaf: its index, its RFC 6962 leaf hash (base64) and the signed DSSE envelope."""

    leaf_index: int
    leaf_hash: str
    envelope: dict[str, Any]


class EntriesPage(BaseModel):
    """Leaves ``start`` .. ``start + limit - 1`` (those that exist) of a log of ``size``."""

    data: list[EntryRow]
    size: int = Field(description="the log's size now")
    start: int
    limit: int


class InclusionProof(BaseModel):
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""

    index: int
    size: int
    leaf_hash: str
    hashes: list[str]
    root: str
    checkpoint: str = Field(description="the signed note of the checkpoint of this size, if any")
    tlog_proof: str | None = Field(
        description="the C2SP tlog-proof (for `govledger verify-proof`) when a checkpoint of "
        "this size is signed"
    )


class ConsistencyProof(BaseModel):
    """RFC 9162 consistency proof from the tree of ``old`` leaves to that of ``new``."""

    old: int
    new: int
    old_root: str
    new_root: str
    hashes: list[str]


class EventKey(BaseModel):
    """An event-signing key: PEM, JWK and the leaves it signs (``until_leaf`` inclusive)."""

    keyid: str
    pem: str
    jwk: dict[str, str]
    from_leaf: int | None
    until_leaf: int | None
    status: str


class LogKey(BaseModel):
    """A log key: its C2SP vkey and the checkpoint sizes it signs (``until_size`` inclusive)."""

    keyid: str
    vkey: str
    from_size: int | None
    until_size: int | None
    status: str


class Keys(BaseModel):
    """The ledger's public keys."""

    origin: str
    log_vkey: str = Field(description="the C2SP verifier key signing checkpoints now")
    log_keys: list[LogKey]
    event_keys: list[EventKey]


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    dependencies=read_access("read the checkpoint"),
    summary="The latest checkpoint: a C2SP signed note",
    responses={200: {"content": {"text/plain": {}}}},
)
def get_checkpoint(found: Found) -> PlainTextResponse:
    """The latest stored checkpoint exactly as signed and published."""
    return PlainTextResponse(_latest(found.ledger).note)


@router.get(
    "/checkpoints",
    response_model=CheckpointsPage,
    dependencies=read_access("read checkpoints"),
    summary="Every stored checkpoint, a page at a time",
)
def get_checkpoints(found: Found, start: Start = 0, limit: Limit = 100) -> CheckpointsPage:
    """Checkpoints of trees of ``start`` leaves or more, smallest first."""
    tree = found.ledger.tree
    with tree.reading() as c:
        stored = tree.checkpoints(c)
    wanted = [checkpoint for checkpoint in stored if checkpoint.size >= start][:limit]
    return CheckpointsPage(
        data=[CheckpointRow(size=s.size, root=_b64(s.root), note=s.note) for s in wanted],
        count=len(stored),
        start=start,
        limit=limit,
    )


@router.get(
    "/entries",
    response_model=EntriesPage,
    dependencies=read_access("read log entries"),
    summary="Signed envelopes with their leaf index",
)
def get_entries(found: Found, start: Start = 0, limit: Limit = 100) -> EntriesPage:
    """Leaves from ``start``, at most ``limit``, with the DSSE envelope each one hashes."""
    tree = found.ledger.tree
    with tree.reading() as c:
        size = tree.log_size(c)
        rows = tree.envelope_rows(c, start, start + limit)
    return EntriesPage(data=[_entry(*row) for row in rows], size=size, start=start, limit=limit)


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProof,
    dependencies=read_access("read an inclusion proof"),
    summary="RFC 9162 inclusion proof of a leaf",
)
def get_inclusion_proof(
    found: Found,
    index: Annotated[int, Query(ge=0, le=MAX_POSITION, description="the leaf index")],
    size: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_POSITION, description="the tree size (default: the latest checkpoint's)"
        ),
    ] = None,
) -> InclusionProof:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves, checked before served."""
    ledger = found.ledger
    latest = _latest(ledger)
    size = latest.size if size is None else _checkpointed("size", size, latest)
    if index >= size:
        raise HttpError(
            422,
            "invalid_request",
            f"index {index} is not a leaf of a tree of {size}: give 0..{size - 1}",
        )
    tree = ledger.tree
    with tree.reading() as c:
        (leaf,) = tree.leaf_hashes(c, index, index + 1)
        hashes = tree.inclusion_proof(c, index, size)
        root = tree.root(c, size)
        note = next((s.note for s in tree.checkpoints(c) if s.size == size), "")
    _served_checked(lambda: verify_inclusion(leaf, index, size, hashes, root))
    return InclusionProof(
        index=index,
        size=size,
        leaf_hash=_b64(leaf),
        hashes=[_b64(h) for h in hashes],
        root=_b64(root),
        checkpoint=note,
        tlog_proof=TlogProof(index=index, hashes=tuple(hashes), checkpoint_note=note).to_text()
        if note
        else None,
    )


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProof,
    dependencies=read_access("read a consistency proof"),
    summary="RFC 9162 consistency proof between two tree sizes",
)
def get_consistency_proof(
    found: Found,
    old: Annotated[int, Query(ge=1, le=MAX_POSITION, description="the smaller tree size")],
    new: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_POSITION,
            description="the larger tree size (default: the latest checkpoint's)",
        ),
    ] = None,
) -> ConsistencyProof:
    """The proof that the tree of ``new`` leaves extends the tree of ``old``."""
    ledger = found.ledger
    latest = _latest(ledger)
    new = latest.size if new is None else _checkpointed("new", new, latest)
    if old > new:
        raise HttpError(
            422, "invalid_request", f"old {old} is larger than new {new}: give old <= new"
        )
    tree = ledger.tree
    with tree.reading() as c:
        hashes = tree.consistency_proof(c, old, new) if old < new else []
        old_root, new_root = tree.root(c, old), tree.root(c, new)
    _served_checked(lambda: verify_consistency(old, new, old_root, new_root, hashes))
    return ConsistencyProof(
        old=old,
        new=new,
        old_root=_b64(old_root),
        new_root=_b64(new_root),
        hashes=[_b64(h) for h in hashes],
    )


@router.get(
    "/keys",
    response_model=Keys,
    dependencies=read_access("read the ledger's keys"),
    summary="The log's and the event signers' public keys, with their windows",
)
def get_keys(found: Found) -> Keys:
    """The log keys as C2SP vkeys; event-signing keys as PEM and JWK; where each is in force."""
    ledger = found.ledger
    windows = key_windows(ledger)
    return Keys(
        origin=ledger.settings.log_origin,
        log_vkey=log_vkey(ledger.settings, ledger.keystore),
        log_keys=[LogKey(**key) for key in log_keys(ledger, windows)],
        event_keys=[EventKey(**key) for key in event_keys(ledger, windows)],
    )


def _latest(ledger: Ledger) -> StoredCheckpoint:
    """The latest stored checkpoint; 404 before the first is cut."""
    tree = ledger.tree
    with tree.reading() as c:
        latest = tree.latest_checkpoint(c)
    if latest is None:
        raise HttpError(404, "not_found", "no checkpoint is signed yet: run `govledger checkpoint`")
    return latest


def _checkpointed(parameter: str, size: int, latest: StoredCheckpoint) -> int:
    """``size`` if a checkpoint covers it; 404 naming ``parameter`` otherwise."""
    if size > latest.size:
        raise HttpError(
            404,
            "not_found",
            f"{parameter} {size} is beyond the latest checkpoint ({latest.size} leaves): "
            f"give {parameter} <= {latest.size}",
        )
    return size


def _entry(index: Any, stored_hash: Any, envelope: Any) -> EntryRow:
    """A leaf row as served; a leaf whose envelope is missing or unreadable is tampering."""
    try:
        opened = json.loads(bytes(envelope))
    except (TypeError, ValueError):
        opened = None
    if not isinstance(opened, dict):
        raise HttpError(
            500,
            "integrity_failure",
            f"leaf {index} has no readable envelope: run `govledger verify`",
        )
    if bytes(stored_hash) != leaf_hash(bytes(envelope)):
        raise HttpError(
            500,
            "integrity_failure",
            f"leaf {index} does not hash its envelope: run `govledger verify`",
        )
    return EntryRow(leaf_index=int(index), leaf_hash=_b64(bytes(stored_hash)), envelope=opened)


def _served_checked(check: Callable[[], None]) -> None:
    """Run ``check``: never hand out a proof that does not verify."""
    try:
        check()
    except VerificationError as exc:
        raise HttpError(
            500,
            "integrity_failure",
            f"the stored tree gives no valid proof: {exc}; run `govledger verify`",
        ) from None
