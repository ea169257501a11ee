"""dbt's own cost on a scheduled run: no test repeats what a contract enforces, and
partial parsing is never turned off.

A column whose enforced contract has a `not_null` constraint is created NOT NULL
(DuckDB and BigQuery both refuse a null on write), so a `not_null` data test on it
is one more node per run that can never fail. Partial parsing lets a scheduled run
reuse the parse of the run before (`target/partial_parse.msgpack`, a few seconds of
every run); nothing the pipeline passes to dbt may disable it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.dbt import dbt_command
from pipeline.settings import resolve

ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
    env.update({"DUCKDB_PATH": str(tmp / "w.duckdb"), "DBT_TARGET_PATH": str(tmp / "target"),
                "DBT_LOG_PATH": str(tmp / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    return env


def _parse(tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DBT), "parse"], cwd=DBT_PROJECT, env=_env(tmp),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("parse")
    result = _parse(tmp)
    assert result.returncode == 0, result.stdout[-4000:]
    return tmp, json.loads((tmp / "target" / "manifest.json").read_text())


def _not_null_constrained(manifest: dict) -> set[tuple[str, str]]:
    found = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        for name, column in node["columns"].items():
            if any(c.get("type") == "not_null" for c in column.get("constraints") or []):
                assert node["config"]["contract"]["enforced"], (
                    f"{node['name']}.{name} has a not_null constraint but no enforced contract, so "
                    "nothing checks it: enforce the model's contract or test the column")
                found.add((node["unique_id"], name.lower()))
    return found


def test_no_not_null_test_repeats_an_enforced_constraint(parsed: tuple[Path, dict]) -> None:
    _, manifest = parsed
    constrained = _not_null_constrained(manifest)
    assert len(constrained) >= 10, "the marts' keys are expected to carry not_null constraints"
    repeated = [
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "not_null"
        and (node.get("attached_node"), str(node.get("column_name") or "").lower()) in constrained
    ]
    assert not repeated, f"not_null tests a contract already enforces: {repeated}"


def test_partial_parsing_is_not_disabled(parsed: tuple[Path, dict]) -> None:
    tmp, _ = parsed
    project = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text())
    assert (project.get("flags") or {}).get("partial_parse", True) is not False
    profiles = DBT_PROJECT / "profiles.yml"
    if profiles.exists():
        assert "partial_parse: false" not in profiles.read_text().replace("  ", " ")
    settings = resolve("duckdb", {}, {}, environ={})
    assert "--no-partial-parse" not in dbt_command(["build"], settings)
    assert settings.dbt_environment().get("DBT_PARTIAL_PARSE", "true").lower() != "false"
    # The second parse in the same target path reuses the first's state.
    assert (tmp / "target" / "partial_parse.msgpack").exists()
    again = _parse(tmp)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "Unable to do partial parsing" not in again.stdout, again.stdout[-3000:]


def test_dbts_own_log_file_is_off_unless_asked_for() -> None:
    """At dbt's default level its log file holds every statement of every node, which
    costs about a quarter of a build's CPU and repeats the step log; the pipeline turns
    it off, and an operator's DBT_LOG_LEVEL_FILE still wins."""
    assert resolve("duckdb", {}, {}, environ={}).dbt_environment()["DBT_LOG_LEVEL_FILE"] == "none"
    asked = resolve("duckdb", {}, {}, environ={"DBT_LOG_LEVEL_FILE": "debug"})
    assert asked.dbt_environment()["DBT_LOG_LEVEL_FILE"] == "debug"
