"""dbt's own overhead at this project's size: a build that selects nothing.

`dbt build --select <nothing>` parses the project, builds the graph and stops: what
every invocation pays before the first query. Measured with dbt's partial parsing
(state from an earlier parse reused) and without it (`--no-partial-parse`), plus
`dbt compile` of every model (parse, then render each model's SQL).
Baseline: `dbt --version`, the interpreter and dbt's imports alone.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from measure import Measurement, run_measured
from report import Figure

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "dbt_project"
# A selector that matches no node: the build parses and stops.
NOTHING = "none_such_model"


def _env(workdir: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
    return {
        **{key: os.environ[key] for key in keep if key in os.environ},
        "DBT_PROFILES_DIR": str(PROJECT),
        "DUCKDB_PATH": str(workdir / "overhead.duckdb"),
        "GA4_LOCAL_PATH": str(workdir / "ga4"),
        # Our own target and log folders: partial-parse state must be ours alone.
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs" / "dbt"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _dbt(workdir: Path, label: str, args: list[str]) -> Measurement:
    dbt = str(Path(sys.executable).parent / "dbt")
    return run_measured(
        [dbt, *args], workdir / "logs" / f"{label}.log", env=_env(workdir), cwd=PROJECT
    )


def _best(runs: list[Measurement]) -> Measurement:
    return min(runs, key=lambda m: m.wall_seconds)


def run(workdir: Path, repeat: int) -> tuple[dict[str, object], list[Figure]]:
    workdir.mkdir(parents=True, exist_ok=True)
    if (workdir / "target").exists():
        shutil.rmtree(workdir / "target")
    version, cold, warm, compiled = [], [], [], []
    for attempt in range(repeat):
        version.append(_dbt(workdir, f"dbt_version_{attempt}", ["--version"]))
        cold.append(_dbt(workdir, f"build_nothing_no_partial_parse_{attempt}",
                         ["build", "--select", NOTHING, "--no-partial-parse"]))
        # The run before left partial-parse state behind; this one reuses it.
        warm.append(_dbt(workdir, f"build_nothing_partial_parse_{attempt}",
                         ["build", "--select", NOTHING]))
        # Rendering every model's SQL (Jinja, macros, ref/source resolution) on top
        # of parsing, against an empty warehouse: the compile share of a build.
        compiled.append(_dbt(workdir, f"compile_partial_parse_{attempt}", ["compile", "--quiet"]))
    baseline, full_parse, partial_parse = _best(version), _best(cold), _best(warm)
    compile_all = _best(compiled)
    nodes = _count_nodes(workdir / "target" / "manifest.json")
    results = {
        "project_nodes": nodes,
        "baseline_dbt_version": baseline.as_dict(),
        "build_nothing_no_partial_parse": full_parse.as_dict(),
        "build_nothing_partial_parse": partial_parse.as_dict(),
        "compile_all_partial_parse": compile_all.as_dict(),
        "repeat": repeat,
    }
    figures = [
        Figure("overhead", "dbt build, nothing selected, no partial parse", full_parse.wall_seconds, "s",
               "dbt --version", baseline.wall_seconds),
        Figure("overhead", "dbt build, nothing selected, partial parse", partial_parse.wall_seconds, "s",
               "dbt --version", baseline.wall_seconds),
        Figure("overhead", "partial parse vs full parse", partial_parse.wall_seconds, "s",
               "no partial parse", full_parse.wall_seconds),
        Figure("overhead", "dbt compile, every model, partial parse", compile_all.wall_seconds, "s",
               "dbt --version", baseline.wall_seconds),
    ]
    return results, figures


def _count_nodes(manifest_path: Path) -> dict[str, int]:
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return {}
    counts: dict[str, int] = {}
    for node in manifest.get("nodes", {}).values():
        kind = str(node.get("resource_type"))
        counts[kind] = counts.get(kind, 0) + 1
    counts["source"] = len(manifest.get("sources", {}))
    counts["macro"] = len(manifest.get("macros", {}))
    return counts
