# Two commands for a new user: `make run` and `make test`. Everything else is here for them.
SHELL := /bin/bash
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: run test lint pytest bench chromium migrate seed clean

$(VENV)/bin/python:
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(VENV)/.base-installed $@

var:
	mkdir -p var

migrate: $(VENV)/.base-installed var
	DEBUG=1 $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo

## make run: install, migrate, load the demo data (once), then web + Celery worker + Celery beat.
run: seed
	DEBUG=1 PYTHON=$(PY) bash bin/run-all

## Browser tests drive the machine's Chromium (Playwright's own browser download does not work here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	PRINTCONNECT_VAR_DIR=$${PRINTCONNECT_VAR_DIR:-$(CURDIR)/var/test} $(PY) manage.py makemigrations --check --dry-run

## Tests keep their database, broker folders and cache apart from the demo's (var/test unless told otherwise).
pytest: $(VENV)/.dev-installed chromium
	PRINTCONNECT_VAR_DIR=$${PRINTCONNECT_VAR_DIR:-$(CURDIR)/var/test} $(VENV)/bin/pytest $(PYTEST_ARGS)

## make test: lint, layering contracts, migrations in step with models, the whole suite.
test: lint pytest

## make bench: the figures the issues ask for, as ratios against a baseline measured in the same run.
bench: $(VENV)/.dev-installed
	PRINTCONNECT_VAR_DIR=$${PRINTCONNECT_VAR_DIR:-$(CURDIR)/var/bench} $(PY) -m tests.benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var artifacts
