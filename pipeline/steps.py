"""The steps of a run, in order. Each takes the Settings and returns details for the summary.

A step raises `StepFailed` (saying whether a retry could help) or lets an exception
through (then loader/transient.py decides). See pipeline/__init__.py to add one.
"""

from __future__ import annotations

import shlex
from typing import Any

from pipeline import dbt, warehouse
from pipeline.ga4_source import ga4_status, with_ga4
from pipeline.mart_builds import last_builds
from pipeline.runner import Step, StepFailed
from pipeline.settings import SAMPLE_DATA_DIR, Settings
from pipeline.source_guard import mixing_problem


def generate_sample_data(settings: Settings) -> dict[str, Any]:
    """Written beside the sample data directory, then moved in, `ga4/` last: the step
    runs while `membership/` or `ga4/` is missing, so a stopped run leaves nothing that
    the next run would take for the whole sample."""
    import shutil

    from samplegen import generate

    partial = SAMPLE_DATA_DIR.parent / f".{SAMPLE_DATA_DIR.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    written = generate(partial)
    for folder in ("membership", "ga4"):
        shutil.rmtree(SAMPLE_DATA_DIR / folder, ignore_errors=True)
    SAMPLE_DATA_DIR.mkdir(parents=True, exist_ok=True)
    for folder in ("membership", "ga4"):
        (partial / folder).rename(SAMPLE_DATA_DIR / folder)
    shutil.rmtree(partial, ignore_errors=True)
    return {"out_dir": str(SAMPLE_DATA_DIR), "members": written.get("members"), "events": written.get("events")}


def forget_command(settings: Settings, uris: list[str]) -> str:
    """The command that backs `uris` out of this run's warehouse."""
    where = (["--duckdb-path", settings.duckdb_path] if settings.target == "duckdb"
             else ["--target", settings.target])
    return shlex.join(["python", "-m", "loader", "forget", *where, "--raw-schema", settings.raw_schema, *uris])


def _load_details(uri: str, summary: Any, settings: Settings, loaded_before: list[str]) -> dict[str, Any]:
    # An export loaded earlier that the source no longer lists keeps its rows in the
    # warehouse: said, with the command that backs it out, rather than used silently.
    listed = {o.uri for o in summary.objects}
    gone = sorted(u for u in loaded_before if u not in listed)
    return {
        "gone_from_source": gone,
        "forget_command": forget_command(settings, gone) if gone else None,
        "source_uri": uri,
        "objects_seen": summary.objects_seen,
        "objects_loaded": summary.objects_loaded,
        "objects_unchanged": summary.objects_skipped,
        "objects_refused": summary.objects_refused,
        "objects_failed": summary.objects_failed,
        "rows_loaded": summary.rows_loaded,
        "rows_rejected": summary.rows_rejected,
        "objects": [
            {"uri": o.uri, "status": o.status, "rows_loaded": o.rows_loaded,
             "rows_rejected": o.rows_rejected, "message": o.message}
            for o in summary.objects if o.status != "skipped"
        ],
    }


def load(settings: Settings) -> dict[str, Any]:
    # Imported here so that --help and the lock check work before the heavy imports.
    from loader import LoadFailed, LoadRefused, list_loaded
    from loader import load as load_objects

    loaded = [entry.source_uri for entry in list_loaded(settings.target, settings=settings.loader_settings())]
    mixing = mixing_problem(settings, loaded)
    if mixing:
        raise StepFailed(mixing, transient=False)
    try:
        summary = load_objects(settings.source_uri, settings.target, settings=settings.loader_settings())
    except LoadRefused as refused:
        # The other objects are loaded, but the marts must not be built on a partial
        # export: a refused file is bad data, and no retry will fix it.
        raise StepFailed(str(refused), transient=False,
                         details=_load_details(settings.source_uri, refused.summary, settings, loaded)) from refused
    except LoadFailed as failed:
        raise StepFailed(str(failed), transient=bool(failed.transient),
                         details=_load_details(settings.source_uri, failed.summary, settings, loaded)) from failed
    return _load_details(settings.source_uri, summary, settings, loaded)


def _failing_rows(settings: Settings) -> Any:
    def rows(compiled_sql: str) -> list[dict[str, Any]]:
        return warehouse.records(
            settings, f"select * from ({compiled_sql}) as failing_rows limit {dbt.FAILING_ROWS_SHOWN}")

    return rows


def _marts_not_rebuilt(settings: Settings, outcome: dbt.DbtOutcome) -> dict[str, str | None]:
    """The marts a failed build did not rebuild, each with when it was last built
    (None: never), so that a person knows which marts are older than the others."""
    nodes = outcome.manifest.get("nodes") or {}
    # Only what this build selected: a mart left out by --select was not meant to be rebuilt.
    marts = sorted(nodes[r["unique_id"]]["name"] for r in outcome.results
                   if r.get("status") != "success" and r["unique_id"] in nodes
                   and nodes[r["unique_id"]].get("resource_type") == "model"
                   and str(nodes[r["unique_id"]].get("original_file_path", "")).startswith("models/marts/"))
    if not marts:
        return {}
    builds = last_builds(settings)
    return {name: builds[name].built_at if name in builds else None for name in marts}


def dbt_build(settings: Settings) -> dict[str, Any]:
    ga4 = ga4_status(settings)
    outcome = dbt.run_dbt(["build"], with_ga4(settings, ga4), "dbt_build")
    details = {**dbt.summarize(outcome, _failing_rows(settings)), "ga4": ga4.as_dict()}
    if outcome.success:
        return details
    details["not_rebuilt"] = _marts_not_rebuilt(settings, outcome)
    if outcome.budget_error:
        raise StepFailed(f"dbt build stopped: {outcome.budget_error}", transient=False, details=details)
    failed = [p for p in details["problems"] if p["status"] != "warn"]
    described = [f"{p['name']} ({p['status']})" for p in failed]
    if not described:
        described = outcome.errors[-1:] or [f"see {outcome.log_file}"]
    raise StepFailed("dbt build failed: " + "; ".join(described),
                     transient=dbt.is_transient_failure(outcome, details), details=details)


def dbt_docs(settings: Settings) -> dict[str, Any]:
    outcome = dbt.run_dbt(["docs", "generate"], with_ga4(settings, ga4_status(settings)), "dbt_docs_generate")
    if not outcome.success:
        reason = outcome.errors[-1] if outcome.errors else f"see {outcome.log_file}"
        raise StepFailed(f"dbt docs generate failed: {reason}",
                         transient=dbt.is_transient_failure(outcome, {}))
    return {"docs_dir": str(settings.dbt_target_path), "log_file": str(outcome.log_file)}


def report(settings: Settings) -> dict[str, Any]:
    from pipeline.report import build_report

    return build_report(settings, settings.run_id, settings.report_path)


STEPS: list[Step] = [
    ("generate_sample_data", generate_sample_data, lambda s: s.generate_sample_data),
    ("load", load, lambda s: not s.skip_load),
    ("dbt_build", dbt_build, lambda s: True),
    ("dbt_docs_generate", dbt_docs, lambda s: s.docs),
    ("report", report, lambda s: s.report),
]
