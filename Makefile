# dosewise: `make run` serves the API, `make test` runs the whole suite. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
# `make run VENV=/path/to/.venv` reuses an installed environment (the make run test does)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-quick lint setup clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "[setup 1/3] creating $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[setup 2/3] upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "[setup 3/3] installing dosewise and its dependencies (about a minute the first time)"
	@set -o pipefail; $(BIN)/python -m pip install -e '.[dev]' 2>&1 | $(BIN)/python tools/pip_progress.py
	@touch $(STAMP)

# the whole product: data check, default model, Redis (embedded unless REDIS_URL), gunicorn,
# Celery worker and beat, supervised together (service/local.py runs the Procfile with honcho)
run: setup
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m service.local

test: setup
	$(BIN)/python tests/ensure_browser.py
	$(BIN)/python tests/with_redis.py $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python tests/with_redis.py bash -c '$(BIN)/python -m bench.run $(BENCH_ARGS) && \
	  $(BIN)/python -m bench.regimen && $(BIN)/python -m bench.precompute && \
	  $(BIN)/python -m bench.reload && $(BIN)/python -m bench.learning && \
	  $(BIN)/python -m bench.load'

bench-quick: setup
	$(BIN)/python tests/with_redis.py bash -c '$(BIN)/python -m bench.run --quick && \
	  $(BIN)/python -m bench.regimen && \
	  $(BIN)/python -m bench.precompute --customers 20000 --naive 1000 --seconds 5'

lint: setup
	$(BIN)/ruff check service workers tests bench
	$(BIN)/ruff format --check service workers tests bench
	$(BIN)/mypy

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
