# The README's commands. Every target sets up its own virtual environment first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# HealthChain (tests/compat) pins older fastapi/httpx/fhir.resources: its own environment.
HC_VENV  ?= .venv-healthchain
HC_STAMP := $(HC_VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: setup test-tools test check lint types pytest run wait bench image-base image clean postgresql

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
# The shell execs the server, so Ctrl-C and signals reach it directly, and --exit-with-parent
# stops it when make itself is killed (`make run &` ... `kill %1`, or kill of make's pid).
run: setup
	@echo "make run: SARCOMA_CDS_AUTH=off (development only) on http://$(HOST):$(PORT)/cds-services"
	SARCOMA_CDS_AUTH=off exec $(VENV)/bin/sarcoma-cds serve --host $(HOST) --port $(PORT) \
		--exit-with-parent

# Wait (up to WAIT seconds) until the service on HOST:PORT answers /healthz: `make run &` then
# `make wait` before the first request.
WAIT ?= 60
wait:
	@tries=0; until python3 -c "import urllib.request as u; u.urlopen('http://$(HOST):$(PORT)/healthz', timeout=1)" 2>/dev/null; do \
		tries=$$((tries + 1)); \
		if [ $$tries -ge $$(($(WAIT) * 4)) ]; then \
			echo "make wait: nothing answers http://$(HOST):$(PORT)/healthz after $(WAIT) s" >&2; exit 1; \
		fi; \
		sleep 0.25; \
	done
	@echo "make wait: http://$(HOST):$(PORT) is up"

# The container image, built with Debian's buildah (no Docker engine needed; root, chroot
# isolation and vfs storage, so it also works inside a container). `make image-base` makes a
# stand-in for the python:3.11-slim-bookworm base where no image registry is reachable:
# Debian bookworm's own python3 (3.11) from Debian's packages (mmdebstrap), with a virtual
# environment at /usr/local so that `python` and `pip` are where the official image has them.
# The host's CA bundle is mounted (read-only, build time only) for pip behind a TLS proxy.
BASE_IMAGE := docker.io/library/python:3.11-slim-bookworm
BASE_TAR ?= /tmp/sarcoma-cds-base.tar
export STORAGE_DRIVER ?= vfs
export BUILDAH_ISOLATION ?= chroot
image-base:
	command -v buildah >/dev/null && command -v mmdebstrap >/dev/null || \
		apt-get -o DPkg::Lock::Timeout=600 install -y buildah mmdebstrap
	mmdebstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates,passwd \
		--customize-hook='chroot "$$1" python3 -m venv /usr/local' \
		bookworm $(BASE_TAR) http://deb.debian.org/debian
	ctr=$$(buildah from scratch) && buildah add $$ctr $(BASE_TAR) / >/dev/null \
		&& buildah config --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
			--env LANG=C.UTF-8 --cmd python3 $$ctr \
		&& buildah commit -q $$ctr $(BASE_IMAGE) && buildah rm $$ctr >/dev/null
	rm -f $(BASE_TAR)

image:
	buildah bud --pull-never --format docker \
		-v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
		-t localhost/sarcoma-cds:latest .

bench: setup
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(HC_VENV) .mypy_cache .ruff_cache .pytest_cache
