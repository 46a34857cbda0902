# PerfCycle developer commands. `make` (or `make help`) lists them.
# Two commands are enough on a fresh machine: `make run` and `make test`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
PIP_FLAGS := --disable-pip-version-check --no-input --progress-bar off
PYTEST_ARGS ?=

# Browser tests drive Debian's /usr/bin/chromium; Playwright must never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

# `make run` and the management targets: embedded defaults (SQLite under var/, Celery's
# filesystem broker) unless the environment says otherwise. Without SECRET_KEY that is "local
# mode": DEBUG off, plain http on 127.0.0.1. `make dev` is the same with DEBUG=1.
MANAGE := $(BIN)/python manage.py
# The tests use perfcycle/settings_test.py (PostgreSQL and Redis on 127.0.0.1).
TEST_MANAGE := DJANGO_SETTINGS_MODULE=perfcycle.settings_test $(BIN)/python manage.py

.PHONY: help venv run dev serve test check lint format migrate seed collectstatic services browser-deps node-deps bench

help: ## List the targets (this text)
	@echo "PerfCycle — make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## Create .venv (Python 3.11+) and install requirements-dev.txt when they change

$(STAMP): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "venv: no python3.11 or python3 on PATH" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "venv: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	@if [ ! -x $(BIN)/python ]; then echo "venv: creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	@touch $@

run: venv migrate seed collectstatic ## Migrate, seed the demo, serve http://127.0.0.1:8000 (PORT=...): gunicorn + Celery
	scripts/run_all.sh

dev: venv migrate seed ## Like run, for developers: DEBUG=1 (Django's debug pages), code reloads on change
	DEBUG=1 scripts/run_all.sh

serve: venv ## Serve without migrating/seeding first (gunicorn + Celery worker/beat)
	scripts/run_all.sh

migrate: venv ## Apply migrations (SQLite in var/ unless DATABASE_URL) and create the cache table
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

seed: migrate ## Load the demo organisation and cycle (idempotent; prints the logins)
	$(MANAGE) seed_demo

collectstatic: venv ## Collect static files into var/static (served by WhiteNoise)
	$(MANAGE) collectstatic --noinput -v 0

services: ## Start PostgreSQL and Redis on 127.0.0.1 if stopped; create the test role/database
	scripts/ensure_services.sh

browser-deps: ## Install Debian's chromium (/usr/bin/chromium) for the browser tests if missing
	scripts/ensure_chromium.sh

# The browser tests' JavaScript tools (axe-core, pinned in package-lock.json) from the npm
# registry; npm ci writes node_modules/.package-lock.json, so this reruns only when the lock changes.
NODE_STAMP := node_modules/.package-lock.json

node-deps: $(NODE_STAMP) ## Install the browser tests' JavaScript tools (axe-core) with npm ci

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "node-deps: npm is missing (Debian: apt-get install -y nodejs npm)" >&2; \
		if [ "$${CI:-}" = true ] || [ "$${CI:-}" = 1 ]; then exit 1; fi; \
		echo "node-deps: WARNING: the accessibility checks will be skipped." >&2; exit 0; \
	fi
	npm ci --no-audit --no-fund
	@touch $@

test: venv services browser-deps node-deps ## Run the whole test suite on PostgreSQL + Redis (PYTEST_ARGS=... to narrow)
	$(BIN)/pytest --create-db $(PYTEST_ARGS)

lint: venv ## ruff check, ruff format --check, and the layer contract (import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: venv ## Sort imports and format the code with ruff
	$(BIN)/ruff check --select I --fix .
	$(BIN)/ruff format .

check: lint services ## What CI should run: lint, makemigrations --check, then the tests
	$(TEST_MANAGE) makemigrations --check --dry-run
	$(MAKE) --no-print-directory test

# The benchmark database: built by `BENCH_DB=... bench/seed_large.sh 10000` (it must start with
# perfcycle_bench). BENCH_ARGS=... passes options to bench/pages.py (e.g. --no-http, --roles hr).
BENCH_DB ?= perfcycle_bench
BENCH_ARGS ?=

bench: venv collectstatic ## Time every GET page of every role (BENCH_DB=..., in-process and over HTTP) into bench/RESULTS.md
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(BENCH_DB) $(MANAGE) createcachetable
	BENCH_DB=$(BENCH_DB) $(BIN)/python -m bench.pages $(BENCH_ARGS)
