"""Sealing prediction log segments: dense sequences, idempotent re-sealing, deployed versions."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.errors import InvalidArgumentError, InvalidStateError, NotAuthorizedError
from domain.rules.roles import Role
from tests.unit.fakes import NewOrganisation, Organisation, refused, topics

ROOT = "ab" * 32


def segment_digest(sequence: int) -> str:
    return "sha256:" + f"{sequence:02x}" * 32


def seal(org: Organisation, version_id: UUID, sequence: int = 1, **changes: object) -> int:
    arguments: dict[str, object] = {
        "actor": "scorer",
        "version_id": version_id,
        "environment": "prod",
        "kind": "prediction",
        "sequence": sequence,
        "digest": segment_digest(sequence),
        "record_count": 1000,
        "first_id": f"0192f0c1-{sequence:04d}-7000-8000-000000000001",
        "last_id": f"0192f0c1-{sequence:04d}-7000-8000-000000001000",
        "start": "2026-11-30T10:00:00+00:00",
        "end": "2026-11-30T10:05:00+00:00",
        "merkle_root": ROOT,
        "summary_digest": "sha256:" + "5" * 64,
    }
    return org.app.seal_prediction_segment(**{**arguments, **changes})  # type: ignore[arg-type]


@pytest.fixture
def org(new_organisation: NewOrganisation) -> Organisation:
    organisation = new_organisation()
    organisation.app.register_principal(
        actor="root", name="scorer", roles=[Role.SCORING_CLIENT.value]
    )
    return organisation


@pytest.fixture
def in_prod(org: Organisation) -> UUID:
    version_id = org.released()
    org.deploy(version_id, "prod")
    return version_id


def test_sealed_segments_are_recorded_in_order(org: Organisation, in_prod: UUID) -> None:
    assert [seal(org, in_prod, n) for n in (1, 2)] == [1, 2]

    segments = org.app.prediction_segments(in_prod, "prod", "prediction")

    assert [(s.sequence, s.digest, s.record_count) for s in segments] == [
        (1, segment_digest(1), 1000),
        (2, segment_digest(2), 1000),
    ]
    assert segments[0].merkle_root == ROOT
    assert topics(org.app)[-3:] == ["Opened", "SegmentSealed", "SegmentSealed"]
    assert org.app.prediction_segments(in_prod, "prod", "feedback") == []


def test_sealing_the_same_segment_again_changes_nothing(org: Organisation, in_prod: UUID) -> None:
    seal(org, in_prod, 1)
    before = topics(org.app)

    assert seal(org, in_prod, 1) == 1
    assert topics(org.app) == before


def test_the_same_sequence_with_another_digest_is_refused(org: Organisation, in_prod: UUID) -> None:
    seal(org, in_prod, 1)

    with refused(org.app, InvalidStateError, "segment 1 of the prediction log in prod is sealed"):
        seal(org, in_prod, 1, digest=segment_digest(9))


def test_a_gap_in_the_sequence_is_refused(org: Organisation, in_prod: UUID) -> None:
    seal(org, in_prod, 1)

    with refused(org.app, InvalidStateError, "would leave a gap: the next segment to seal is 2"):
        seal(org, in_prod, 3)


def test_a_version_never_deployed_there_has_no_log(org: Organisation) -> None:
    version_id = org.released()

    with refused(org.app, InvalidStateError, "was never deployed in prod"):
        seal(org, version_id)


def test_a_version_rolled_back_may_still_seal_what_it_logged(
    org: Organisation, in_prod: UUID
) -> None:
    org.app.roll_back(actor="dee", version_id=in_prod, environment="prod")

    assert seal(org, in_prod, 1, kind="feedback", actor="mon") == 1


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"kind": "audit"}, "segment kind 'audit' is not one of prediction | feedback"),
        ({"merkle_root": "AB" * 32}, "is not 64 lowercase hex digits"),
        ({"digest": "md5:00"}, "segment digest 'md5:00' is not sha256"),
        ({"record_count": 0}, "at least one record"),
        ({"sequence": 0}, "segment sequences start at 1"),
        ({"start": "2026-11-30T10:06:00+00:00"}, "is after its end"),
        ({"end": "2026-11-30T10:06:00"}, "need a UTC offset"),
    ],
)
def test_malformed_segments_are_refused(
    org: Organisation, in_prod: UUID, changes: dict[str, object], match: str
) -> None:
    with refused(org.app, InvalidArgumentError, match):
        seal(org, in_prod, **changes)


def test_only_the_scoring_client_and_the_monitor_seal(org: Organisation, in_prod: UUID) -> None:
    with refused(org.app, NotAuthorizedError, "'dee' may not seal_prediction_segment"):
        seal(org, in_prod, actor="dee")
