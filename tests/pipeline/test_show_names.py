"""`make show` with a mart name it cannot read: the closest name, or the list of marts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipeline.show import mart_names, name_hint
from tests.support.pipeline_runs import ROOT


def test_a_misspelt_mart_gets_the_closest_name_and_the_list() -> None:
    hint = name_hint("fct_kpi_weekly")
    assert hint.startswith("Did you mean fct_kpis_weekly? The marts: ")
    assert all(name in hint for name in ("fct_kpis_monthly", "fct_mrr_monthly", "dim_members"))


def test_a_right_name_not_built_yet_says_to_run_first() -> None:
    assert "fct_kpis_weekly" in mart_names()
    assert name_hint("fct_kpis_weekly") == "Run `make run` first: the mart is not built yet."
    assert "only with GA4 configured" in name_hint("fct_ga4__active_users_daily")


def test_show_prints_the_hint_for_an_unknown_mart(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DUCKDB_PATH": str(tmp_path / "none.duckdb")}
    result = subprocess.run([sys.executable, str(ROOT / "orchestrate.py"), "show", "fct_kpi_weekly"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "show: cannot read fct_kpi_weekly on duckdb" in result.stderr
    assert "Did you mean fct_kpis_weekly?" in result.stderr
