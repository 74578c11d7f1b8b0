# qbsync — `make run` serves on 8095 against the QuickBooks emulator; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EMULATOR_PORT ?= 8096
DB_NAME ?= qbsync
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install services browser db env migrate run emulator test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

EMULATOR := packages/qbo-emulator

# qbsync and the emulator (its own distribution: tests, demo and bench use it; the
# production image does not contain it), both editable.
$(VENV)/.installed: $(BIN)/python pyproject.toml $(EMULATOR)/pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e . -e $(EMULATOR) --group dev
	touch $@

install: $(VENV)/.installed

services:
	@bash scripts/ensure-services.sh

# Debian chromium for the console's browser tests.
browser:
	@bash scripts/ensure-browser.sh

db: services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(DB_NAME)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $(DB_NAME)"

env: install
	@EMULATOR_PORT=$(EMULATOR_PORT) bash scripts/dev-env.sh .env

migrate: install env db
	$(BIN)/qbsync migrate

# The API and consumers on 8095, with the QuickBooks emulator and Aforo stubs on $(EMULATOR_PORT).
run: migrate
	@bash scripts/run-local.sh $(EMULATOR_PORT)

emulator: install env
	$(BIN)/qbo-emulator --port $(EMULATOR_PORT)

test: install services browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench $(EMULATOR) migrations setup.py
	$(BIN)/ruff format --check src tests bench $(EMULATOR) migrations setup.py
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench $(EMULATOR) migrations setup.py
	$(BIN)/ruff format src tests bench $(EMULATOR) migrations setup.py

bench: install services
	$(BIN)/python -m bench

# One benchmark or group at a time (see bench/README.md): bench-throughput, bench-faults, …
BENCH_TARGETS := client throughput overhead backfill scaleout kill outage qbo_faults hostile fuzz perf faults
.PHONY: $(addprefix bench-,$(BENCH_TARGETS))
$(addprefix bench-,$(BENCH_TARGETS)): bench-%: install services
	$(BIN)/python -m bench $*

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
