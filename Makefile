# The front door: `make run` serves a trial instance, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: run test install install-dev migrate seed lint format check bench fuzz soak clean worker beat browser pgbouncer

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed

## Serve a trial instance on http://$(HOST):$(PORT) (embedded SQLite + in-process cache
## unless DATABASE_URL / REDIS_URL are set).
run: seed
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## Background work (Celery, broker = CELERY_BROKER_URL or REDIS_URL): the worker sends
## emails and webhooks; beat runs the recurring jobs of JOB_SCHEDULES (several beats may
## run: each job still runs once per tick). Both need DATABASE_URL and REDIS_URL.
WORKER_CONCURRENCY ?= 4
worker: install
	$(BIN)/celery -A amrutam worker --loglevel=INFO --concurrency=$(WORKER_CONCURRENCY)

beat: install
	$(BIN)/celery -A amrutam beat --loglevel=INFO --schedule=$${BEAT_SCHEDULE_FILE:-/tmp/amrutam-beat-schedule}

## Debian's Chromium and its driver, for the back office's browser tests (installed
## when missing; apt-get update only when the first install fails).
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null || { \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q $(BROWSER_PACKAGES) >/dev/null; }; }

## Debian's PgBouncer, for the tests that run the service through it in transaction
## pooling mode (each starts a private one; the package's own service stays off).
## Installed when missing; apt-get update only when the first install fails.
pgbouncer:
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q -o DPkg::Lock::Timeout=300 pgbouncer >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && \
		  apt-get install -y -q -o DPkg::Lock::Timeout=300 pgbouncer >/dev/null; }; }

## The whole suite against PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaulting
## to the local services), browser tests in headless Chromium and the runs through
## PgBouncer included.
test: install-dev browser pgbouncer
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## The longer fuzz: the API fuzz (tests/fuzz, in-process, as patient, doctor and admin;
## schema conformance both ways: a schema-valid request is refused only for the reasons
## listed in tests/fuzz/positive_data.py)
## with FUZZ_MAX_EXAMPLES (default 200) examples per operation and role, and the property
## tests of slot arithmetic and idempotency fingerprints with PROPERTY_MAX_EXAMPLES (2000).
## Deterministic; set FUZZ_SEED for other API inputs. `make test` runs the same tests small.
FUZZ_MAX_EXAMPLES ?= 200
PROPERTY_MAX_EXAMPLES ?= 2000
fuzz: install-dev
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) PROPERTY_MAX_EXAMPLES=$(PROPERTY_MAX_EXAMPLES) \
		$(BIN)/python -m pytest -o timeout=3600 tests/fuzz \
		doctors/tests/test_scheduling_properties.py \
		consultations/tests/test_fingerprint_properties.py $(PYTEST_ARGS)

## Lint and types: ruff, then mypy (django-stubs, DRF stubs; strict on services and
## selectors, see pyproject.toml).
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: install-dev
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts

## The benchmark (bench/run.py): gunicorn with production settings on PostgreSQL and
## Redis (BENCH_PG_URL, BENCH_REDIS_URL; database amrutam_bench, Redis db 9), loaded
## with wrk; three rounds, medians printed and written to bench/results/.
## BASELINE=<git ref> (bench/ab.py): the same scenarios against that ref too, built in a
## temporary worktree with its own virtualenv (database amrutam_bench_base, Redis db 11),
## alternating with the working tree; prints both sides' medians and the ratios.
BASELINE ?=
bench: install
	@command -v wrk >/dev/null || { apt-get install -y -q wrk >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }; }
	@command -v pgbench >/dev/null || { apt-get install -y -q postgresql-client >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q postgresql-client >/dev/null; }; }
	$(BIN)/python bench/$(if $(BASELINE),ab.py --baseline $(BASELINE),run.py) $(BENCH_ARGS)

## Each middleware's own cost per request (bench/middleware_cost.py): /health,
## availability reads and bookings served in-process through the WSGI handler with every
## middleware on a clock, on the bench's database; a table per scenario.
.PHONY: bench-middleware
bench-middleware: install
	$(BIN)/python bench/middleware_cost.py $(BENCH_ARGS)

## Security scans (.ci/scan): pip-audit on the installed dependencies, bandit on the code,
## check --deploy under production settings; fails on a finding that
## .ci/security-allowlist.toml does not explain.
.PHONY: scan
scan: install-dev
	$(BIN)/python .ci/scan

## Soak (bench/soak.py): SOAK_SECONDS (default 600) of bookings and reads against
## gunicorn with several workers (database amrutam_soak, Redis db 10, port 8200); prints
## error rate, latency percentiles, RSS per worker and open database connections after
## the warm-up and at the end, and fails when they grow beyond the bounds it states.
soak: install
	$(BIN)/python bench/soak.py
