"""The provable prediction log: records in sealed, Merkle-rooted segment files, found by id.

See ``log`` for writing and sealing, ``lookup`` for finding a record, ``proofs`` for proving
it, and ``segment_file`` for the on-disk format.
"""

from adapters.prediction_log.ids import new_id, time_of
from adapters.prediction_log.log import PredictionLog, RecoveryReport, SealedSegment, Summariser
from adapters.prediction_log.lookup import FoundRecord, find_record
from adapters.prediction_log.proofs import (
    RecordProof,
    check_sealed_segment,
    record_inclusion,
    verify_record_proof,
)
from adapters.prediction_log.records import (
    encode_record,
    feedback_record,
    format_time,
    prediction_record,
)

__all__ = [
    "FoundRecord",
    "PredictionLog",
    "RecordProof",
    "RecoveryReport",
    "SealedSegment",
    "Summariser",
    "check_sealed_segment",
    "encode_record",
    "feedback_record",
    "find_record",
    "format_time",
    "new_id",
    "prediction_record",
    "record_inclusion",
    "time_of",
    "verify_record_proof",
]
