# 乡治 — `make demo` and `make test` are the whole quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp
NODE_STAMP = node_modules/.installed-stamp
export XIANGZHI_NODE_MODULES ?= $(CURDIR)/node_modules
# `make demo PORT=8001` serves the demo on another port (HOST=0.0.0.0 to reach it from other machines of the LAN).
PORT   ?= 8000
HOST   ?= 127.0.0.1

.PHONY: install demo test test-fast test-postgres lint bench ci clean assets api-fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

assets: $(NODE_STAMP)

demo: install
	$(BIN)/xiangzhi demo --addr $(HOST):$(PORT) $(DEMO_ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/xiangzhi} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/xiangzhi makemigrations --check --dry-run

api-fuzz: install
	BIN=$(BIN) bash .ci/schemathesis

bench: install
	@for f in bench/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
