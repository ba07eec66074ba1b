# The two commands the README promises: `make demo` and `make test`.
# Both create .venv when it is missing, install the project (pinned by
# constraints.txt) and are quick on the second run.

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB_ENV := env -u MPLBACKEND PYTHONHASHSEED=0 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
DEMO_OUT ?= out/demo

.PHONY: help venv demo test lint unit notebooks notebooks-regenerate notebooks-check benchmarks example clean lab

help:
	@echo "make demo   - run the main job on the bundled example study"
	@echo "make test   - unit tests, doctests and the notebooks under nbval"
	@echo "make lab    - open JupyterLab on notebooks/"

$(STAMP): pyproject.toml constraints.txt Makefile
	@if [ -z "$(PYTHON)" ]; then echo "Python 3.11 or newer is needed (none found on PATH)"; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,dask]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/fusion-study demo --out $(DEMO_OUT)

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests src/fusion_study --doctest-modules -p no:cacheprovider

notebooks-check: $(STAMP)
	$(BIN)/python scripts/notebooks.py check

notebooks: $(STAMP)
	@ls notebooks/*.ipynb >/dev/null 2>&1 || { echo "no notebooks yet"; exit 0; }; \
	$(NB_ENV) $(BIN)/python -m pytest -q --nbval --nbval-current-env \
		--nbval-sanitize-with notebooks/nbval_sanitize.cfg -p no:randomly -p no:cacheprovider notebooks/

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks

test: lint unit notebooks-check notebooks

# Re-execute every notebook in place and store its outputs (the nbval contract).
notebooks-regenerate: $(STAMP)
	$(NB_ENV) $(BIN)/python scripts/notebooks.py regenerate

# Regenerate the bundled example study from the simulator.
example: $(STAMP)
	$(BIN)/fusion-study simulate --preset p_city --seed 20240101 --out data/example --exports code --exports text

benchmarks: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) out .pytest_cache
