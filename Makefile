# The two commands the README promises: `make demo` and `make test`.
# Both create .venv when it is missing, install the project (pinned by
# constraints.txt) and are quick on the second run. `make demo` installs only
# the package and its runtime dependencies; `make test` adds the dev and dask
# extras (pytest, nbval, JupyterLab, ruff, dask).

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test
NB_ENV := env -u MPLBACKEND PYTHONHASHSEED=0 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
DEMO_OUT ?= out/demo

.PHONY: help venv demo test lint unit notebooks notebooks-regenerate notebooks-check benchmarks example clean lab

help:
	@echo "make demo   - run the main job on the bundled example study"
	@echo "make test   - unit tests, doctests and the notebooks under nbval"
	@echo "make lab    - open JupyterLab on notebooks/"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (none found on PATH)"; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `pip install -e .`: what `fusion-study demo` needs, nothing more.
$(DEMO_STAMP): pyproject.toml constraints.txt Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	@touch $(DEMO_STAMP)

# The package with the dev (tests, notebooks, lint) and dask extras.
$(TEST_STAMP): pyproject.toml constraints.txt Makefile | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,dask]"
	@touch $(TEST_STAMP) $(DEMO_STAMP)

venv: $(TEST_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/fusion-study demo --out $(DEMO_OUT)

unit: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests src/fusion_study --doctest-modules -p no:cacheprovider

notebooks-check: $(TEST_STAMP)
	$(BIN)/python scripts/notebooks.py check

notebooks: $(TEST_STAMP)
	@ls notebooks/*.ipynb >/dev/null 2>&1 || { echo "no notebooks yet"; exit 0; }; \
	$(NB_ENV) $(BIN)/python -m pytest -q --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:randomly -p no:cacheprovider notebooks/

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests scripts benchmarks

test: lint unit notebooks-check notebooks

# Re-execute every notebook in place and store its outputs (the nbval contract).
notebooks-regenerate: $(TEST_STAMP)
	$(NB_ENV) $(BIN)/python scripts/notebooks.py regenerate

# Regenerate the bundled example study from the simulator.
example: $(DEMO_STAMP)
	$(BIN)/fusion-study simulate --preset p_city --seed 20240101 --out data/example --exports code --exports text

benchmarks: $(TEST_STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lab: $(TEST_STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) out .pytest_cache
