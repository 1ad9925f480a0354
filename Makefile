# Two commands do everything on a fresh machine: `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen --no-sync

.PHONY: help uv sync assets browser infra up down migrate test test-faults test-unit test-e2e test-browser lint typecheck bench

help:
	@echo "make up    — the whole system on this machine with demo data (Ctrl-C stops it)"
	@echo "make test  — infrastructure + the whole test suite"
	@echo "make test-faults — the fault suite (tests/faults: brokers, databases and replicas killed mid-stream)"
	@echo "make infra | down | migrate | assets | browser | lint | typecheck | test-unit | test-e2e | test-browser | bench"

uv:
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || \
		{ echo "installing uv $(UV_VERSION)"; python3 -m pip install --quiet --user "uv==$(UV_VERSION)"; }

sync: uv assets
	@$(UV) sync --all-packages --all-groups --python python3 --quiet

# The workbench's htmx and chart.js from the npm registry into services/workbench/.assets (never committed).
assets:
	@bash deploy/local/assets.sh

# Debian's Chromium for tests/browser (Playwright drives /usr/bin/chromium; it never downloads a browser).
browser:
	@bash deploy/local/chromium.sh

infra:
	@bash deploy/local/postgres.sh
	@bash deploy/local/kafka.sh start

migrate: sync infra
	@$(RUN) subsidyctl migrate

up: sync infra
	@$(RUN) subsidyctl up --demo

down:
	@-pkill -TERM -f "bin/subsidyctl up" 2>/dev/null; true
	@bash deploy/local/kafka.sh stop

test: sync infra browser
	@$(RUN) pytest -q

# Its own target: it kills and pauses private brokers and a private PostgreSQL (never the shared ones), and
# takes longer than make test's budget. .ci/run runs it after make test.
test-faults: sync infra
	@SUBSIDY_FAULT_SUITE=1 $(RUN) pytest -q -s tests/faults

test-unit: sync
	@$(RUN) pytest -q --ignore=tests/e2e --ignore=tests/browser

test-e2e: sync infra
	@$(RUN) pytest -q tests/e2e

test-browser: sync infra browser
	@$(RUN) pytest -q tests/browser

lint: sync
	@$(RUN) ruff check . && $(RUN) ruff format --check .

typecheck: sync
	@$(RUN) mypy shared intake-service routing-service eligibility-service payment-service review-service services tests bench

bench: sync infra
	@$(RUN) python -m bench.outbox_throughput
	@$(RUN) python -m bench.payment_run
	@$(RUN) python -m bench.review_compare
	@$(RUN) python -m bench.workbench_pages --start
