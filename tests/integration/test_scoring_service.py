"""The serving path on both engines: bad rows refused naming row and column with nothing logged,
the batch cap, feedback for unknown predictions, sealing on a timer, and a segment sealed before a
crash recorded on restart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.artifacts.file_store import FileArtifactStore
from adapters.credit import german
from adapters.credit.generator import derived_sample, rows
from adapters.tables.errors import RowError
from api import lifecycle
from api.cast import Cast, enrol_cast
from api.composition import Ledger, open_ledger
from api.serving import ScoringService, prediction_directory
from api.settings import Settings
from domain.errors import ArtifactError, InvalidArgumentError
from tests.conftest import initialise, make_settings


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _applications(n: int, seed: int = 3) -> list[dict[str, object]]:
    return [
        {k: v for k, v in row.items() if k != german.TARGET}
        for row in rows(derived_sample(n, seed=seed))
    ]


class ScoringServiceContract:
    """Subclasses provide ``database_url``."""

    @pytest.fixture
    def ledger(self, database_url: str, tmp_path: Path) -> Iterator[Ledger]:
        settings: Settings = make_settings(database_url, tmp_path / "home")
        initialise(settings)
        opened = open_ledger(settings, with_ml=True)
        opened.application.bootstrap_admin(settings.admin)
        yield opened
        opened.close()

    @pytest.fixture
    def in_dev(self, ledger: Ledger) -> UUID:
        app, home = ledger.application, ledger.settings.home
        store = FileArtifactStore.in_home(home)
        cast = Cast()
        enrol_cast(app, admin=ledger.settings.admin, cast=cast, keys=home / "people")
        data = lifecycle.register_credit_data(app, cast, store, german.german_credit_csv())
        model_id = lifecycle.register_credit_model(app, cast)
        version = lifecycle.train(app, cast, model_id, [data], lifecycle.credit_training_spec())
        lifecycle.deploy(app, cast, version, "dev")
        return version

    def service(self, ledger: Ledger, version: UUID, clock: _Clock | None = None) -> ScoringService:
        home = ledger.settings.home
        return ScoringService(
            ledger.application,
            version_id=version,
            environment="dev",
            actor=Cast().scoring,
            store=FileArtifactStore.in_home(home),
            home=home,
            max_rows=50,
            seal_every=20,
            seal_after=timedelta(seconds=30),
            clock=clock,
        )

    @pytest.mark.parametrize(
        ("change", "named"),
        [
            ({"purpose": "spaceship"}, "row 3, column 'purpose'"),
            ({"age": "forty"}, "row 3, column 'age'"),
            ({"age": 7}, "row 3, column 'age'"),
            ({"credit_amount": float("nan")}, "row 3, column 'credit_amount'"),
            ({"favourite_colour": "blue"}, "row 3, column 'favourite_colour'"),
        ],
    )
    def test_a_bad_row_refuses_the_batch_naming_row_and_column_and_logs_nothing(
        self, ledger: Ledger, in_dev: UUID, change: dict[str, Any], named: str
    ) -> None:
        service = self.service(ledger, in_dev)
        batch = _applications(5)
        batch[3] = {**batch[3], **change}

        with pytest.raises(RowError, match=named.replace("(", r"\(")):
            service.predict(batch)

        service.close()
        folder = prediction_directory(ledger.settings.home, in_dev, "dev", "prediction")
        assert list(folder.glob("*.sealed")) == []
        assert ledger.application.prediction_segments(in_dev, "dev", "prediction") == []

    def test_a_missing_column_and_an_oversized_or_empty_batch_are_refused(
        self, ledger: Ledger, in_dev: UUID
    ) -> None:
        service = self.service(ledger, in_dev)
        batch = _applications(2)
        del batch[1]["age"]
        with pytest.raises(RowError, match="row 1, column 'age'"):
            service.predict(batch)
        with pytest.raises(RowError, match="cap of 50"):
            service.predict(_applications(51))
        with pytest.raises(RowError):
            service.predict([])
        service.close()

    def test_feedback_for_an_unknown_prediction_or_label_logs_nothing(
        self, ledger: Ledger, in_dev: UUID
    ) -> None:
        service = self.service(ledger, in_dev)
        (known,) = service.predict(_applications(1))
        with pytest.raises(InvalidArgumentError, match="no prediction"):
            service.feedback([(known.id, "good"), ("0190b6a0-0000-7000-8000-000000000000", "bad")])
        with pytest.raises(InvalidArgumentError, match="label 'maybe'"):
            service.feedback([(known.id, "maybe")])
        service.close()
        assert ledger.application.prediction_segments(in_dev, "dev", "feedback") == []

    def test_an_old_segment_seals_on_the_timer_without_a_request(
        self, ledger: Ledger, in_dev: UUID
    ) -> None:
        clock = _Clock()
        service = self.service(ledger, in_dev, clock)
        service.predict(_applications(3))
        service.tick()
        assert ledger.application.prediction_segments(in_dev, "dev", "prediction") == []

        clock.now += timedelta(seconds=31)
        service.tick()

        (sealed,) = ledger.application.prediction_segments(in_dev, "dev", "prediction")
        assert sealed.record_count == 3
        service.close()

    def test_a_segment_sealed_before_a_crash_is_recorded_on_restart(
        self, ledger: Ledger, in_dev: UUID, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        service = self.service(ledger, in_dev)
        app = ledger.application

        def crash(**_: object) -> None:
            raise RuntimeError("the process died before recording the seal")

        monkeypatch.setattr(app, "seal_prediction_segment", crash)
        with pytest.raises(RuntimeError):
            service.predict(_applications(20))
        monkeypatch.undo()
        service.predictions.close()
        service.feedback_log.close()

        restarted = self.service(ledger, in_dev)

        (sealed,) = app.prediction_segments(in_dev, "dev", "prediction")
        assert sealed.record_count == 20
        restarted.close()

    def test_a_window_refuses_a_segment_summary_altered_in_the_store(
        self, ledger: Ledger, in_dev: UUID
    ) -> None:
        service = self.service(ledger, in_dev)
        service.predict(_applications(5))
        service.seal()
        (sealed,) = ledger.application.prediction_segments(in_dev, "dev", "prediction")
        store = FileArtifactStore.in_home(ledger.settings.home)
        path = store.path_of(sealed.summary_digest)
        path.chmod(0o644)
        path.write_bytes(path.read_bytes().replace(b'"count":5', b'"count":6'))

        with pytest.raises(ArtifactError, match="summary of prediction segment 1"):
            lifecycle.evaluate_window(
                ledger.application,
                Cast(),
                store,
                service,
                start="2026-11-30T00:00:00+00:00",
                end="2026-12-01T00:00:00+00:00",
            )
        service.close()


class TestScoringServiceOnSQLite(ScoringServiceContract):
    @pytest.fixture
    def database_url(self, sqlite_url: str) -> str:
        return sqlite_url


class TestScoringServiceOnPostgres(ScoringServiceContract):
    @pytest.fixture
    def database_url(self, postgres_url: str) -> str:
        return postgres_url
