# evalledger: `make serve` runs the API on the embedded SQLite default; `make test` runs the
# suite on SQLite and PostgreSQL. Both set up the virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export EVALLEDGER_DATABASE_URL ?= sqlite+aiosqlite:///./evalledger.db

.PHONY: setup serve test test-sqlite lint typecheck check clean bench bench-quick soak fixtures

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# `make serve PORT=8080 HOST=::1`; without them, EVALLEDGER_PORT / EVALLEDGER_HOST or
# 127.0.0.1:8000.
serve: $(STAMP)
	$(BIN)/evalledger init
	$(BIN)/evalledger demo --if-empty
	$(BIN)/evalledger serve --no-auth $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-sqlite: $(STAMP)
	EVALLEDGER_TEST_BACKENDS=sqlite $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Regenerate tests/fixtures/harness/ with the real harnesses (Inspect AI, lm-eval, promptfoo,
# OpenAI evals), installed into .venv-harness/ (never a dependency of evalledger).
fixtures:
	bash scripts/harness_fixtures/generate.sh

# Benchmarks (docs/benchmarks.md). MLflow, the peer they compare against, is installed into a
# separate venv used only by the bench; it is never a dependency of evalledger.
BENCH_VENV := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet "mlflow>=3,<4" psycopg2-binary gunicorn py-spy
	touch $(BENCH_STAMP)

# Full run: rewrites docs/benchmarks.md (needs PostgreSQL on 127.0.0.1:5432, user postgres).
bench: $(STAMP) $(BENCH_STAMP)
	PYTHONPATH=src:. $(BIN)/python -m bench.run

# CI-sized run (< 5 minutes, figures printed, no timed assertions): bench/results-quick.md.
# Skips MLflow when .venv-bench is absent.
bench-quick: $(STAMP)
	PYTHONPATH=src:. $(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache

# Two-minute soak per backend: mixed reads and writes from a second process against a real
# server; asserts zero errors and flat server memory and prints the figures.
soak: $(STAMP)
	EVALLEDGER_SOAK_SECONDS=120 $(BIN)/python -m pytest -q -s tests/integration/test_soak.py
