# K-Data Catalog. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
KDC_PORT ?= 5000
INSTANCE ?= instance

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format bench clean translations

help: ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

venv: $(BIN)/.installed ## Create or update the virtualenv

run: venv ## Migrate, load the demo catalogue on first run, serve http://127.0.0.1:$(KDC_PORT)
	$(FLASK) db upgrade
	@if [ ! -e $(INSTANCE)/.demo-loaded ]; then $(FLASK) demo && touch $(INSTANCE)/.demo-loaded; fi
	$(FLASK) run --host 127.0.0.1 --port $(KDC_PORT)

test: venv ## Run the whole test suite (SQLite, PostgreSQL, S3 server, browser)
	$(BIN)/python -m pytest -q

lint: venv ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: venv ## Run the benchmarks (prints figures; see docs/benchmarks.md)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean: ## Remove the virtualenv and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

translations: venv ## Re-extract UI strings, merge into ko/messages.po, compile the .mo
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o catalog/translations/messages.pot .
	$(BIN)/pybabel -q update -i catalog/translations/messages.pot -d catalog/translations -l ko --no-fuzzy-matching
	$(BIN)/pybabel compile -d catalog/translations -l ko --statistics
