"""`make docs` serves docs that are current without rebuilding (pipeline/docs_current.py)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.docs_current import SITE_FILES, why_stale
from pipeline.settings import DBT_PROJECT_DIR


def _site(target: Path, mtime: float) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in SITE_FILES:
        (target / name).write_text("{}", encoding="utf-8")
        os.utime(target / name, (mtime, mtime))


def test_no_site_means_a_rebuild(tmp_path: Path) -> None:
    assert "no built docs yet" in (why_stale(tmp_path / "target", None) or "")


def test_a_site_newer_than_the_project_and_the_warehouse_is_current(tmp_path: Path) -> None:
    newest_project_file = max(p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*") if p.is_file()
                              and "target" not in p.parts and "logs" not in p.parts)
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"")
    os.utime(warehouse, (newest_project_file, newest_project_file))
    _site(tmp_path / "target", newest_project_file + 60)
    assert why_stale(tmp_path / "target", warehouse) is None


def test_a_build_after_the_docs_makes_them_stale(tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(b"")
    _site(tmp_path / "target", 1_000_000_000)
    assert why_stale(tmp_path / "target", warehouse) is not None
