"""Checking an evidence bundle's signed parts offline: every problem, named by its file."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from ledger.evidence.check import (
    CHECKPOINT,
    EVENT_KEYS_DIR,
    EVENTS,
    LOG_VKEY,
    MANIFEST,
    PROOFS,
    BundleProblem,
    check_signed_parts,
)
from ledger.keys.ed25519 import Signer
from ledger.tlog.note import vkey_for
from tests.unit.ledger.evidence_bundle import (
    EVENT_ROTATION_LEAF,
    ORIGIN,
    A,
    C,
    SyntheticLog,
    bundle,
    resign,
    synthetic_log,
    without_line,
)


@pytest.fixture(scope="module")
def log() -> SyntheticLog:
    return synthetic_log()


@pytest.fixture
def files(log: SyntheticLog) -> dict[str, bytes]:
    return bundle(log, log.leaves_of({A, C}))


def problems_of(files: dict[str, bytes], **options: str) -> list[str]:
    return [str(p) for p in check_signed_parts(files, **options).problems]


def files_with_problems(files: dict[str, bytes]) -> set[str]:
    return {p.file for p in check_signed_parts(files).problems}


def flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def test_an_intact_bundle_has_no_problem_and_verifies_its_events(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    parts = check_signed_parts(files)

    assert parts.problems == []
    assert (
        [e.leaf_index for e in parts.events] == log.leaves_of({A, C}) == [0, 2, 3, 5, 6, 7, 9, 10]
    )
    assert [e.envelope for e in parts.events] == [log.envelopes[i] for i in log.leaves_of({A, C})]
    assert parts.events[1].payload.state == {"leaf": 2, "name": "event 2"}
    assert parts.checkpoint is not None
    assert parts.checkpoint.size == 12
    assert parts.checkpoint_note == files[CHECKPOINT].decode()
    assert parts.manifest is not None
    assert parts.manifest.predicate == {"model": "credit-risk"}
    assert parts.manifest.keyid == log.event_signers[-1].keyid
    assert set(parts.manifest.subjects) == set(files) - {MANIFEST}


def test_a_problem_reads_as_its_file_and_detail() -> None:
    assert str(BundleProblem("annex_iv.html", "sha256 does not match")) == (
        "annex_iv.html: sha256 does not match"
    )


def test_securesystemslib_verifies_the_manifest_and_every_event_with_the_bundle_keys_alone(
    files: dict[str, bytes],
) -> None:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    keys = [
        SSlibKey.from_crypto(
            serialization.load_pem_public_key(data),
            keyid="sha256:" + name.removeprefix(f"{EVENT_KEYS_DIR}/").removesuffix(".pem"),
        )
        for name, data in files.items()
        if name.startswith(f"{EVENT_KEYS_DIR}/")
    ]
    envelopes = [json.loads(files[MANIFEST])] + [
        json.loads(line)["envelope"] for line in files[EVENTS].splitlines()
    ]

    signers = [list(Envelope.from_dict(e).verify(keys, 1)) for e in envelopes]

    assert len(keys) == 2
    assert len(signers) == 9
    assert all(len(s) == 1 for s in signers)
    assert {s[0] for s in signers} == {key.keyid for key in keys}


def test_one_changed_byte_in_any_file_is_a_problem_of_that_file(files: dict[str, bytes]) -> None:
    unnoticed = [
        name
        for name in files
        if name not in files_with_problems({**files, name: flip_middle_byte(files[name])})
    ]

    assert len(files) == 9
    assert unnoticed == []


@pytest.mark.parametrize("name", [EVENTS, PROOFS, CHECKPOINT])
def test_a_changed_signed_part_is_a_problem_even_under_a_manifest_resigned_by_an_insider(
    log: SyntheticLog, files: dict[str, bytes], name: str
) -> None:
    tampered = resign({**files, name: flip_middle_byte(files[name])}, log.event_signers[-1])

    parts = check_signed_parts(tampered)

    assert parts.problems
    assert {p.file for p in parts.problems} <= {name, EVENTS, PROOFS}
    assert name in {p.file for p in parts.problems}
    assert len(parts.events) < 8


def test_a_dropped_event_line_breaks_the_manifest_and_its_aggregate_chain(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    dropped = {**files, EVENTS: without_line(files[EVENTS], 4)}  # leaf 5: A's version 2
    dropped_signed = bundle(log, [0, 2, 3, 5, 6, 9, 10])  # leaf 7, A's version 3, left out

    assert f"{EVENTS}: sha256 does not match the manifest" in problems_of(dropped)
    assert problems_of(dropped_signed) == [
        f"{EVENTS}: line 7 (leaf 10): aggregate {A} version 4: follows version 2; "
        "expected version 3"
    ]


def test_a_missing_manifest_is_named_and_the_events_still_verify(files: dict[str, bytes]) -> None:
    del files[MANIFEST]

    parts = check_signed_parts(files)

    assert [str(p) for p in parts.problems] == [
        f"{MANIFEST}: is missing: nothing attests which files belong to the bundle"
    ]
    assert parts.manifest is None
    assert len(parts.events) == 8


def test_an_extra_file_and_a_missing_document_are_named(files: dict[str, bytes]) -> None:
    files["notes.txt"] = b"added later\n"
    del files["annex_iv.html"]

    assert problems_of(files) == [
        "annex_iv.html: is listed in the manifest but missing",
        "notes.txt: is not listed in the manifest",
    ]


def test_another_validly_signed_checkpoint_of_another_size_is_a_problem(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    smaller = log.checkpoint(11).encode()
    swapped = {**files, CHECKPOINT: smaller}

    problems = problems_of(swapped)
    assert problems[0] == f"{CHECKPOINT}: sha256 does not match the manifest"
    assert len(problems) == 9  # and each of the 8 proofs is for a tree of another size
    parts = check_signed_parts(resign(swapped, log.event_signers[-1]))
    assert parts.events == []
    assert {p.file for p in parts.problems} == {PROOFS}
    assert "proves in a tree of 12, not the checkpoint's 11" in str(parts.problems[0])


def test_a_manifest_resigned_by_a_foreign_key_is_refused(files: dict[str, bytes]) -> None:
    stranger = Signer.generate()

    problems = problems_of(resign(files, stranger))

    assert problems == [f"{MANIFEST}: signed with unregistered key {stranger.keyid}"]


def test_an_event_signed_by_a_retired_key_is_a_problem_and_is_left_out() -> None:
    stale = synthetic_log(stale_signer_at=7)

    parts = check_signed_parts(bundle(stale, stale.leaves_of({A})))

    retired = stale.event_signers[0].keyid
    assert [str(p) for p in parts.problems] == [
        f"{EVENTS}: line 4 (leaf 7): aggregate {A} version 3: signed with key {retired} "
        f"retired at leaf {EVENT_ROTATION_LEAF}"
    ]
    assert 7 not in [e.leaf_index for e in parts.events]


def test_a_missing_key_rotation_leaves_the_new_keys_signatures_unjudgeable(
    log: SyntheticLog,
) -> None:
    leaves = [leaf for leaf in log.leaves_of({A}) if leaf != EVENT_ROTATION_LEAF]

    problems = problems_of(bundle(log, leaves))

    new_key = log.event_signers[1].keyid
    assert problems == [
        f"{EVENTS}: line 3 (leaf 7): aggregate {A} version 3: signed with key {new_key}, "
        "which no rotation brought in before leaf 7",
        f"{EVENTS}: line 4 (leaf 10): aggregate {A} version 4: signed with key {new_key}, "
        "which no rotation brought in before leaf 10",
    ]


def test_a_checkpoint_must_be_signed_by_the_log_key_in_force_after_a_log_key_rotation() -> None:
    rotated = synthetic_log(rotate_log_key=True)
    old_log_key = rotated.log_signers[0]
    by_old_key = bundle(
        rotated, rotated.leaves_of({A}), checkpoint=rotated.checkpoint(12, old_log_key)
    )
    by_old_key = resign(
        {**by_old_key, LOG_VKEY: f"{vkey_for(ORIGIN, old_log_key.public_key)}\n".encode()},
        rotated.event_signers[-1],
    )
    before_rotation = bundle(rotated, [0, 5], checkpoint=rotated.checkpoint(8, old_log_key))
    before_rotation = resign(
        {**before_rotation, LOG_VKEY: f"{vkey_for(ORIGIN, old_log_key.public_key)}\n".encode()},
        rotated.event_signers[-1],
    )

    assert problems_of(bundle(rotated, rotated.leaves_of({A}))) == []
    problems = problems_of(by_old_key)
    assert len(problems) == 1
    assert problems[0].startswith(f"{CHECKPOINT}: checkpoint 12 is signed by log key ")
    assert problems[0].endswith(
        f"but the rotation at leaf 8 put log key {rotated.log_signers[1].keyid} in force"
    )
    assert [p for p in problems_of(before_rotation) if "proves" not in p] == []


def test_a_wrong_trusted_log_key_is_a_problem_of_the_bundled_log_key(
    files: dict[str, bytes],
) -> None:
    trusted = vkey_for(ORIGIN, Signer.generate().public_key)

    parts = check_signed_parts(files, trusted_vkey=trusted)

    assert [p.file for p in parts.problems] == [LOG_VKEY, CHECKPOINT, PROOFS]
    assert f"not the trusted log key {trusted}" in str(parts.problems[0])
    assert parts.checkpoint is None
    assert parts.events == []
    assert check_signed_parts(files, trusted_vkey=files[LOG_VKEY].decode()).problems == []


def test_malformed_lines_are_problems_with_their_line_numbers(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    events = files[EVENTS].splitlines(keepends=True)
    proofs = files[PROOFS].splitlines(keepends=True)
    events[1] = b"not json\n"
    events[2] = json.dumps(json.loads(events[2]), indent=1).replace("\n", " ").encode() + b"\n"
    proofs[3] = b'{"leaf_index":5,"tree_size":12}\n'
    proofs[4] = b"[1,2]\n"

    problems = problems_of(
        resign({**files, EVENTS: b"".join(events), PROOFS: b"".join(proofs)}, log.event_signers[-1])
    )

    assert f"{EVENTS}: line 2: the line is not JSON" in problems
    assert f"{EVENTS}: line 3: the line is not canonical JSON (RFC 8785)" in problems
    assert (
        f"{PROOFS}: line 4: the line's members are ['leaf_index', 'tree_size'], "
        "expected ['hashes', 'leaf_index', 'tree_size']"
    ) in problems
    assert f"{PROOFS}: line 5: the line's members are list, expected " in " ".join(problems)
    assert f"{PROOFS}: line 4 (leaf 5): no readable proof for this event" in problems


def test_garbage_in_every_file_is_reported_never_raised(files: dict[str, bytes]) -> None:
    garbage = dict.fromkeys(files, b"\xff\x00{[")

    problems = problems_of(garbage)

    assert f"{MANIFEST}: the manifest does not end in a newline" in problems
    assert {p.split(":")[0] for p in problems} >= {MANIFEST, LOG_VKEY, CHECKPOINT, EVENTS}


def test_an_event_key_file_must_hold_the_key_its_name_gives(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    genesis, successor = (s.keyid.removeprefix("sha256:") for s in log.event_signers)
    swapped = {
        **files,
        f"{EVENT_KEYS_DIR}/{genesis}.pem": files[f"{EVENT_KEYS_DIR}/{successor}.pem"],
        f"{EVENT_KEYS_DIR}/notes.txt": b"not a key\n",
    }
    prefixed = {
        name.replace(f"/{genesis}.pem", f"/sha256:{genesis}.pem"): data
        for name, data in files.items()
    }

    problems = problems_of(resign(swapped, log.event_signers[-1]))

    assert problems[:2] == [
        f"{EVENT_KEYS_DIR}/{genesis}.pem: holds key sha256:{successor}, not the key its file "
        "name gives",
        f"{EVENT_KEYS_DIR}/notes.txt: is not a key file: {EVENT_KEYS_DIR} holds only "
        "<hex keyid>.pem",
    ]
    assert f"{EVENTS}: line 1 (leaf 0): signed with unregistered key sha256:{genesis}" in problems
    assert problems_of(resign(prefixed, log.event_signers[-1])) == []


def test_the_names_of_the_signed_parts_are_the_bundle_layouts() -> None:
    from api.exports import layout

    assert (MANIFEST, CHECKPOINT, LOG_VKEY, EVENT_KEYS_DIR, EVENTS, PROOFS) == (
        layout.MANIFEST,
        layout.CHECKPOINT,
        layout.LOG_VKEY,
        layout.EVENT_KEYS_DIR,
        layout.EVENTS,
        layout.PROOFS,
    )


def test_event_lines_out_of_order_or_beyond_the_checkpoint_are_problems(
    log: SyntheticLog, files: dict[str, bytes]
) -> None:
    lines = files[EVENTS].splitlines(keepends=True)
    proofs = files[PROOFS].splitlines(keepends=True)
    lines[1], lines[2] = lines[2], lines[1]  # leaves 3, 2
    proofs[1], proofs[2] = proofs[2], proofs[1]
    swapped = {**files, EVENTS: b"".join(lines), PROOFS: b"".join(proofs)}
    early = bundle(log, log.leaves_of({A, C}), checkpoint=log.checkpoint(10))

    problems = problems_of(resign(swapped, log.event_signers[-1]))

    assert problems[0] == f"{EVENTS}: line 3 (leaf 2): leaf 2 does not come after leaf 3"
    assert f"{EVENTS}: line 8 (leaf 10): leaf 10 is outside the checkpoint's 10" in problems_of(
        early
    )
