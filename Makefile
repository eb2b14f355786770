# Indsatskataloget: `make run` serves the catalogue, `make test` runs every check.
# Both set up everything first (virtual environment, dependencies, database, catalogue).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Local development runs with DEBUG on; tests and CI use their own settings below.
DEV_ENV := DEBUG=1
BACKUP_DIR ?= backups
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key ALLOWED_HOSTS=testserver,localhost,127.0.0.1

.PHONY: run test install migrate load validate lint fix reset-db backup restore

run: load  ## serve http://127.0.0.1:8000 with the catalogue loaded
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: load  ## lint, migration check, fixture validation and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest

install: $(VENV)/.installed  ## create the virtual environment and install dependencies

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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

backup: install  ## write backups/indsatskataloget-<timestamp>.yaml.gz (every table, natural keys)
	$(DEV_ENV) $(PY) manage.py backup --directory $(BACKUP_DIR)

restore: install  ## load FILE=backups/... into a new, empty database (all or nothing)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/indsatskataloget-....yaml.gz" >&2; exit 2; }
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py restore $(FILE)

reset-db:  ## delete the local SQLite database (it is rebuilt by make run)
	rm -f db.sqlite3
