"""Every dbt var is checked against its declaration (`var_rules` in dbt_project.yml)
before anything runs: pipeline/dbt_vars.py for orchestrate.py and the Airflow tasks.
(The on-run-start hook applies the same declaration to dbt run by hand:
tests/dbt/test_dbt_vars_check.py.)"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.dbt_vars import BadVars, allowed, check, check_pairs, problems, project_vars
from pipeline.settings import DBT_PROJECT_DIR
from tests.support.pipeline_runs import ROOT

RULES = {
    "window": {"kind": "integer", "min": 0, "max": 366},
    "zone": {"kind": "timezone"},
    "day": {"kind": "date", "nullable": True},
    "flag": {"kind": "boolean"},
    "name": {"kind": "string", "pattern": "^[a-z_]+$"},
    "grain": {"kind": "one_of", "values": ["week", "month"]},
    "columns": {"kind": "list", "items": {"kind": "string", "pattern": "^[a-z_]+$"}},
}


@pytest.mark.parametrize(("name", "value"), [
    ("window", 0), ("window", 366), ("zone", "Asia/Seoul"), ("zone", "UTC"), ("day", None),
    ("day", dt.date(2025, 2, 28)), ("day", "2024-02-29"), ("flag", False), ("name", "country"),
    ("grain", "month"), ("columns", []), ("columns", ["country", "signup_channel"]),
])
def test_values_a_rule_allows(name: str, value: object) -> None:
    assert problems({name: value}, RULES, "--vars") == []


@pytest.mark.parametrize(("name", "value"), [
    ("window", "seven"), ("window", 7.5), ("window", True), ("window", -1), ("window", 367), ("window", None),
    ("zone", "Asia/Seol"), ("zone", 9), ("day", "2025-02-30"), ("day", "2025-3-1"), ("day", 20250301),
    ("flag", "yes"), ("flag", 1), ("name", "Country"), ("grain", "day"), ("columns", "country"),
    ("columns", ["ok", "Not ok"]),
])
def test_values_a_rule_refuses_say_what_is_allowed(name: str, value: object) -> None:
    found = problems({name: value}, RULES, "--vars")
    assert len(found) == 1 and found[0].startswith(f"--vars: {name} is ")
    assert found[0].endswith(f"; allowed: {allowed(RULES[name])}.")


def test_allowed_texts() -> None:
    assert allowed(RULES["window"]) == "an integer from 0 to 366"
    assert allowed(RULES["day"]) == "a date YYYY-MM-DD, or null"
    assert allowed(RULES["grain"]) == "one of week, month"
    assert allowed(RULES["columns"]) == "a list, each item text matching ^[a-z_]+$"


def test_a_misspelt_time_zone_gets_the_closest_name() -> None:
    assert "(did you mean 'Asia/Seoul'?)" in problems({"zone": "Asia/Seol"}, RULES, "--vars")[0]


def test_an_unknown_var_is_named_with_the_closest_known_one() -> None:
    found = problems({"windows": 3}, RULES, "--vars")
    assert found == ["--vars names 'windows' (did you mean 'window'?), which dbt_project.yml does not "
                     "declare, so dbt would ignore it. Known vars: columns, day, flag, grain, name, window, zone."]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(BadVars) as raised:
        check({"window": "seven", "zone": "Nowhere/Else"}, RULES, "--vars")
    assert "window is 'seven'" in str(raised.value) and "zone is 'Nowhere/Else'" in str(raised.value)


def test_an_unknown_kind_in_the_declaration_is_an_error_that_names_the_kinds() -> None:
    with pytest.raises(BadVars, match="unknown kind 'number': use integer, timezone"):
        problems({"x": 1}, {"x": {"kind": "number"}}, "--vars")


def test_rules_between_two_vars() -> None:
    check_pairs({"start_date": "2025-03-01", "end_date": "2025-03-31"})
    with pytest.raises(BadVars, match="is after end_date"):
        check_pairs({"start_date": dt.date(2025, 4, 1), "end_date": dt.date(2025, 3, 31)})
    with pytest.raises(BadVars, match="end_date needs start_date"):
        check_pairs({"start_date": None, "end_date": "2025-03-31"})


def test_the_projects_defaults_fit_their_rules_and_every_var_has_one() -> None:
    declared, rules = project_vars(DBT_PROJECT_DIR)
    assert set(declared) == set(rules) and "var_rules" not in declared


def _project_copy(tmp_path: Path, old: str, new: str) -> Path:
    copy = tmp_path / "dbt_project"
    copy.mkdir()
    text = (DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")
    assert old in text
    (copy / "dbt_project.yml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_a_wrong_default_in_dbt_project_yml_is_refused(tmp_path: Path) -> None:
    copy = _project_copy(tmp_path, "conversion_window_days: 7", "conversion_window_days: seven")
    with pytest.raises(BadVars, match="dbt_project.yml: conversion_window_days is 'seven'; allowed: an integer"):
        project_vars(copy)


def test_a_var_without_a_rule_is_refused(tmp_path: Path) -> None:
    copy = _project_copy(tmp_path, "conversion_window_days: 7", "conversion_window_days: 7\n  new_var: 1")
    with pytest.raises(BadVars, match="var_rules has no rule for new_var"):
        project_vars(copy)


def test_the_airflow_tasks_step_refuses_a_wrong_value_before_the_load(tmp_path: Path) -> None:
    """The DAG's load task runs `pipeline.step_cli load`: the same check, exit 2, which the
    DAG turns into a failure without retries; nothing is loaded."""
    source = tmp_path / "exports"
    source.mkdir()
    (source / "members_1.csv").write_text("member_id,signup_at\nm1,2025-03-01 10:00:00\n", encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    env = {"PATH": "/usr/bin:/bin", "MEMBERSHIP_SOURCE_URI": str(source / "*.csv"), "DUCKDB_PATH": str(warehouse),
           "DBT_TARGET": "duckdb"}
    result = subprocess.run([sys.executable, "-m", "pipeline.step_cli", "load", "--vars",
                             "{reporting_timezone: Asia/Seol}"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "reporting_timezone is 'Asia/Seol' (did you mean 'Asia/Seoul'?); allowed:" in result.stderr
    assert not warehouse.exists()
    from pipeline.airflow_support import step_outcome

    assert step_outcome(result.returncode) == "fail"
