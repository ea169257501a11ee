"""var ga4_custom_event_params: the event table keeps only the parameters asked for.

base_ga4__events stores the parameters the models read as columns, never the whole
event_params array; a key listed in the var becomes the text column
custom_param_<key> of base_ga4__events and stg_ga4__events, equal to the value the
export carries (whichever of its value fields is set), null when the event lacks it.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
GENERATOR = REPO_ROOT / "scripts" / "generate_sample_data.py"
DBT = Path(sys.executable).with_name("dbt")
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 3
KEYS = ("page_title", "value", "ga_session_number")


def _dbt(tmp: Path, warehouse: Path, ga4: Path, *args: str) -> None:
    env = {**os.environ, "DBT_TARGET": "duckdb", "DUCKDB_PATH": str(warehouse), "GA4_LOCAL_PATH": str(ga4),
           "DBT_PROFILES_DIR": str(DBT_DIR), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [str(DBT), "run", "--select", "base_ga4__events stg_ga4__events", "--project-dir", str(DBT_DIR),
               "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs"), *args]
    result = subprocess.run(command, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("custom_params")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp / "sample"), "--days", str(DAYS),
         "--start", FIRST_DAY.isoformat(), "--seed", "5"],
        check=True, capture_output=True, timeout=120,
    )
    return tmp, tmp / "sample" / "ga4"


def _columns(warehouse: Path, table: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [row[0] for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'analytics' "
            "and table_name = ? order by ordinal_position", [table]).fetchall()]


def test_by_default_no_parameter_array_and_no_custom_column(sample: tuple[Path, Path]) -> None:
    tmp, ga4 = sample
    warehouse = tmp / "default.duckdb"
    _dbt(tmp, warehouse, ga4, "--full-refresh")
    for table in ("base_ga4__events", "stg_ga4__events"):
        columns = _columns(warehouse, table)
        assert "event_params" not in columns and not [c for c in columns if c.startswith("custom_param_")]
        assert "page_location" in columns


def test_listed_parameters_become_columns_with_the_exported_values(sample: tuple[Path, Path]) -> None:
    tmp, ga4 = sample
    warehouse = tmp / "custom.duckdb"
    _dbt(tmp, warehouse, ga4, "--full-refresh", "--vars", "{ga4_custom_event_params: [" + ", ".join(KEYS) + "]}")
    for table in ("base_ga4__events", "stg_ga4__events"):
        columns = _columns(warehouse, table)
        assert [f"custom_param_{key}" for key in KEYS] == [c for c in columns if c.startswith("custom_param_")]
        assert "event_params" not in columns
    pattern = str(ga4 / "*.parquet").replace("'", "''")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # Straight from the export, written from the var's definition rather than the
        # macro: the first set value field of the key's entry, as text.
        wanted = {key: set(con.execute(f"""
            select distinct coalesce(v.string_value, cast(v.int_value as varchar),
                                     cast(v.float_value as varchar), cast(v.double_value as varchar))
            from (
                select list_filter(event_params, lambda p: p.key = '{key}')[1].value as v
                from read_parquet('{pattern}')
            )
        """).fetchall()) for key in KEYS}
        got = {key: set(con.execute(f"select distinct custom_param_{key} from analytics.base_ga4__events").fetchall())
               for key in KEYS}
        differing = con.execute(
            "select count(*) from analytics.stg_ga4__events "
            "where custom_param_ga_session_number is distinct from cast(ga_session_number as varchar)").fetchone()[0]
    assert len(wanted["page_title"]) > 2 and len(wanted["value"]) > 1, "the sample export should carry these keys"
    assert got == wanted
    assert differing == 0
