# The only commands anyone needs. `make demo` and `make test` work on a fresh
# machine with Python 3.10+, make and the package registries.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
VEDDER := $(BIN)/vedder
WAREHOUSE := examples/warehouse/streaming.duckdb
DEMO_QUESTION ?= How many unique listeners did we have in Norway in 2024?

.DEFAULT_GOAL := help
.PHONY: help install dev demo warehouse profile test lint format bench clean

help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e '.[dev,postgres]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed ## Create .venv and install Vedder into it

dev: $(VENV)/.dev-installed ## Install Vedder with everything tests and linters need

$(WAREHOUSE): examples/warehouse/generate.py | $(VENV)/.installed
	$(PY) examples/warehouse/generate.py --out $(WAREHOUSE)

warehouse: $(WAREHOUSE) ## Build the demo warehouse (DuckDB, deterministic)

profile: $(WAREHOUSE) ## Profile every demo dataset into clusters/*/profiles/
	$(VEDDER) profile

demo: $(WAREHOUSE) ## Build the demo warehouse, profile it, show the clusters, answer a question
	$(VEDDER) profile
	$(VEDDER) clusters
	$(VEDDER) ask "$(DEMO_QUESTION)"

test: dev $(WAREHOUSE) ## Install what tests need and run lint and the test suite
	$(BIN)/ruff check vedder tests benchmarks examples
	$(BIN)/lint-imports
	$(PY) -m pytest -q

lint: dev ## ruff, mypy and the import-layer contracts
	$(BIN)/ruff check vedder tests benchmarks examples
	$(BIN)/ruff format --check vedder tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/lint-imports

format: dev ## Format the code
	$(BIN)/ruff check --fix vedder tests benchmarks examples
	$(BIN)/ruff format vedder tests benchmarks examples

bench: dev $(WAREHOUSE) ## Run every benchmark; each prints its figure and how to reproduce it
	@failed=""; for bench in benchmarks/bench_*.py; do echo "== $$bench"; \
	  $(PY) $$bench || failed="$$failed $$bench"; done; \
	  if [ -n "$$failed" ]; then echo "missed a target:$$failed"; exit 1; fi

clean: ## Remove the virtualenv, caches and generated files
	rm -rf $(VENV) .vedder .pytest_cache .mypy_cache .ruff_cache benchmarks/out $(WAREHOUSE)
