"""The source and the warehouse agree, visibly: an export the warehouse loaded that the
source no longer holds is named, with the command that backs it out, and that
command works as printed."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline.report.charts import CHARTS
from tests.support.pipeline_runs import ROOT, Workspace, explain, step

pytestmark = pytest.mark.slow

HEADER = "member_id,user_id,signup_at,plan,first_paid_at,canceled_at\n"


def test_an_export_gone_from_the_source_is_named_with_its_forget_command(tmp_path: Path) -> None:
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "membership", ga4_dir=tmp_path / "ga4")
    ws.membership_dir.mkdir()
    ws.ga4_dir.mkdir()
    keep, bad = ws.membership_dir / "members_0228.csv", ws.membership_dir / "members_0331.csv"
    keep.write_text(HEADER + "m1,,2025-02-03 10:00:00,free,,\n", encoding="utf-8")
    bad.write_text(HEADER + "m2,,2025-03-03 10:00:00,free,,\n", encoding="utf-8")
    first = ws.run("--select", "stg_membership__members", DBT_INDIRECT_SELECTION="cautious")
    assert first.returncode == 0, explain(first)
    assert "gone from the source" not in first.stdout

    bad.unlink()
    second = ws.run("--select", "stg_membership__members", DBT_INDIRECT_SELECTION="cautious")
    assert second.returncode == 0, explain(second)
    load = step(ws.summary(), "load")["details"]
    assert load["gone_from_source"] == [str(bad.resolve())]
    assert "1 export(s) loaded earlier are gone from the source; their rows are still in the warehouse" \
        in second.stdout
    printed = next(line.split("to back them out: ", 1)[1] for line in second.stdout.splitlines()
                   if "to back them out: " in line)
    assert printed == load["forget_command"]
    argv = shlex.split(printed)
    assert argv[:4] == ["python", "-m", "loader", "forget"] and str(bad.resolve()) in argv

    forgotten = subprocess.run([sys.executable, *argv[1:]], cwd=ROOT, env=ws.env(), capture_output=True,
                               text=True, timeout=120)
    assert forgotten.returncode == 0, forgotten.stdout + forgotten.stderr
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        uris = [u for (u,) in con.execute("select source_uri from raw.load_manifest").fetchall()]
    assert uris == [str(keep.resolve())]
    third = ws.run("--select", "stg_membership__members", DBT_INDIRECT_SELECTION="cautious")
    assert third.returncode == 0 and "gone from the source" not in third.stdout, explain(third)


def test_a_partly_failed_run_names_the_marts_it_did_not_rebuild(tmp_path: Path) -> None:
    """An export with a plan seeds/plans.csv lacks stops the revenue marts only: the run
    says which marts were not rebuilt and when they were built, `show` says so of such
    a mart, and the report marks its chart."""
    ws = Workspace(root=tmp_path, membership_dir=tmp_path / "membership", ga4_dir=tmp_path / "ga4")
    ws.membership_dir.mkdir()
    ws.ga4_dir.mkdir()
    (ws.membership_dir / "members_0228.csv").write_text(
        HEADER + "m1,,2025-02-03 10:00:00,monthly,2025-02-03 11:00:00,\nm2,,2025-02-04 10:00:00,free,,\n",
        encoding="utf-8")
    first = ws.run()
    assert first.returncode == 0, explain(first)
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        (first_built,) = con.execute("select max(built_at) from analytics._build_metadata "
                                     "where model_name = 'fct_mrr_monthly'").fetchone()

    (ws.membership_dir / "members_0331.csv").write_text(
        HEADER + "m3,,2025-03-03 10:00:00,platinum,2025-03-03 11:00:00,\n", encoding="utf-8")
    second = ws.run()
    assert second.returncode == 1, explain(second)
    not_rebuilt = step(ws.summary(), "dbt_build")["details"]["not_rebuilt"]
    assert {"fct_mrr_monthly", "fct_member_mrr_monthly"} <= set(not_rebuilt)
    assert "fct_kpis_monthly" not in not_rebuilt
    assert not_rebuilt["fct_mrr_monthly"] == f"{first_built:%Y-%m-%d %H:%M:%S} UTC"
    assert "not rebuilt, so older than the marts this run built" in second.stdout
    assert f"fct_mrr_monthly (last built {not_rebuilt['fct_mrr_monthly']})" in second.stdout

    show = [sys.executable, str(ROOT / "orchestrate.py"), "show"]
    older = subprocess.run([*show, "fct_mrr_monthly"], env=ws.env(), capture_output=True, text=True, timeout=120)
    assert older.returncode == 0, older.stderr
    assert f"note: fct_mrr_monthly was last built {not_rebuilt['fct_mrr_monthly']}, before the other marts" \
        in older.stderr
    current = subprocess.run([*show, "fct_kpis_monthly"], env=ws.env(), capture_output=True, text=True, timeout=120)
    assert current.returncode == 0 and "note:" not in current.stderr, current.stderr

    page = tmp_path / "report.html"
    report = subprocess.run([sys.executable, str(ROOT / "orchestrate.py"), "report", "--report-path", str(page)],
                            env=ws.env(), capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stdout + report.stderr
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="mrr_movements">', 1)[1].split("</section>", 1)[0]
    assert "Older than the other marts: fct_mrr_monthly was last built" in section
    # Every chart of a mart the run did not rebuild is marked (no GA4 here: its charts
    # are one note), the others not.
    stale_charts = [c.key for c in CHARTS if c.mart in not_rebuilt and not c.ga4]
    assert "mrr_movements" in stale_charts
    assert html.count("Older than the other marts") == len(stale_charts)
