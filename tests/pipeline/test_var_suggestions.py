"""The two checks of one declaration (var_rules in dbt_project.yml) say the same thing:
orchestrate.py's (pipeline/dbt_vars.py, before a run) and dbt's own on-run-start hook
(macros/run/check_vars.sql, for dbt run by hand) name the same vars, suggest the same
corrections by the same rule, and word each refusal alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.dbt_vars import problems, suggestion, var_rules
from pipeline.settings import DBT_PROJECT_DIR

DBT = Path(sys.executable).parent / "dbt"


@pytest.mark.parametrize(("name", "candidates", "hint"), [
    ("conversion_window_day", ["conversion_window_days", "source_timezone"], "conversion_window_days"),  # prefix
    ("windows", ["window", "zone"], "window"),  # a trailing s
    ("ga4_lookbak_days", ["ga4_lookback_days", "ga4_enabled"], "ga4_lookback_days"),  # a deletion
    ("ga4_lokoback_days", ["ga4_lookback_days"], "ga4_lookback_days"),  # two neighbours swapped
    ("Asia/Seol", ["Asia/Seoul", "Asia/Tokyo"], "Asia/Seoul"),  # an insertion
    ("window", ["conversion_window_days"], None),  # nothing close
    ("ga4_lookback", ["ga4_lookback_days", "ga4_lookback_hours"], None),  # two close: no guess
])
def test_the_suggestion_rule(name: str, candidates: list[str], hint: str | None) -> None:
    assert suggestion(name, candidates) == (f" (did you mean {hint!r}?)" if hint else "")


def _dbt_refusal(tmp_path: Path, given: dict[str, object]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "BQ_"))}
    env.update({"DUCKDB_PATH": str(tmp_path / "scratch.duckdb"), "DBT_TARGET_PATH": str(tmp_path / "target"),
                "DBT_LOG_PATH": str(tmp_path / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    result = subprocess.run([str(DBT), "parse", "--profiles-dir", ".", "--vars", yaml.safe_dump(given)],
                            cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0, result.stdout[-3000:]
    return " ".join(result.stdout.split())


@pytest.mark.parametrize("given", [
    {"conversion_window_day": 7, "windows": 1, "ga4_lookbak_days": 2},
    {"reporting_timezone": "Asia/Seol", "conversion_window_days": "seven", "membership_freshness_warn_hours": 0},
], ids=["unknown names", "values out of their rules"])
def test_dbt_refuses_with_the_words_orchestrate_uses(tmp_path: Path, given: dict[str, object]) -> None:
    expected = problems(given, var_rules(DBT_PROJECT_DIR), "--vars")
    assert len(expected) == len(given)
    refusal = _dbt_refusal(tmp_path, given)
    for sentence in expected:
        assert " ".join(sentence.split()) in refusal, f"{sentence!r} not in dbt's refusal: {refusal[-3000:]}"
