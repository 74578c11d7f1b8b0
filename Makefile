# qbsync — `make run` serves on 8095 against the QuickBooks emulator; `make test` runs the suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EMULATOR_PORT ?= 8096
DB_NAME ?= qbsync
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install install-runtime services browser db env migrate run emulator test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

EMULATOR := packages/qbo-emulator

# What `make run` needs: qbsync and the emulator (its own distribution: tests, demo and
# bench use it; the production image does not contain it), both editable; no dev tools.
$(VENV)/.installed-runtime: $(BIN)/python pyproject.toml $(EMULATOR)/pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q -c constraints.txt --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e . -e $(EMULATOR)
	touch $@

# Plus the tools of the dev group: tests, lint, bench.
$(VENV)/.installed: $(VENV)/.installed-runtime
	$(BIN)/python -m pip install -q -c constraints.txt --group dev
	touch $@

install-runtime: $(VENV)/.installed-runtime
install: $(VENV)/.installed

services:
	@bash scripts/ensure-services.sh

# Debian chromium for the console's browser tests.
browser:
	@bash scripts/ensure-browser.sh

db: services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$(DB_NAME)'" | grep -q 1 \
		|| psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $(DB_NAME)"

# `make run DB_NAME=x` (or DB_NAME exported) points .env at database x.
env: install-runtime
	@EMULATOR_PORT=$(EMULATOR_PORT) $(if $(filter command line environment,$(origin DB_NAME)),DB_NAME=$(DB_NAME)) bash scripts/dev-env.sh .env

migrate: install-runtime env db
	$(BIN)/qbsync migrate

# The API and consumers on 8095, with the QuickBooks emulator and Aforo stubs on $(EMULATOR_PORT).
run: migrate
	@bash scripts/run-local.sh $(EMULATOR_PORT)

# The emulator alone, with qbsync's OAuth callback (from .env) registered with its app.
emulator: install-runtime env
	$(BIN)/qbo-emulator --port $(EMULATOR_PORT) \
		--redirect-uri "$$(sed -n 's/^QBSYNC_QUICKBOOKS__REDIRECT_URI=//p' .env | tail -1)"

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
BENCH_TARGETS := client throughput overhead backfill realms burst scaleout fairness manual kill outage qbo_faults \
	hostile fuzz money_month drift_month intuit_webhooks console perf faults sched
.PHONY: $(addprefix bench-,$(BENCH_TARGETS))
$(addprefix bench-,$(BENCH_TARGETS)): bench-%: install services
	$(BIN)/python -m bench $*
bench-console: browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
