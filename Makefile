# The two commands a newcomer needs: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# npm's own record of what `npm ci` installed: newer than the lock file once installed.
NODE_INSTALLED := node_modules/.package-lock.json
HOST ?= 127.0.0.1
PORT ?= 8000
# The site is production by default (DEBUG off, no demo); these commands run it for
# development. Set either to false in the environment to override.
export DEBUG ?= true
export APP_ERRORS_DEMO ?= true

.PHONY: run test test-fast install migrate chromium lint format bench screenshots

run: migrate
	@$(BIN)/python manage.py ensure_demo_staff
	@$(BIN)/python manage.py seed_demo_errors --if-empty
	@echo "Serving the dashboard on http://$(HOST):$(PORT)/ (alerts delivered in the background)"
	@$(BIN)/python manage.py deliver_error_alerts & deliverer=$$!; \
	trap 'kill $$deliverer 2>/dev/null; wait $$deliverer' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; \
	exit $$status

# Everything but the tests marked slow (browser journeys, schemathesis, the bench smoke run,
# many processes at once) on two pytest workers: under a minute, for the edit-test loop.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -m "not slow" -n 2

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e '.[dev]'
	@touch $@

# axe-core, which the browser tests inject to check each page's accessibility (package.json).
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(INSTALLED) $(NODE_INSTALLED)

migrate: install
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py migrate --database=errors --noinput -v0

# The e2e suite drives Debian's Chromium; Playwright cannot download browsers here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu)."; \
	    exit 1; \
	  fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The README's screenshots (docs/screenshots/): the demo in a throwaway SQLite site, in Chromium.
screenshots: install chromium
	$(BIN)/python -m e2e.screenshots

# The benchmark suite in its own database (never the dev data): BENCH_ROWS errors, default a
# million; set DATABASE_URL to run it on PostgreSQL. Results land in BENCHMARKS.md.
BENCH_ROWS ?= 1000000
bench: install
	BENCH_ROWS=$(BENCH_ROWS) $(BIN)/python -m bench.run
