"""The whole pipeline on DuckDB: a full refresh, then one more day incrementally.

Steps, in one warehouse file under the work directory:
1. generate sample data for D days and for D+1 days with the same seed (the generator
   is prefix-stable, so the D+1 folder holds exactly one more GA4 shard and one more
   membership export); generation is timed but is not part of any figure;
2. `orchestrate.py --full-refresh` on the D-day data (membership from the local S3
   server, GA4 from local shards);
3. add the new shard and export, `orchestrate.py` without --full-refresh;
4. copy the warehouse, `orchestrate.py --full-refresh --skip-load` on the same data,
   and compare every mart table of the two;
5. with `scale_factor` > 1 (the "scaling" section): generate the same D days for that
   many times the members (and so about that many times the events), and time a full
   refresh of it in a warehouse of its own, against step 2;
6. with `history_factor` > 1 (the "history" section, which needs step 3): generate
   that many times the days (the same members a year, so about that many times the
   history) and one day more, ending on the same last day as the D-day data (so it
   starts earlier, and both "+1 day" runs add the same calendar day; a longer history
   from the same first day would run past the exports' as-of dates), run a full
   refresh of the longer history in a warehouse of its own, add the one day, and time
   that incremental run against step 3's.

Baseline: DuckDB alone reading every input once (all GA4 shards with their event
parameters unnested, and every membership export), in a child process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import kpi_scaling_bench
from measure import CommandFailed, Measurement, run_measured
from report import Figure
from s3server import loader_env, moto_server, upload

REPO = Path(__file__).resolve().parent.parent
BUCKET = "bench-pipeline"
INCREMENTAL_LIMIT = 0.08
FULL_REFRESH_LIMIT = 8.0
# +1 day on k times the history may take at most this many times +1 day on 1x: the
# daily run must not grow with the history.
HISTORY_LIMIT = 1.3
PEAK_RSS_LIMIT_MB = 2048.0
# At k times the data a full refresh may take 1.1 k times as long and 1.2 times the
# peak memory: time about linear, memory bounded by the cap rather than the data.
SCALED_TIME_SLACK = 1.1
SCALED_RSS_LIMIT = 1.2
TOP_MODELS = 8
EXPLAIN_LIMIT_SECONDS = 120.0
# Marts are compared after rounding floating-point columns: the same sums added in a
# different order by parallel threads may differ in the last bits.
FLOAT_DIGITS = 9

_BASELINE_SCRIPT = """
import sys, duckdb
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
ga4 = sys.argv[1].replace("'", "''") + "/*.parquet"
members = sys.argv[2].replace("'", "''") + "/*.csv"
print(con.execute(f'''
    select count(*), count(distinct event_date), count(distinct user_pseudo_id), count(distinct p.key)
    from (select event_date, user_pseudo_id, unnest(event_params) as p from read_parquet('{ga4}'))
''').fetchall())
print(con.execute(
    f"select count(*) from read_csv('{members}', all_varchar = true, header = true, union_by_name = true)"
).fetchall())
"""


@dataclass
class Dataset:
    folder: Path
    generation: Measurement | None
    generation_seconds: float


def _generate(workdir: Path, members: int, days: int, start: str, seed: int) -> Dataset:
    """Generate the sample data once per parameter set; reuse it on later runs."""
    folder = workdir / "data" / f"m{members}_d{days}_s{seed}_{start}"
    marker = folder / "generated.json"
    generator = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((REPO / "samplegen").glob("*.py")))).hexdigest()
    if marker.exists():
        recorded = json.loads(marker.read_text())
        # A changed generator may write other data: generate again rather than
        # measure the pipeline on data the current code would not produce.
        if recorded.get("generator_sha256") == generator:
            return Dataset(folder, None, float(recorded["seconds"]))
    if folder.exists():
        shutil.rmtree(folder)
    measurement = run_measured(
        [
            sys.executable, "scripts/generate_sample_data.py", "--out", str(folder),
            "--members", str(members), "--days", str(days), "--start", start,
            "--seed", str(seed),
        ],
        workdir / "logs" / f"generate_m{members}_d{days}.log",
        cwd=REPO,
        timeout_seconds=7200,
    )
    marker.write_text(json.dumps({
        "seconds": measurement.wall_seconds,
        "peak_rss_mb": measurement.peak_rss_mb,
        "generator_sha256": generator,
    }))
    return Dataset(folder, measurement, measurement.wall_seconds)


def _files(folder: Path) -> dict[str, Path]:
    return {path.name: path for path in folder.iterdir() if path.is_file()} if folder.exists() else {}


def _new_files(before: Path, after: Path) -> list[Path]:
    """Files in `after` that are missing from `before` or differ from it."""
    old = _files(before)
    fresh = []
    for name, path in sorted(_files(after).items()):
        if name not in old or old[name].read_bytes() != path.read_bytes():
            fresh.append(path)
    return fresh


def _pipeline_env(endpoint: str, warehouse: Path, ga4: Path, dbt_target: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    return {
        **{key: os.environ[key] for key in keep if key in os.environ},
        **loader_env(endpoint),
        "DUCKDB_PATH": str(warehouse),
        "MEMBERSHIP_SOURCE_URI": f"s3://{BUCKET}/membership/*.csv",
        "GA4_LOCAL_PATH": str(ga4),
        # Other people run dbt in this checkout at the same time: keep our artifacts
        # (run_results.json, partial parse state, logs) apart from theirs.
        "DBT_TARGET_PATH": str(dbt_target),
        "DBT_LOG_PATH": str(dbt_target / "logs"),
    }


def _read_json(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _collect_artifacts(run_dir: Path, dbt_target: Path, started_at: float) -> dict[str, object]:
    """This run's summary and dbt results (copied into `run_dir`), parsed.

    dbt's files count only when written after `started_at`: a stale one from an
    earlier run is never mistaken for this run's.
    """
    found: dict[str, object] = {}
    found["run_summary"] = _read_json(run_dir / "run_summary.json")
    for name in ("run_results", "manifest"):
        candidate = dbt_target / f"{name}.json"
        if candidate.exists() and candidate.stat().st_mtime >= started_at - 1:
            shutil.copy2(candidate, run_dir / candidate.name)
            found[name] = _read_json(run_dir / candidate.name)
    return found


def _model_times(run_results: dict[str, object] | None) -> list[dict[str, object]]:
    if not run_results:
        return []
    rows = []
    for result in run_results.get("results", []):  # type: ignore[union-attr]
        unique_id = str(result.get("unique_id", ""))
        if not unique_id.startswith("model."):
            continue
        rows.append({
            "model": unique_id.split(".")[-1],
            "seconds": round(float(result.get("execution_time") or 0.0), 3),
            "status": result.get("status"),
        })
    return sorted(rows, key=lambda row: row["seconds"], reverse=True)


def _node_seconds(run_results: dict[str, object] | None) -> dict[str, float]:
    """Seconds summed per kind of node (model, test, unit_test), as dbt timed each one.

    With two threads these sums can exceed the build's wall time; what the build
    spends outside them is parsing, compiling and dbt's bookkeeping.
    """
    totals: dict[str, float] = {}
    for result in (run_results or {}).get("results", []):  # type: ignore[union-attr]
        kind = str(result.get("unique_id", "")).split(".", 1)[0]
        totals[kind] = totals.get(kind, 0.0) + float(result.get("execution_time") or 0.0)
    return {kind: round(seconds, 3) for kind, seconds in sorted(totals.items())}


def _steps(run_summary: dict[str, object] | None) -> dict[str, float]:
    """Seconds per orchestrator step, whatever list or mapping shape the summary uses."""
    if not run_summary:
        return {}
    steps = run_summary.get("steps")
    out: dict[str, float] = {}
    if isinstance(steps, dict):
        items = steps.items()
    elif isinstance(steps, list):
        items = [(s.get("name") or s.get("step"), s) for s in steps if isinstance(s, dict)]
    else:
        return {}
    for name, step in items:
        if isinstance(step, dict):
            seconds = step.get("seconds", step.get("duration_seconds", step.get("elapsed_seconds")))
        else:
            seconds = step
        if isinstance(seconds, (int, float)):
            out[str(name)] = round(float(seconds), 3)
    return out


def _dbt_seconds(artifacts: dict[str, object]) -> float:
    """The dbt step's time: from the orchestrator's summary, else dbt's own elapsed time."""
    steps = _steps(artifacts.get("run_summary"))  # type: ignore[arg-type]
    dbt_steps = [seconds for name, seconds in steps.items() if "dbt" in name.lower() or "build" in name.lower()]
    if dbt_steps:
        return sum(dbt_steps)
    run_results = artifacts.get("run_results") or {}
    return float(run_results.get("elapsed_time", 0.0))  # type: ignore[union-attr]


def _fresh_warehouse(folder: Path) -> tuple[Path, Path]:
    """An empty warehouse file and dbt target path under `folder` (earlier runs' removed)."""
    warehouse = folder / "warehouse.duckdb"
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    dbt_target = folder / "dbt_target"
    if dbt_target.exists():
        shutil.rmtree(dbt_target)
    return warehouse, dbt_target


def _run_orchestrate(
    label: str, args: list[str], env: dict[str, str], workdir: Path, dbt_target: Path
) -> tuple[Measurement, dict[str, object]]:
    started = time.time()
    run_dir = workdir / "runs" / label
    run_dir.mkdir(parents=True, exist_ok=True)
    measurement = run_measured(
        [
            sys.executable, "orchestrate.py", *args,
            # Our own summary and lock: this warehouse is ours, and a run by someone
            # else on the default warehouse must neither block nor overwrite ours.
            "--summary-file", str(run_dir / "run_summary.json"),
            "--lock-file", str(workdir / "orchestrate.lock"),
        ],
        workdir / "logs" / f"orchestrate_{label}.log",
        env=env,
        cwd=REPO,
        timeout_seconds=7200,
    )
    artifacts = _collect_artifacts(run_dir, dbt_target, started)
    return measurement, artifacts


def _mart_relations(manifest: dict[str, object] | None) -> list[tuple[str, str]]:
    """(schema, table) of every model under models/marts/."""
    relations = []
    for node in (manifest or {}).get("nodes", {}).values():  # type: ignore[union-attr]
        if node.get("resource_type") != "model":
            continue
        path = str(node.get("original_file_path", ""))
        if "/marts/" in path or path.startswith("models/marts"):
            relations.append((str(node["schema"]), str(node.get("alias") or node["name"])))
    return sorted(relations)


def compare_marts(full_db: Path, incremental_db: Path, relations: list[tuple[str, str]]) -> dict[str, object]:
    """Compare each mart table of the two warehouses row for row (as multisets)."""
    connection = duckdb.connect(str(full_db), read_only=True)
    differences: dict[str, object] = {}
    try:
        path = str(incremental_db).replace("'", "''")
        connection.execute(f"attach '{path}' as incremental (read_only)")
        full_catalog = connection.execute("select current_database()").fetchone()[0]
        for schema, table in relations:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
                [full_catalog, schema, table],
            ).fetchall()
            if not columns:
                differences[f"{schema}.{table}"] = "missing from the full refresh"
                continue
            select_list = ", ".join(
                f'round("{name}", {FLOAT_DIGITS}) as "{name}"'
                if kind.upper() in ("DOUBLE", "FLOAT", "REAL") or kind.upper().startswith("DECIMAL")
                else f'"{name}"'
                for name, kind in columns
            )
            full = f'select {select_list} from "{full_catalog}"."{schema}"."{table}"'
            incremental = f'select {select_list} from incremental."{schema}"."{table}"'
            try:
                only_full = connection.execute(f"select count(*) from ({full} except all {incremental})").fetchone()[0]
                only_incremental = connection.execute(
                    f"select count(*) from ({incremental} except all {full})"
                ).fetchone()[0]
                rows = connection.execute(f"select count(*) from ({full})").fetchone()[0]
            except duckdb.Error as error:
                differences[f"{schema}.{table}"] = f"could not compare: {error}"
                continue
            if only_full or only_incremental:
                differences[f"{schema}.{table}"] = {
                    "rows_full_refresh": rows,
                    "rows_only_in_full_refresh": only_full,
                    "rows_only_in_incremental": only_incremental,
                }
    finally:
        connection.close()
    return {
        "tables_compared": [f"{schema}.{table}" for schema, table in relations],
        "identical": not differences and bool(relations),
        "differences": differences,
    }


def _explain_top_models(
    warehouse: Path, run_results: dict[str, object] | None, out_dir: Path, top: int = 3
) -> dict[str, str]:
    """EXPLAIN ANALYZE the SQL dbt ran for the slowest models; return where each plan went.

    A model that took longer than EXPLAIN_LIMIT_SECONDS in the run is left out, so
    that profiling does not double the benchmark's time: explain it by hand.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    models = [
        result for result in (run_results or {}).get("results", [])  # type: ignore[union-attr]
        if str(result.get("unique_id", "")).startswith("model.") and result.get("compiled_code")
    ]
    models.sort(key=lambda result: float(result.get("execution_time") or 0.0), reverse=True)
    written: dict[str, str] = {}
    connection = duckdb.connect(str(warehouse), read_only=True)
    try:
        for result in models[:top]:
            name = str(result["unique_id"]).split(".")[-1]
            seconds = float(result.get("execution_time") or 0.0)
            if seconds > EXPLAIN_LIMIT_SECONDS:
                written[name] = f"not explained: it took {seconds:.0f} s in the run"
                continue
            try:
                plan = connection.execute(f"explain analyze {result['compiled_code']}").fetchall()
                text = "\n".join(str(row[-1]) for row in plan)
            except duckdb.Error as error:
                text = f"EXPLAIN ANALYZE failed: {error}"
            target = out_dir / f"explain_{name}.txt"
            target.write_text(text, encoding="utf-8")
            written[name] = str(target)
    finally:
        connection.close()
    return written


def run(
    workdir: Path, members: int, days: int, start: str, seed: int, incremental: bool, profile: bool,
    scale_factor: int = 1, history_factor: int = 1,
) -> tuple[dict[str, object], list[Figure]]:
    workdir.mkdir(parents=True, exist_ok=True)
    base = _generate(workdir, members, days, start, seed)
    results: dict[str, object] = {
        "members": members,
        "days": days,
        "start": start,
        "seed": seed,
        "generation_seconds": {f"{days}_days": round(base.generation_seconds, 1)},
    }
    following = _generate(workdir, members, days + 1, start, seed) if incremental else None
    if following is not None:
        results["generation_seconds"][f"{days + 1}_days"] = round(following.generation_seconds, 1)  # type: ignore[index]

    # A private copy of the inputs, since the incremental step adds a shard to it.
    inputs = workdir / "inputs"
    if inputs.exists():
        shutil.rmtree(inputs)
    shutil.copytree(base.folder / "ga4", inputs / "ga4", copy_function=os.link)
    membership = sorted((base.folder / "membership").glob("*.csv"))
    results["ga4_shards"] = len(list((inputs / "ga4").glob("*.parquet")))
    results["ga4_events"] = _count_events(inputs / "ga4")
    results["membership_exports"] = len(membership)
    results["membership_bytes"] = sum(path.stat().st_size for path in membership)

    warehouse, dbt_target = _fresh_warehouse(workdir)

    figures: list[Figure] = []
    with moto_server(workdir / "logs" / "moto.log") as endpoint:
        upload(endpoint, BUCKET, {f"membership/{path.name}": path for path in membership})
        env = _pipeline_env(endpoint, warehouse, inputs / "ga4", dbt_target)

        baseline = run_measured(
            [sys.executable, "-c", _BASELINE_SCRIPT, str(inputs / "ga4"), str(base.folder / "membership")],
            workdir / "logs" / "pipeline_baseline.log",
        )
        full, full_artifacts = _run_orchestrate("full_refresh", ["--full-refresh"], env, workdir, dbt_target)
        full_dbt = _dbt_seconds(full_artifacts)
        full_models = _model_times(full_artifacts.get("run_results"))  # type: ignore[arg-type]
        results["baseline_duckdb_scan"] = baseline.as_dict()
        results["full_refresh"] = {
            **full.as_dict(),
            "steps_seconds": _steps(full_artifacts.get("run_summary")),  # type: ignore[arg-type]
            "dbt_seconds": round(full_dbt, 3),
            "dbt_node_seconds": _node_seconds(full_artifacts.get("run_results")),  # type: ignore[arg-type]
            "top_models": full_models[:TOP_MODELS],
            "models": len(full_models),
            "artifacts": str(workdir / "runs" / "full_refresh"),
        }
        figures += [
            Figure("pipeline", "full refresh wall", full.wall_seconds, "s",
                   "duckdb scan of inputs", baseline.wall_seconds,
                   note="no target yet: set from this first measurement"),
            Figure("pipeline", "full refresh peak RSS", full.peak_rss_mb, "MB",
                   "duckdb scan of inputs", baseline.peak_rss_mb,
                   limit=PEAK_RSS_LIMIT_MB, limit_on="value"),
            Figure("pipeline", "full refresh dbt time", full_dbt, "s",
                   "duckdb scan of inputs", baseline.wall_seconds, limit=FULL_REFRESH_LIMIT),
        ]
        try:
            results["kpi_scaling"], kpi_figures = kpi_scaling_bench.run(
                workdir / "kpi_scaling", full_artifacts.get("run_results")  # type: ignore[arg-type]
            )
        except CommandFailed as error:
            # Its synthetic inputs lag behind the model's refs at times: say so, and
            # let the sections that measure the pipeline itself carry on.
            results["kpi_scaling"], kpi_figures = {"error": str(error)[-2000:]}, []
        figures += kpi_figures
        if profile:
            results["explain_analyze"] = _explain_top_models(
                warehouse, full_artifacts.get("run_results"), workdir / "profile"  # type: ignore[arg-type]
            )

        if following is not None:
            added_shards = _new_files(base.folder / "ga4", following.folder / "ga4")
            added_exports = _new_files(base.folder / "membership", following.folder / "membership")
            for shard in added_shards:
                shutil.copy2(shard, inputs / "ga4" / shard.name)
            upload(endpoint, BUCKET, {f"membership/{path.name}": path for path in added_exports})
            incremental_run, incremental_artifacts = _run_orchestrate(
                "incremental", [], env, workdir, dbt_target
            )
            incremental_dbt = _dbt_seconds(incremental_artifacts)
            snapshot = workdir / "warehouse_after_incremental.duckdb"
            shutil.copy2(warehouse, snapshot)
            refresh, refresh_artifacts = _run_orchestrate(
                "full_refresh_same_data", ["--full-refresh", "--skip-load"], env, workdir, dbt_target
            )
            refresh_dbt = _dbt_seconds(refresh_artifacts)
            comparison = compare_marts(warehouse, snapshot, _mart_relations(refresh_artifacts.get("manifest")))  # type: ignore[arg-type]
            results["incremental"] = {
                "added_ga4_shards": [p.name for p in added_shards],
                "added_membership_exports": [p.name for p in added_exports],
                **incremental_run.as_dict(),
                "steps_seconds": _steps(incremental_artifacts.get("run_summary")),  # type: ignore[arg-type]
                "dbt_seconds": round(incremental_dbt, 3),
                "dbt_node_seconds": _node_seconds(incremental_artifacts.get("run_results")),  # type: ignore[arg-type]
                "top_models": _model_times(incremental_artifacts.get("run_results"))[:TOP_MODELS],  # type: ignore[arg-type]
                "full_refresh_same_data": {
                    **refresh.as_dict(),
                    "dbt_seconds": round(refresh_dbt, 3),
                },
                "marts_vs_full_refresh": comparison,
            }
            compared = len(comparison["tables_compared"])  # type: ignore[arg-type]
            # Nothing compared is a failure too, never a silent pass.
            differing = len(comparison["differences"]) if compared else 1  # type: ignore[arg-type]
            figures += [
                # Judged against the full refresh of the very same data, run right
                # after it: the fairest and least noise-exposed comparison.
                Figure("incremental", "+1 day dbt time", incremental_dbt, "s",
                       "full refresh dbt time, same data", refresh_dbt, limit=INCREMENTAL_LIMIT),
                Figure("incremental", "+1 day dbt time vs first full refresh", incremental_dbt, "s",
                       f"full refresh dbt time, {days} days", full_dbt),
                Figure("incremental", "+1 day wall", incremental_run.wall_seconds, "s",
                       "full refresh wall", full.wall_seconds),
                # Context for a loaded machine: CPU seconds of orchestrate.py's whole
                # process tree (load step and dbt start-up included).
                Figure("incremental", "+1 day CPU, orchestrate.py tree", incremental_run.cpu_seconds, "s",
                       "full refresh CPU, same data", refresh.cpu_seconds),
                Figure("incremental", "marts differing from a full refresh", float(differing), "tables",
                       limit=0, limit_on="value", note=f"{compared} mart tables compared"),
            ]
            if history_factor > 1:
                results["history"], history_figures = _run_longer_history(
                    workdir, endpoint, members, days, start, seed, history_factor, incremental_dbt, full_dbt,
                    incremental_run.cpu_seconds,
                )
                figures += history_figures
        if scale_factor > 1:
            results["scaled"], scaled_figures = _run_scaled(
                workdir, endpoint, members * scale_factor, days, start, seed, scale_factor, full, full_dbt
            )
            figures += scaled_figures
    return results, figures


def _run_scaled(
    workdir: Path, endpoint: str, members: int, days: int, start: str, seed: int,
    factor: int, full: Measurement, full_dbt: float,
) -> tuple[dict[str, object], list[Figure]]:
    """A full refresh of `factor` times the members over the same days, in its own warehouse."""
    scaled_dir = workdir / f"scaled_{factor}x"
    scaled_dir.mkdir(parents=True, exist_ok=True)
    data = _generate(workdir, members, days, start, seed)
    membership = sorted((data.folder / "membership").glob("*.csv"))
    warehouse, dbt_target = _fresh_warehouse(scaled_dir)
    prefix = f"membership_{factor}x"
    upload(endpoint, BUCKET, {f"{prefix}/{path.name}": path for path in membership})
    env = {
        **_pipeline_env(endpoint, warehouse, data.folder / "ga4", dbt_target),
        "MEMBERSHIP_SOURCE_URI": f"s3://{BUCKET}/{prefix}/*.csv",
    }
    try:
        run, artifacts = _run_orchestrate(f"full_refresh_{factor}x", ["--full-refresh"], env, scaled_dir, dbt_target)
    except CommandFailed as error:
        # A failed run is a result too (e.g. out of memory under the default cap);
        # the 1x figures of this run stand on their own.
        return {"factor": factor, "members": members, "error": str(error)}, [
            Figure("scaling", f"full refresh runs failed, {factor}x the members", 1.0, "runs",
                   limit=0, limit_on="value", note="see results.json pipeline.scaled.error"),
        ]
    dbt_seconds = _dbt_seconds(artifacts)
    results: dict[str, object] = {
        "factor": factor,
        "members": members,
        "ga4_events": _count_events(data.folder / "ga4"),
        "generation_seconds": round(data.generation_seconds, 1),
        **run.as_dict(),
        "dbt_seconds": round(dbt_seconds, 3),
        "dbt_node_seconds": _node_seconds(artifacts.get("run_results")),  # type: ignore[arg-type]
        "top_models": _model_times(artifacts.get("run_results"))[:TOP_MODELS],  # type: ignore[arg-type]
        "artifacts": str(scaled_dir / "runs" / f"full_refresh_{factor}x"),
    }
    figures = [
        Figure("scaling", f"full refresh dbt time, {factor}x the members", dbt_seconds, "s",
               "full refresh dbt time, 1x", full_dbt, limit=SCALED_TIME_SLACK * factor),
        Figure("scaling", f"full refresh peak RSS, {factor}x the members", run.peak_rss_mb, "MB",
               "full refresh peak RSS, 1x", full.peak_rss_mb, limit=SCALED_RSS_LIMIT),
    ]
    return results, figures


def _run_longer_history(
    workdir: Path, endpoint: str, members: int, days: int, start: str, seed: int,
    factor: int, incremental_dbt: float, full_dbt: float, incremental_cpu: float,
) -> tuple[dict[str, object], list[Figure]]:
    """+1 day on `factor` times the days (same members a year), read against +1 day on 1x.

    Its own warehouse, S3 prefix and inputs folder: a full refresh of the longer
    history (reported, not judged), then the one more shard and export, then the
    incremental run whose dbt time is the figure.
    """
    history_dir = workdir / f"history_{factor}x"
    history_dir.mkdir(parents=True, exist_ok=True)
    long_days = days * factor
    long_start = longer_history_start(start, days, long_days)
    base = _generate(workdir, members, long_days, long_start, seed)
    following = _generate(workdir, members, long_days + 1, long_start, seed)
    inputs = history_dir / "inputs"
    if inputs.exists():
        shutil.rmtree(inputs)
    shutil.copytree(base.folder / "ga4", inputs / "ga4", copy_function=os.link)
    membership = sorted((base.folder / "membership").glob("*.csv"))
    warehouse, dbt_target = _fresh_warehouse(history_dir)
    prefix = f"membership_history_{factor}x"
    upload(endpoint, BUCKET, {f"{prefix}/{path.name}": path for path in membership})
    env = {
        **_pipeline_env(endpoint, warehouse, inputs / "ga4", dbt_target),
        "MEMBERSHIP_SOURCE_URI": f"s3://{BUCKET}/{prefix}/*.csv",
    }
    label = f"{factor}x the history"
    try:
        full, full_artifacts = _run_orchestrate(
            f"full_refresh_history_{factor}x", ["--full-refresh"], env, history_dir, dbt_target
        )
        added_shards = _new_files(base.folder / "ga4", following.folder / "ga4")
        added_exports = _new_files(base.folder / "membership", following.folder / "membership")
        for shard in added_shards:
            shutil.copy2(shard, inputs / "ga4" / shard.name)
        upload(endpoint, BUCKET, {f"{prefix}/{path.name}": path for path in added_exports})
        daily, daily_artifacts = _run_orchestrate(
            f"incremental_history_{factor}x", [], env, history_dir, dbt_target
        )
    except CommandFailed as error:
        return {"factor": factor, "days": long_days, "error": str(error)}, [
            Figure("history", f"runs failed, {label}", 1.0, "runs",
                   limit=0, limit_on="value", note="see results.json pipeline.history.error"),
        ]
    daily_dbt = _dbt_seconds(daily_artifacts)
    results: dict[str, object] = {
        "factor": factor,
        "days": long_days,
        "start": long_start,
        "ga4_events": _count_events(inputs / "ga4"),
        "membership_exports": len(membership),
        "generation_seconds": {
            f"{long_days}_days": round(base.generation_seconds, 1),
            f"{long_days + 1}_days": round(following.generation_seconds, 1),
        },
        "full_refresh": {**full.as_dict(), "dbt_seconds": round(_dbt_seconds(full_artifacts), 3)},
        "incremental": {
            "added_ga4_shards": [p.name for p in added_shards],
            "added_membership_exports": [p.name for p in added_exports],
            **daily.as_dict(),
            "dbt_seconds": round(daily_dbt, 3),
            "dbt_node_seconds": _node_seconds(daily_artifacts.get("run_results")),  # type: ignore[arg-type]
            "top_models": _model_times(daily_artifacts.get("run_results"))[:TOP_MODELS],  # type: ignore[arg-type]
        },
        "artifacts": str(history_dir / "runs"),
    }
    figures = [
        Figure("history", f"+1 day dbt time, {label} ({long_days} days)", daily_dbt, "s",
               f"+1 day dbt time, {days} days", incremental_dbt, limit=HISTORY_LIMIT),
        Figure("history", f"+1 day CPU, {label}", daily.cpu_seconds, "s",
               f"+1 day CPU, {days} days", incremental_cpu),
        Figure("history", f"full refresh dbt time, {label}", _dbt_seconds(full_artifacts), "s",
               f"full refresh dbt time, {days} days", full_dbt),
    ]
    return results, figures


def longer_history_start(start: str, days: int, long_days: int) -> str:
    """The first day of `long_days` days that end on the last of `days` days from `start`.

    The longer history ends where the shorter one does, so both runs' "+1 day" add the
    same calendar day, and neither runs past today's membership exports.
    """
    if long_days < days:
        raise ValueError(f"the longer history ({long_days} days) is shorter than the base ({days} days).")
    return (date.fromisoformat(start) + timedelta(days=days - long_days)).isoformat()


def _count_events(ga4: Path) -> int:
    connection = duckdb.connect()
    try:
        pattern = str(ga4 / "*.parquet").replace("'", "''")
        return int(connection.execute(f"select count(*) from read_parquet('{pattern}')").fetchone()[0])
    finally:
        connection.close()
