"""Which tests a build runs: the scheduled run leaves dbt's unit tests out, and the
data tests of the incremental GA4 models read the days the run rewrote.

- `orchestrate.py` builds with `--exclude-resource-type unit_test` unless given
  `--unit-tests` (the end-to-end suite runs the pipeline with it, so `make test`
  runs every unit test);
- a data test on an incremental GA4 model without a `where` of its own reads the
  last ga4_test_window_days days on an incremental run and every row on a full
  refresh (macros/tests/get_where_subquery.sql); `where: "1 = 1"` opts out.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.cli import parse_args, run_options
from pipeline.dbt import dbt_command
from pipeline.settings import resolve

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
GENERATOR = REPO_ROOT / "scripts" / "generate_sample_data.py"
DBT = Path(sys.executable).with_name("dbt")
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 12


def _build_argv(*cli: str) -> list[str]:
    args = parse_args(list(cli))
    return dbt_command(["build"], resolve("duckdb", {}, {}, environ={}, **run_options(args)))


def test_a_scheduled_build_leaves_unit_tests_out() -> None:
    argv = _build_argv()
    at = argv.index("--exclude-resource-type")
    assert argv[at + 1] == "unit_test"
    assert "--exclude-resource-type" in _build_argv("--full-refresh", "--select", "fct_kpis_weekly+")


def test_the_unit_tests_flag_keeps_them() -> None:
    assert "--exclude-resource-type" not in _build_argv("--unit-tests")
    assert "unit_test" not in " ".join(_build_argv("--unit-tests", "--full-refresh"))


def test_other_dbt_commands_are_not_changed() -> None:
    settings = resolve("duckdb", {}, {}, environ={})
    assert "--exclude-resource-type" not in dbt_command(["docs", "generate"], settings)


def _env(duckdb_file: Path, ga4_dir: Path) -> dict[str, str]:
    return {**os.environ, "DBT_TARGET": "duckdb", "DUCKDB_PATH": str(duckdb_file),
            "GA4_LOCAL_PATH": str(ga4_dir), "DBT_PROFILES_DIR": str(DBT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def _dbt(tmp: Path, duckdb_file: Path, ga4_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(DBT), *args, "--project-dir", str(DBT_DIR),
               "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")]
    return subprocess.run(command, cwd=DBT_DIR, env=_env(duckdb_file, ga4_dir),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Twelve days of sample GA4 through fct_ga4__sessions, fully refreshed."""
    tmp = tmp_path_factory.mktemp("scope")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp / "sample"), "--days", str(DAYS),
         "--start", FIRST_DAY.isoformat(), "--seed", "11"],
        check=True, capture_output=True, timeout=120,
    )
    ga4, warehouse = tmp / "sample" / "ga4", tmp / "w.duckdb"
    result = _dbt(tmp, warehouse, ga4, "build", "--select", "+fct_ga4__sessions", "--full-refresh",
                  "--exclude", "resource_type:test resource_type:unit_test")
    assert result.returncode == 0, result.stdout[-4000:]
    return tmp, warehouse, ga4


def _unique_key_failures(built: tuple[Path, Path, Path], window_days: int) -> int:
    """Rows the (where-less) unique test of fct_ga4__sessions.session_key returns."""
    tmp, warehouse, ga4 = built
    result = _dbt(tmp, warehouse, ga4, "test", "--select", "fct_ga4__sessions,test_name:unique",
                  "--vars", f"{{ga4_test_window_days: {window_days}}}")
    if re.search(r"PASS unique_fct_ga4__sessions_session_key", result.stdout):
        return 0
    found = re.search(r"FAIL (\d+) unique_fct_ga4__sessions_session_key", result.stdout)
    assert found, f"the key test neither passed nor failed:\n{result.stdout[-3000:]}"
    return int(found.group(1))


def test_a_where_less_data_test_on_an_incremental_model_reads_the_recent_days(
    built: tuple[Path, Path, Path],
) -> None:
    _, warehouse, _ = built
    with duckdb.connect(str(warehouse)) as con:
        for day in (1, DAYS):  # the oldest and the newest day each get one duplicated session
            con.execute("insert into analytics.fct_ga4__sessions select * from analytics.fct_ga4__sessions "
                        "where session_date = ? limit 1", [FIRST_DAY + dt.timedelta(days=day - 1)])
    assert _unique_key_failures(built, 3) == 1
    assert _unique_key_failures(built, DAYS) == 2


def _compiled_test_sql(built: tuple[Path, Path, Path], *flags: str) -> str:
    tmp, warehouse, ga4 = built
    result = _dbt(tmp, warehouse, ga4, "compile", "--select", "fct_ga4__sessions,test_name:unique",
                  "--output", "json", *flags)
    assert result.returncode == 0, result.stdout[-4000:]
    compiled = sorted((tmp / "target" / "compiled").rglob("unique_fct_ga4__sessions_session_key.sql"))
    assert compiled, "dbt compile wrote no SQL for the session_key unique test"
    return compiled[0].read_text(encoding="utf-8")


def test_a_full_refresh_tests_every_row(built: tuple[Path, Path, Path]) -> None:
    # An incremental run's test reads from a literal date: ga4_test_window_days (14)
    # before the table's latest day, looked up when the test is compiled.
    _, warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (latest,) = con.execute("select max(session_date) from analytics.fct_ga4__sessions").fetchone() or (None,)
    since = latest - dt.timedelta(days=14)
    incremental = _compiled_test_sql(built)
    assert f"where session_date >= cast('{since.isoformat()}' as date)" in incremental, incremental
    assert "max(" not in incremental
    full = _compiled_test_sql(built, "--full-refresh")
    assert "where 1 = 1" in full and "newest" not in full


def test_every_data_test_of_a_model_without_a_ga4_date_column_reads_every_row(built: tuple[Path, Path, Path]) -> None:
    """The window is for the GA4 models whose config names meta.ga4_date_column only:
    e.g. the daily active users mart, incremental by day but rewriting days past the
    GA4 window on a backfill (ga4_rollup_config), names none, and its tests read all
    of it (a row a day)."""
    tmp, warehouse, ga4 = built
    result = _dbt(tmp, warehouse, ga4, "compile", "--select", "fct_ga4__active_users_daily,test_type:data")
    assert result.returncode == 0, result.stdout[-4000:]
    compiled = list((tmp / "target" / "compiled").rglob("*fct_ga4__active_users_daily*.sql"))
    tests = [p for p in compiled if "/models/" not in p.as_posix() or p.parent.name != "marts"]
    assert tests and not any("newest" in p.read_text(encoding="utf-8") for p in tests)
    manifest = json.loads((tmp / "target" / "manifest.json").read_text(encoding="utf-8"))
    config = manifest["nodes"]["model.membership_analytics.fct_ga4__active_users_daily"]["config"]
    assert config["materialized"] == "incremental" and "ga4_date_column" not in (config.get("meta") or {})
