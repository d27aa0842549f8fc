# JCOC — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: install services run serve test lint bench migrate clean

$(STAMP): pyproject.toml
	@if ! $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv python3-pip >/dev/null; \
	  else echo "need python3-venv: sudo apt-get install python3-venv"; exit 1; fi; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)  ## Python dependencies into .venv

services:  ## PostgreSQL+TimescaleDB, Redis, ffmpeg, RTSP server, Chromium (Debian packages)
	bash scripts/setup-services.sh

run: install  ## start the whole system on SQLite with a simulated Jambi
	$(BIN)/jcoc demo

serve: install  ## start the server on the configured database (JCOC_DATABASE_URL)
	$(BIN)/jcoc serve

migrate: install  ## bring the configured database to the latest schema
	$(BIN)/jcoc db upgrade

test: install services  ## the whole suite against real services
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install services  ## every benchmark; writes docs/benchmarks.md
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache
