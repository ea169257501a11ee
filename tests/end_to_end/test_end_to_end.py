"""End to end: generated sample data -> `python orchestrate.py` -> the marts, compared
figure by figure with tests/reference/reference_metrics.py, an independent computation of
the metric definitions that reads the generated files, not the warehouse.

The tests in this module run in order on one warehouse per data set (module-scoped
fixtures keep the number of orchestrator runs, each a full dbt build, small):
first run, a rerun with no new data (while a second, overlapping run is refused),
one more day of data, a refused membership file. A messy data set (mixed datetime
formats, CP949 / BOM files, Korean headers, repeated members, invalid lifecycles)
gets its own warehouse and one run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import tests.reference.reference_acquisition as acq
import tests.reference.reference_metrics as ref
from membership_elt.exit_codes import ExitCode
from tests.support.pipeline_runs import MART_KEYS, ROOT, Workspace, explain, generated_workspace, step
from tests.support.reference_comparison import RATE_TOLERANCE, assert_marts_match_reference
from tests.support.reference_comparison import mismatches as _mismatches
from tests.support.reference_comparison import plain as _plain

pytestmark = pytest.mark.slow

MEMBERS_PER_YEAR = 2000  # about 270 signups over the range
DAYS = 50
START = dt.date(2025, 1, 20)  # 50 days: late January to early March, three months
SEED = 20250120


def _workspace(root: Path, days: int, messy: bool, seed: int = SEED, ga4_schema: str = "mixed") -> Workspace:
    return generated_workspace(root, members_per_year=MEMBERS_PER_YEAR, days=days, start=START, seed=seed,
                               messy=messy, ga4_schema=ga4_schema)


# --- comparing marts with the reference (tests/support/reference_comparison.py) ---


SESSION_KEY = ["stream_id", "user_pseudo_id", "ga_session_id"]


def assert_sessions_match_reference(ws: Workspace) -> pd.DataFrame:
    """fct_ga4__sessions, session by session, in every column the reference defines
    (session scope, own touch, channel group, engagement); returns the reference rows."""
    expected = acq.sessions(acq.read_events(ws.ga4_dir), acq.source_categories())
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        mart = con.execute(f"select {', '.join(acq.SESSION_COLUMNS)} from analytics.fct_ga4__sessions").df()
    assert len(expected) > 0
    problems = _mismatches("fct_ga4__sessions", mart, expected, SESSION_KEY)
    shown = "\n".join(problems[:40])
    assert not problems, f"{len(problems)} difference(s) between fct_ga4__sessions and the reference:\n{shown}"
    return expected


def _same_marts(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    for name in MART_KEYS:
        pd.testing.assert_frame_equal(before[name], after[name], check_exact=True, obj=name)


# --- the clean data set: one warehouse, several runs ---------------------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = _workspace(tmp_path_factory.mktemp("clean"), DAYS, messy=False)
    # --unit-tests: a scheduled run leaves dbt's unit tests out; this one runs them all.
    result = ws.run("--docs", "--unit-tests", timeout=600)
    assert result.returncode == 0, explain(result)
    return ws


def test_first_run_succeeds_and_reports_every_step(clean: Workspace) -> None:
    summary = clean.summary()
    assert summary["status"] == "success" and summary["exit_code"] == 0
    assert [s["name"] for s in summary["steps"]] == ["load", "dbt_build", "dbt_docs_generate"]
    load = step(summary, "load")["details"]
    assert load["objects_loaded"] == len(list(clean.membership_dir.glob("*.csv"))) >= 3
    assert load["rows_loaded"] > 0
    build = step(summary, "dbt_build")["details"]
    assert build["counts"]["models"]["success"] >= 10 and set(build["counts"]["models"]) == {"success"}
    assert build["counts"]["data_tests"]["pass"] > 0 and "fail" not in build["counts"]["data_tests"]
    assert build["counts"]["unit_tests"] == {"pass": build["counts"]["unit_tests"]["pass"]}
    manifest = json.loads((clean.root / "dbt_target" / "manifest.json").read_text())
    assert build["counts"]["unit_tests"]["pass"] == len(manifest["unit_tests"]) > 0


def test_first_run_marts_match_the_reference(clean: Workspace) -> None:
    assert_marts_match_reference(clean)


def test_sessions_match_the_reference_across_the_vintages_of_the_history(clean: Workspace) -> None:
    """The default history mixes 2020, 2023 and 2024 shards and an app stream: every
    step of the session rules occurs, and direct sessions are credited to earlier clicks."""
    sessions = assert_sessions_match_reference(clean)
    assert set(sessions["attribution_basis"]) == {
        "session_last_click", "collected_traffic_source", "event_parameters", "page_referrer",
        "earlier_session", "none"}
    assert len(set(sessions["stream_id"])) == 2


def _assert_resubscriptions_occur(ws: Workspace) -> None:
    """A member who canceled and paid again is a reactivation in both the KPI and the MRR
    marts, and the spells are the member table's: the reference compared with them has
    something to check."""
    marts = ws.marts()
    assert marts["fct_kpis_monthly"]["reactivated_members"].sum() > 0
    assert marts["fct_mrr_monthly"]["reactivation_mrr"].sum() > 0
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        resubscribed = con.execute(
            "select count(*) from analytics.dim_members where resubscribed_date is not null").fetchone()[0]
    assert resubscribed > 0


def test_money_moves_every_way_in_the_test_data(clean: Workspace) -> None:
    """The generated data upgrades, downgrades, starts, cancels and brings back payers
    between exports, so every MRR movement occurs in the mart the reference was compared
    with."""
    movements = set(clean.marts()["fct_member_mrr_monthly"]["movement"])
    assert movements == {"new", "expansion", "contraction", "churned", "retained", "reactivation"}, movements
    _assert_resubscriptions_occur(clean)


def test_every_model_column_is_documented(clean: Workspace) -> None:
    """Every column the built models actually have (dbt's catalog, from the warehouse)
    is described in the manifest."""
    target = clean.root / "dbt_target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    undocumented = []
    for unique_id, entry in catalog["nodes"].items():
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] != "model":
            continue
        described = {c.lower(): v.get("description", "") for c, v in node["columns"].items()}
        for column in entry["columns"]:
            if not described.get(column.lower(), "").strip():
                undocumented.append(f"{node['name']}.{column}")
    assert not undocumented, f"columns without a description: {undocumented}"


def test_rerun_without_new_data_changes_nothing_and_an_overlapping_run_is_refused(clean: Workspace) -> None:
    before = clean.marts()
    first = clean.start()
    deadline = time.monotonic() + 300  # a ceiling: the loop ends when the lock is taken
    # The lock file names its holder once the lock is taken: then start the second run.
    while f"pid {first.pid}," not in (clean.lock_file.read_text() if clean.lock_file.exists() else ""):
        assert first.poll() is None, "the first run ended before taking the lock"
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)
    second = clean.run(timeout=120)
    out, err = first.communicate(timeout=600)
    assert second.returncode == ExitCode.LOCKED, explain(second)
    assert str(clean.lock_file) in second.stderr and f"pid {first.pid}" in second.stderr
    assert first.returncode == 0, f"{out[-3000:]}\n{err[-3000:]}"
    load = step(clean.summary(), "load")["details"]
    assert (load["objects_loaded"], load["rows_loaded"]) == (0, 0)
    assert load["objects_unchanged"] == load["objects_seen"] > 0
    # A scheduled run (no --unit-tests) runs the data tests, not dbt's unit tests.
    counts = step(clean.summary(), "dbt_build")["details"]["counts"]
    assert "unit_tests" not in counts and counts["data_tests"]["pass"] > 0
    _same_marts(before, clean.marts())


def test_one_more_day_and_a_new_export_update_the_marts(clean: Workspace, tmp_path: Path) -> None:
    before = clean.marts()
    bigger = _workspace(tmp_path, DAYS + 1, messy=False)
    new_day = START + dt.timedelta(days=DAYS)
    shard = f"events_{new_day:%Y%m%d}.parquet"
    shutil.copy2(bigger.ga4_dir / shard, clean.ga4_dir / shard)
    new_exports = sorted({p.name for p in bigger.membership_dir.glob("*.csv")}
                         - {p.name for p in clean.membership_dir.glob("*.csv")})
    assert new_exports, "the generator wrote no new export for the extra day"
    for name in new_exports:
        shutil.copy2(bigger.membership_dir / name, clean.membership_dir / name)
    result = clean.run(timeout=600)
    assert result.returncode == 0, explain(result)
    load = step(clean.summary(), "load")["details"]
    assert load["objects_loaded"] == len(new_exports)
    after = clean.marts()
    assert after["fct_ga4__active_users_daily"]["event_date"].max() > before["fct_ga4__active_users_daily"]["event_date"].max()
    assert_marts_match_reference(clean)


def test_a_ga4_backfill_of_a_date_range_keeps_the_marts_right(clean: Workspace) -> None:
    """--start-date / --end-date reach dbt as vars: the GA4 models reprocess that range
    (on top of what they hold), and every figure still matches the reference."""
    first = START + dt.timedelta(days=10)
    result = clean.run("--skip-load", "--start-date", f"{first}",
                       "--end-date", f"{first + dt.timedelta(days=6)}", timeout=600)
    assert result.returncode == 0, explain(result)
    assert [s["name"] for s in clean.summary()["steps"]] == ["dbt_build"]
    assert_marts_match_reference(clean)


def test_a_file_missing_a_required_column_fails_clearly_and_keeps_the_marts(clean: Workspace) -> None:
    before = clean.marts()
    broken = clean.membership_dir / "members_29991231.csv"
    broken.write_text("member_id,user_id,plan\n999999,,monthly\n", encoding="utf-8")
    try:
        result = clean.run(timeout=600)
    finally:
        broken.unlink()
    assert result.returncode == 1, explain(result)
    summary = clean.summary()
    load = step(summary, "load")
    assert load["status"] == "failed"
    assert "members_29991231.csv" in load["error"] and "signup_at" in load["error"]
    assert step(summary, "dbt_build")["status"] == "skipped"
    assert "members_29991231.csv" in result.stdout
    _same_marts(before, clean.marts())


# --- one vintage of the export at a time -------------------------------------------


@pytest.mark.parametrize("vintage", ["2020", "2023", "2024"])
def test_a_history_of_one_export_vintage_gives_the_reference_figures(vintage: str, tmp_path: Path) -> None:
    """Shards of one vintage only, as Google's public 2020 sample or a property's early
    backfill: no shard has the later columns (2020: is_active_user,
    collected_traffic_source, the last click; 2023: the last click), and the build still
    gives the reference's figures, the 2020 sessions' campaigns from event parameters."""
    ws = _workspace(tmp_path, 35, messy=False, seed=SEED + 2, ga4_schema=vintage)
    result = ws.run(timeout=600)
    assert result.returncode == 0, explain(result)
    assert_marts_match_reference(ws)
    bases = set(assert_sessions_match_reference(ws)["attribution_basis"])
    expected_rule = {"2020": "event_parameters", "2023": "collected_traffic_source",
                     "2024": "session_last_click"}[vintage]
    assert expected_rule in bases
    assert ("earlier_session" in bases) == (vintage != "2024"), bases


# --- the messy data set ----------------------------------------------------------


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = _workspace(tmp_path_factory.mktemp("messy"), DAYS, messy=True, seed=SEED + 1)
    result = ws.run(timeout=600)
    assert result.returncode == 0, explain(result)
    return ws


def test_messy_data_marts_match_the_reference(messy: Workspace) -> None:
    build = step(messy.summary(), "dbt_build")["details"]
    # The generator writes a few invalid lifecycles: the warn-level test says so.
    assert build["counts"]["data_tests"].get("warn", 0) >= 1 and "fail" not in build["counts"]["data_tests"]
    assert_marts_match_reference(messy)
    _assert_resubscriptions_occur(messy)


def _assert_member_acquisition_matches_the_reference(ws: Workspace) -> None:
    """dim_members' first_user_* columns, member by member, against the reference."""
    expected = ref.compute_all(ws.membership_dir, ws.ga4_dir)["dim_members_acquisition"]
    columns = ", ".join(expected.columns)
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        mart = con.execute(f"select {columns} from analytics.dim_members").df()
    got = {r["member_id"]: r for r in mart.to_dict("records")}
    want = {r["member_id"]: r for r in expected.to_dict("records")}
    assert set(got) == set(want)
    problems = [f"{m} {c}: mart {got[m][c]!r}, reference {want[m][c]!r}"
                for m in sorted(want) for c in expected.columns if got[m][c] != want[m][c]]
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems[:20])
    assert len({r["first_user_channel_group"] for r in want.values()}) >= 4


def test_member_acquisition_matches_the_reference(clean: Workspace) -> None:
    _assert_member_acquisition_matches_the_reference(clean)


def test_messy_member_acquisition_and_sessions_match_the_reference(messy: Workspace) -> None:
    _assert_member_acquisition_matches_the_reference(messy)
    assert_sessions_match_reference(messy)


def test_messy_signup_to_paid_rate_counts_only_valid_conversions(messy: Workspace) -> None:
    """signup_to_paid_rate: the numerator counts members with a valid lifecycle who paid
    within conversion_window_days, the denominator every signup. The messy data holds
    invalid lifecycles that paid within the window, so the reading that also counts
    them in the numerator gives another rate for some period; the marts give the
    valid-only one."""
    members = ref.members_frame(messy.membership_dir).to_dict("records")
    window = dt.timedelta(days=ref.Settings().conversion_window_days)
    marts = messy.marts()
    differing = []
    for name, key in (("fct_kpis_weekly", "week_start"), ("fct_kpis_monthly", "month_start")):
        for row in marts[name].to_dict("records"):
            ps, pe = _plain(row[key]), _plain(row["period_end"])
            signups = [m for m in members if m["s"] is not None and ps <= m["s"] <= pe]
            converted = [m for m in signups
                         if m["fp"] is not None and dt.timedelta(0) <= m["fp"] - m["s"] <= window]
            if not signups:
                assert _plain(row["signup_to_paid_rate"]) is None, (name, ps)
                continue
            valid_only = sum(1 for m in converted if m["is_valid"]) / len(signups)
            every_lifecycle = len(converted) / len(signups)
            assert math.isclose(row["signup_to_paid_rate"], valid_only, abs_tol=RATE_TOLERANCE), (
                f"{name} {ps}: signup_to_paid_rate {row['signup_to_paid_rate']!r}, valid-only "
                f"reading {valid_only!r}, every-lifecycle reading {every_lifecycle!r}")
            if not math.isclose(valid_only, every_lifecycle, abs_tol=RATE_TOLERANCE):
                differing.append((name, ps))
    assert differing, "no period where an invalid lifecycle converted within the window: the test data lost them"


def test_vars_and_full_refresh_reach_dbt(messy: Workspace) -> None:
    """A rebuild from scratch with a 3-day conversion window and member dates reported
    in UTC matches the reference computed with those settings (and differs from the
    defaults', so the vars mattered)."""
    result = messy.run("--skip-load", "--full-refresh", "--vars",
                       "{conversion_window_days: 3, reporting_timezone: UTC}", timeout=600)
    assert result.returncode == 0, explain(result)
    marts = messy.marts()
    settings = ref.Settings(conversion_window_days=3, reporting_timezone="UTC")
    expected = ref.compute_all(messy.membership_dir, messy.ga4_dir, settings)
    default = ref.compute_all(messy.membership_dir, messy.ga4_dir)
    problems = [p for name in MART_KEYS for p in _mismatches(name, marts[name], expected[name])]
    assert not problems, f"{len(problems)} difference(s):\n" + "\n".join(problems[:40])
    assert _mismatches("fct_kpis_monthly", marts["fct_kpis_monthly"], default["fct_kpis_monthly"])


def test_a_non_default_raw_schema_is_used_by_the_loader_and_dbt_alike(tmp_path: Path) -> None:
    """RAW_SCHEMA is one setting: the loader writes the raw tables there and dbt's
    source reads them there, so the marts still match the reference."""
    ws = _workspace(tmp_path, days=20, messy=False)
    result = ws.run(timeout=600, RAW_SCHEMA="landing_zone")
    assert result.returncode == 0, explain(result)
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        schemas = {row[0] for row in con.execute(
            "select table_schema from information_schema.tables where table_name = 'membership'").fetchall()}
    assert schemas == {"landing_zone"}
    assert_marts_match_reference(ws)


# --- which export wins ------------------------------------------------------------


def test_latest_export_wins_ties_go_to_the_later_file_name(tmp_path: Path) -> None:
    """Per member, the most recently modified export wins; on equal modification
    times the later file name; within one file the later row. Checked on the staging
    model against the reference's own choice of rows."""
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "membership", ga4_dir=tmp_path / "ga4")
    ws.membership_dir.mkdir()
    ws.ga4_dir.mkdir()
    header = "member_id,user_id,signup_at,plan,first_paid_at,canceled_at\n"
    files = {
        "members_a.csv": "m1,,2025-03-01 10:00:00,free,,\nm2,,2025-03-01 10:00:00,free,,\n",
        "members_b.csv": "m1,,2025-03-02 10:00:00,monthly,2025-03-02 11:00:00,\n"
                         "m3,,2025-03-01 10:00:00,free,,\nm3,,2025-03-03 10:00:00,free,,\n",
        "members_0_newest.csv": "m2,,2025-03-05 10:00:00,annual,2025-03-06 10:00:00,\n",
    }
    for name, rows in files.items():
        (ws.membership_dir / name).write_text(header + rows, encoding="utf-8")
    for name in ("members_a.csv", "members_b.csv"):
        os.utime(ws.membership_dir / name, (1_700_000_000, 1_700_000_000))
    os.utime(ws.membership_dir / "members_0_newest.csv", (1_700_000_100, 1_700_000_100))
    result = ws.run("--select", "stg_membership__members", timeout=300, DBT_INDIRECT_SELECTION="cautious")
    assert result.returncode == 0, explain(result)
    expected = ref.members_frame(ws.membership_dir).set_index("member_id")
    assert expected.loc["m1", "fp"] == dt.date(2025, 3, 2)  # members_b.csv, same time, later name
    assert expected.loc["m2", "s"] == dt.date(2025, 3, 5)  # members_0_newest.csv, modified later
    assert expected.loc["m3", "s"] == dt.date(2025, 3, 3)  # the later row of members_b.csv
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        staged = con.execute("select * from analytics.stg_membership__members").df().set_index("member_id")
    date_columns = {"s": "signup_date", "fp": "first_paid_date"}
    for member in ("m1", "m2", "m3"):
        for ours, theirs in date_columns.items():
            assert _plain(staged.loc[member, theirs]) == _plain(expected.loc[member, ours]), (member, theirs)


# --- the quickstart: no configuration at all ---------------------------------------


def test_unconfigured_run_generates_the_sample_data_and_builds_matching_marts(tmp_path: Path) -> None:
    """`make run` on a fresh clone: orchestrate.py with no environment of ours at all
    generates the default sample data, loads it and builds the marts, under the
    checkout (here a copy of it, so the repository's own sample_data/ and warehouse/
    stay untouched)."""
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml")
    for name in ("loader", "pipeline", "samplegen", "scripts", "dbt_project"):
        shutil.copytree(ROOT / name, clone / name, ignore=ignore)
    shutil.copy2(ROOT / "orchestrate.py", clone / "orchestrate.py")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DBT_", "BQ_", "DUCKDB_", "GA4_", "MEMBERSHIP_", "AWS_", "GOOGLE_"))}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    result = subprocess.run([sys.executable, "orchestrate.py", "--report"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, explain(result)
    summary = json.loads((clone / "target" / "run_summary.json").read_text())
    assert [s["name"] for s in summary["steps"]] == ["generate_sample_data", "load", "dbt_build", "report"]
    assert (clone / "target" / "report" / "index.html").is_file()  # what make run ends by pointing at
    assert (clone / "target" / "logs" / "dbt_build.log").exists()
    assert "\x1b[" not in result.stdout + result.stderr
    ws = Workspace(root=clone, membership_dir=clone / "sample_data" / "membership",
                   ga4_dir=clone / "sample_data" / "ga4")
    assert ws.duckdb_path == clone / "warehouse" / "membership.duckdb" and ws.duckdb_path.exists()
    assert_marts_match_reference(ws)  # the default (clean) data has no invalid lifecycle
