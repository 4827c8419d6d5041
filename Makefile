# evalledger: `make serve` runs the API on the embedded SQLite default; `make test` runs the
# suite on SQLite and PostgreSQL. Both set up the virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export EVALLEDGER_DATABASE_URL ?= sqlite+aiosqlite:///./evalledger.db

.PHONY: setup serve test test-sqlite lint typecheck check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

serve: $(STAMP)
	$(BIN)/evalledger init
	$(BIN)/evalledger demo --if-empty
	$(BIN)/evalledger serve --no-auth --host 127.0.0.1 --port 8000

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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
