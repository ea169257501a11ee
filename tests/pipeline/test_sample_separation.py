"""The generated sample and one's own exports never share a warehouse by accident.

On a copy of the checkout (so the repository's own sample_data/ and warehouse/ stay
untouched): the quickstart run fills the default warehouse with the sample; a run on
one's own exports into that warehouse is refused, naming what it holds and how to
start a new one, and loads nothing; in a warehouse of its own it loads and builds
every membership mart without GA4 (the sample's GA4 is never taken); and back on the
defaults, that warehouse refuses the sample.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.pipeline_runs import ROOT, explain

pytestmark = pytest.mark.slow

OWN_CSV = "member_id,user_id,signup_at,plan,first_paid_at,canceled_at\nmine1,,2025-03-03 10:00:00,free,,\n"


def _clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    ignore = shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml")
    for name in ("loader", "pipeline", "samplegen", "scripts", "dbt_project"):
        shutil.copytree(ROOT / name, clone / name, ignore=ignore)
    shutil.copy2(ROOT / "orchestrate.py", clone / "orchestrate.py")
    return clone


def _run(clone: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """orchestrate.py as `make run` starts it, with `env` set; by default building only
    the staging model the loads feed."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DBT_", "BQ_", "DUCKDB_", "GA4_", "MEMBERSHIP_", "AWS_", "GOOGLE_"))}
    base.update(DBT_SEND_ANONYMOUS_USAGE_STATS="false", DBT_INDIRECT_SELECTION="cautious", **env)
    argv = list(args) or ["--select", "stg_membership__members"]
    return subprocess.run([sys.executable, "orchestrate.py", *argv],
                          cwd=clone, env=base, capture_output=True, text=True, timeout=600)


def _loaded(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [uri for (uri,) in con.execute("select source_uri from raw.load_manifest order by 1").fetchall()]


def test_the_sample_and_ones_own_exports_never_share_a_warehouse(tmp_path: Path) -> None:
    clone = _clone(tmp_path)
    own = tmp_path / "exports"
    own.mkdir()
    (own / "members_20250310.csv").write_text(OWN_CSV, encoding="utf-8")
    default_warehouse = clone / "warehouse" / "membership.duckdb"

    sample = _run(clone)
    assert sample.returncode == 0, explain(sample)
    sample_objects = _loaded(default_warehouse)
    assert sample_objects and all("/sample_data/membership/" in uri for uri in sample_objects)

    mixed = _run(clone, MEMBERSHIP_SOURCE_URI=str(own / "*.csv"))
    assert mixed.returncode == 1, explain(mixed)
    assert f"the warehouse {default_warehouse} holds the generated sample's exports ({len(sample_objects)} " \
           "objects" in mixed.stdout, explain(mixed)
    assert "Nothing was loaded. Start a warehouse of your own: set DUCKDB_PATH to a new file" in mixed.stdout
    assert "python -m loader forget" in mixed.stdout
    assert _loaded(default_warehouse) == sample_objects

    mine = clone / "warehouse" / "mine.duckdb"
    # The whole build, as a newcomer's first run on their own exports: no GA4 configured,
    # so none is read (not the sample's either), and every membership mart builds.
    separate = _run(clone, "--report", MEMBERSHIP_SOURCE_URI=str(own / "*.csv"), DUCKDB_PATH=str(mine))
    assert separate.returncode == 0, explain(separate)
    assert "GA4: not configured: no GA4 source (set GA4_LOCAL_PATH" in separate.stdout, explain(separate)
    with duckdb.connect(str(mine), read_only=True) as con:
        assert con.execute("select sum(signups) from analytics.fct_kpis_monthly").fetchone() == (1,)
    assert _loaded(mine) == [str((own / "members_20250310.csv").resolve())]

    back = _run(clone, DUCKDB_PATH=str(mine))
    assert back.returncode == 1, explain(back)
    assert "holds exports of your own (1 objects" in back.stdout and \
        "this run's source is the generated sample" in back.stdout, explain(back)
    assert "DUCKDB_PATH=warehouse/sample.duckdb make run" in back.stdout
    assert _loaded(mine) == [str((own / "members_20250310.csv").resolve())]
