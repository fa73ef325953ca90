# Vigil: every target installs what it needs first (idempotent).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser run test lint bench soak scale fuzz fuzz-long sbom audit lock clean

install: $(STAMP)

# every dependency from the hash-pinned lock (exactly those files, no resolver), then the package
# itself without dependencies; `pip check` fails when pyproject.toml asks for something the lock
# lacks (then: make lock)
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check || { echo "pyproject.toml and requirements.lock disagree: run make lock" >&2; exit 1; }
	touch $(STAMP)

run: install
	$(BIN)/vigil serve --demo

browser:
	@bash scripts/ensure-test-tools.sh

test: install browser
	$(BIN)/python -m pytest

fuzz: install
	VIGIL_FUZZ_PROFILE=long $(BIN)/python -m pytest -q tests/fuzz

# the long versions of the fuzzers: imports (as make fuzz), the API per role (60 random examples
# per operation and role; VIGIL_API_FUZZ_EXAMPLES to change) and the stateful API sequences (60
# random scenarios of up to 12 steps; VIGIL_API_STATEFUL_EXAMPLES, VIGIL_API_STATEFUL_STEPS)
fuzz-long: install
	VIGIL_FUZZ_PROFILE=long $(BIN)/python -m pytest -q tests/fuzz tests/server/test_server_api_fuzz_roles.py \
		tests/server/test_server_api_stateful.py

# CycloneDX SBOM of the installed environment (the package and every dependency, with versions)
sbom: install
	$(BIN)/cyclonedx-py environment --pyproject pyproject.toml --mc-type application --of JSON \
		--output-reproducible -o sbom.cdx.json $(BIN)/python
	@echo "wrote sbom.cdx.json"

# the hash-pinned lock of every dependency, runtime and development (tests/test_lock.py checks it
# covers pyproject.toml); install from it with: pip install --require-hashes -r requirements.lock
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml
	@echo "wrote requirements.lock"

# static analysis (medium and high findings; the justified ones are in docs/reliability.md) and
# known vulnerabilities of the installed dependencies (needs the PyPI vulnerability service)
audit: install
	$(BIN)/bandit -q -r src/vigil -ll
	$(BIN)/pip-audit --progress-spinner off -l

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# every benchmark at its default size, except the 10-minute soak (make soak) and the Spark
# linkage (make scale)
bench: install
	@for f in bench/*.py; do case $$f in bench/load.py|bench/linkage_spark.py) continue;; esac; echo "== $$f"; $(BIN)/python $$f || exit 1; done

# load and soak (issue 14): 100,000 cases, fixed-rate mix for 10 minutes; PostgreSQL (its own
# database vigil_load) when DATABASE_URL is a PostgreSQL URL, SQLite otherwise
soak: install
	$(BIN)/python bench/load.py --duration 600

# the scale path (issue 14, decision 49): pyspark (the scale extra; Java 17 needed), the Spark
# linkage test in local mode, then bench/linkage_spark.py (SCALE_RECORDS records, default 1,000,000)
SCALE_RECORDS ?= 1000000
scale: install
	$(BIN)/python -m pip install --quiet -e '.[dev,scale]'
	$(BIN)/python -m pytest -q tests/stats/test_linkage_spark.py
	$(BIN)/python bench/linkage_spark.py $(SCALE_RECORDS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
