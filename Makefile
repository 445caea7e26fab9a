# Two commands: `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: run test audit lint soak bench load openapi package deploy clean

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

lint: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) .venv-deploy build *.egg-info
