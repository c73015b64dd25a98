# The two commands: `make demo` and `make test`. Both create the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
INSTALLED_BENCH := $(VENV)/.installed-bench

.PHONY: demo test lint bench bench-appends bench-merkle bench-scoring bench-explaining \
	bench-monitoring bench-read-side bench-http-commands bench-group-commit bench-http-scoring clean

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "govledger needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $@

demo: $(INSTALLED)
	$(BIN)/govledger init
	$(BIN)/govledger demo

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The benchmarks also need the bench extra: Evidently, the baseline of the monitoring benchmark.
$(INSTALLED_BENCH): $(INSTALLED)
	$(BIN)/pip install --quiet --constraint constraints.txt --editable '.[dev,bench]'
	touch $@

bench: bench-appends bench-merkle bench-scoring bench-explaining bench-monitoring bench-read-side

bench-appends: $(INSTALLED)
	$(BIN)/python -m bench.signed_appends

bench-merkle: $(INSTALLED)
	$(BIN)/python -m bench.merkle_proofs

bench-scoring: $(INSTALLED_BENCH)
	$(BIN)/python -m bench.scoring

bench-explaining: $(INSTALLED_BENCH)
	$(BIN)/python -m bench.explaining

bench-monitoring: $(INSTALLED_BENCH)
	$(BIN)/python -m bench.monitoring

bench-read-side: $(INSTALLED)
	$(BIN)/python -m bench.read_side

bench-http-commands: $(INSTALLED_BENCH)
	$(BIN)/python -m bench.http_commands

bench-group-commit: $(INSTALLED)
	$(BIN)/python -m bench.group_commit

bench-http-scoring: $(INSTALLED)
	$(BIN)/python -m bench.http_scoring

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
