"""Smoke test of the benchmark script: it runs, loads what it generated, and writes
every field the results file promises. Never a timing assertion: these machines are
shared, and the benchmark's own figures are ratios read by people, not by CI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_loader_benchmark_writes_complete_results(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    completed = subprocess.run(
        [
            sys.executable, str(REPO / "benchmarks" / "run.py"),
            "--scale", "small", "--only", "loader",
            "--workdir", str(tmp_path / "work"), "--output", str(output),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

    results = json.loads(output.read_text())
    assert results["scale"] == "small"
    assert results["sections_run"] == ["loader"]
    for key in ("date_utc", "cpu_count", "memory_total_mb", "python", "duckdb", "dbt_core"):
        assert results["machine"][key], key

    loader = results["loader"]
    assert "error" not in loader, loader
    rows, rows_large = results["parameters"]["loader_rows"], results["parameters"]["loader_rows_large"]
    assert loader["files"][f"utf8_{rows}"]["rows"] == rows
    assert loader["files"][f"cp949_{rows}"]["encoding"] == "cp949"
    assert loader["files"][f"utf8_{rows_large}"]["rows"] == rows_large
    quoted = [f"{kind}_{size}" for kind in ("all_quoted", "empty_quoted") for size in (rows, rows_large)]
    for tag in quoted:
        assert loader["files"][tag]["rows"] == int(tag.rsplit("_", 1)[1]), tag
    for measured in (f"baseline_duckdb_read_csv_{rows}", f"loader_utf8_{rows}", f"loader_cp949_{rows}",
                     f"baseline_duckdb_read_csv_{rows_large}", f"loader_utf8_{rows_large}",
                     *(f"baseline_duckdb_read_csv_{tag}" for tag in quoted),
                     *(f"loader_{tag}" for tag in quoted)):
        assert loader[measured]["wall_seconds"] > 0, measured
        assert loader[measured]["peak_rss_mb"] > 0, measured

    figures = results["figures"]
    assert {f["section"] for f in figures} == {"loader"}
    judged = [f for f in figures if f["target"] is not None]
    # Every figure of the loader section is judged: wall ratio and peak RSS of each of
    # the seven files (plain, all-quoted and empty-quoted at both sizes, CP949 at the
    # base size) and the RSS growth from the base size to the large one of each kind.
    assert len(figures) == len(judged) == 17, [f["name"] for f in figures]
    for figure in figures:
        assert set(figure) >= {"name", "value", "unit", "baseline", "ratio", "target", "passed"}
        assert figure["baseline"] > 0
        assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline"], rel=0.01)
        assert isinstance(figure["passed"], bool) if figure["target"] else figure["passed"] is None
    assert results["targets_met"] == all(f["passed"] for f in judged)
