# Everything the project needs is installed from the package index by these targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: chat test test-fast lint bench mutants clean

# Runs pip -v with a line saying what is installed, then the build's stage, steps and time left
# (pip's own output goes to a log, shown when pip fails).
INSTALL = PYTHONPATH=src $(BIN)/python -m chatcli.install

$(BIN)/python:
	@echo "creating the virtualenv $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	@$(INSTALL) base $(BIN)/pip install -v -e .
	@touch $@

# The local extra compiles llama.cpp once (only what llama-cpp-python loads: see install.py;
# ~4 CPU-minutes, ~3 min on 2 idle cores); pip's wheel cache keeps it.
$(VENV)/.installed-local: pyproject.toml | $(BIN)/python
	@$(INSTALL) local $(BIN)/pip install -v -e '.[local]'
	@touch $@ $(VENV)/.installed-base

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@$(INSTALL) dev $(BIN)/pip install -v -e '.[dev,local,docs]'
	@touch $@ $(VENV)/.installed-local $(VENV)/.installed-base

# With a key (or a base URL) chatcli starts as soon as the base package is in; the offline
# model's llama.cpp is built only when this chat would use it.
chat: $(VENV)/.installed-base
	@$(MAKE) -sq $(VENV)/.installed-local 2>/dev/null \
		|| ! $(INSTALL) needs-local $(ARGS) >/dev/null 2>&1 \
		|| $(MAKE) -s --no-print-directory $(VENV)/.installed-local
	@$(BIN)/chatcli $(ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Under coverage, children included (see [tool.coverage.run]): the report is line and branch.
test: lint
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage combine -q
	$(BIN)/coverage report

# While iterating: skip the real-model tests and those that need the local extra.
test-fast: lint
	$(BIN)/pytest -m 'not local_model and not local_extra'

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/cache.py
	$(BIN)/python bench/attach.py
	$(BIN)/python bench/mcp_start.py
	$(BIN)/python bench/local_model.py

# Each safety mechanism removed in turn (tests/mutants.py): some test must fail every time.
mutants: $(VENV)/.installed-dev
	$(BIN)/python tests/mutants.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*
