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

## Generate the demo dataset, ingest it into ./var/learnmap.db, report on it, serve the API.
run: $(STAMP)
	$(BIN)/learnmap demo-data --out var/demo --seed 7
	$(BIN)/learnmap ingest var/demo
	$(BIN)/learnmap db info
	$(BIN)/learnmap report --as-of 2026-11-21 --out var/report
	@# serve the API on the demo data with a fresh demo admin key (risk endpoints answer
	@# 503 until `learnmap train --as-of 2026-11-21` has run; then POST /v1/admin/reload)
	@KEY=$$($(BIN)/learnmap keys create --role admin --label "make run demo" | tail -n 1); \
	echo; echo "demo admin API key: $$KEY"; \
	echo "the API fits its recommender first (later starts load the saved one); when 'curl -s http://127.0.0.1:8000/readyz' says ready, try:"; \
	echo "  curl -s -H 'X-API-Key: $$KEY' 'http://127.0.0.1:8000/v1/learners/ST0000001/recommendations?k=5'"; \
	echo "docs: http://127.0.0.1:8000/docs"; echo; \
	LEARNMAP_API_AS_OF=2026-11-21 exec $(BIN)/learnmap serve --host 127.0.0.1 --port 8000

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
