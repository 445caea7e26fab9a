# Two commands: `make run` and `make test`. Each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000

.PHONY: run test audit lint soak openapi clean

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
	FLATTR_SIM_SEEDS=3000 FLATTR_HOT_FANS=2000 $(BIN)/python -m pytest -n 2 tests/integration/test_simulation.py tests/integration/test_month_close.py

openapi: $(STAMP)
	$(BIN)/python -m local.openapi

lint: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) build *.egg-info
