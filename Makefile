# crosscheck developer commands. The two that matter:
#   make run    install everything into .venv/ and serve crosscheck on the bundled seeds (HOST, PORT)
#   make test   install dev tools and run the whole test suite (what CI runs)
# Both compile the verdict engine with mypyc first (make compile; the longest step of a first run,
# once; README.md gives the time it took).
# and, for the browser extension:
#   make extension   build/extension/{chromium,firefox}/ to load unpacked, and the store zips in dist/

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The CPU build of torch must be in place before sentence-transformers, or pip
# resolves torch to the CUDA wheels (several GB). Elsewhere than this machine,
# point pip at the CPU wheels: PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
TORCH := torch==2.13.0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-dev compile run test lint lint-js extension format bench clean

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev
compile: $(VENV)/.compiled

$(VENV)/.python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "crosscheck needs Python 3.11+, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	touch $@

# Editable installs stay pure Python; `compile` builds the engine's C extensions in place.
$(VENV)/.runtime: $(VENV)/.python pyproject.toml constraints.txt
	CROSSCHECK_COMPILE=0 $(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

# dev includes the milvus extra: the store conformance suite also runs on milvus-lite. Only the
# extras' requirements are installed: reinstalling crosscheck itself (-e ".[dev]") would replace the
# editable install that `compile` made, and with it the import path of the compiled engine.
EXTRAS := dev milvus
$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/python -c 'import sys, tomllib; extras = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]; print("\n".join(r for name in sys.argv[1:] for r in extras[name]))' $(EXTRAS) > $(VENV)/extras.txt
	$(BIN)/pip install --quiet -c constraints.txt -r $(VENV)/extras.txt
	touch $@

# The verdict engine's hot modules compiled with mypyc (listed in ENGINE_LIST, which setup.py reads
# too), again whenever one changes. The build needs only the runtime dependencies and pyproject's
# [build-system] requires. Until then an edited module runs from source (see service/compiled.py).
ENGINE_LIST := service/engine/compiled_modules.txt
ENGINE := $(shell sed -e 's/\#.*//' $(ENGINE_LIST))
$(VENV)/.compiled: $(VENV)/.runtime setup.py $(ENGINE_LIST) $(ENGINE)
	@echo "compiling the engine with mypyc (the longest step of a first run; once) ..."
	CROSSCHECK_COMPILE=1 $(BIN)/pip install --quiet --no-deps -e .
	touch $@

# ESLint for the web page's and the extension's scripts, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

run: setup compile
	$(BIN)/crosscheck ingest seeds/ --quiet
	$(BIN)/crosscheck serve --host $(HOST) --port $(PORT)

test: lint compile
	$(BIN)/pytest

lint: setup-dev lint-js
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

lint-js: node_modules/.installed
	node_modules/.bin/eslint --max-warnings 0 .

extension:
	$(PYTHON) extension/build.py

format: setup-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup compile
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build dist node_modules *.egg-info .pytest_cache .mypy_cache .ruff_cache
	rm -f *__mypyc*.so service/_compiled.json $(ENGINE:.py=.*.so)
