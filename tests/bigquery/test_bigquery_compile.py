"""Every model and data test compiled for the BigQuery target is BigQuery SQL.

`dbt compile --target bigquery` needs a connection (dbt-bigquery lists the datasets
to fill its relation cache, and incremental models ask whether they exist), so it
runs against the local BigQuery API; the compiled SQL is then parsed with sqlglot's
BigQuery dialect, and checked for DuckDB-only functions that a parser accepts as
unknown calls but BigQuery would reject.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from tests.support.bigquery_emulator import Emulator, emulator_env

pytestmark = pytest.mark.bigquery

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"

# Functions the duckdb__ macros use that BigQuery does not have.
DUCKDB_ONLY_FUNCTIONS = {
    "timezone", "try_strptime", "strptime", "make_timestamp", "list_filter",
    "json_extract_string", "generate_series", "read_parquet", "read_csv", "epoch_ms",
    "epoch_us", "to_timestamp", "strftime",
}


@pytest.fixture(scope="module")
def compiled_dir(bigquery_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("bq_compile")
    env = emulator_env(bigquery_emulator, DBT_TARGET="bigquery", BQ_DATASET="compile_check")
    run = subprocess.run(
        [str(DBT), "compile", "--target", "bigquery", "--project-dir", str(DBT_PROJECT),
         "--profiles-dir", str(DBT_PROJECT), "--target-path", str(work / "target"),
         "--log-path", str(work / "logs"), "--no-partial-parse"],
        cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, f"dbt compile --target bigquery failed:\n{run.stdout[-4000:]}"
    return work / "target" / "compiled"


def _compiled_files(compiled_dir: Path) -> list[Path]:
    return sorted(p for p in compiled_dir.rglob("*.sql") if "unit_test" not in p.name)


def test_every_model_and_data_test_is_valid_bigquery_sql(compiled_dir: Path) -> None:
    files = _compiled_files(compiled_dir)
    models = [p for p in files if "/models/" in p.as_posix() and p.parent.name != "unit_tests"]
    assert len(models) >= 10, f"expected the project's models under {compiled_dir}, found {files}"
    problems: list[str] = []
    for path in files:
        sql = path.read_text()
        relative = path.relative_to(compiled_dir)
        try:
            statements = sqlglot.parse(sql, read="bigquery")
        except sqlglot.errors.ParseError as error:
            problems.append(f"{relative}: not BigQuery SQL: {error}")
            continue
        for statement in statements:
            if statement is None:
                continue
            for call in statement.find_all(exp.Anonymous):
                name = str(call.name).lower()
                if name in DUCKDB_ONLY_FUNCTIONS:
                    problems.append(f"{relative}: DuckDB-only function {name}()")
        if re.search(r"\w::\w", sql):
            problems.append(f"{relative}: DuckDB/Postgres '::' cast")
        if "read_parquet" in sql or "list_filter" in sql:
            problems.append(f"{relative}: DuckDB-only source reading")
    assert not problems, "\n".join(problems)


def test_ga4_models_read_the_sharded_export_with_table_suffix_pruning(compiled_dir: Path) -> None:
    base = next(compiled_dir.rglob("base_ga4__events.sql")).read_text()
    assert re.search(r"`analytics_[0-9]+`\.`events_\*`", base), base[:2000]
    assert "_table_suffix between" in base.lower()
