"""`python -m pipeline.docs_current`: exit 0 when the built dbt docs are current, so
that `make docs` serves them at once instead of rebuilding every model first.

The docs are current when the site (index.html, manifest.json, catalog.json in the
dbt target directory) is newer than every file of the dbt project and, on DuckDB,
than the warehouse file (a build since changes the catalog). Otherwise it prints why
and exits 1, and `make docs` builds first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.settings import DBT_PROJECT_DIR, resolve

SITE_FILES = ("index.html", "manifest.json", "catalog.json")
PROJECT_PARTS = ("models", "macros", "seeds", "tests", "dbt_project.yml", "profiles.yml")


def _newest(paths: list[Path]) -> tuple[float, Path | None]:
    newest: tuple[float, Path | None] = (0.0, None)
    for path in paths:
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.exists() else []
        for file in files:
            mtime = file.stat().st_mtime
            if mtime > newest[0]:
                newest = (mtime, file)
    return newest


def why_stale(target_dir: Path, warehouse: Path | None) -> str | None:
    """Why the docs in `target_dir` must be rebuilt, or None when they are current."""
    missing = [name for name in SITE_FILES if not (target_dir / name).is_file()]
    if missing:
        return f"no built docs yet ({', '.join(missing)} missing in {target_dir})"
    built = min((target_dir / name).stat().st_mtime for name in SITE_FILES)
    changed, path = _newest([DBT_PROJECT_DIR / part for part in PROJECT_PARTS]
                            + ([warehouse] if warehouse else []))
    if changed > built:
        return f"{path} changed after the docs were built"
    return None


def main() -> int:
    settings = resolve(os.environ.get("DBT_TARGET") or "duckdb", {}, {})
    warehouse = Path(settings.duckdb_path) if settings.target == "duckdb" else None
    reason = why_stale(settings.dbt_target_path, warehouse)
    if reason:
        print(f"docs: rebuilding, {reason}", file=sys.stderr)
        return 1
    print(f"docs: current ({settings.dbt_target_path}), serving them without a rebuild", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
