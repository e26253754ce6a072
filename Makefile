# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint check clean web worker beat migrate collectstatic production-check

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The server, and beside it the scheduler (manage.py schedule: CELERY_BEAT_SCHEDULE's tasks in process, no Redis).
# One shell line: Ctrl-C stops runserver (and its autoreloader), then the trap stops the scheduler and waits for it;
# the trap also stops it when the server exits by itself. RUN_ADDRESS lets a second copy run beside (tests).
RUN_ADDRESS ?= 127.0.0.1:8000

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py init_pki
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py schedule & scheduler=$$!; trap 'kill $$scheduler 2>/dev/null; wait $$scheduler' EXIT INT TERM; $(BIN)/python manage.py runserver $(RUN_ADDRESS)

# The slow integration tests (pytest -m slow: whole-world walks, the audit bundle's forgeries, a real
# browser, years of archive renewal) run in .ci/run, after this.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py check

# Production-style processes, as the Procfile starts them (gunicorn.conf.py reads SEPAKAT_BIND, PORT and
# WEB_CONCURRENCY). They expect the production environment (docs/operations.md) and refuse to start, naming
# each missing variable, without it. They install nothing and never migrate: `make migrate` (the schema, then
# the signing authority if there is none yet) and `make collectstatic` first, once per release.
WORKER_CONCURRENCY ?= $(or $(SEPAKAT_WORKER_CONCURRENCY),2)
BEAT_SCHEDULE ?= $(or $(SEPAKAT_BEAT_SCHEDULE_FILE),var/celerybeat-schedule)

web:
	$(BIN)/gunicorn -c gunicorn.conf.py sepakat.wsgi

worker:
	$(BIN)/celery -A sepakat worker --loglevel INFO --concurrency $(WORKER_CONCURRENCY)

beat:
	$(BIN)/celery -A sepakat beat --loglevel INFO --schedule $(BEAT_SCHEDULE)

migrate:
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py init_pki

collectstatic:
	$(BIN)/python manage.py collectstatic --noinput

# gunicorn, a Celery worker and beat on PostgreSQL and Redis, serving a whole MoU over HTTP (.ci/run runs it).
production-check: $(STAMP)
	$(BIN)/python .ci/production_stack

clean:
	rm -rf $(VENV) var
