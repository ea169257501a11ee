"""Loader throughput and memory: S3 (local server) -> DuckDB raw.membership.

Baseline, measured in the same run: DuckDB's own read_csv of the same file from local
disk into an all-text table, in a child process too, so both figures pay for
interpreter start-up alike.
"""

from __future__ import annotations

import os
import pstats
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from measure import Measurement, run_measured
from membership_csv import transcode, write_membership_csv
from report import Figure
from s3server import loader_env, moto_server, upload

REPO = Path(__file__).resolve().parent.parent
BUCKET = "bench-loader"
RSS_LIMIT_MB = 400.0
# "Not growing with file size": 4x the rows may cost at most this much more memory
# (allocator noise, DuckDB's per-thread buffers), far from the 4x of a loader that
# holds the file in memory.
RSS_GROWTH_LIMIT = 1.25

_BASELINE_SCRIPT = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("set enable_progress_bar = false")
con.execute("create schema if not exists raw")
path = sys.argv[2].replace("'", "''")
con.execute(f"create table raw.membership as select * from read_csv('{path}', all_varchar = true, header = true)")
print(con.execute("select count(*) from raw.membership").fetchone()[0])
con.close()
"""


@dataclass
class CsvCase:
    name: str
    rows: int
    path: Path
    encoding: str


def _prepare_files(workdir: Path, rows: int, rows_large: int | None) -> tuple[list[CsvCase], float | None]:
    """Write (or reuse) the benchmark CSVs; return them and the seconds spent writing."""
    data = workdir / "data"
    started = time.perf_counter()
    started_wall = time.time()
    cases: list[CsvCase] = []
    plain = data / f"members_{rows}.csv"
    if not plain.exists():
        write_membership_csv(plain, rows)
    cases.append(CsvCase("utf8", rows, plain, "utf-8"))
    cp949 = data / f"members_{rows}_cp949.csv"
    if not cp949.exists():
        korean = write_membership_csv(data / f"members_{rows}_ko_utf8.csv", rows, korean=True)
        transcode(korean, cp949, "cp949")
        korean.unlink()
    cases.append(CsvCase("cp949", rows, cp949, "cp949"))
    if rows_large:
        large = data / f"members_{rows_large}.csv"
        if not large.exists():
            write_membership_csv(large, rows_large)
        cases.append(CsvCase("utf8", rows_large, large, "utf-8"))
    # None when every file was reused from an earlier run: nothing was generated.
    reused = all(c.path.stat().st_mtime < started_wall for c in cases)
    return cases, None if reused else time.perf_counter() - started


def _count_rows(db_path: Path, table: str) -> int:
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return int(connection.execute(f"select count(*) from {table}").fetchone()[0])
    finally:
        connection.close()


def _fresh(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    return path


def run_baseline(workdir: Path, case: CsvCase) -> Measurement:
    db = _fresh(workdir / "db" / f"baseline_{case.rows}.duckdb")
    measurement = run_measured(
        [sys.executable, "-c", _BASELINE_SCRIPT, str(db), str(case.path)],
        workdir / "logs" / f"baseline_{case.rows}.log",
    )
    loaded = _count_rows(db, "raw.membership")
    if loaded != case.rows:
        raise RuntimeError(f"The baseline read {loaded} rows from {case.path}, expected {case.rows}.")
    db.unlink(missing_ok=True)
    return measurement


def run_loader(
    workdir: Path, endpoint: str, case: CsvCase, profile_to: Path | None = None
) -> Measurement:
    tag = f"{case.name}_{case.rows}"
    db = _fresh(workdir / "db" / f"loader_{tag}.duckdb")
    env = {
        **_base_env(),
        **loader_env(endpoint),
        "DUCKDB_PATH": str(db),
    }
    uri = f"s3://{BUCKET}/{case.path.name}"
    python = [sys.executable]
    if profile_to is not None:
        python += ["-m", "cProfile", "-o", str(profile_to)]
    measurement = run_measured(
        [*python, "-m", "loader", uri, "--target", "duckdb"],
        workdir / "logs" / f"loader_{tag}{'_profiled' if profile_to else ''}.log",
        env=env,
        cwd=REPO,
    )
    loaded = _count_rows(db, "raw.membership")
    if loaded != case.rows:
        raise RuntimeError(
            f"The loader put {loaded} rows of {uri} into raw.membership, expected {case.rows}; "
            f"see {measurement.log_path}."
        )
    db.unlink(missing_ok=True)
    return measurement


def _base_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    return {key: os.environ[key] for key in keep if key in os.environ}


def _best(runs: list[Measurement]) -> Measurement:
    # On a shared machine the fastest of several runs is the least disturbed one.
    return min(runs, key=lambda m: m.wall_seconds)


def profile_summary(profile_path: Path, out_path: Path, top: int = 25) -> list[dict[str, object]]:
    """Write the cProfile listing to `out_path`; return the top entries by own time."""
    with open(out_path, "w", encoding="utf-8") as out:
        stats = pstats.Stats(str(profile_path), stream=out)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)
    entries = []
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, line, function), (_, calls, tottime, cumtime, _) in sorted(
        raw.items(), key=lambda item: item[1][2], reverse=True
    )[:10]:
        entries.append({
            "function": f"{Path(filename).name}:{line}({function})",
            "calls": calls,
            "own_seconds": round(tottime, 3),
            "cumulative_seconds": round(cumtime, 3),
        })
    return entries


def run(workdir: Path, rows: int, rows_large: int | None, repeat: int, profile: bool) -> tuple[dict[str, object], list[Figure]]:
    workdir.mkdir(parents=True, exist_ok=True)
    cases, generation_seconds = _prepare_files(workdir, rows, rows_large)
    utf8, cp949 = cases[0], cases[1]
    large = cases[2] if len(cases) > 2 else None
    results: dict[str, object] = {
        "csv_generation_seconds": None if generation_seconds is None else round(generation_seconds, 2),
        "files": {
            f"{c.name}_{c.rows}": {"rows": c.rows, "bytes": c.path.stat().st_size, "encoding": c.encoding}
            for c in cases
        },
    }
    with moto_server(workdir / "logs" / "moto.log") as endpoint:
        upload(endpoint, BUCKET, {c.path.name: c.path for c in cases})
        # Interleaved so that a burst of load from other users hits both sides alike.
        baseline_runs, loader_runs, cp949_runs = [], [], []
        for _ in range(repeat):
            baseline_runs.append(run_baseline(workdir, utf8))
            loader_runs.append(run_loader(workdir, endpoint, utf8))
            cp949_runs.append(run_loader(workdir, endpoint, cp949))
        baseline, loader, loader_cp949 = _best(baseline_runs), _best(loader_runs), _best(cp949_runs)
        results[f"baseline_duckdb_read_csv_{rows}"] = baseline.as_dict()
        results[f"loader_utf8_{rows}"] = loader.as_dict()
        results[f"loader_cp949_{rows}"] = loader_cp949.as_dict()
        if large is not None:
            baseline_large = run_baseline(workdir, large)
            loader_large = run_loader(workdir, endpoint, large)
            results[f"baseline_duckdb_read_csv_{large.rows}"] = baseline_large.as_dict()
            results[f"loader_utf8_{large.rows}"] = loader_large.as_dict()
        if profile:
            profile_path = workdir / "profile" / "loader.prof"
            profile_path.parent.mkdir(parents=True, exist_ok=True)
            run_loader(workdir, endpoint, utf8, profile_to=profile_path)
            results["profile_top_own_time"] = profile_summary(
                profile_path, workdir / "profile" / "loader_profile.txt"
            )
            results["profile_listing"] = str(workdir / "profile" / "loader_profile.txt")
    label = _rows_label(rows)
    base_name = f"duckdb read_csv {label}"
    figures = [
        Figure("loader", f"wall, {label} rows UTF-8", loader.wall_seconds, "s",
               base_name, baseline.wall_seconds, limit=2.0),
        Figure("loader", f"peak RSS, {label} rows", loader.peak_rss_mb, "MB",
               base_name, baseline.peak_rss_mb, limit=RSS_LIMIT_MB, limit_on="value"),
        Figure("loader", f"wall, {label} rows CP949", loader_cp949.wall_seconds, "s",
               base_name, baseline.wall_seconds, limit=3.0),
        Figure("loader", f"peak RSS, {label} rows CP949", loader_cp949.peak_rss_mb, "MB",
               base_name, baseline.peak_rss_mb, limit=RSS_LIMIT_MB, limit_on="value"),
    ]
    if large is not None:
        large_label = _rows_label(large.rows)
        figures += [
            Figure("loader", f"wall, {large_label} rows UTF-8", loader_large.wall_seconds, "s",
                   f"duckdb read_csv {large_label}", baseline_large.wall_seconds,
                   note=f"reported: the wall-time target is set at {label} rows"),
            Figure("loader", f"peak RSS, {large_label} rows", loader_large.peak_rss_mb, "MB",
                   f"duckdb read_csv {large_label}", baseline_large.peak_rss_mb,
                   limit=RSS_LIMIT_MB, limit_on="value"),
            Figure("loader", f"peak RSS growth {label} -> {large_label}", loader_large.peak_rss_mb, "MB",
                   f"loader peak RSS {label}", loader.peak_rss_mb, limit=RSS_GROWTH_LIMIT,
                   note="4x the rows must not cost more than 1.25x the memory"),
        ]
    return results, figures


def _rows_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1000 and rows % 1000 == 0:
        return f"{rows // 1000}k"
    return str(rows)

