# Two commands matter: `make demo` and `make test`. Each installs what it needs into .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The offline provider mirror: STANDBY_TF_PLUGIN_DIR if set, else found on this machine (scripts/find-provider-mirror).
STANDBY_TF_PLUGIN_DIR ?= $(shell scripts/find-provider-mirror)
export STANDBY_TF_PLUGIN_DIR

.PHONY: demo test test-fast lint fmt bench clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# pip compiles the dependencies' bytecode; an editable install's own modules are compiled at their first
	# import, and again by every process where PYTHONDONTWRITEBYTECODE is set (about 0.2 s per command).
	$(BIN)/python -m compileall -q standby >/dev/null
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/standby --config examples/webapp/standby.toml demo

# The suite runs on TEST_WORKERS processes (pytest-xdist). Its end-to-end tests mostly wait on the emulator's modelled
# latencies and Terraform's polling, so two workers halve its time on 2 cores; each worker has its own emulator, and
# the tests sharing the provisioned example run on one worker (tests/e2e/conftest.py), so it is provisioned once.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup -m 'not e2e'

lint: $(STAMP)
	$(BIN)/ruff check standby tests bench
	terraform fmt -check -recursive terraform

fmt: $(STAMP)
	$(BIN)/ruff check --fix standby tests bench
	$(BIN)/ruff format standby tests bench
	terraform fmt -recursive terraform

bench: $(STAMP)
	$(BIN)/python -m bench.failover
	$(BIN)/python -m bench.drift
	$(BIN)/python -m bench.provision

clean:
	rm -rf $(VENV) examples/webapp/.standby .pytest_cache
