# One entry point per task. `make test` and `make run` work on a fresh machine with only
# Python 3.11+: they install uv (from PyPI) and the locked dependencies first.
.DEFAULT_GOAL := help
SHELL := /bin/bash
# uv from PATH, else a private copy in .ishc/tools (a venv: works where the system Python
# refuses `pip install`, and touches nothing outside the checkout).
TOOLS := .ishc/tools
UV := $(shell command -v uv 2>/dev/null || echo "$(TOOLS)/bin/uv")

.PHONY: help bootstrap test check lint types layers seams contracts unit integration run bench clean browser

help:
	@echo "make run    start the whole system on this machine (embedded Postgres + NATS)"
	@echo "make test   install, then lint, type-check, contract drift checks and every test"
	@echo "make check  lint + types + layering + contract checks only"
	@echo "make bench  the benchmarks of bench/ (a few minutes)"

bootstrap:
	@if [ ! -x "$(UV)" ] && ! command -v uv >/dev/null 2>&1; then \
		echo "installing uv into $(TOOLS)"; \
		python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv; \
	fi
	@$(UV) sync --all-packages --frozen --quiet

lint: bootstrap
	$(UV) run ruff check .
	$(UV) run ruff format --check .

types: bootstrap
	$(UV) run mypy contracts/src runtime/src services/*/src ops/src simulator/src deploy/local contracts/tests runtime/tests services/*/tests ops/tests simulator/tests deploy/tests tests bench

# The import rules of [tool.importlinter] in pyproject.toml (tests/architecture shows each
# rule breaks on a violation).
layers: bootstrap
	$(UV) run lint-imports --no-logo --no-cache pyproject.toml

# The runtime's public signatures that still say `Any`, each with its reason; an unexplained
# one fails.
seams: bootstrap
	$(UV) run python -m tests.architecture.public_any

contracts: bootstrap
	$(UV) run python -m ishc_contracts.snapshots --check
	$(UV) run python -m ishc_contracts.asyncapi --check

check: lint types layers seams contracts

# Debian Chromium for the dashboard's browser tests (tests/browser): Playwright drives it by
# path; its own browser download cannot work on a closed network.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; \
	}

# One pytest worker per core, each with its own embedded Postgres and NATS; a test file stays
# on one worker so its module-scoped system starts once.
test: check browser
	$(UV) run pytest -q -p no:cacheprovider -n auto --dist loadfile

unit: bootstrap
	$(UV) run pytest -q -p no:cacheprovider -m unit

integration: bootstrap
	$(UV) run pytest -q -p no:cacheprovider -m integration

# `make run RUN_ARGS="--port 0"`: extra arguments (python deploy/local/run.py --help).
run: bootstrap
	$(UV) run python deploy/local/run.py $(RUN_ARGS)

bench: bootstrap
	$(UV) run python -m bench.run

clean:
	rm -rf .ishc .pytest_cache .mypy_cache .ruff_cache
