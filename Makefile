# The README's commands. Each target is idempotent: a second run reinstalls nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
MODEL  := models/SmolLM2-135M-Instruct.Q4_1.gguf
# A second model for tests: Gemma 3 270M, with sliding-window attention.
TEST_MODEL := build/test-models/gemma-3-270m-q4_k_m.gguf
# The CPU build lies on this machine's disk; a bare `torch` would pull a CUDA build of several GB.
TORCH_CPU := torch==2.13.0
LLAMA_STAMP := $(VENV)/.installed-llama
APP_STAMP  := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
PKG_STAMP  := $(VENV)/.installed-package

# llama.cpp is compiled once per build policy (pyproject.toml, [tool.writer.llama-cpp])
# by scripts/llama_build.py, never by pip: use every core.
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
LLAMA_BUILD := $(PY) scripts/llama_build.py
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup bench package portability fuzz

run: $(APP_STAMP) $(MODEL)
	$(BIN)/writer-app

test: $(TEST_STAMP) $(MODEL) $(TEST_MODEL)
	@# llama.cpp's own llama-server for tests/test_llama_cpp_server.py: built once for this
	@# machine from the pinned sdist (about 5 minutes), then found in the build cache.
	$(LLAMA_BUILD) server
	$(BIN)/ruff check .
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

setup: $(APP_STAMP) $(MODEL)

# Part of `make test`; alone, the llama.cpp build checks and the emulated processors
# (Debian's qemu-user).
portability: $(TEST_STAMP) $(MODEL)
	$(BIN)/pytest tests/test_portability.py

# Part of `make test` (3,000 mutants); alone, a longer seeded pass over every loader.
FUZZ_SEED  ?= 1
FUZZ_COUNT ?= 50000
fuzz: $(TEST_STAMP)
	$(PY) -m tests.fuzz --seed $(FUZZ_SEED) --count $(FUZZ_COUNT)

bench: $(TEST_STAMP) $(MODEL)
	$(PY) benchmarks/engine_throughput.py

package: $(PKG_STAMP) $(MODEL)
	packaging/build.sh

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The portable llama.cpp goes in first; every later install keeps it (check).
$(LLAMA_STAMP): pyproject.toml scripts/llama_build.py | $(PY)
	$(LLAMA_BUILD) install
	@touch $@

$(APP_STAMP): pyproject.toml $(LLAMA_STAMP) | $(PY)
	$(PY) -m pip install --quiet -e .
	$(LLAMA_BUILD) check
	@touch $@

$(TEST_STAMP): $(APP_STAMP)
	$(PY) -m pip install --quiet $(TORCH_CPU)
	$(PY) -m pip install --quiet -e '.[test,cuda]'
	$(LLAMA_BUILD) check
	@touch $@

$(PKG_STAMP): $(APP_STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	$(LLAMA_BUILD) check
	@touch $@

$(MODEL): | $(APP_STAMP)
	$(PY) scripts/fetch_default_model.py

$(TEST_MODEL): | $(APP_STAMP)
	$(PY) scripts/fetch_test_model.py
