# One entry point for building, testing and demonstrating fluent-ai.
# Everything runs from a clean clone: the targets create .venv and install what they need.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := target/wheels
TEST_VENV := target/test-venv
PIP_QUIET := $(if $(CI),-q,)

.PHONY: build demo test lint rust-check bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"
	$(BIN)/python -m pip install $(PIP_QUIET) --group dev
	touch $@

# Release wheel (abi3), installed into .venv.
build: $(VENV)/.installed
	rm -rf $(WHEELS)
	$(BIN)/maturin build --release --out $(WHEELS)
	$(BIN)/python -m pip install $(PIP_QUIET) --force-reinstall --no-deps $(WHEELS)/fluent_ai-*.whl

demo: build
	$(BIN)/python -m fluent_ai.demo

rust-check:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	cargo test

lint: $(VENV)/.installed
	$(BIN)/ruff check python tests benches
	$(BIN)/ruff format --check python tests benches
	$(BIN)/mypy python/fluent_ai
	$(BIN)/python -m mypy.stubtest fluent_ai._core --allowlist tests/stubtest-allowlist.txt

# The wheel goes into a fresh venv, and the tests import it from there (not from python/).
test: rust-check build lint
	rm -rf $(TEST_VENV)
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --group test --group bench $(WHEELS)/fluent_ai-*.whl
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider tests
	FLUENT_AI_SIMD=off $(TEST_VENV)/bin/python -m pytest -p no:cacheprovider -q -k native tests
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider -q --benchmark-disable benches

bench: build
	$(BIN)/python -m pytest -p no:cacheprovider --benchmark-only \
		--benchmark-group-by=group --benchmark-columns=min,median,ops,rounds \
		--benchmark-sort=name benches

clean:
	rm -rf $(VENV) target
