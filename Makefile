# The README's commands. Every target sets up its own virtual environment first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# HealthChain (tests/compat) pins older fastapi/httpx/fhir.resources: its own environment.
HC_VENV  ?= .venv-healthchain
HC_STAMP := $(HC_VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: setup test-tools test check lint types pytest run bench clean postgresql

# The worksheet's browser tests drive Debian's chromium (Playwright's own browser download is
# never used); installed here when missing (CI runs as root on a fresh machine).
CHROMIUM := /usr/bin/chromium

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	apt-get -o DPkg::Lock::Timeout=600 update
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y chromium

$(HC_STAMP): tests/compat/healthchain.txt
	python3 -m venv $(HC_VENV)
	$(HC_VENV)/bin/python -m pip install --quiet -r tests/compat/healthchain.txt
	touch $(HC_STAMP)

setup: $(STAMP)

# What only the tests need from Debian (a browser, a database server), installed when missing.
test-tools: $(CHROMIUM) postgresql $(HC_STAMP)

# The tests start a real PostgreSQL server (tests/ops): Debian's package, installed when missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { \
	  echo "make setup: installing Debian's postgresql package (for the tests)"; \
	  apt-get -o DPkg::Lock::Timeout=600 update && \
	  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y postgresql; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: setup
	$(VENV)/bin/mypy

pytest: setup test-tools
	$(VENV)/bin/pytest -q

check: lint types

test: lint types pytest

# Local development: CDS client authentication is switched off explicitly (the service prints
# a loud warning), and browser origins on localhost are allowed so that the CDS Hooks Sandbox
# can call it. Production deployments keep SARCOMA_CDS_AUTH on (the default).
run: setup
	@echo "make run: SARCOMA_CDS_AUTH=off (development only) on http://$(HOST):$(PORT)/cds-services"
	SARCOMA_CDS_AUTH=off $(VENV)/bin/sarcoma-cds serve --host $(HOST) --port $(PORT)

bench: setup
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(HC_VENV) .mypy_cache .ruff_cache .pytest_cache
