"""dbt run by hand refuses a var dbt_project.yml does not declare (macros/run/check_vars.sql).

dbt ignores a var no model reads, so an analyst's `dbt build --vars
'{conversion_window_day: 7}'` would build the marts on the default window. The
on-run-start hook `check_vars()` turns that into a compile error naming the var and the
known ones; dbt renders it while parsing, so a command that only parses refuses it too.
Each run uses its own warehouse and dbt target / log directories.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.dbt_vars import declared_vars
from pipeline.settings import DBT_PROJECT_DIR
from tests.support.pipeline_runs import ROOT, Workspace

DBT = Path(sys.executable).parent / "dbt"
MEMBERS_CSV = (
    "member_id,user_id,signup_at,plan,first_paid_at,canceled_at\n"
    "m1,u1,2025-03-03 10:00:00,monthly,2025-03-05 09:00:00,\n"
)
# Only the tests whose every parent is selected: the relationships tests of models
# downstream of stg_membership__members must not run against models not built here.
ONLY_SELECTED = {"DBT_INDIRECT_SELECTION": "cautious"}


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "membership", ga4_dir=tmp_path / "ga4")
    ws.membership_dir.mkdir()
    ws.ga4_dir.mkdir()
    return ws


def dbt(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    """dbt as an analyst runs it: inside dbt_project/, with the profile found there."""
    return subprocess.run([str(DBT), *args, "--profiles-dir", "."], cwd=DBT_PROJECT_DIR,
                          env=workspace.env(**ONLY_SELECTED), capture_output=True, text=True, timeout=300)


def tables(workspace: Workspace) -> set[str]:
    if not workspace.duckdb_path.exists():
        return set()
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        return {f"{schema}.{name}" for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}


@pytest.mark.parametrize("command", [["build", "-s", "stg_membership__members"], ["parse"]],
                         ids=["build", "parse"])
def test_an_undeclared_var_is_refused_with_the_known_ones(workspace: Workspace, command: list[str]) -> None:
    result = dbt(workspace, *command, "--vars", "{conversion_window_day: 7}")
    assert result.returncode != 0, result.stdout[-3000:]
    known = ", ".join(sorted(declared_vars(DBT_PROJECT_DIR)))
    assert ("--vars names 'conversion_window_day' (did you mean 'conversion_window_days'?), which "
            "dbt_project.yml does not declare, so dbt would ignore it. "
            f"Known vars: {known}.") in result.stdout, result.stdout[-3000:]
    assert not any(t.startswith("analytics.") for t in tables(workspace)), "nothing is built"


def test_every_undeclared_var_is_named(workspace: Workspace) -> None:
    result = dbt(workspace, "parse", "--vars", "{window: 7, reporting_timezone: UTC, ga4_lookback: 2}")
    assert result.returncode != 0, result.stdout[-3000:]
    assert "--vars names 'window', which dbt_project.yml does not declare" in result.stdout, result.stdout[-3000:]
    assert "--vars names 'ga4_lookback' (did you mean 'ga4_lookback_days'?), which" in result.stdout


def test_declared_vars_build_as_before(workspace: Workspace) -> None:
    (workspace.membership_dir / "members_20250310.csv").write_text(MEMBERS_CSV, encoding="utf-8")
    load = subprocess.run([sys.executable, "-m", "loader", str(workspace.membership_dir)], cwd=ROOT,
                          env=workspace.env(), capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stdout + load.stderr
    result = dbt(workspace, "build", "-s", "stg_membership__members",
                 "--vars", "{conversion_window_days: 14, start_date: 2025-03-01}")
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        rows = con.execute("select model_name, vars_json from analytics._build_metadata").fetchall()
    assert [name for name, _ in rows] == ["stg_membership__members"]
    recorded = json.loads(rows[0][1])
    assert (recorded["conversion_window_days"], recorded["start_date"]) == (14, "2025-03-01")


@pytest.mark.parametrize(("given", "message"), [
    ("{conversion_window_days: seven}", "--vars: conversion_window_days is 'seven'; allowed: an integer from 0 to 366."),
    ("{reporting_timezone: Asia/Seol}",
     "--vars: reporting_timezone is 'Asia/Seol' (did you mean 'Asia/Seoul'?); allowed: an IANA time zone name"),
    ("{member_extra_columns: [Country]}",
     "--vars: member_extra_columns is ['Country']; allowed: a list, each item text matching"),
    ("{membership_freshness_warn_hours: 0}",
     "--vars: membership_freshness_warn_hours is 0; allowed: an integer from 1 to 8760."),
], ids=["text for an integer", "timezone", "list", "integer out of range"])
def test_a_value_its_rule_refuses_is_refused_by_dbt_too(workspace: Workspace, given: str, message: str) -> None:
    """The same declaration (var_rules) as orchestrate.py's check, for dbt run by hand."""
    result = dbt(workspace, "build", "-s", "stg_membership__members", "--vars", given)
    assert result.returncode != 0, result.stdout[-3000:]
    assert message in result.stdout, result.stdout[-3000:]
    assert not any(t.startswith("analytics.") for t in tables(workspace)), "nothing is built"
