"""``govledger demo --data-only``: record the German credit data set and a version of it.

A quick way to put a few signed events in a ledger (a data steward, the dataset, a version) without
the ML stack: what operators use to try a new installation, and what the CLI's tests use.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib import resources
from uuid import UUID

from domain.aggregates.dataset import Dataset
from domain.application import GovernanceApplication
from domain.errors import NotFoundError
from domain.rules.roles import Role

__all__ = ["DemoResult", "record_demo_data"]

_DATASET = "german-credit"
_PROTECTED = ["personal_status_and_sex", "age_in_years", "foreign_worker"]


@dataclass(frozen=True)
class DemoResult:
    """What the demo recorded."""

    dataset_id: UUID
    version: int
    digest: str
    rows: int


def record_demo_data(
    application: GovernanceApplication, *, admin: str, actor: str = "demo-data-steward"
) -> DemoResult:
    """Register the German credit data (once) and record a version of its current content.

    ``admin`` registers the demo's data steward (once), who records the data.
    """
    try:
        application.get_principal(actor)
    except NotFoundError:
        application.register_principal(actor=admin, name=actor, roles=[Role.DATA_STEWARD])
    content = resources.files("adapters.datasets").joinpath("german_credit.csv").read_bytes()
    rows = list(csv.reader(content.decode("utf-8").splitlines()))
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    dataset_id = Dataset.create_id(_DATASET)
    try:
        application.get_dataset(dataset_id)
    except NotFoundError:
        application.register_dataset(
            name=_DATASET,
            description="Statlog German credit data (UCI, CC BY 4.0): 1,000 loan applicants",
            actor=actor,
        )
    version = application.add_dataset_version(
        dataset_id,
        digest=digest,
        row_count=len(rows) - 1,
        columns=rows[0],
        protected_attributes=_PROTECTED,
        sensitivity="confidential",
        actor=actor,
    )
    return DemoResult(dataset_id=dataset_id, version=version, digest=digest, rows=len(rows) - 1)
