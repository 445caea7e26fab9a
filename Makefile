# Two commands: `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: run test audit lint soak bench load openapi package deploy clean extension extension-lint widget

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m local.run

test: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest -n 2 -m "not slow"

audit: $(STAMP)
	$(BIN)/python -m local.audit

soak: $(STAMP)
	FLATTR_SIM_SEEDS=3000 $(BIN)/python -m pytest -n 2 tests/integration/test_simulation.py tests/integration/test_month_close.py

# Costs and overheads on moto, each timing a ratio against a floor of the same run: bench/results.json,
# and a table; BENCHMARKS.md explains the figures.
bench: $(STAMP)
	$(BIN)/python -m bench

# A bounded burst (200 users, 50 threads) over HTTP against the local stack, a month close, and the books checked.
load: $(STAMP)
	$(BIN)/python -m bench.load

openapi: $(STAMP)
	$(BIN)/python -m local.openapi

# Deployable artifacts in build/: the layer's wheels for python3.12/arm64 come from PyPI, no Docker.
package: $(STAMP)
	$(BIN)/python -m local.package

# Needs AWS credentials. The SAM CLI gets its own virtualenv, so it never touches the project's pins.
deploy: package
	test -x .venv-deploy/bin/sam || ($(PYTHON) -m venv .venv-deploy && .venv-deploy/bin/pip install --quiet aws-sam-cli==1.170.0)
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

lint: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) .venv-deploy build *.egg-info
