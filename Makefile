# The two commands: `make paper` (every table and figure) and `make test` (pytest + nbval).
# Both build the virtual environment first when it is missing or older than pyproject.toml.
.DELETE_ON_ERROR:
.PHONY: paper test env data lint bench clean

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
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

env: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch is pinned in pyproject and resolved in this same command, so the CPU build on disk is used.
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name emer --display-name "Python 3 (emer)" >/dev/null
	touch $@

data: env
	$(BIN)/emer fetch

paper: data
	$(BIN)/emer paper --profile $(PROFILE)

# Unit tests; then every notebook regenerated in full into .check/ (its tables must equal the committed
# ones byte for byte); then nbval over the notebooks executed on the smoke profile.
test: data
	$(BIN)/ruff check src tests notebooks benchmarks tools
	$(BIN)/python -m pytest tests
	rm -rf .check .smoke
	$(BIN)/emer paper --out-dir $(CURDIR)/.check
	$(BIN)/emer compare-tables .check/tables outputs/tables
	$(BIN)/emer paper --profile smoke --out-dir $(CURDIR)/.smoke
	$(BIN)/python -m pytest --nbval-lax --nbval-kernel-name emer -p no:cacheprovider .smoke/notebooks

lint: env
	$(BIN)/ruff check src tests notebooks benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

bench: data
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf outputs/notebooks .check .smoke .pytest_cache
