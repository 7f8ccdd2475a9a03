# Two commands for a newcomer: `make demo` (set up, run the default scenario end to end) and
# `make test` (set up, run the test suite). Both create .venv on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/icn_t1_arrivals_peak.yaml
OUT ?= runs/default

.PHONY: setup browser postgres demo test clean

$(BIN)/airtwin: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(BIN)/airtwin

setup: $(BIN)/airtwin

demo: setup
	$(BIN)/airtwin run $(SCENARIO) --out $(OUT)

# The dashboard tests drive Debian's Chromium (Playwright's own browser download needs internet).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# The template-store tests start a real PostgreSQL server (initdb + pg_ctl in a temporary folder)
# from Debian's package.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql; }

test: setup browser postgres
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs .pytest_cache
