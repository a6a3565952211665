# One entry point for building, testing and demonstrating fluent-ai.
# Everything runs from a clean clone: the targets create .venv and install what they need.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WHEELS := target/wheels
TEST_VENV := target/test-venv
OLDEST_VENV := target/test-venv-oldest
# The oldest CPython the abi3 wheel supports, when this machine has one that runs (a pyenv
# shim may exist without it).
PYTHON_OLDEST ?= $(shell for p in $$HOME/.pyenv/versions/3.9*/bin/python3.9 $$(command -v python3.9); do \
	"$$p" -c "" 2>/dev/null && { echo "$$p"; break; }; done)
PIP_QUIET := $(if $(CI),-q,)

.PHONY: build demo test test-oldest lint rust-check bench fuzz clean

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
	if [ "$$(uname -m)" = x86_64 ]; then FLUENT_AI_SIMD=sse2 $(TEST_VENV)/bin/python -m pytest -p no:cacheprovider -q -k native tests; fi
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider -q --benchmark-disable benches
	$(MAKE) test-oldest

# The same wheel on CPython 3.9, where the stable ABI lacks what 3.10+ fast paths use.
test-oldest:
	@if [ -z "$(PYTHON_OLDEST)" ]; then \
		echo "NOTE: no CPython 3.9 on this machine: the wheel was not tested on 3.9"; \
	else \
		set -e; rm -rf $(OLDEST_VENV); \
		$(PYTHON_OLDEST) -m venv $(OLDEST_VENV); \
		$(OLDEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"; \
		$(OLDEST_VENV)/bin/python -m pip install $(PIP_QUIET) --group test --group bench \
			$(WHEELS)/fluent_ai-*.whl; \
		$(OLDEST_VENV)/bin/python -m pytest -p no:cacheprovider -q -rs tests; \
	fi

bench: build
	$(BIN)/python -m pytest -p no:cacheprovider --benchmark-only \
		--benchmark-group-by=group --benchmark-columns=min,median,ops,rounds \
		--benchmark-sort=name benches

# Both backends compared on mutated real streams under a wall-clock budget (FUZZ_SECONDS,
# default 60); findings and crashing inputs go to target/fuzz (see fuzz/run.py).
fuzz: build
	$(BIN)/python -m fuzz.run

clean:
	rm -rf $(VENV) target
