"""dbt's own cost on a scheduled run: no test repeats what a contract enforces, and
partial parsing is never turned off; and the proof that a constraint does the test's job.

A column whose enforced contract has a `not_null` constraint is created NOT NULL
(DuckDB and BigQuery both refuse a null on write), so a `not_null` data test on it
is one more node per run that can never fail. On a model whose contract is enforced,
a column that must never be null therefore carries the constraint, not the test; a
`not_null` test stays only where it has a config a constraint cannot express (a
`where`, a severity, an `enabled` that follows a var). Partial parsing lets a scheduled run
reuse the parse of the run before (`target/partial_parse.msgpack`, a few seconds of
every run); nothing the pipeline passes to dbt may disable it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
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


# dbt names a test whose generated name is too long by a hash (`alias`): that is the
# test's table name, not a condition on what it checks.
_NAMING_ONLY = {"alias"}


def test_an_unconditional_not_null_on_a_contracted_model_is_a_constraint(parsed: tuple[Path, dict]) -> None:
    _, manifest = parsed
    contracted = {
        unique_id for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }
    assert len(contracted) >= 10, "the marts are expected to enforce their contracts"
    unconditional = sorted(
        f"{manifest['nodes'][node['attached_node']]['name']}.{node['column_name']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "not_null"
        and node.get("attached_node") in contracted
        and not set(node.get("unrendered_config") or {}) - _NAMING_ONLY
    )
    assert not unconditional, (
        f"not_null data tests with no config of their own on models with an enforced contract: "
        f"{unconditional}. Declare `constraints: [{{type: not_null}}]` on each column instead: "
        "the warehouse then refuses the null when the model is written, without a test node per run")


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


def _mrr_month(is_complete_period: str) -> str:
    """One row of int_mrr_aggregated in the types of fct_mrr_monthly's contract."""
    amounts = ", ".join(f"100.0::double as {name}" for name in (
        "mrr_start", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr",
        "churned_mrr", "mrr_end", "arppu", "gross_mrr_churn_rate", "net_mrr_retention", "quick_ratio"))
    return (f"select date '2024-01-01' as month_start, {is_complete_period}::boolean as is_complete_period, "
            f"{amounts}, 1::bigint as paying_members_end")


def test_a_not_null_constraint_refuses_a_null_when_the_mart_is_written(parsed: tuple[Path, dict]) -> None:
    """fct_mrr_monthly fed by a hand-made int_mrr_aggregated: a known month builds; a
    month whose is_complete_period is null (a column that has the constraint and no
    not_null test) fails the model, and the mart keeps the rows it had."""
    tmp, _ = parsed
    warehouse = tmp / "w.duckdb"

    def upstream(is_complete_period: str) -> None:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("create schema if not exists analytics")
            con.execute(f"create or replace table analytics.int_mrr_aggregated as {_mrr_month(is_complete_period)}")

    def run_mart() -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(DBT), "run", "--select", "fct_mrr_monthly"], cwd=DBT_PROJECT,
                              env=_env(tmp), capture_output=True, text=True, timeout=300)

    def mart() -> list[tuple[object, ...]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute("select month_start::varchar, is_complete_period from analytics.fct_mrr_monthly").fetchall()

    upstream("true")
    built = run_mart()
    assert built.returncode == 0, built.stdout[-4000:]
    assert mart() == [("2024-01-01", True)]

    upstream("null")
    refused = run_mart()
    assert refused.returncode != 0, "a null in a not_null-constrained column was written"
    assert "NOT NULL constraint failed" in refused.stdout, refused.stdout[-4000:]
    assert "is_complete_period" in refused.stdout, refused.stdout[-4000:]
    assert mart() == [("2024-01-01", True)]
