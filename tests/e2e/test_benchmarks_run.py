"""The ML benchmarks run end to end at a tiny size (``--quick``) and print issue 9's four figures.

A smoke test only: it checks that each benchmark runs its real code paths (which assert their
own correctness on the way: identical scores, identical LIME weights, PSI and fairness equal to
direct and fairlearn computations) and prints each figure with a verdict per target. It never
judges a ratio: timings at this size mean nothing, and timings are not tests.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from bench import explaining, http_commands, http_scoring, monitoring, read_side, scoring
from bench.read_side_queries import QUESTIONS
from tests.conftest import postgres_problem

FIGURE = re.compile(r"^figure (\d)  \S", re.MULTILINE)
VERDICT = re.compile(r"^  (PASS|FAIL)  \S", re.MULTILINE)
EVIDENTLY = importlib.util.find_spec("evidently") is not None
MLFLOW = importlib.util.find_spec("mlflow") is not None


def test_the_scoring_benchmark_prints_figures_one_and_two(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = scoring.main(["--quick"])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["1", "2"]
    assert len(VERDICT.findall(printed)) == 3
    assert "scores identical for every row" in printed


def test_the_explaining_benchmark_prints_figure_three(capsys: pytest.CaptureFixture[str]) -> None:
    status = explaining.main(["--quick"])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["3"]
    assert len(VERDICT.findall(printed)) == 1
    assert "weights identical on every row" in printed


def test_the_monitoring_benchmark_prints_figure_four(capsys: pytest.CaptureFixture[str]) -> None:
    # Evidently is a bench-only dependency (`make bench` installs it, `make test` does not):
    # without it the benchmark runs and checks our side only, and says so.
    status = monitoring.main(["--quick", *([] if EVIDENTLY else ["--without-evidently"])])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["4"]
    assert "equal to fairlearn's functions" in printed
    if EVIDENTLY:
        assert len(VERDICT.findall(printed)) == 2
    else:
        assert "not run: Evidently is not installed" in printed


def test_the_monitoring_benchmark_refuses_to_run_without_its_baseline_unless_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)

    status = monitoring.main(["--quick"])

    assert status == 2
    assert "make bench-monitoring" in capsys.readouterr().out


def test_the_read_side_benchmark_prints_the_rebuild_and_the_as_of_questions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Both figures on PostgreSQL when a server is there (CI has one), else on SQLite alone.
    engines = ["sqlite", "postgresql"] if postgres_problem() is None else ["sqlite"]
    status = read_side.main(["--quick", "--engines", *engines, "--query-engine", engines[-1]])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["1"] * len(engines) + ["2"]
    assert len(VERDICT.findall(printed)) == len(engines) + len(QUESTIONS)
    assert "Ed25519 verifies/s on one core" in printed


def test_the_http_commands_benchmark_prints_its_three_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # MLflow is a bench-only dependency: without it the quick run measures our side only.
    status = http_commands.main(["--quick"])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["1", "2", "3"]
    assert re.search(r"^  ours: +\d[\d,]* ops/s .*errors: none$", printed, re.MULTILINE), printed
    assert re.search(r"^  ours: +p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms", printed, re.M)
    if MLFLOW:
        assert len(VERDICT.findall(printed)) == 3
    else:
        assert len(VERDICT.findall(printed)) == 1
        assert "MLflow baseline skipped: the bench extra is missing" in printed


def test_the_http_scoring_benchmark_prints_figure_five(capsys: pytest.CaptureFixture[str]) -> None:
    # Runs the demo, then both servers; it asserts identical scores on both sides itself.
    status = http_scoring.main(["--quick", "--clients", "4"])

    printed = capsys.readouterr().out
    assert status in (0, 1), printed
    assert FIGURE.findall(printed) == ["5"]
    assert len(VERDICT.findall(printed)) == 1
    assert "scores identical for every row on both sides" in printed
