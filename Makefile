# Indsatskataloget: `make run` serves the catalogue, `make test` runs every check.
# Both set up everything first (virtual environment, dependencies, database, catalogue).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Local development runs with DEBUG on; tests and CI use their own settings below.
DEV_ENV := DEBUG=1
BACKUP_DIR ?= backups
# Test processes: one per core (pytest-xdist); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
TEST_ENV := DEBUG=0 SECRET_KEY=test-only-secret-key ALLOWED_HOSTS=testserver,localhost,127.0.0.1

.PHONY: run test test-fast install migrate load validate lint fix reset-db messages bench bench-load bench-peers bench-search bench-lighthouse backup restore

run: load  ## serve http://127.0.0.1:8000 with the catalogue loaded
	$(DEV_ENV) $(PY) manage.py runserver 127.0.0.1:8000

test: load  ## lint, migration check, fixture validation and the whole test suite
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS)

test-fast: install  ## the inner loop: no browser, server, subprocess or fuzz tests (ARGS=... for more)
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) -m "not system and not fuzz" $(ARGS)

install: $(VENV)/.installed node_modules/.installed static/build/dkfds.css  ## virtual environment, Python and npm dependencies, built CSS

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# Design system, htmx and axe-core from the npm registry, exactly as package-lock.json pins them.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The design system's parts that the pages use, and their fonts, built from node_modules (ADR 0018).
static/build/dkfds.css: node_modules/.installed $(wildcard assets/*)
	npm run --silent build

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
	$(DEV_ENV) $(PY) manage.py makemessages -l en --no-location --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests
	$(DEV_ENV) $(PY) manage.py compilemessages --ignore=.venv

backup: install  ## write backups/indsatskataloget-<timestamp>.yaml.gz (every table, natural keys)
	$(DEV_ENV) $(PY) manage.py backup --directory $(BACKUP_DIR)

restore: install  ## load FILE=backups/... into a new, empty database (all or nothing)
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/indsatskataloget-....yaml.gz" >&2; exit 2; }
	$(DEV_ENV) $(PY) manage.py migrate --noinput
	$(DEV_ENV) $(PY) manage.py restore $(FILE)

reset-db:  ## delete the local SQLite database (it is rebuilt by make run)
	rm -f db.sqlite3

# Benchmarks (not part of `make test`): bench databases under bench/.data/ and indsats_bench_*
# on PostgreSQL, results in bench/results/. Quick run: make bench SIZES=1000 DBS=sqlite
SIZES ?= 1000,10000,100000
DBS ?= sqlite,postgres
BENCH_SECONDS ?= 10
BENCH_ENV := DEBUG=0 SECRET_KEY=bench-only-secret-key ALLOWED_HOSTS=localhost

bench: install  ## time every page on 1k/10k/100k entries, a short load test and soak
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m bench --sizes $(SIZES) --dbs $(DBS) --seconds $(BENCH_SECONDS) \
		--load-seconds 5 --soak-seconds $(or $(LOAD_SECONDS),30)

bench-load: install  ## the load test with a long soak (LOAD_SECONDS, default 300) on DBS
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m bench --sizes "" --dbs $(DBS) --load-seconds 10 \
		--soak-seconds $(or $(LOAD_SECONDS),300)

bench-peers: install  ## our uncached pages beside Datasette on the same entries, same run (needs wrk)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(BENCH_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) -m bench.peers --dbs $(DBS) --seconds $(or $(PEER_SECONDS),8)

bench-search: install  ## search quality on the judged queries (bench/search_quality) on DBS
	$(PY) -m bench.search_quality --dbs $(DBS)

bench-lighthouse: install  ## Lighthouse on home, list, filtered list, detail, /en/: mobile and desktop, RUNS each (BASELINE=commit beside it)
	$(PY) -m bench.lighthouse --runs $(or $(RUNS),3) $(if $(BASELINE),--baseline $(BASELINE))
