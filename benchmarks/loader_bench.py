"""Loader throughput and memory: S3 (local server) -> DuckDB raw.membership.

Files, at the base size and the large one: a plain UTF-8 export, the same export with
every field quoted and with only the empty fields quoted (as many tools write them),
and at the base size a CP949 copy with Korean headers. Baseline, measured in the same
run: DuckDB's own read_csv of the same file from local disk into an all-text table, in
a child process too, so both figures pay for interpreter start-up alike (the CP949
file is read against the UTF-8 one).
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
from membership_csv import QUOTINGS, quoted_copy, transcode, write_membership_csv
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

    @property
    def tag(self) -> str:
        return f"{self.name}_{self.rows}"


# The kinds of UTF-8 export measured at both sizes, each against DuckDB reading that file.
KINDS = ("utf8", *QUOTINGS)
WALL_RATIO_LIMIT = 1.4
CP949_WALL_RATIO_LIMIT = 3.0


def _prepare_files(workdir: Path, rows: int, rows_large: int | None) -> tuple[list[CsvCase], float | None]:
    """Write (or reuse) the benchmark CSVs; return them and the seconds spent writing."""
    data = workdir / "data"
    started = time.perf_counter()
    started_wall = time.time()
    cases: list[CsvCase] = []
    for count in (rows, rows_large) if rows_large else (rows,):
        plain = data / f"members_{count}.csv"
        if not plain.exists():
            write_membership_csv(plain, count)
        cases.append(CsvCase("utf8", count, plain, "utf-8"))
        for quoting in QUOTINGS:
            quoted = data / f"members_{count}_{quoting}.csv"
            if not quoted.exists():
                quoted_copy(plain, quoted, quoting)
            cases.append(CsvCase(quoting, count, quoted, "utf-8"))
        if count == rows:
            cp949 = data / f"members_{rows}_cp949.csv"
            if not cp949.exists():
                korean = write_membership_csv(data / f"members_{rows}_ko_utf8.csv", rows, korean=True)
                transcode(korean, cp949, "cp949")
                korean.unlink()
            cases.append(CsvCase("cp949", rows, cp949, "cp949"))
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
    db = _fresh(workdir / "db" / f"baseline_{case.tag}.duckdb")
    measurement = run_measured(
        [sys.executable, "-c", _BASELINE_SCRIPT, str(db), str(case.path)],
        workdir / "logs" / f"baseline_{case.tag}.log",
    )
    loaded = _count_rows(db, "raw.membership")
    if loaded != case.rows:
        raise RuntimeError(f"The baseline read {loaded} rows from {case.path}, expected {case.rows}.")
    db.unlink(missing_ok=True)
    return measurement


def run_loader(
    workdir: Path, endpoint: str, case: CsvCase, profile_to: Path | None = None
) -> Measurement:
    tag = case.tag
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


def _baseline_key(case: CsvCase) -> str:
    # The plain file's key is the one earlier results files used.
    return f"baseline_duckdb_read_csv_{case.rows}" if case.name == "utf8" else f"baseline_duckdb_read_csv_{case.tag}"


def run(
    workdir: Path, rows: int, rows_large: int | None, repeat: int, profile: bool
) -> tuple[dict[str, object], list[Figure]]:
    workdir.mkdir(parents=True, exist_ok=True)
    cases, generation_seconds = _prepare_files(workdir, rows, rows_large)
    by_tag = {c.tag: c for c in cases}
    results: dict[str, object] = {
        "csv_generation_seconds": None if generation_seconds is None else round(generation_seconds, 2),
        "files": {
            c.tag: {"rows": c.rows, "bytes": c.path.stat().st_size, "encoding": c.encoding} for c in cases
        },
    }
    baselines: dict[str, Measurement] = {}
    loaders: dict[str, Measurement] = {}
    with moto_server(workdir / "logs" / "moto.log") as endpoint:
        upload(endpoint, BUCKET, {c.path.name: c.path for c in cases})
        # Interleaved so that a burst of load from other users hits both sides alike; the
        # large files run once (they take long enough to smooth out bursts).
        for count in (rows, rows_large) if rows_large else (rows,):
            runs = repeat if count == rows else 1
            baseline_runs: dict[str, list[Measurement]] = {}
            loader_runs: dict[str, list[Measurement]] = {}
            for _ in range(runs):
                for case in (c for c in cases if c.rows == count):
                    if case.name != "cp949":
                        baseline_runs.setdefault(case.tag, []).append(run_baseline(workdir, case))
                    loader_runs.setdefault(case.tag, []).append(run_loader(workdir, endpoint, case))
            baselines.update({tag: _best(m) for tag, m in baseline_runs.items()})
            loaders.update({tag: _best(m) for tag, m in loader_runs.items()})
        for tag, measurement in baselines.items():
            results[_baseline_key(by_tag[tag])] = measurement.as_dict()
        for tag, measurement in loaders.items():
            results[f"loader_{tag}"] = measurement.as_dict()
        if profile:
            for name in KINDS:
                profile_path = workdir / "profile" / f"loader_{name}.prof"
                profile_path.parent.mkdir(parents=True, exist_ok=True)
                run_loader(workdir, endpoint, by_tag[f"{name}_{rows}"], profile_to=profile_path)
                listing = workdir / "profile" / f"loader_{name}_profile.txt"
                results[f"profile_top_own_time_{name}"] = profile_summary(profile_path, listing)
                results[f"profile_listing_{name}"] = str(listing)
    return results, _figures(cases, baselines, loaders, rows, rows_large)


def _figures(
    cases: list[CsvCase], baselines: dict[str, Measurement], loaders: dict[str, Measurement],
    rows: int, rows_large: int | None,
) -> list[Figure]:
    label = _rows_label(rows)
    utf8_baseline = baselines[f"utf8_{rows}"]
    figures: list[Figure] = []
    for case in cases:
        loader = loaders[case.tag]
        size = _rows_label(case.rows)
        kind = {"utf8": "UTF-8", "cp949": "CP949"}.get(case.name, case.name.replace("_", "-"))
        # CP949 is read against the UTF-8 file: DuckDB cannot read CP949 offline.
        baseline = utf8_baseline if case.name == "cp949" else baselines[case.tag]
        base_name = f"duckdb read_csv {size}" + ("" if case.name in ("utf8", "cp949") else f" {kind}")
        limit = CP949_WALL_RATIO_LIMIT if case.name == "cp949" else WALL_RATIO_LIMIT
        rss_name = f"peak RSS, {size} rows" + ("" if case.name == "utf8" else f" {kind}")
        figures += [
            Figure("loader", f"wall, {size} rows {kind}", loader.wall_seconds, "s",
                   base_name, baseline.wall_seconds, limit=limit),
            Figure("loader", rss_name, loader.peak_rss_mb, "MB",
                   base_name, baseline.peak_rss_mb, limit=RSS_LIMIT_MB, limit_on="value"),
        ]
        if rows_large and case.rows == rows_large:
            figures.append(Figure(
                "loader", f"peak RSS growth {label} -> {size}" + ("" if case.name == "utf8" else f" {kind}"),
                loader.peak_rss_mb, "MB", f"loader peak RSS {label}" + ("" if case.name == "utf8" else f" {kind}"),
                loaders[f"{case.name}_{rows}"].peak_rss_mb, limit=RSS_GROWTH_LIMIT,
                note="4x the rows must not cost more than 1.25x the memory",
            ))
    return figures


def _rows_label(rows: int) -> str:
    if rows >= 1_000_000 and rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows >= 1000 and rows % 1000 == 0:
        return f"{rows // 1000}k"
    return str(rows)

