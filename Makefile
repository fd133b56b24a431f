# Two commands: `make run` starts the product, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py

.PHONY: install frontend run serve test lint fmt typecheck pytest bench fuzz-sync migrations-check clean

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

# The PWA is built when npm is there; without it Flask serves a placeholder page.
frontend:
	@if [ -f frontend/package.json ] && command -v npm >/dev/null; then \
		cd frontend && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build; \
	else echo "frontend: npm or frontend/package.json missing, serving the placeholder page"; fi

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

test: install frontend lint typecheck pytest

migrations-check: install
	$(BIN)/flask db upgrade && $(BIN)/flask db check

clean:
	rm -rf $(VENV) instance frontend/dist .pytest_cache .mypy_cache .ruff_cache
