# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: demo test lint install install-test clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error

demo: install
	$(BIN)/kpi-platform serve --port $(PORT)

test: install-test
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache

translations: install-test
	$(BIN)/python scripts/translations.py
