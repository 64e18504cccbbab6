# cicd-audit: the pipeline's verbs. `make help` lists them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= inventory
REPORTS ?= reports
CLIENTS ?= 24
# JupyterLab refuses to run as root without --allow-root; only then is it passed.
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help demo test lint weekly lab bench docs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.venv/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

demo: $(STAMP)  ## create the venv, run the whole job on a synthetic fleet, print the report path
	$(BIN)/cicd-audit demo --clients $(CLIENTS) --out demo-output

test: $(STAMP)  ## run the test suite (installs chromium for the browser tests when missing, as root)
	.ci/ensure-chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check src tests bench

weekly: $(STAMP)  ## the weekly run against the accounts in $(CONFIG)/ (see README)
	$(BIN)/cicd-audit weekly --config $(CONFIG) --out $(REPORTS)

lab: $(STAMP)  ## JupyterLab on the notebooks, bound to 127.0.0.1
	$(BIN)/python -m pip install --quiet -e '.[lab]'
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --notebook-dir=notebooks $(LAB_ROOT)

bench: $(STAMP)  ## run every benchmark (slow; prints ratios against in-run baselines)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

docs: $(STAMP)  ## regenerate docs/tables.md from the schema
	$(BIN)/python -c "from audit.store.schema import data_dictionary; print(data_dictionary())" > docs/tables.md

clean:  ## remove the venv and generated output
	rm -rf $(VENV) demo-output .pytest_cache .ruff_cache
