# Steward: `make run` serves the demo, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6 needs Python 3.12+: take the first interpreter on PATH or under pyenv that is new enough.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	c=$$(command -v $$p 2>/dev/null) || continue; \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$c; break; }; done)
# A pyenv shim named uv may exist without working for the active Python: use uv only if it runs.
UV := $(shell uv --version >/dev/null 2>&1 && command -v uv)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-dev run test test-only lint check-python browsers clean

help:
	@echo "make run    install, migrate, load the demo if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test   install dev dependencies and run the whole suite (browser tests included)"
	@echo "make lint   ruff, mypy and import-linter"

check-python:
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.12+ not found (looked on PATH and under ~/.pyenv/versions)." >&2; exit 1; fi
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

install: check-python
	$(UV) sync --frozen --no-dev --inexact --python $(PYTHON)

install-dev: check-python
	$(UV) sync --frozen --python $(PYTHON)

run: install
	@scripts/run.sh

browsers:
	@scripts/ensure-chromium.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check steward/*/engine
	$(VENV)/bin/lint-imports
	STEWARD_TESTING=1 $(VENV)/bin/mypy steward/*/engine steward/*/services.py steward/*/selectors.py steward/core/audit.py steward/core/errors.py steward/core/models.py

test: install-dev browsers lint test-only

# The suite alone (no lint); DATABASE_URL selects PostgreSQL instead of SQLite.
test-only: install-dev browsers
	STEWARD_TESTING=1 $(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var
