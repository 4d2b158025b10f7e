# Social CRM pipeline. Quickstart: `make demo`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock pyproject.toml tools/pyproject.toml | cksum | cut -d' ' -f1)
LOCK_ARGS := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

export AIRFLOW_HOME := $(CURDIR)/.local/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export DBT_PROJECT_DIR := $(CURDIR)/dbt_project
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project

.PHONY: install lock demo bi bi-venv bi-lock test test-fast eval soak lint lint-sql typecheck airflow warehouse-up warehouse-down doctor bench clean

install: $(STAMP)

# the developer environment: runtime + dev lock, the package and its tooling (tools/), editable;
# bytecode compiled at install, as pip does in the production image: without it every new
# process (an Airflow task, a test worker) compiles what it imports (Great Expectations' import
# 5.2 s instead of 2.4 s)
$(STAMP): requirements-dev.lock pyproject.toml tools/pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements-dev.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . -e tools
	@rm -f $(VENV)/.installed-* && touch $@
	@echo "installed into $(VENV)"

# requirements.lock: what the production image installs; requirements-dev.lock: that plus the
# tooling, test and lint dependencies, at the same versions (each compile prefers its file's pins)
lock: install
	$(BIN)/uv pip compile --quiet pyproject.toml $(LOCK_ARGS) -o requirements.lock
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev $(LOCK_ARGS) -o requirements-dev.lock

demo: install
	$(BIN)/social-crm demo

# Apache Superset in its own environment (docs/bi.md): its pins (Flask, SQLAlchemy 1.4, pandas)
# differ from Airflow's. From bi/requirements.lock (`make bi-lock`), bytecode compiled, then
# Superset's metadata migrated once into the template every start copies (tools/social_crm_dev/
# bi.py); cached by a stamp of the lock and the config as the main venv is. From a clean clone
# about 2 minutes each (more on a loaded machine): done here, before any test's timeout runs
BI_VENV := .local/bi/venv
BI_STAMP := $(BI_VENV)/.installed-$(shell cat bi/requirements.lock bi/superset_config.py | cksum | cut -d' ' -f1)

bi-venv: $(BI_STAMP)

$(BI_STAMP): bi/requirements.lock bi/superset_config.py | $(STAMP)
	@test -x $(BI_VENV)/bin/python || $(PYTHON) -m venv $(BI_VENV)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BI_VENV)/bin/python bi/requirements.lock
	$(BIN)/python -c "from social_crm_dev import bi; bi.metadata_template()"
	@rm -f $(BI_VENV)/.installed-* && touch $@
	@echo "installed Superset into $(BI_VENV)"

bi-lock: install
	$(BIN)/uv pip compile --quiet bi/requirements.in $(LOCK_ARGS) -o bi/requirements.lock

# after `make demo`: Superset with the three starter dashboards, against the demo's warehouse,
# on SOCIAL_CRM_BI_PORT (default 8088); prints the dashboards' URLs; Ctrl-C stops it
bi: install bi-venv
	$(BIN)/social-crm bi

# the test tiers, chosen by marker (pyproject.toml, docs/testing.md): one pytest worker per core
# (TEST_WORKERS=0: none); a test module stays on one worker, so its module-scoped world is built
# once, and modules start in the order tests/conftest.py gives them (in_start_order: the longest
# first, by tests/module_seconds.json; --no-loadscope-reorder keeps it; each run writes what it
# measured to .local/test/module_seconds.json). PYTEST_ARGS adds to any tier (e.g.
# PYTEST_ARGS="-k consent").
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile \
	--no-loadscope-reorder

# pure logic, documented contracts, DAG integrity, the simulator: no database, under 2 minutes
test-fast: install
	$(PYTEST) -m "not integration and not end_to_end and not eval and not slow" $(PYTEST_ARGS)

# what CI runs (.ci/run): lint, types and every tier but the long evaluations, slowest 25
# printed. mypy (make typecheck: about 50 s of one core from a clean clone) runs beside the tests
# rather than before them, its output printed after theirs; either failing fails the target
test: install bi-venv
	$(BIN)/ruff check .
	mkdir -p .local && { $(BIN)/mypy > .local/typecheck.log 2>&1 & types=$$!; }; \
		$(PYTEST) -m "not eval_only" --durations=25 $(PYTEST_ARGS); tests=$$?; \
		wait $$types; typed=$$?; cat .local/typecheck.log; \
		test $$tests -eq 0 && test $$typed -eq 0

# the evaluations at full size (real-text sentiment, CDNOW CLV, spike alerts at 1M events,
# consent in the demo's world), each printing its measure, so in one process (a pytest-xdist
# worker's prints are lost); `make test` asserts their floors on quick versions
eval: install
	SOCIAL_CRM_DEMO_WORLD_TESTS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -n 0 -m eval \
		--durations=20 $(PYTEST_ARGS)

# generated fault schedules against the simulator's truth (tests/end_to_end/fault_schedules.py):
# SOAK_SEEDS schedules on SOAK_JOBS workers (about 30 min for 200 on 2 cores), a summary at the end
SOAK_SEEDS ?= 0-199
SOAK_JOBS ?= 2

soak: install
	$(BIN)/python -m tests.end_to_end.fault_schedules --seeds $(SOAK_SEEDS) --jobs $(SOAK_JOBS)

lint: install typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy on the runtime package (include/social_crm), configured in pyproject.toml [tool.mypy]
# (docs/typing.md); cache in .local/mypy: a first run takes ~50 s of CPU (3 min on 2 loaded
# cores), later ones about 3 s
typecheck: install
	$(BIN)/mypy

# sqlfluff (.sqlfluff) on the dbt models, with the dbt templater: it compiles them against the
# warehouse of WAREHOUSE_URL (`make warehouse-up` starts the embedded one), so the SQL the
# macros emit is linted where it is used; and on the macro files, with the Jinja templater
lint-sql: install
	exports="$$($(BIN)/social-crm warehouse env)" && eval "$$exports" && \
		$(BIN)/sqlfluff lint dbt_project/models --templater dbt
	$(BIN)/sqlfluff lint dbt_project/macros --templater jinja

airflow: install
	$(BIN)/social-crm airflow

warehouse-up: install
	$(BIN)/social-crm warehouse up

warehouse-down: install
	$(BIN)/social-crm warehouse down

doctor: install
	$(BIN)/social-crm doctor

bench: install
	$(BIN)/python -m social_crm_dev.bench

clean:
	-$(BIN)/social-crm warehouse down
	rm -rf .local dbt_project/target dbt_project/logs
