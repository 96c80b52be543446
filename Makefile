# The two public commands (shared/CONTRACT.md section 1): `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test lint typecheck bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

# Options go through DEMO_ARGS, e.g. make demo DEMO_ARGS='--user "Morgan Blake"' or DEMO_ARGS='--seed FILE'.
demo: $(STAMP)
	@$(PY) -m bot demo $(DEMO_ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check bot intents tests benchmarks
	$(VENV)/bin/ruff format --check bot intents tests benchmarks

typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy

test: $(TEST_STAMP) lint typecheck
	@bash .ci/with-redis $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
