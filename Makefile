# Indsatskataloget: `make run` serves the catalogue, `make test` runs every check.
# Both set up everything first (virtual environment, dependencies, database, catalogue).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Local development runs with DEBUG on; tests and CI use their own settings below.
DEV_ENV := DEBUG=1
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key ALLOWED_HOSTS=testserver,localhost,127.0.0.1

.PHONY: run test install migrate load validate lint fix reset-db messages

run: load  ## serve http://127.0.0.1:8000 with the catalogue loaded
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: load  ## lint, migration check, fixture validation and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest

install: $(VENV)/.installed node_modules/.installed  ## virtual environment, Python and npm dependencies

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Design system, htmx and axe-core from the npm registry, exactly as package-lock.json pins them.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

migrate: install  ## create or update the database (SQLite unless DATABASE_URL is set)
	$(DEV_ENV) $(PY) manage.py migrate --noinput

load: migrate  ## validate and load the curated fixtures
	$(DEV_ENV) $(PY) manage.py load_catalogue

validate: install  ## check the fixtures without touching the database
	$(DEV_ENV) $(PY) manage.py validate_catalogue

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fix: install  ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: install  ## update the English catalogue from the code and compile it (needs gettext)
	$(DEV_ENV) $(PY) manage.py makemessages -l en --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests
	$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv

reset-db:  ## delete the local SQLite database (it is rebuilt by make run)
	rm -f db.sqlite3
