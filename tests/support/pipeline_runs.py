"""Running `python orchestrate.py` as a scheduler would, against throw-away paths.

Shared by test_orchestrate.py and test_end_to_end.py. Every run gets its own
warehouse, source, lock and summary paths, and dbt's target / log directories under
the test's tmp dir, so tests never touch the repository's warehouse/ or target/ (nor
another engineer's dbt run in dbt_project/target).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

import samplegen

ROOT = Path(__file__).resolve().parents[2]
ORCHESTRATE = ROOT / "orchestrate.py"
MART_KEYS = {
    "fct_kpis_weekly": ["week_start"],
    "fct_kpis_monthly": ["month_start"],
    "fct_retention_cohorts_monthly": ["cohort_month", "months_since_first_payment"],
    "fct_ga4__active_users_daily": ["event_date"],
    "fct_acquisition_weekly": ["week_start", "channel_group"],
    "fct_acquisition_monthly": ["month_start", "channel_group"],
    "fct_ga4__sessions_daily": ["session_date", "channel_group"],
    "fct_mrr_monthly": ["month_start"],
    "fct_member_mrr_monthly": ["member_id", "month_start"],
    "fct_mrr_by_plan_monthly": ["month_start", "plan"],
    "fct_revenue_cohorts_monthly": ["cohort_month", "months_since_first_payment"],
    "fct_channel_value_monthly": ["month_start", "channel_group"],
}


@dataclass
class Workspace:
    """The paths one pipeline instance uses."""

    root: Path
    membership_dir: Path
    ga4_dir: Path

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse" / "membership.duckdb"

    @property
    def lock_file(self) -> Path:
        return self.root / "state" / "orchestrate.lock"

    @property
    def summary_file(self) -> Path:
        return self.root / "state" / "run_summary.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
        env.update({
            "DUCKDB_PATH": str(self.duckdb_path),
            "MEMBERSHIP_SOURCE_URI": str(self.membership_dir / "*.csv"),
            "GA4_LOCAL_PATH": str(self.ga4_dir),
            "DBT_TARGET_PATH": str(self.root / "dbt_target"),
            "DBT_LOG_PATH": str(self.root / "dbt_logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(extra)
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(ORCHESTRATE), "--lock-file", str(self.lock_file),
                "--summary-file", str(self.summary_file), *args]

    def run(self, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), env=self.env(**env), cwd=self.root,
                              capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), env=self.env(**env), cwd=self.root,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def summary(self) -> dict[str, Any]:
        return json.loads(self.summary_file.read_text(encoding="utf-8"))

    def marts(self) -> dict[str, pd.DataFrame]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return {
                name: con.execute(f"select * from analytics.{name} order by {', '.join(keys)}").df()
                for name, keys in MART_KEYS.items()
            }


def generated_workspace(root: Path, *, members_per_year: int, days: int, start: dt.date, seed: int,
                        messy: bool, ga4_schema: str = "mixed") -> Workspace:
    """A workspace under `root` whose sources are freshly generated sample data."""
    samplegen.generate(root / "data", members=members_per_year, days=days, start=start,
                       seed=seed, messy=messy, ga4_schema=ga4_schema)
    return Workspace(root=root, membership_dir=root / "data" / "membership", ga4_dir=root / "data" / "ga4")


def step(summary: dict[str, Any], name: str) -> dict[str, Any]:
    matches = [s for s in summary["steps"] if s["name"] == name]
    assert matches, f"no step {name!r} in the run summary: {[s['name'] for s in summary['steps']]}"
    return matches[0]


def explain(result: subprocess.CompletedProcess[str]) -> str:
    """The tail of a run's output, for assertion messages."""
    return f"exit {result.returncode}\n--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
