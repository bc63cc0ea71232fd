# Connecting People: `make run` sets up and serves the demo; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
CP := $(BIN)/connecting-people
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install assets migrate demo bench lint lock browser clean

run: install assets migrate demo ## Set up everything and serve on http://127.0.0.1:8000
	$(CP) serve

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed ## Build the NHS.UK frontend styles, scripts and images into static files
	node scripts/build-assets.mjs

migrate: install
	$(CP) migrate --noinput

demo: migrate
	$(CP) demo

browser: ## Debian's Chromium for the browser journeys (Playwright never downloads its own)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium' (the browser journeys need it)." >&2; exit 1; fi; }

test: install assets browser ## The whole suite: lint, migrations check, SQLite, then PostgreSQL when it answers
	scripts/test.sh

bench: install assets ## Benchmarks; numbers go to docs/performance.md
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check src e2e bench

lock: ## Rewrite requirements.lock from pyproject.toml, resolved in a fresh environment
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet ".[test]"
	{ head -n 2 requirements.lock; .lock-venv/bin/pip freeze --exclude-editable | grep -v -i '^connecting-people'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean:
	rm -rf $(VENV) node_modules src/connecting_people/core/static/nhsuk staticfiles
