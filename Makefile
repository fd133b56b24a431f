# Two commands: `make run` starts the product, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: install frontend frontend-test bench-pwa run serve test lint fmt typecheck pytest bench fuzz-sync migrations-check clean loadtest crashtest fuzz

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The PWA is built when npm is there and its sources changed; without npm Flask serves a placeholder page.
FRONTEND_SRC := $(shell find frontend/src frontend/public frontend/scripts -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/vite.config.ts frontend/tsconfig.json frontend/package.json)

frontend:
	@if [ -f frontend/package.json ] && command -v npm >/dev/null; then \
		$(MAKE) --no-print-directory frontend/dist/index.html; \
	else echo "frontend: npm or frontend/package.json missing, serving the placeholder page"; fi

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SRC)
	cd frontend && npm run build

# The PWA's unit tests (Vitest with fake-indexeddb), when npm is there.
frontend-test: frontend
	@if [ -f frontend/package.json ] && command -v npm >/dev/null; then \
		cd frontend && npm test; \
	else echo "frontend-test: npm or frontend/package.json missing, skipped"; fi

# Browser benchmark of the PWA: sync of 500 queued findings (JSON key pwa_sync_500_s).
bench-pwa: install frontend
	$(BIN)/python -m bench.pwa_sync

run: install frontend
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo "Inspector on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy inspector

pytest: install
	$(BIN)/pytest -n 2 --dist loadgroup

test: install frontend frontend-test lint typecheck pytest

migrations-check: install
	$(BIN)/flask db upgrade && $(BIN)/flask db check

clean:
	rm -rf $(VENV) instance frontend/dist .pytest_cache .mypy_cache .ruff_cache

# Every benchmark (sync on PostgreSQL, deconfliction, the PWA in Chromium): a table, then one JSON line.
bench: install frontend
	$(BIN)/python bench/run_all.py

# Many more Hypothesis examples of the device model than CI runs (tests/sync/test_stateful.py).
fuzz-sync: install
	INSPECTOR_FUZZ_EXAMPLES=$${INSPECTOR_FUZZ_EXAMPLES:-300} INSPECTOR_FUZZ_STEPS=$${INSPECTOR_FUZZ_STEPS:-60} \
		$(BIN)/pytest -q -p no:cacheprovider tests/sync/test_stateful.py

# Production: gunicorn (gunicorn.conf.py) on PostgreSQL and Redis. Needs INSPECTOR_SECRET_KEY,
# DATABASE_URL (postgresql) and REDIS_URL; refuses to start otherwise. Never seeds demo accounts.
serve: install frontend
	INSPECTOR_ENV=production $(BIN)/flask db upgrade
	INSPECTOR_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# 50 devices x 20 pushes of 50 changes against gunicorn + PostgreSQL (own database), then an audit.
loadtest: install
	$(BIN)/python -m bench.loadtest $(LOADTEST_ARGS)

# Devices push while workers, and the whole server, are killed with SIGKILL; Jepsen-style report.
crashtest: install
	$(BIN)/python -m bench.crashtest $(CRASHTEST_ARGS)

# schemathesis over every operation of /api/v1/openapi.json with each role's token: 30 random examples
# per operation, mode and role instead of CI's 3 derandomized ones (about 6 minutes per database).
fuzz: install
	INSPECTOR_API_FUZZ_EXAMPLES=$${INSPECTOR_API_FUZZ_EXAMPLES:-30} INSPECTOR_API_FUZZ_RANDOM=1 \
		$(BIN)/pytest -q -p no:cacheprovider -n 2 tests/fuzz
