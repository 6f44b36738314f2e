# K-Data Catalog. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
KDC_PORT ?= 5000
INSTANCE ?= instance

# What `make check` type-checks, with every --strict check ([tool.mypy] in pyproject.toml):
# the business rules (catalog/services) and what they import (the models, db.py,
# policy.py, config.py, errors.py), the object store, the audit-chain rules and the client.
# The rest of catalog, schemas and app.py join this list once they pass mypy --strict.
MYPY_TARGETS ?= catalog/services catalog/models catalog/db.py catalog/policy.py \
	catalog/config.py catalog/errors.py storage auditchain kdc

# Two install stamps: `make run` needs only the runtime (requirements.txt and the package);
# `make test` and `make check` add the test and lint tools on top (requirements-dev.txt).
RUNTIME := $(VENV)/.runtime-installed
DEVTOOLS := $(VENV)/.dev-installed

.DEFAULT_GOAL := help
.PHONY: help venv run test check lint typecheck format bench clean translations

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

# The package is installed editable; -qq keeps setuptools' notice about editable installs
# (a warning level message on every install) out of a clean start.
$(RUNTIME): requirements.txt pyproject.toml
	test -x $(BIN)/python || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install -q --upgrade pip; }
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -qq --no-deps -e .
	touch $@

$(DEVTOOLS): $(RUNTIME) requirements-dev.txt
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(DEVTOOLS) ## Create or update the virtualenv with the test and lint tools

run: $(RUNTIME) ## Migrate, load the demo catalogue on first run, serve http://127.0.0.1:$(KDC_PORT)
	$(FLASK) db upgrade
	@if [ ! -e $(INSTANCE)/.demo-loaded ]; then $(FLASK) demo && touch $(INSTANCE)/.demo-loaded; fi
	$(FLASK) run --host 127.0.0.1 --port $(KDC_PORT)

test: $(DEVTOOLS) ## Run the whole test suite (SQLite, PostgreSQL, S3 server, browser)
	$(BIN)/python -m pytest -q

check: lint typecheck ## Lint, format check, strict types, architecture rules (CI runs it first)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/unit/test_architecture.py

lint: $(DEVTOOLS) ## Check style with ruff (lint rules and formatting)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEVTOOLS) ## Type-check $(MYPY_TARGETS) with mypy
	$(BIN)/mypy $(MYPY_TARGETS)

format: $(DEVTOOLS) ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEVTOOLS) ## Run every benchmark (short; KDC_BENCH_LONG=1 for full) and print one table of goals
	@$(BIN)/python bench/run_all.py

clean: ## Remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis

translations: $(DEVTOOLS) ## Re-extract UI strings, merge into ko/messages.po, compile the .mo
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o catalog/translations/messages.pot .
	$(BIN)/pybabel -q update -i catalog/translations/messages.pot -d catalog/translations -l ko --no-fuzzy-matching
	$(BIN)/pybabel compile -d catalog/translations -l ko --statistics
