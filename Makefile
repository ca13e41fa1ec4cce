# Two entry points that work on a fresh machine: `make demo` and `make test`.
# Both create .venv (Python 3.12+, from PATH or pyenv's versions) and install the project with its dev extra first.

PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install demo test lint format schema bench serve worker

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (Django 6.1)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/python manage.py demo

# Production: gunicorn (o2c_api/gunicorn.conf.py, workers = 2 x cores + 1) with DEBUG off and
# O2C_PRODUCTION's hardening. Needs SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL (README,
# "Production"); run `make worker` beside it. SECURE_SSL_REDIRECT=0 for plain HTTP locally.
serve: install
	O2C_PRODUCTION=1 DEBUG=0 $(BIN)/python manage.py migrate --noinput
	O2C_PRODUCTION=1 DEBUG=0 $(BIN)/python manage.py collectstatic --noinput -v 0
	O2C_PRODUCTION=1 DEBUG=0 exec $(BIN)/gunicorn o2c_api.wsgi:application -c o2c_api/gunicorn.conf.py

worker: install
	$(BIN)/python manage.py run_worker

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: install
	$(BIN)/python manage.py export_schemas

# The benchmark (bench/run.py): builds or reuses PostgreSQL database o2c_bench_<size> on
# 127.0.0.1:5432 and writes docs/benchmarks.md and .json. INVOICES is 10k, 100k or 1M.
INVOICES ?= 100k
BENCH_ARGS ?=

bench: install
	$(BIN)/python bench/run.py --invoices $(INVOICES) $(BENCH_ARGS)
