# The two commands of the quickstart: `make run` and `make test`.
# Both create .venv and install the pinned requirements when needed, so a fresh
# clone with Python 3.11 needs nothing else.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint docs show report screenshot bench clean metrics

PORT ?= 8080
MART ?= fct_kpis_weekly

# Reinstall only when a requirements file (or the package definition) changes. The
# pins come from requirements*.txt + constraints.txt; the project itself is then
# installed in editable mode without dependencies (pyproject.toml), for its console
# commands and so that `import loader` works from any directory.
$(VENV)/.installed-run: requirements.txt constraints.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt -c constraints.txt
	$(PIP_INSTALL) --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt -c constraints.txt
	touch $@

# orchestrate.py generates the sample data itself when sample_data/ is missing and
# nothing else is configured: one code path for make, cron and a newcomer.
run: $(VENV)/.installed-run
	$(PY) orchestrate.py --report
	@echo ""
	@echo "The marts are in $${DUCKDB_PATH:-warehouse/membership.duckdb} (schema analytics). Look at one:"
	@echo "  make show MART=fct_kpis_weekly          (or fct_kpis_monthly, fct_retention_cohorts_monthly, ...)"
	@echo "  make show MART=fct_kpis_monthly CSV=kpis_monthly.csv"
	@echo "Browse lineage and metric definitions: make docs"
	@echo "The KPI report (one page, opens offline): $(CURDIR)/target/report/index.html"

test: $(VENV)/.installed-dev
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder

# ruff (rules in pyproject.toml), mypy (strict on loader/, pipeline/ and
# membership_elt/; pyproject.toml says where the stubs fall short) and sqlfluff.
# sqlfluff's dbt templater opens a DuckDB connection: a scratch file keeps lint working
# on a fresh clone and while a notebook holds the warehouse open. Its dbt files go to
# target/lint, so dbt_project/target keeps only what a build writes.
LINT_PY := loader pipeline membership_elt samplegen scripts dags benchmarks tests orchestrate.py
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check $(LINT_PY)
	$(BIN)/mypy
	mkdir -p target
	cd dbt_project && DUCKDB_PATH=$(CURDIR)/target/lint.duckdb DBT_TARGET_PATH=$(CURDIR)/target/lint \
		../$(BIN)/sqlfluff lint models

# Browse lineage and metric definitions on http://localhost:$(PORT): the docs already
# built when they are current (pipeline/docs_current.py), else build the marts and docs first.
docs: $(VENV)/.installed-run
	$(PY) -m pipeline.docs_current || $(PY) orchestrate.py --docs
	cd dbt_project && ../$(BIN)/dbt docs serve --port $(PORT)

# A whole mart, every column, in order; CSV=path writes it as CSV instead.
show: $(VENV)/.installed-run
	$(PY) orchestrate.py show $(MART) $(if $(CSV),--csv $(CSV))

# Any metric of the semantic layer by any grain and dimension, on the marts make run
# built (MetricFlow's `mf query`; Q holds its arguments). mf reads only
# dbt_project/target/semantic_manifest.json, so dbt parse writes it there first.
Q ?= --metrics signups,churn_rate_monthly --group-by metric_time__month
metrics: $(VENV)/.installed-run
	cd dbt_project && ../$(BIN)/dbt parse --quiet --target-path target && ../$(BIN)/mf query $(Q)

# The KPI report page from the current marts, without rebuilding them (make run
# writes it too). REPORT=path writes it elsewhere.
REPORT ?= target/report/index.html
report: $(VENV)/.installed-run
	$(PY) orchestrate.py report --report-path $(REPORT)

# docs/report.png: the report of the current marts (make run on the default sample
# data first), whole page, in headless Chromium.
screenshot: report
	$(PY) -m pipeline.report.browser screenshot $(REPORT) docs/report.png --width 1100

# Airflow's own environment (its pins clash with dbt's), cached under ~/.cache/membership-elt/airflow/ by
# the digest of requirements-airflow.txt; .venv-airflow points at it. The DAG's tasks
# run the loader and dbt from .venv, so that is installed too.
airflow: $(VENV)/.installed-run
	$(PY) scripts/airflow_env.py --link .venv-airflow

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf sample_data warehouse dbt_project/target dbt_project/logs target
