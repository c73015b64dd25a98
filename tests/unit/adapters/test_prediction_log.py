"""The prediction log: sealing by count and by age, what a seal describes, and crash recovery.

The crash tests kill a child process (``os._exit``) at the moment named, so nothing is closed,
flushed or sealed on the way out, then reopen the folder as a restart would.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.prediction_log import log as log_module
from adapters.prediction_log.ids import IdGenerator
from adapters.prediction_log.log import PredictionLog, SealedSegment
from adapters.prediction_log.lookup import find_record
from adapters.prediction_log.records import feedback_record, format_time, prediction_record
from domain.errors import ArtifactError, InvalidArgumentError, InvalidStateError, PortError
from ledger.encoding.canonical import canonical_json

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
START_TEXT = format_time(START)
IDS = IdGenerator()
REPOSITORY = Path(__file__).resolve().parents[3]


def predictions(count: int, *, first: int = 0) -> list[dict[str, Any]]:
    records = []
    for n in range(first, first + count):
        moment = START + timedelta(milliseconds=n)
        records.append(
            prediction_record(
                prediction_id=IDS.new_id(int(moment.timestamp() * 1000)),
                model_version="credit-risk/1",
                artifact_digest="sha256:" + "cd" * 32,
                environment="prod",
                time=format_time(moment),
                inputs={"age": 20 + n % 50, "amount": 1000.5 + n, "purpose": "car"},
                score=(n % 10) / 10,
                decision=n % 2,
            )
        )
    return records


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def open_log(directory: Path, **options: Any) -> PredictionLog:
    settings: dict[str, Any] = {"seal_every": 1000, "seal_after": timedelta(hours=1)}
    return PredictionLog(directory, **(settings | options))


def rfc6962_root(leaves: Sequence[bytes]) -> bytes:
    """MTH of RFC 6962 section 2.1, transcribed recursively (independent of ledger.merkle)."""
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = rfc6962_root(leaves[:split]), rfc6962_root(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def decisions(records: Sequence[Mapping[str, object]]) -> Mapping[str, object]:
    outputs = [record["output"] for record in records]
    return {"approved": sum(1 for o in outputs if isinstance(o, Mapping) and o["decision"])}


def test_a_segment_seals_once_it_holds_seal_every_records_and_never_splits_a_batch(
    tmp_path: Path,
) -> None:
    log = open_log(tmp_path, seal_every=5)
    records = predictions(12)

    for start in range(0, 12, 3):
        log.append(records[start : start + 3])

    assert [segment.record_count for segment in log.unrecorded()] == [6, 6]
    assert log.seal() is None


def test_an_old_segment_seals_before_the_next_batch_and_on_a_timer(tmp_path: Path) -> None:
    clock = Clock()
    log = open_log(tmp_path, seal_after=timedelta(seconds=30), clock=clock)
    records = predictions(3)

    log.append(records[:1])
    clock.now += timedelta(seconds=29)
    log.append(records[1:2])
    assert log.seal_if_due() is None
    clock.now += timedelta(seconds=1)
    log.append(records[2:])
    clock.now += timedelta(seconds=30)
    late = log.seal_if_due()

    assert [segment.record_count for segment in log.unrecorded()] == [2, 1]
    assert late == log.unrecorded()[1]


def test_a_seal_describes_the_file_as_an_independent_recomputation_does(tmp_path: Path) -> None:
    log = open_log(tmp_path, summariser=decisions, block_records=3)
    records = predictions(11)
    records[4]["time"] = "2026-11-30T11:59:59.999Z"  # out of order: start is the earliest

    log.append(records[:7])
    log.append(records[7:])
    sealed = log.seal()

    assert sealed is not None
    assert sealed.path == tmp_path / "00000001.sealed"
    assert sealed.digest == "sha256:" + hashlib.sha256(sealed.path.read_bytes()).hexdigest()
    assert sealed.merkle_root == rfc6962_root([canonical_json(r) for r in records]).hex()
    assert (sealed.record_count, sealed.kind) == (11, "prediction")
    assert (sealed.first_id, sealed.last_id) == (records[0]["id"], records[-1]["id"])
    assert (sealed.start, sealed.end) == ("2026-11-30T11:59:59.999Z", records[-1]["time"])
    assert sealed.summary == {"approved": 5}


def test_the_summary_covers_exactly_the_records_of_its_segment(tmp_path: Path) -> None:
    log = open_log(tmp_path, seal_every=4, summariser=lambda rs: {"count": len(rs)})

    log.append(predictions(4))
    log.append(predictions(6, first=4))

    assert [s.summary for s in log.unrecorded()] == [{"count": 4}, {"count": 6}]


def test_sealed_segments_are_offered_until_marked_recorded_across_restarts(
    tmp_path: Path,
) -> None:
    log = open_log(tmp_path, seal_every=2)
    log.append(predictions(2))
    log.append(predictions(2, first=2))
    first, second = log.unrecorded()
    log.mark_recorded(first.sequence)
    log.close()

    reopened = open_log(tmp_path, seal_every=2)
    assert reopened.unrecorded() == [second]
    assert reopened.recovery.unrecorded == (second,)
    reopened.mark_recorded(second.sequence)
    reopened.mark_recorded(second.sequence)  # idempotent
    reopened.close()

    assert open_log(tmp_path).unrecorded() == []


CHILD = textwrap.dedent(
    """
    import json, os, sys
    from pathlib import Path
    from datetime import timedelta
    from tests.unit.adapters.test_prediction_log import predictions
    from adapters.prediction_log.log import PredictionLog

    folder, moment = Path(sys.argv[1]), sys.argv[2]
    log = PredictionLog(folder, seal_every=int(sys.argv[3]), seal_after=timedelta(hours=1))
    acknowledged = log.append(predictions(5)) + log.append(predictions(4, first=5))
    print(json.dumps(acknowledged), flush=True)
    if moment == "mid-write":
        real_write = os.write
        def torn_write(descriptor, data):
            real_write(descriptor, bytes(data)[: len(data) // 2])
            os._exit(9)
        os.write = torn_write
        log.append(predictions(4, first=9))
    os._exit(9)
    """
)


def crash_child(folder: Path, moment: str, seal_every: int) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), moment, str(seal_every)],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        check=False,
        timeout=120,
    )
    assert done.returncode == 9, done.stderr
    return list(json.loads(done.stdout))


def test_a_crash_in_the_middle_of_a_write_loses_no_acknowledged_record(tmp_path: Path) -> None:
    acknowledged = crash_child(tmp_path, "mid-write", seal_every=1000)

    log = open_log(tmp_path)

    report = log.recovery
    assert [segment.record_count for segment in report.sealed] == [9]
    assert report.dropped_records == 4
    assert report.dropped_bytes > 0
    assert report.unrecorded == report.sealed
    assert [find_record(tmp_path, i).index_in_segment for i in acknowledged] == list(range(9))
    (tail,) = (tmp_path / "torn").iterdir()
    assert tail.stat().st_size == report.dropped_bytes
    assert f"the cut tail is kept as {tail}" in report.problems[-1]


def test_a_crash_after_sealing_and_before_recording_offers_the_segment_again(
    tmp_path: Path,
) -> None:
    acknowledged = crash_child(tmp_path, "after-seal", seal_every=5)

    log = open_log(tmp_path, seal_every=5)

    assert log.recovery.dropped_records == 0
    sealed, recovered = log.unrecorded()
    assert (sealed.record_count, sealed.first_id) == (5, acknowledged[0])
    assert recovered == log.recovery.sealed[0]
    assert (recovered.record_count, recovered.last_id) == (4, acknowledged[-1])


SEALED = "00000001.sealed"


def test_a_crash_between_the_sidecar_and_the_rename_is_sealed_on_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = predictions(3)
    log = open_log(tmp_path)
    log.append(records)
    real_replace = os.replace

    def crash_on_rename(source: Path, target: Path) -> None:
        if str(target).endswith(".sealed"):
            raise OSError("simulated crash before the rename")
        real_replace(source, target)

    monkeypatch.setattr(log_module.os, "replace", crash_on_rename)
    with pytest.raises(OSError, match="simulated crash"):
        log.seal()
    monkeypatch.undo()
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "00000001.idx", "00000001.seg"]

    (recovered,) = open_log(tmp_path).recovery.sealed

    assert recovered.merkle_root == rfc6962_root([canonical_json(r) for r in records]).hex()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".lock",
        "00000001.idx",
        "00000001.sealed",
    ]


def test_a_sidecar_naming_another_file_is_refused_on_open(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(predictions(2))
    log.seal()
    log.close()
    index = tmp_path / "00000001.idx"
    index.write_text(index.read_text().replace('"00000001.sealed"', '"../elsewhere.sealed"'))

    with pytest.raises(ArtifactError, match=r"segment 1's file is not named 00000001\.sealed"):
        open_log(tmp_path)


def test_an_open_segment_holding_only_a_torn_batch_is_removed_and_its_sequence_reused(
    tmp_path: Path,
) -> None:
    log = open_log(tmp_path)
    log.append(predictions(2))
    log.seal()
    log.append(predictions(2, first=2))
    log.close()
    path = tmp_path / "00000002.seg"
    path.write_bytes(path.read_bytes()[:-3])

    reopened = open_log(tmp_path)
    report = reopened.recovery
    reopened.append(predictions(1, first=4))

    assert (report.sealed, report.dropped_records) == ((), 2)
    assert "segment 2:" in report.problems[0]
    assert [segment.sequence for segment in reopened.unrecorded()] == [1]
    sealed = reopened.seal()
    assert sealed is not None
    assert (sealed.sequence, sealed.path.name) == (2, "00000002.sealed")


def test_a_bad_record_refuses_the_whole_batch_and_writes_nothing(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    records = predictions(3)
    records[2]["inputs"]["age"] = None

    with pytest.raises(InvalidArgumentError, match="record 2: inputs column 'age' is None"):
        log.append(records)

    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock"]


def test_duplicate_ids_and_records_of_another_kind_are_refused(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    record = predictions(1)[0]
    feedback = feedback_record(
        feedback_id=IDS.new_id(0), prediction_id=record["id"], time=record["time"], label="good"
    )

    with pytest.raises(InvalidArgumentError, match="same record id twice"):
        log.append([record, record])
    with pytest.raises(InvalidArgumentError, match="record 0: a prediction log takes only"):
        log.append([feedback])
    with pytest.raises(InvalidArgumentError, match="record 1: a record must be an object"):
        log.append([record, ["not", "a", "record"]])  # type: ignore[list-item]


def test_feedback_goes_to_its_own_log_the_same_way(tmp_path: Path) -> None:
    (prediction,) = predictions(1)
    feedback = feedback_record(
        feedback_id=IDS.new_id(1), prediction_id=prediction["id"], time=START_TEXT, label="bad"
    )
    log = open_log(tmp_path / "feedback", kind="feedback")

    log.append([feedback])
    sealed = log.seal()

    assert isinstance(sealed, SealedSegment)
    assert (sealed.kind, sealed.first_id) == ("feedback", feedback["id"])
    assert find_record(tmp_path / "feedback", feedback["id"]).record == feedback


def test_a_second_log_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    first = open_log(tmp_path)

    with pytest.raises(InvalidStateError, match="one writer per folder"):
        open_log(tmp_path)
    first.close()
    open_log(tmp_path).close()


def test_concurrent_appends_and_lookups_lose_and_mix_up_nothing(tmp_path: Path) -> None:
    log = open_log(tmp_path, seal_every=40)
    batches = [predictions(7, first=100 * n) for n in range(24)]
    acknowledged: list[str] = []
    misses: list[str] = []

    def write(part: list[list[dict[str, Any]]]) -> None:
        for batch in part:
            acknowledged.extend(log.append(batch))
            for prediction_id in acknowledged[-7:]:
                if find_record(tmp_path, prediction_id).record["id"] != prediction_id:
                    misses.append(prediction_id)

    threads = [threading.Thread(target=write, args=(batches[n::3],)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.seal()

    assert misses == []
    assert sum(segment.record_count for segment in log.unrecorded()) == 24 * 7
    assert sorted(acknowledged) == sorted(r["id"] for batch in batches for r in batch)


def test_a_log_dropped_without_closing_releases_its_folder(tmp_path: Path) -> None:
    log = open_log(tmp_path)
    log.append(predictions(2))
    del log
    gc.collect()

    reopened = open_log(tmp_path)

    assert [segment.record_count for segment in reopened.recovery.sealed] == [2]


def test_a_failing_summariser_leaves_the_records_logged_and_the_segment_open(
    tmp_path: Path,
) -> None:
    failures = [RuntimeError("summary store is down")]

    def summarise(records: Sequence[Mapping[str, object]]) -> Mapping[str, object]:
        if failures:
            raise failures.pop()
        return {"count": len(records)}

    log = open_log(tmp_path, seal_every=2, summariser=summarise)
    records = predictions(3)
    with pytest.raises(PortError, match="records are logged, but sealing failed"):
        log.append(records[:2])
    log.append(records[2:])

    (sealed,) = log.unrecorded()
    assert (sealed.record_count, sealed.summary) == (3, {"count": 3})


def test_a_failing_seal_by_age_still_logs_the_batch(tmp_path: Path) -> None:
    clock, failures = Clock(), [RuntimeError("summary store is down")]

    def summarise(records: Sequence[Mapping[str, object]]) -> Mapping[str, object]:
        if failures:
            raise failures.pop()
        return {"count": len(records)}

    log = open_log(tmp_path, seal_after=timedelta(seconds=5), clock=clock, summariser=summarise)
    records = predictions(3)
    log.append(records[:2])
    clock.now += timedelta(seconds=6)
    with pytest.raises(PortError, match="records are logged, but sealing failed: summary store"):
        log.append(records[2:])

    assert find_record(tmp_path, records[2]["id"]).index_in_segment == 2
    sealed = log.seal()
    assert sealed is not None
    assert (sealed.record_count, sealed.summary) == (3, {"count": 3})


def test_marking_an_unknown_segment_and_appending_to_a_closed_log_are_refused(
    tmp_path: Path,
) -> None:
    log = open_log(tmp_path)

    with pytest.raises(InvalidArgumentError, match="segment 7 is not sealed"):
        log.mark_recorded(7)
    log.close()
    with pytest.raises(InvalidStateError, match="closed"):
        log.append(predictions(1))


@pytest.mark.parametrize(
    "options",
    [{"seal_every": 0}, {"seal_after": timedelta(0)}, {"block_records": 0}, {"kind": "other"}],
)
def test_a_log_with_impossible_settings_is_refused(tmp_path: Path, options: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        open_log(tmp_path, **options)
