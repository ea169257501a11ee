# The two commands of the quickstart: `make run` and `make test`.
# Both create .venv and install the pinned requirements when needed, so a fresh
# clone with Python 3.11 needs nothing else.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test lint docs bench clean

# Reinstall only when a requirements file changes.
$(VENV)/.installed-run: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	$(PIP_INSTALL) -r requirements-dev.txt -c constraints.txt
	touch $@

# orchestrate.py generates the sample data itself when sample_data/ is missing and
# nothing else is configured: one code path for make, cron and a newcomer.
run: $(VENV)/.installed-run
	$(PY) orchestrate.py
	@echo ""
	@echo "Marts are in warehouse/membership.duckdb (schema analytics). Look at them with:"
	@echo "  $(BIN)/python -c \"import duckdb; print(duckdb.connect('warehouse/membership.duckdb', read_only=True).sql('select * from analytics.fct_kpis_weekly'))\""
	@echo "Browse lineage and metric definitions with:"
	@echo "  cd dbt_project && ../$(BIN)/dbt docs generate && ../$(BIN)/dbt docs serve"

test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	cd dbt_project && ../$(BIN)/sqlfluff lint models

# Build the marts, then browse lineage and metric definitions on http://localhost:8080.
docs: $(VENV)/.installed-run
	$(PY) orchestrate.py --docs
	cd dbt_project && ../$(BIN)/dbt docs serve

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

clean:
	rm -rf sample_data warehouse dbt_project/target dbt_project/logs target
