"""Running MetricFlow's `mf` against a built test warehouse, as an analyst would.

`mf` reads the semantic manifest from `<project>/target/semantic_manifest.json`
only (it ignores DBT_TARGET_PATH), so the tests give it a copy of dbt_project/ of
their own, holding the manifest of the test's own build: nothing reads or writes
the repository's dbt_project/target.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

from tests.support.pipeline_runs import ROOT

MF = Path(sys.executable).parent / "mf"
COPY_IGNORE = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml")


def project_copy(manifest_dir: Path, dest: Path) -> Path:
    """dbt_project/ copied to `dest`, with the semantic manifest of the build whose
    dbt target directory is `manifest_dir`."""
    project = dest / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", project, ignore=COPY_IGNORE)
    (project / "target").mkdir()
    shutil.copy(manifest_dir / "semantic_manifest.json", project / "target" / "semantic_manifest.json")
    return project


def parsed_project_copy(dest: Path, env: dict[str, str]) -> Path:
    """dbt_project/ copied to `dest` and parsed (`dbt parse`) with `env`, whose
    DBT_TARGET decides the relations the semantic manifest names."""
    project = dest / "dbt_project"
    shutil.copytree(ROOT / "dbt_project", project, ignore=COPY_IGNORE)
    env = {k: v for k, v in env.items() if k not in {"DBT_TARGET_PATH", "DBT_LOG_PATH"}}
    result = subprocess.run([str(MF.parent / "dbt"), "parse", "--quiet", "--project-dir", str(project),
                             "--profiles-dir", str(project)], cwd=project, env=env, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, f"dbt parse failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return project


def explain(project: Path, env: dict[str, str], metrics: list[str], group_by: list[str]) -> str:
    """The SQL `mf query --explain` compiles for the project's target, without running it."""
    result = run(project, env, "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by),
                 "--explain")
    marker = "SQL ("
    assert result.returncode == 0 and marker in result.stdout, (
        f"mf query --explain failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    text = result.stdout
    return text[text.index("\n", text.index(marker)):].strip()


def run(project: Path, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`mf <args>` in `project`; DBT_TARGET_PATH is dropped so dbt's own files stay in the copy."""
    env = {k: v for k, v in env.items() if k != "DBT_TARGET_PATH"}
    return subprocess.run([str(MF), *args], cwd=project, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _cell(text: str) -> object:
    """A CSV cell of `mf query --csv` as a date, number or None."""
    if text == "":
        return None
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return dt.date.fromisoformat(text[:10])
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def query(project: Path, env: dict[str, str], metrics: list[str], group_by: list[str],
          out: Path, *extra: str) -> list[dict[str, object]]:
    """The rows of `mf query`, each a dict of column -> value; fails with mf's output."""
    result = run(project, env, "query", "--metrics", ",".join(metrics),
                 "--group-by", ",".join(group_by), "--csv", str(out), *extra)
    assert result.returncode == 0 and out.exists(), (
        f"mf query failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    with out.open(newline="", encoding="utf-8") as handle:
        return [{k: _cell(v) for k, v in row.items()} for row in csv.DictReader(handle)]
