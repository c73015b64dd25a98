"""Finding a record by id in open and sealed segments, proving it, and checking sealed files."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.prediction_log.log import PredictionLog, SealedSegment
from adapters.prediction_log.lookup import find_record
from adapters.prediction_log.proofs import (
    check_sealed_segment,
    record_inclusion,
    verify_record_proof,
)
from domain.errors import ArtifactError, InvalidArgumentError, InvalidStateError, NotFoundError
from ledger.encoding.canonical import canonical_json
from ledger.errors import VerificationError
from ledger.merkle import inclusion_proof, leaf_hash
from tests.unit.adapters.test_prediction_log import predictions


def logged(folder: Path, sizes: list[int], *, open_tail: int = 0) -> list[dict[str, Any]]:
    """Log one sealed segment per size (blocks of 4), then ``open_tail`` unsealed records."""
    log = PredictionLog(folder, seal_every=10_000, seal_after=timedelta(hours=1), block_records=4)
    records: list[dict[str, Any]] = []
    for size in sizes:
        records += predictions(size, first=len(records))
        log.append(records[-size:])
        log.seal()
    if open_tail:
        records += predictions(open_tail, first=len(records))
        log.append(records[-open_tail:])
    log.close()
    return records


def test_every_record_of_several_segments_is_found_open_or_sealed(tmp_path: Path) -> None:
    records = logged(tmp_path, [9, 5, 13], open_tail=6)
    where = [(1, n) for n in range(9)] + [(2, n) for n in range(5)]
    where += [(3, n) for n in range(13)] + [(4, n) for n in range(6)]

    for record, (sequence, index) in zip(records, where, strict=True):
        found = find_record(tmp_path, record["id"])
        assert found.record == record
        assert found.canonical == canonical_json(record)
        assert (found.segment_sequence, found.index_in_segment) == (sequence, index)
        assert found.sealed == (sequence != 4)


def test_a_sealed_segment_whose_sidecar_is_lost_is_still_searched(tmp_path: Path) -> None:
    records = logged(tmp_path, [6])
    (tmp_path / "00000001.idx").unlink()

    assert find_record(tmp_path, records[5]["id"]).index_in_segment == 5


def test_an_unknown_id_is_not_found_and_a_malformed_one_is_refused(tmp_path: Path) -> None:
    logged(tmp_path, [3])
    (stranger,) = predictions(1)

    with pytest.raises(NotFoundError, match=f"no record with id {stranger['id']}"):
        find_record(tmp_path, stranger["id"])
    with pytest.raises(InvalidArgumentError, match="is not a prediction id"):
        find_record(tmp_path, "42")
    with pytest.raises(NotFoundError, match="holds no prediction log"):
        find_record(tmp_path / "absent", stranger["id"])


def test_every_record_of_an_odd_sized_segment_has_a_proof_that_verifies(tmp_path: Path) -> None:
    records = logged(tmp_path, [4, 37])
    sealed_root = _sealed(tmp_path, 2).merkle_root
    leaves = [leaf_hash(canonical_json(record)) for record in records[4:]]

    for index, record in enumerate(records[4:]):
        proof = record_inclusion(tmp_path, record["id"])
        verify_record_proof(proof)
        assert (proof.segment_sequence, proof.leaf_index) == (2, index)
        assert (proof.segment_size, proof.merkle_root) == (37, sealed_root)
        assert proof.proof == [value.hex() for value in inclusion_proof(leaves, index)]


def test_a_proof_of_a_changed_record_or_another_root_fails(tmp_path: Path) -> None:
    records = logged(tmp_path, [5])
    proof = record_inclusion(tmp_path, records[2]["id"])
    changed = dict(proof.record, output={"score": 0.99, "decision": 1})

    with pytest.raises(VerificationError, match="leads to root"):
        verify_record_proof(replace(proof, record=changed))
    with pytest.raises(VerificationError, match="leads to root"):
        verify_record_proof(replace(proof, merkle_root="00" * 32))


def test_a_record_of_the_open_segment_cannot_be_proved_yet(tmp_path: Path) -> None:
    records = logged(tmp_path, [2], open_tail=2)

    with pytest.raises(InvalidStateError, match="not sealed yet"):
        record_inclusion(tmp_path, records[-1]["id"])


def test_a_sealed_segment_checks_clean_against_its_own_facts(tmp_path: Path) -> None:
    logged(tmp_path, [7])
    sealed = _sealed(tmp_path, 1)

    assert _problems(sealed) == []


def test_changing_any_one_byte_of_a_sealed_file_is_reported(tmp_path: Path) -> None:
    logged(tmp_path, [3])
    sealed = _sealed(tmp_path, 1)
    original = sealed.path.read_bytes()

    for position in range(len(original)):
        changed = bytearray(original)
        changed[position] ^= 0x20
        sealed.path.write_bytes(bytes(changed))
        problems = _problems(sealed)
        assert any("its digest is" in problem for problem in problems), position


def test_a_missing_file_a_wrong_count_and_a_wrong_root_are_reported(tmp_path: Path) -> None:
    logged(tmp_path, [3])
    sealed = _sealed(tmp_path, 1)

    assert "holds 3 records, the ledger records 4" in _problems(replace(sealed, record_count=4))[0]
    assert "its Merkle root is" in _problems(replace(sealed, merkle_root="00" * 32))[0]
    sealed.path.unlink()
    assert "cannot be read" in _problems(sealed)[0]


def test_a_tampered_sealed_file_yields_no_proof(tmp_path: Path) -> None:
    records = logged(tmp_path, [3])
    path = tmp_path / "00000001.sealed"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))

    with pytest.raises(ArtifactError, match="CRC-32"):
        record_inclusion(tmp_path, records[0]["id"])


def _sealed(folder: Path, sequence: int) -> SealedSegment:
    log = PredictionLog(folder, seal_every=10_000, seal_after=timedelta(hours=1))
    try:
        return next(s for s in log.unrecorded() if s.sequence == sequence)
    finally:
        log.close()


def _problems(sealed: SealedSegment) -> list[str]:
    return check_sealed_segment(sealed.path, sealed.digest, sealed.merkle_root, sealed.record_count)
