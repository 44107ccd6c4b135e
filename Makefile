# SeSAC MS: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := sesac_ms

.PHONY: run test install install-dev catalogs messages lint serve-prod

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Compiled catalogs (.mo) are built here, not committed.
catalogs:
	$(BIN)/pybabel compile --statistics -d sesac_ms/translations

# After changing user-facing strings: extract, update both catalogs, then translate ko.
messages: install-dev
	$(BIN)/python scripts/update_catalogs.py

run: install catalogs
	$(BIN)/flask db upgrade
	$(BIN)/flask demo-data-if-empty
	@echo "Serving SeSAC MS on http://127.0.0.1:5000 (Ctrl+C to stop)"
	SESAC_SECOND_FACTOR_ROLES= $(BIN)/flask run --host 127.0.0.1 --port 5000

# One test process per core (pytest-xdist); each builds its own databases and live server.
test: install-dev catalogs
	$(BIN)/python -m pytest -n auto --dist worksteal

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
