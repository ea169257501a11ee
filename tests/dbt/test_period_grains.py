"""The reporting grains are declared once (dbt_project/macros/periods/period_grains.sql):
a third grain, a quarter, is one added line, and an undeclared grain is a compile error.

A copy of the dbt project with that one line added is compiled and queried on a
scratch DuckDB file: the periods and KPI models gain quarter rows, the marts compile
to the same SQL as before (their numbers cannot change), and the quarter's first and
last days are those of the calendar, computed here with the standard library.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
GRAINS = Path("macros/periods/period_grains.sql")
MONTH_LINE = "        'month': {'months': 1},\n"
QUARTER_LINE = "        'quarter': {'months': 3},\n"
GRAIN_MODELS = ("int_periods_spined", "int_kpis_aggregated", "int_acquisition_aggregated",
                "int_ga4_periods_aggregated", "int_ga4_new_users_aggregated")
MODELS = (*GRAIN_MODELS, "fct_kpis_weekly", "fct_kpis_monthly", "fct_acquisition_monthly", "fct_mrr_monthly")


def _project_copy(tmp: Path, extra_line: str | None) -> Path:
    project = tmp / "dbt_project"
    shutil.copytree(DBT_PROJECT, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    if extra_line:
        grains = project / GRAINS
        text = grains.read_text(encoding="utf-8")
        assert text.count(MONTH_LINE) == 1, f"{GRAINS} no longer declares month as {MONTH_LINE!r}"
        grains.write_text(text.replace(MONTH_LINE, MONTH_LINE + extra_line), encoding="utf-8")
    return project


def _dbt(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
    env.update({"DUCKDB_PATH": str(project.parent / "scratch.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DBT_TARGET": "duckdb"})
    return subprocess.run([str(DBT), *args, "--profiles-dir", str(project)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=600)


def _compiled(project: Path) -> dict[str, str]:
    result = _dbt(project, "compile", "--select", *MODELS)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    compiled = project / "target" / "compiled" / "membership_analytics" / "models"
    return {path.stem: path.read_text(encoding="utf-8") for path in compiled.rglob("*.sql")}


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, str], Path]:
    as_is = _compiled(_project_copy(tmp_path_factory.mktemp("as_is"), None))
    with_quarter_project = _project_copy(tmp_path_factory.mktemp("quarter"), QUARTER_LINE)
    return as_is, _compiled(with_quarter_project), with_quarter_project


def test_a_quarter_is_one_line_and_leaves_the_marts_alone(both: tuple[dict[str, str], dict[str, str], Path]) -> None:
    as_is, with_quarter, _ = both
    for model in GRAIN_MODELS:
        assert "'quarter'" not in as_is[model]
        assert "'quarter'" in with_quarter[model], f"{model} does not build the declared quarter grain"
    for mart in ("fct_kpis_weekly", "fct_kpis_monthly", "fct_acquisition_monthly", "fct_mrr_monthly"):
        assert with_quarter[mart] == as_is[mart], f"{mart} compiles differently with a third grain"


def _calendar_quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    next_start = dt.date(day.year + (first_month + 3 > 12), (first_month + 3 - 1) % 12 + 1, 1)
    return start, next_start - dt.timedelta(days=1)


def test_the_quarter_periods_are_calendar_quarters(both: tuple[dict[str, str], dict[str, str], Path]) -> None:
    project = both[2]
    days = [dt.date(2025, 1, 1), dt.date(2025, 3, 31), dt.date(2025, 5, 17), dt.date(2024, 11, 30),
            dt.date(2024, 12, 31), dt.date(2024, 2, 29)]
    selects = " union all ".join(
        f"select date '{day}' as day, {{{{ period_start('quarter', \"date '{day}'\") }}}} as period_start, "
        f"{{{{ period_end('quarter', period_start('quarter', \"date '{day}'\")) }}}} as period_end"
        for day in days)
    result = _dbt(project, "show", "--inline", selects, "--limit", "100", "--output", "json", "--log-format", "json")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    preview = next(json.loads(line)["data"]["preview"] for line in result.stdout.splitlines()
                   if line.startswith("{") and "preview" in json.loads(line).get("data", {}))
    rows = {row["day"][:10]: (row["period_start"][:10], row["period_end"][:10]) for row in json.loads(preview)}
    assert rows == {str(day): tuple(map(str, _calendar_quarter(day))) for day in days}


def test_an_undeclared_grain_is_a_compile_error(both: tuple[dict[str, str], dict[str, str], Path]) -> None:
    result = _dbt(both[2], "compile", "--inline", "select 1 from x where {{ period_grain_is('fortnight') }}")
    assert result.returncode != 0
    assert "Unknown period grain 'fortnight'" in result.stdout, result.stdout[-3000:]
    assert "week, month, quarter" in result.stdout
