# Two commands for a new user: `make run` and `make test`. Everything else is optional.
# The interpreter of .venv: the system's /usr/bin/python3 when it is 3.11+ and can make a venv,
# else the python3 on PATH; `make PYTHON=/path/to/python3` chooses another. Distributions build
# their Python with profile-guided and link-time optimisation and a statically linked
# interpreter, which runs the pure-Python enrichment rules (most of an enriched upload's CPU)
# faster than a plain source build such as pyenv's default (figures: docs/benchmarks.md).
PYTHON ?= $(or $(shell for p in /usr/bin/python3 python3; do \
	$$p -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done),python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PORT ?= 8501
# The address `make run` listens on: COMPETISCAN_HOST (environment or .streamlit/secrets.toml),
# default 127.0.0.1, this machine only. `make run HOST=0.0.0.0` opens the app to the network;
# do that only with sign-in configured (docs/sign-in.md). Read when `run` starts, after install.
HOST ?= $(shell $(PY) -c 'from competiscan.settings import load_settings; print(load_settings().host)' 2>/dev/null || echo 127.0.0.1)
# jemalloc as the app's C allocator when the system has it (Debian: libjemalloc2): the search
# index allocates through malloc, and glibc's is the costly one for bulk indexing (see
# lib/competiscan/allocator.py). An LD_PRELOAD of your own, even an empty one, is kept.
JEMALLOC := $(shell { /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | grep -o 'libjemalloc\.so\.2' | head -n1)
PRELOAD := $(if $(filter environment,$(origin LD_PRELOAD)),,$(if $(JEMALLOC),LD_PRELOAD=$(JEMALLOC)))

.PHONY: run test test-fast bench clean-data help

help:
	@echo "make run        install (first time) and serve the app on http://localhost:$(PORT)"
	@echo "make test       install dev dependencies and run every test (browser tests included)"
	@echo "make test-fast  the tests without the browser and the slow ones"
	@echo "make bench      the benchmarks at 100k campaigns"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(STAMP)
	env $(PRELOAD) $(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address $(HOST)

test: $(DEV_STAMP)
	@command -v chromium >/dev/null 2>&1 || echo "note: chromium not found; browser tests need 'apt-get install chromium' (.ci/run does it)"
	$(PY) -m pytest -n 2 --dist loadgroup

test-fast: $(DEV_STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup -m "not browser and not slow"

bench: $(STAMP)
	$(PY) bench/ingest.py --rows 100000
	$(PY) bench/search.py --rows 100000
	$(PY) bench/enrich.py --rows 100000
	$(PY) bench/analytics.py --rows 100000
	$(PY) bench/pages.py --rows 100000

clean-data:
	rm -rf data/competiscan.duckdb data/competiscan.duckdb.wal data/index data/inbox data/.first-start-done
