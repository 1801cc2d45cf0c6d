# InfoHub developer tasks.  Everything that needs PostgreSQL/Redis runs under bin/services.py:
# DATABASE_URL / REDIS_URL from the environment are used as given; without them, embedded
# servers keep their data in var/pg and var/redis and run only as long as the command.
# The Debian packages a target needs are listed in bin/system-packages, which runs first: it
# installs the missing ones as root, and otherwise stops with the apt-get command to run.

VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
WITH_SERVICES := $(PY) bin/services.py --

# The venv's tools (honcho, gunicorn, celery, pytest, ruff) come first on PATH, also for Procfile.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

# python3.11, or python3 when that is 3.11.  Deferred (=) so it is only looked up when needed.
PYTHON311 = $(shell command -v python3.11 || { python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && command -v python3; })

.PHONY: run test bench lint messages clean distclean venv \
        packages-run packages-test packages-bench packages-messages
.DEFAULT_GOAL := run

venv: $(STAMP)

# Quiet, and a single dpkg-query, when everything is installed.
packages-run packages-test packages-bench packages-messages:
	@bin/system-packages $(@:packages-%=%)

# The import contracts of pyproject.toml ([tool.importlinter]): layers, no cycles inside a package.
LINT_IMPORTS := lint-imports --no-cache --no-logo

# Re-installs only when a requirements file changed since the last install.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || { test -n "$(PYTHON311)" || { echo "Python 3.11 is needed (python3.11 or python3)"; exit 1; }; \
	  echo "creating $(VENV) with $(PYTHON311)"; $(PYTHON311) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

run: packages-run venv
	$(WITH_SERVICES) bin/run.sh

# Extra pytest arguments: make test ARGS='-k inbox -x'  (or PYTEST_ARGS=...)
test: packages-test venv
	$(LINT_IMPORTS)
	$(WITH_SERVICES) pytest $(PYTEST_ARGS) $(ARGS)

bench: packages-bench venv
	@if [ -f tests/bench/__main__.py ]; then $(WITH_SERVICES) python -m tests.bench $(ARGS); \
	else echo "no benchmarks yet"; fi

lint: venv
	ruff check .
	$(LINT_IMPORTS)

messages: packages-messages venv
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install GNU gettext (apt-get install gettext)"; exit 1; }
	python manage.py compilemessages --ignore '$(VENV)' --ignore var

# Keeps the data: var/pg and var/redis survive `make clean`.
clean:
	rm -rf var/staticfiles .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -path ./var -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	@if [ -f var/pg/postmaster.pid ] || [ -f var/redis/redis.pid ]; then \
	  echo "the embedded servers are running (make run?); stop them first"; exit 1; fi
	rm -rf var $(VENV)
