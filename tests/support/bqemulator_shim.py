"""Runs bqemulator's command line with one fix to its SQL translation.

Started by tests/support/bigquery_emulator.py with the emulator's own interpreter
(`<venv>/bin/python tests/support/bqemulator_shim.py start ...`); it imports only the
emulator's packages, never the project's.

The fix (bqemulator 1.4.0): BigQuery accepts `CREATE TABLE t (column definitions)
AS (SELECT ...)`, which dbt-bigquery emits for every model with an enforced
contract. The emulator rewrites that form for DuckDB only when the query is not
parenthesised: its `_first_select` does not look inside a subquery. Teaching it to
do so is a test-side repair of the emulator; the project's SQL stays exactly what
real BigQuery receives.
"""

from __future__ import annotations

import sys

from bqemulator.sql.rewriter import create_table_schema_ctas
from sqlglot import exp

_original_first_select = create_table_schema_ctas._first_select


def _first_select_in_parentheses(body: exp.Expression | None) -> exp.Select | None:
    while isinstance(body, exp.Subquery):
        body = body.this
    return _original_first_select(body)


create_table_schema_ctas._first_select = _first_select_in_parentheses

if __name__ == "__main__":
    from bqemulator.cli import main

    sys.argv[0] = "bqemulator"
    sys.exit(main())
