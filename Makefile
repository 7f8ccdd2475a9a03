# Two commands for a newcomer: `make demo` (set up, run the default scenario end to end) and
# `make test` (set up, run the test suite). Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/icn_t1_arrivals_peak.yaml
OUT ?= runs/default

.PHONY: setup demo test clean

$(BIN)/airtwin: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(BIN)/airtwin

setup: $(BIN)/airtwin

demo: setup
	$(BIN)/airtwin run $(SCENARIO) --out $(OUT)

test: setup
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
