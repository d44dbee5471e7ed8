# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
# setuptools warns on every editable install that platform/ is mapped to kpi_platform (that mapping
# is deliberate: see pyproject.toml); the notice is not for the person starting the demo.
QUIET_BUILD := PYTHONWARNINGS=ignore::UserWarning

.PHONY: demo test lint install install-test clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: the install runs again only when the project's requirements change, not at every start.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(QUIET_BUILD) $(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml tests/oidc/package-lock.json | $(BIN)/python
	$(QUIET_BUILD) $(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

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
