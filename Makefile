PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint setup clean mutation

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Generate the demo dataset, ingest it into ./var/learnmap.db and report on it.
run: $(STAMP)
	$(BIN)/learnmap demo-data --out var/demo --seed 7
	$(BIN)/learnmap ingest var/demo
	$(BIN)/learnmap db info
	$(BIN)/learnmap report --as-of 2026-11-21 --out var/report

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## Mutation testing (by hand, slow; never part of `make test`): README "Mutation testing".
mutation: $(STAMP)
	$(BIN)/pip install --quiet 'mutmut==3.8.1'
	scripts/mutation.sh

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var build *.egg-info
