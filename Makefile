# dosewise: `make run` serves the API, `make test` runs the whole suite, `make test-fast` the daily
# loop (no slow, browser or subprocess tests). All set everything up.
SHELL := /bin/bash
PYTHON ?= python3
# `make run VENV=/path/to/.venv` reuses an installed environment (the make run test does)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

# requirements/lock.txt: every dependency of pyproject.toml (with the dev extra) pinned, with
# hashes; requirements/runtime.txt: the same pins without the dev extra, for deploy/Dockerfile.
# `make lock` compiles both after a change of pyproject.toml (tests/test_lock.py checks they agree).
LOCK := requirements/lock.txt
RUNTIME_LOCK := requirements/runtime.txt
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host

.PHONY: run test test-fast bench bench-quick lint lock setup clean

setup: $(STAMP)

# the stamp names the checkout the environment's `dosewise` is installed from: a second checkout
# given VENV=... (or a clone with a linked .venv) reuses it and never installs itself into it
# (review s36b F3: that re-pointed the first checkout's `dosewise` at the clone)
$(STAMP): pyproject.toml $(LOCK)
	@if [ -s $(STAMP) ] && [ "$$(cat $(STAMP))" != "$(CURDIR)" ]; then \
	  echo "[setup] $(VENV) is installed from $$(cat $(STAMP)): reused as it is (run make setup there to update it)"; \
	  exit 0; fi; \
	$(MAKE) --no-print-directory install-venv

.PHONY: install-venv
install-venv:
	@echo "[setup 1/3] creating $(VENV)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "[setup 2/3] installing the pinned dependencies of $(LOCK) (about a minute the first time)"
	@set -o pipefail; $(BIN)/python -m pip install --require-hashes -r $(LOCK) 2>&1 \
	  | $(BIN)/python tools/pip_progress.py
	@echo "[setup 3/3] installing dosewise (built with the locked setuptools)"
	@set -o pipefail; $(BIN)/python -m pip install --no-deps --no-build-isolation -e . 2>&1 \
	  | $(BIN)/python tools/pip_progress.py
	@echo "$(CURDIR)" > $(STAMP)

# re-pins every dependency to the newest release within the bounds of pyproject.toml; to move
# one only: make lock LOCK_ARGS='--upgrade-package NAME'
lock: setup
	$(PIP_COMPILE) --extra dev $(LOCK_ARGS) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --constraint $(LOCK) -o $(RUNTIME_LOCK) pyproject.toml

# the whole product: data check, default model, Redis (embedded unless REDIS_URL), gunicorn,
# Celery worker and beat, supervised together (service/local.py runs the Procfile with honcho)
run: setup
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m service.local

# HYPOTHESIS_PROFILE: `ci` for the whole suite, `dev` for the daily loop (tests/conftest.py)
test: setup
	$(BIN)/python tests/ensure_browser.py
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-ci} \
	  $(BIN)/python tests/with_redis.py $(BIN)/python -m pytest $(PYTEST_ARGS)

# the daily loop: everything but the slow, browser and subprocess tests (`--fast`, markers given
# in tests/conftest.py), still with a real Redis; schemathesis's plugin is not even loaded
test-fast: setup
	HYPOTHESIS_PROFILE=$${HYPOTHESIS_PROFILE:-dev} $(BIN)/python tests/with_redis.py \
	  $(BIN)/python -m pytest --fast -p no:schemathesis $(PYTEST_ARGS)

bench: setup
	$(BIN)/python tests/with_redis.py bash -c '$(BIN)/python -m bench.run $(BENCH_ARGS) && \
	  $(BIN)/python -m bench.regimen && $(BIN)/python -m bench.precompute && \
	  $(BIN)/python -m bench.reload && $(BIN)/python -m bench.learning && \
	  $(BIN)/python -m bench.load && $(BIN)/python -m bench.placements'

# bench/results/*.json, then their ratios (never absolute times) against the committed
# bench/baseline.json: a ratio more than 15 % worse is flagged WORSE (`python -m bench.rounds
# --strict` fails on it; `--save` writes a new baseline from the results)
bench-quick: setup
	$(BIN)/python tests/with_redis.py bash -c '$(BIN)/python -m bench.run --quick && \
	  $(BIN)/python -m bench.regimen && \
	  $(BIN)/python -m bench.precompute --customers 20000 --naive 1000 --seconds 4 --runs 3'
	$(BIN)/python -m bench.rounds

lint: setup
	$(BIN)/ruff check service workers tests bench
	$(BIN)/ruff format --check service workers tests bench
	$(BIN)/mypy

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache
