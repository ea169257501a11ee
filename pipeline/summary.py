"""The run summary: a dict written atomically as JSON, and printed for a person."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pipeline.dbt_bytes import bytes_lines
from pipeline.ga4_export_health import export_health_line
from pipeline.ga4_source import Ga4Status, summary_line

log = logging.getLogger("orchestrate")

_STATUS_WORDS = {"success": "built", "pass": "passed", "fail": "failed", "warn": "warned",
                 "error": "errored", "skipped": "skipped", "no-op": "no-op"}
_ROW_WIDTH = 300


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(path)  # readers never see half a file


def print_summary(summary: dict[str, Any], log_format: str) -> None:
    if log_format == "json":
        log.info("run summary", extra={"fields": {"event": "summary", "summary": summary}})
        return
    print("\n".join(summary_lines(summary)), flush=True)


def summary_lines(summary: dict[str, Any]) -> list[str]:
    lines = [f"Run {summary['run_id']}: {summary['status']} in {summary['duration_seconds']:.1f} s "
             f"(target {summary['target']})"]
    for step in summary["steps"]:
        attempts = f", {step['attempts']} attempts" if step["attempts"] > 1 else ""
        lines.append(f"  {step['name']:<20} {step['status']:<8} {step['duration_seconds']:>7.1f} s{attempts}")
        details = step["details"]
        if "objects_seen" in details:
            lines += _load_lines(details)
        if "counts" in details:
            lines += _dbt_lines(details)
        if "report_path" in details:
            lines += _report_lines(details)
        if step["error"] and "problems" not in details:
            lines += [f"      {line}" for line in step["error"].splitlines()]
    lines.append(f"Summary written to {summary['summary_file']}")
    return lines


def _load_lines(details: dict[str, Any]) -> list[str]:
    parts = [f"{details[f'objects_{k}']} {k}" for k in ("loaded", "unchanged", "refused", "failed")
             if details.get(f"objects_{k}")]
    lines = [f"      {details['objects_seen']} objects: {', '.join(parts) or 'none'}; "
             f"{details['rows_loaded']} rows loaded, {details['rows_rejected']} rejected"]
    gone = details.get("gone_from_source") or []
    if gone:
        lines.append(f"      {len(gone)} export(s) loaded earlier are gone from the source; their rows are "
                     "still in the warehouse and the marts:")
        lines += [f"        {uri}" for uri in gone]
        lines.append(f"      to back them out: {details['forget_command']}")
    return lines


def _count_text(kind: str, statuses: dict[str, int]) -> str:
    total = sum(statuses.values())
    label = kind.replace("_", " ")
    if total == 1:
        label = label.rstrip("s")
    words = {**_STATUS_WORDS, "success": "ran"} if kind == "hooks" else _STATUS_WORDS
    inner = ", ".join(f"{n} {words.get(s, s)}" for s, n in sorted(statuses.items(), key=lambda i: -i[1]))
    return f"{total} {label} ({inner})"


def _dbt_lines(details: dict[str, Any]) -> list[str]:
    order = ["models", "seeds", "snapshots", "data_tests", "unit_tests", "exposures", "hooks", "other"]
    counts = details["counts"]
    parts = [_count_text(kind, counts[kind]) for kind in order if kind in counts]
    lines = [f"      {details['nodes']} nodes: {'; '.join(parts)}"]
    if details.get("ga4"):
        lines.append(f"      {summary_line(Ga4Status(**details['ga4']))}")
    if health := export_health_line(details["problems"]):
        lines.append(f"      {health}")
    for problem in details["problems"]:
        what = "warning" if problem["status"] == "warn" else "failed"
        count = problem.get("failures")
        failures = f", {count} row{'s' if count != 1 else ''}" if count else ""
        lines.append(f"      {what}: {problem['name']} ({problem['kind'].replace('_', ' ').rstrip('s')}{failures})")
        # A failing data test's rows say more than dbt's "Got 3 results" message does.
        message = problem["message"]
        if message and (problem["kind"] != "data_tests" or problem["status"] == "error"):
            lines += [f"          {line}" for line in message.splitlines()[:8]]
        for row in problem.get("failing_rows", []):
            text = ", ".join(f"{k}={v}" for k, v in row.items())
            lines.append(f"          | {text[:_ROW_WIDTH]}{'…' if len(text) > _ROW_WIDTH else ''}")
        if problem.get("failing_rows_error"):
            lines.append(f"          (could not read the failing rows: {problem['failing_rows_error']})")
    for group in details["skipped"]:
        parts = [f"{group[k]} {k}" for k in ("models", "tests") if group[k]]
        because = (f"because {', '.join(n.split('.')[2] for n in group['because'])} failed"
                   if group["because"] else "(not run)")
        lines.append(f"      skipped: {' and '.join(parts) or str(len(group['nodes'])) + ' nodes'} {because}")
    if details.get("not_rebuilt"):
        lines.append("      not rebuilt, so older than the marts this run built (they may disagree):")
        lines += [f"        {name} (last built {when or 'never'})" for name, when in details["not_rebuilt"].items()]
    if details.get("bytes"):
        lines += [f"      {line}" for line in bytes_lines(details["bytes"])]
    lines.append(f"      dbt log: {details['log_file']}")
    return lines


def _report_lines(details: dict[str, Any]) -> list[str]:
    lines = [f"      {len(details['charts'])} charts, data as of {details['as_of']}: {details['report_path']}"]
    lines += [f"      not drawn: {key}: {why}" for key, why in details["charts_not_drawn"].items()]
    if details.get("ga4_note"):
        lines.append("      GA4 charts: not drawn, GA4 is not configured (one note on the page in their place)")
    if details.get("older_marts"):
        lines.append(f"      marked as older than the other marts: {', '.join(details['older_marts'])}")
    return lines
