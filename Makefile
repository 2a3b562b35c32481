# The two set-up commands of the README:
#   make run    install, then run the main job on the embedded default (no AWS, no API keys)
#   make test   install with the test tools, then run the whole test suite
# `make lint` runs ruff and mypy (installed with the test tools).
# `make ui` installs the UI extra (dagster-webserver, dagster-dg-cli) and starts the Dagster UI
# (`dg dev`) on the instance `pizza-game run` uses (.dagster/, configured by dagster.yaml).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint ui install install-ui install-dev system-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-dev: $(BIN)/python system-deps
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	PYTHON=$(PYTHON) ./deploy/scripts/install_lint_tools.sh

# Debian packages the tests need; installed only when missing and when we can (root + apt).
system-deps:
	@./scripts/system-deps.sh

run: install
	$(BIN)/pizza-game run $(ARGS)

# --durations=25: the slowest tests, so a run shows where its time goes (heavy ones are marked
# `slow`; ARGS="-m 'not slow'" leaves them out).
test: install-dev
	$(BIN)/python -m pytest --durations=25 $(ARGS)

# ruff and mypy with the settings in pyproject.toml ([tool.ruff], [tool.mypy]: what is checked, and
# why each exception is there); both must report nothing.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

install-ui: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[ui]'

ui: install-ui
	$(BIN)/pizza-game ui $(ARGS)
