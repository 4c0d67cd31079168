# Complaint desk: `make run` serves the demo, `make test` runs the whole suite.
# Both set everything up on first use: a .venv built with the newest Python >= 3.12 found
# (scripts/find-python), rebuilt when pyproject.toml or constraints.txt change.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

.PHONY: help run test lint format messages translations lock clean bench faults soak

help:
	@echo "make run           install, migrate, load demo data once, serve web + worker + beat"
	@echo "                   (HOST, PORT, DATABASE_URL, REDIS_URL, EMAIL_URL, DEMO_PASSWORD honoured;"
	@echo "                   SEED=1 loads another batch of demo tickets)"
	@echo "make test          install, compile translations, run the whole pytest suite (ARGS=... passed on)"
	@echo "make lint          ruff check, ruff format --check, import-linter contracts"
	@echo "make format        ruff format + ruff check --fix"
	@echo "make messages      update locale/zh_Hans/LC_MESSAGES/django.po from the source (developers)"
	@echo "make translations  compile the .po catalogs into .mo"
	@echo "make lock          rewrite constraints.txt from what is installed in .venv"
	@echo "make faults        the fault suite (tests/faults): real web, worker and beat on PostgreSQL and Redis,"
	@echo "                   killed and cut off; counts what was lost or done twice (DATABASE_URL honoured)"
	@echo "make soak          a steady mixed load for SOAK_MINUTES (10) against gunicorn, worker and beat:"
	@echo "                   errors, p95 per minute, RSS per process (bench/results/soak.json)"
	@echo "make bench         performance at 1,000,000 tickets on PostgreSQL (loads once, 25-40 min;"
	@echo "                   then measures pages, jobs and load with wrk; see bench/README.md)"

$(STAMP): pyproject.toml constraints.txt scripts/setup-venv
	@scripts/setup-venv

translations: $(STAMP)
	@$(PY) scripts/compile-messages

# exec: the shell is replaced, so the SIGTERM make forwards reaches the runner directly.
run: $(STAMP)
	@exec scripts/run

test: $(STAMP) translations
	$(VENV)/bin/pytest $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages --locale zh_Hans --no-obsolete --no-location \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'node_modules/*'

lock: $(STAMP)
	@{ echo '# Every installed package, pinned: generated from the venv by `make lock`; used by every install'; \
	   echo '# (`pip install -c constraints.txt -e ".[dev]"`) so set-ups are repeatable.'; \
	   $(PY) -m pip freeze --exclude-editable --disable-pip-version-check; } > constraints.txt.new
	@mv constraints.txt.new constraints.txt
	@touch $(STAMP)
	@echo "constraints.txt rewritten ($$(grep -vc '^#' constraints.txt) packages)"

# Not part of `make test` (collected only with FAULTS=1): PostgreSQL on 127.0.0.1:5432 (a scratch
# test_<name> database per run) and Redis on 127.0.0.1:6379 (database 7, keys under a per-run prefix).
FAULTS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/faults
faults: $(STAMP) translations
	FAULTS=1 DATABASE_URL="$${DATABASE_URL:-$(FAULTS_DATABASE_URL)}" $(VENV)/bin/pytest tests/faults --create-db $(ARGS)

# Not part of `make test`: PostgreSQL on 127.0.0.1:5432 (a database soak_desk of its own, dropped and
# made again each run); Redis database 12 (SOAK_REDIS_URL) when it answers. SOAK_MINUTES=2 for a trial.
soak: $(STAMP) translations
	@exec $(PY) -m bench.soak $(ARGS)

# Not part of `make test`: it needs PostgreSQL on 127.0.0.1:5432 and takes a while.
bench: $(STAMP)
	@exec bench/run

clean:
	rm -rf $(VENV) .ruff_cache
