# Quick start: `make serve` runs mamori on SQLite; `make test` runs lint, types and every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEPS := $(VENV)/.deps-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEV_DEPS := $(VENV)/.dev-deps-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
NODE_DEPS := tests/node/node_modules/.package-lock.json
AMPLIFY_APP_DEPS := examples/amplify-app/node_modules/.package-lock.json

.PHONY: serve test lint typecheck unit services node-deps amplify-app packages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(DEPS): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_DEPS): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEPS) $@

serve: $(DEPS)
	$(BIN)/mamori serve $(ARGS)

$(NODE_DEPS): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error

$(AMPLIFY_APP_DEPS): examples/amplify-app/package.json examples/amplify-app/package-lock.json
	cd examples/amplify-app && npm ci --no-audit --no-fund --loglevel=error

node-deps: $(NODE_DEPS) $(AMPLIFY_APP_DEPS)

# The Amplify sample app built into examples/amplify-app/dist (its test builds its own copy).
amplify-app: $(AMPLIFY_APP_DEPS)
	cd examples/amplify-app && npm run build

services:
	bash scripts/ensure-services.sh

# Debian's chromium for the `browser` tests (Playwright drives it; no browser download) and
# xmlsec1 for SAML (pysaml2 calls it).
packages:
	bash scripts/ensure-packages.sh

lint: $(DEV_DEPS)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/lint-imports

typecheck: $(DEV_DEPS)
	$(BIN)/mypy

test: $(DEV_DEPS) services node-deps packages lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(DEPS)
	$(BIN)/python -m bench.run $(ARGS)

clean:
	rm -rf $(VENV) .mamori tests/node/node_modules examples/amplify-app/node_modules examples/amplify-app/dist
