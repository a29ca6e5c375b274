# Every target builds .venv from the pinned lock on first use; nothing else is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench record schema lock clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	rm -f demo.jsonl demo.runs.jsonl
	$(BIN)/cqc-extract extract seeds/ -o demo.jsonl
	$(BIN)/cqc-extract check demo.jsonl
	$(BIN)/cqc-extract eval demo.jsonl --gold seeds/

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check extractor tests scripts
	$(BIN)/mypy

lint: $(STAMP)
	$(BIN)/ruff check extractor tests scripts
	$(BIN)/ruff format --check extractor tests scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

record: $(STAMP)
	$(BIN)/python scripts/record.py

schema: $(STAMP)
	$(BIN)/python -c "from extractor.records import render_json_schema as r; print(r(), end='')" > schemas/record.schema.json

# Re-resolve the lock from pyproject.toml (needs the package registry).
lock:
	rm -rf .lockvenv
	$(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --disable-pip-version-check ".[dev]"
	.lockvenv/bin/python -m pip freeze --all --exclude-editable | grep -v -e '^cqc-extract' -e '^pip==' > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) demo.jsonl
