# Two commands: `make run` and `make test`. Each builds .venv on first use, from the locks in
# requirements/ (exact versions, with hashes): `make run` installs only what running needs,
# `make test` adds the test tools. `make lock` remakes the locks after pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
PIP_INSTALL = -m pip install --disable-pip-version-check --require-hashes --no-deps

.PHONY: run test audit lint soak bench load openapi package publish deploy lock clean extension extension-lint widget

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The stamps depend on the locks: a new lock reinstalls, on the next make run or make test.
$(VENV)/.run-installed: requirements/run.txt | $(BIN)/python
	@echo "Installing what make run needs: $$(grep -c '^[A-Za-z]' $<) pinned packages, first time only..."
	$(BIN)/python $(PIP_INSTALL) --progress-bar on -r $<
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(BIN)/python
	@echo "Installing what make test needs: $$(grep -c '^[A-Za-z]' $<) pinned packages..."
	$(BIN)/python $(PIP_INSTALL) --progress-bar on -r $<
	touch $@

# Tools with their own virtualenvs, so their dependencies never meet the project's.
.venv-deploy/.installed: requirements/sam.txt
	$(PYTHON) -m venv .venv-deploy
	.venv-deploy/bin/python $(PIP_INSTALL) --quiet -r $<
	touch $@

.venv-checkov/.installed: requirements/checkov.txt
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python $(PIP_INSTALL) --quiet -r $<
	touch $@

run: $(VENV)/.run-installed
	PORT=$(PORT) $(BIN)/python -m local.run

# Ruff first (lint, then the format, both as pyproject.toml's [tool.ruff] says), then the tests, which
# include the template's linting (cfn-lint with the serverless rules, checkov against its baseline)
# and the SAM way (`sam build`, then every handler imported from what it built).
test: $(VENV)/.dev-installed .venv-deploy/.installed .venv-checkov/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 -m "not slow"

# Checks the running `make run` on PORT: `make audit PORT=4000` for one started with PORT=4000.
audit: $(VENV)/.run-installed
	PORT=$(PORT) $(BIN)/python -m local.audit

soak: $(VENV)/.dev-installed
	FLATTR_SIM_SEEDS=3000 $(BIN)/python -m pytest -n 2 tests/integration/test_simulation.py tests/integration/test_month_close.py

# Costs and overheads on moto, each timing a ratio against a floor of the same run: bench/results.json,
# and a table; BENCHMARKS.md explains the figures.
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench

# A bounded burst (200 users, 50 threads) over HTTP against the local stack, a month close, and the books checked.
load: $(VENV)/.dev-installed
	$(BIN)/python -m bench.load

openapi: $(VENV)/.run-installed
	$(BIN)/python -m local.openapi

# The locks, from pyproject.toml's pins (uv, in its own .venv-lock). Only Python is needed.
lock:
	$(PYTHON) -m local.lock

# Deployable artifacts in build/: the layer's wheels for python3.12/arm64 come from PyPI, no Docker.
package: $(VENV)/.run-installed
	$(BIN)/python -m local.package

# After a deploy (make deploy, or sam deploy): the widget and pages to the stack's bucket.
publish: package
	$(BIN)/python -m local.publish

# Needs AWS credentials. The SAM CLI gets its own virtualenv, so it never touches the project's pins.
deploy: package .venv-deploy/.installed
	.venv-deploy/bin/sam deploy --template-file build/template.yaml --config-file $(CURDIR)/samconfig.toml
	$(BIN)/python -m local.publish

# The Överallt browser extension, unpacked in build/extension/ and zipped beside it, for the API at API_URL.
API_URL ?= http://127.0.0.1:$(PORT)
extension:
	$(PYTHON) extension/build.py extension --api-url $(API_URL) $(if $(SITE_URL),--site-url $(SITE_URL))

# Firefox's linter for the built extension. Needs Node and npm (not needed otherwise): web-ext is installed
# into build/web-ext once; the browser tests run it too when it is there.
WEB_EXT := build/web-ext/node_modules/.bin/web-ext
extension-lint: extension
	test -x $(WEB_EXT) || (mkdir -p build/web-ext && cd build/web-ext && echo '{"private": true}' > package.json \
		&& npm install --no-audit --no-fund web-ext@10.7.0)
	$(WEB_EXT) lint --source-dir build/extension --no-input

# widget/widget.js is assembled from widget/src/ (its button code is the extension's too); a test checks it is fresh.
widget:
	$(PYTHON) extension/build.py widget

lint: $(VENV)/.dev-installed
	$(BIN)/cfn-lint

clean:
	rm -rf $(VENV) .venv-deploy .venv-checkov .venv-lock build .aws-sam *.egg-info
