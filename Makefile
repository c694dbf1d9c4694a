# AP Portal. `make run` and `make test` are all a newcomer needs; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every Python package, transitive ones too, pinned with hashes: what `make install` and CI install.
LOCK := requirements/dev.lock
export FLASK_APP := wsgi

.DEFAULT_GOAL := help
.PHONY: help install lock assets db seed run test lint types check format bench totp clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/activate: pyproject.toml $(LOCK)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(BIN)/activate

install: $(BIN)/activate ## Create the virtualenv and install the Python packages from requirements/dev.lock

# uv keeps the pins already in the lock where pyproject.toml still allows them; to move every
# transitive pin to its newest release too: make lock LOCK_FLAGS=--upgrade
lock: $(BIN)/activate ## Re-pin every Python package into requirements/dev.lock after editing pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes \
		--custom-compile-command 'make lock' --quiet $(LOCK_FLAGS) --output-file $(LOCK)
	sed -i '1i # The lock file: every package that `make install` (and so CI) installs, runtime and the dev extra,\n# transitive ones included, each pinned with its hashes. Edit pyproject.toml, never this file, then `make lock`.' $(LOCK)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.package-lock.json

# The build's last step writes the content-hashed copies and their manifest (assets/fingerprint.mjs).
shared/static/build/manifest.json: node_modules/.package-lock.json assets/app.scss assets/copy.mjs assets/fingerprint.mjs \
		$(wildcard shared/static/js/*.js)
	npm run --silent build

assets: shared/static/build/manifest.json ## Install and build the front-end assets (GOV.UK Frontend, axe-core)

db: install ## Upgrade the database with the migrations
	$(BIN)/flask db upgrade

seed: db ## Load the demo data (safe to run twice)
	$(BIN)/flask seed-demo

run: install assets seed ## Set everything up and serve the app with demo data at http://127.0.0.1:5000
	@# The huey worker (e-mail outbox, daily evidence job) runs beside the web server and stops with it.
	$(BIN)/flask worker & \
		worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/flask run --host 127.0.0.1 --port 5000

# One pytest-xdist worker a CPU, each with its own database (and, when it runs browser tests, its own Chromium and
# live server). The 15 slowest tests are listed at the end of each pass.
PYTEST_WORKERS ?= auto
PYTEST_ARGS := -n $(PYTEST_WORKERS) --durations=15

# With TEST_DATABASE_URL set (CI), the browser journeys (tests/test_browser*.py: what a person sees and clicks) run once,
# on PostgreSQL, the production database; every other test runs on both databases.
test: install assets ## Run the whole suite (SQLite, then PostgreSQL when TEST_DATABASE_URL is set)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== on SQLite (the browser journeys run on PostgreSQL below) =="; \
		$(BIN)/pytest $(PYTEST_ARGS) --ignore-glob='tests/test_browser*.py' && \
		echo "== on PostgreSQL ($$TEST_DATABASE_URL, a database per worker), with the browser journeys ==" && \
		APP_TEST_DATABASE=postgresql $(BIN)/pytest $(PYTEST_ARGS); \
	else \
		$(BIN)/pytest $(PYTEST_ARGS); \
	fi

lint: install ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install ## Type-check shared/ strictly (mypy, settings in pyproject.toml)
	$(BIN)/mypy

check: lint types ## lint, types (mypy strict on shared/), then the import contracts (lint-imports); CI runs this first
	$(BIN)/lint-imports --no-cache --no-logo

format: install ## Format the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install assets ## Run the benchmarks, print a table and write bench/results.json
	$(BIN)/python -m bench.run

totp: install ## Print the current security code of a demo account: make totp EMAIL=dsl@demo-academy.example
	@$(BIN)/flask demo-totp "$(EMAIL)"

clean: ## Remove the virtualenv, node_modules and built assets (keeps instance/)
	rm -rf $(VENV) node_modules shared/static/build
