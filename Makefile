# Two set-up commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv when missing and (re)installs when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-output
BENCH_ROWS ?= 10000000

.PHONY: demo test bench bench-quick lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

## demo: simulate a week of API traffic, ingest it, and summarise what the system sees
demo: $(STAMP)
	$(BIN)/distillgov demo --out $(DEMO_DIR)

## test: the whole suite (CI runs this through .ci/run)
test: $(STAMP)
	$(BIN)/python -m pytest -n auto -q

## bench: speed and memory targets at full size; results under benchmarks/results/, summary in BENCHMARKS.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --rows $(BENCH_ROWS)

## bench-quick: the same benchmarks at a small size, to check they run
bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --rows 200000 --results-dir benchmarks/results/quick

## lint: ruff and mypy --strict on src/
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy --strict src

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
