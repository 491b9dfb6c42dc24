# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Processes the suite runs on (pytest-xdist; tests/parallel.py keeps their Redis apart).
TEST_PROCESSES ?= 2

.PHONY: run test services lint format fuzz soak-run bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Set everything up and run web + worker + beat on the embedded default (SQLite, SQLite broker).
run: $(STAMP)
	scripts/run.sh

## Make sure PostgreSQL, Redis and Chromium are here and running, then run the whole suite.
test: $(STAMP)
	scripts/ensure-services.sh
	scripts/test.sh -n $(TEST_PROCESSES) --dist loadfile $(ARGS)

services:
	scripts/ensure-services.sh

## Fuzz with many random examples: schemathesis over the API (each operation, and stateful
## sequences, every check) and hypothesis at the inbound receiver and Settings forms.
fuzz: $(STAMP)
	scripts/ensure-services.sh
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-300} FUZZ_RANDOM=1 scripts/test.sh -q -p no:cacheprovider \
		tests/api/test_schema_fuzz.py tests/security/test_api_fuzz.py tests/security/test_bad_input.py

## `make run` for real, long (~25 min): 20 fresh starts each delivering a webhook and stopped
## with Ctrl-C, then one left up 10 minutes with an event a second (SOAK_STARTS, SOAK_SECONDS).
soak-run: $(STAMP)
	scripts/ensure-services.sh
	OMNIFLOW_SOAK=1 scripts/test.sh -q -s -p no:cacheprovider tests/production/test_run_soak.py

## Run the benchmarks by hand (wrk and nginx come from apt-get when missing; takes ~25 min).
bench: $(STAMP)
	scripts/ensure-services.sh
	command -v wrk >/dev/null && test -x /usr/sbin/nginx || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx)
	$(BIN)/python bench/api.py; \
		$(BIN)/python bench/deliveries.py --repeat 3; \
		$(BIN)/python bench/isolation.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf var staticfiles .pytest_cache
