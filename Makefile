# Atelier — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON := $(shell scripts/find-python)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install install-test run test lint format check-deploy browser system-deps bench bench-split faults messages clean

help:
	@echo "make run    — install, migrate, load the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test   — install the test tools and run the whole suite"

# A random SECRET_KEY for this checkout; production sets its own in the environment.
.env:
	@echo "SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > .env
	@echo "Wrote .env with a new SECRET_KEY."

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: .env $(VENV)/.installed

install-test: .env $(VENV)/.installed-test node_modules/axe-core/axe.min.js browser system-deps

# Browser tests drive Debian's Chromium (never a downloaded browser build).
browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: browser tests will be skipped (CI=true makes them fail)."; \
	  fi; \
	fi

# WeasyPrint needs Pango and a font covering French typography (DejaVu);
# the PDF fidelity test reads PDFs back with pdftotext (poppler-utils); the
# Redis-outage tests start a private redis-server.
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils redis-server
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing $$missing…"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages: $$missing (PDF exports need them)."; \
	  fi; \
	fi

run: install system-deps
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: install-test lint
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The deployment checklist with production-like settings must print no warning.
check-deploy:
	@DEBUG=false SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	  ALLOWED_HOSTS=atelier.example.org EMAIL_URL=smtp+tls://atelier@smtp.example.org:587 \
	  $(PY) manage.py check --deploy --fail-level WARNING

$(VENV)/.installed-bench: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e ".[bench]"
	touch $@

# Speed targets on the real stack: the machine's PostgreSQL (a scratch database
# atelier_bench) and Redis (database 7), gunicorn and a Celery worker on loopback.
bench: install $(VENV)/.installed-bench system-deps
	$(PY) bench/bench.py

# Where a save's and a poll's CPU goes, process by process, and the client's
# latency beside the server's (bench/split.py, scratch database atelier_split).
bench-split: install $(VENV)/.installed-bench system-deps
	$(PY) bench/split.py

# Faults F1, F2, F5, F7, F12 of RELIABILITY.md against a real gunicorn, a
# Celery worker, a private PostgreSQL cluster and a private Redis (~3 min).
faults: install system-deps
	$(PY) scripts/faults

# French is the source language; its catalog copies every message as is
# only so that plurals follow French rules: "0 note", not "0 notes".
messages: $(VENV)/.installed-test
	$(PY) manage.py makemessages -l en -l fr --no-obsolete --ignore=.venv --ignore=node_modules
	$(PY) scripts/french-catalog locale/fr/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache
