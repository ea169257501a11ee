"""The membership models on DuckDB: built export by export, they equal a full rebuild.

The sequence (first exports, a new export, an export reloaded with changed rows, an
export forgotten) is tests/support/membership_sequence.py's; here the pipeline is
`python orchestrate.py` on a scratch DuckDB file, and the full rebuild is
`orchestrate.py --skip-load --full-refresh` on a copy of that file, so both read the
same raw tables.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import duckdb

from tests.support.dbt_selection import MODELS_AND_SEEDS, NO_DATA_TESTS
from tests.support.membership_sequence import (
    Rows,
    generate_exports,
    loader_command,
    run_sequence,
    sorted_rows,
)
from tests.support.pipeline_runs import Workspace, explain, step


class DuckDBPipeline:
    def __init__(self, root: Path) -> None:
        self.workspace = Workspace(root=root, membership_dir=root / "membership", ga4_dir=root / "ga4")
        self.workspace.ga4_dir.mkdir(parents=True, exist_ok=True)
        self._rebuilds = 0

    def orchestrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.workspace.run(*args, timeout=600)

    def forget(self, uri: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(loader_command("forget", uri, "--target", "duckdb"), env=self.workspace.env(),
                              cwd=self.workspace.root, capture_output=True, text=True, timeout=300)

    def full_rebuild(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        self._rebuilds += 1
        root = self.workspace.root.parent / f"{self.workspace.root.name}_rebuild_{self._rebuilds}"
        copy = Workspace(root=root, membership_dir=self.workspace.membership_dir, ga4_dir=self.workspace.ga4_dir)
        copy.duckdb_path.parent.mkdir(parents=True)
        shutil.copy2(self.workspace.duckdb_path, copy.duckdb_path)
        # Only a baseline: the incremental runs it is compared with run every data test.
        result = copy.run(*MODELS_AND_SEEDS, "--skip-load", "--full-refresh", timeout=600, **NO_DATA_TESTS)
        assert result.returncode == 0, f"the full rebuild: {explain(result)}"
        counts = step(copy.summary(), "dbt_build")["details"]["counts"]
        assert set(counts["models"]) == {"success"} and "data_tests" not in counts, counts
        return _tables(copy.duckdb_path, tables)

    def tables(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        return _tables(self.workspace.duckdb_path, tables)


def _tables(path: Path, tables: tuple[str, ...]) -> dict[str, Rows]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables_rows = {}
        for table in tables:
            cursor = con.execute(f"select * from analytics.{table}")
            columns = [d[0] for d in cursor.description]
            tables_rows[table] = sorted_rows([dict(zip(columns, row, strict=True)) for row in cursor.fetchall()])
        return tables_rows


def test_membership_models_built_export_by_export_equal_a_full_rebuild(tmp_path: Path) -> None:
    exports = generate_exports(tmp_path / "data")
    run_sequence(DuckDBPipeline(tmp_path / "pipeline"), exports)
