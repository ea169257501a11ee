"""The membership models on BigQuery (the local API): built export by export, they
equal a full rebuild.

The sequence (first exports, a new export, an export reloaded with changed rows, an
export forgotten) is tests/support/membership_sequence.py's. The pipeline is
`python orchestrate.py --target bigquery` (the loader's BigQuery sink, then an
incremental dbt build) into one dataset; the full rebuild is `orchestrate.py
--skip-load --full-refresh` into another dataset over the same raw dataset.

Every query costs the local API a tenth of a second or more, so the builds select the
models and seeds (the GA4 models are off anyway: no shard). The incremental runs, the
state under test, also run the data tests of those models (dbt's eager indirect
selection adds them); the full rebuilds, baselines for the comparison, do not (a full
build's data tests run in test_bigquery_end_to_end.py and on the DuckDB twin of this
sequence). The rebuilds keep dbt's files apart from the
incremental runs': each series then parses the project once and partially afterwards
(dbt parses from scratch whenever the profile, here the dataset, differs from the last
parse in its target directory).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.support.bigquery_emulator import Emulator, emulator_env
from tests.support.dbt_selection import MODELS_AND_SEEDS, NO_DATA_TESTS
from tests.support.membership_sequence import (
    Rows,
    generate_exports,
    loader_command,
    run_sequence,
    sorted_rows,
)
from tests.support.pipeline_runs import Workspace, explain, step

pytestmark = [pytest.mark.bigquery, pytest.mark.slow]

RAW = "raw_members_incremental"
INCREMENTAL = "marts_members_incremental"
REBUILT = "marts_members_rebuilt"


class BigQueryPipeline:
    def __init__(self, emulator: Emulator, root: Path) -> None:
        self.emulator = emulator
        self.workspace = Workspace(root=root, membership_dir=root / "membership", ga4_dir=root / "ga4")
        self.workspace.ga4_dir.mkdir(parents=True, exist_ok=True)

    def _env(self, dataset: str) -> dict[str, str]:
        env = emulator_env(self.emulator, BQ_DATASET=dataset, RAW_SCHEMA=RAW, BQ_THREADS="2")
        return {k: v for k, v in env.items() if k.startswith(("BQ_", "GOOGLE_", "BIGQUERY_")) or k == "RAW_SCHEMA"}

    def orchestrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.workspace.run("--target", "bigquery", *MODELS_AND_SEEDS, *args, timeout=900,
                                  **self._env(INCREMENTAL))

    def forget(self, uri: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(loader_command("forget", uri, "--target", "bigquery"),
                              env=self.workspace.env(**self._env(INCREMENTAL)), cwd=self.workspace.root,
                              capture_output=True, text=True, timeout=300)

    def full_rebuild(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        summary = self.workspace.root / "state" / "rebuild.json"
        result = self.workspace.run("--target", "bigquery", *MODELS_AND_SEEDS, "--skip-load", "--full-refresh",
                                    "--summary-file", str(summary), timeout=900, **self._env(REBUILT),
                                    **NO_DATA_TESTS, DBT_TARGET_PATH=str(self.workspace.root / "rebuild_target"),
                                    DBT_LOG_PATH=str(self.workspace.root / "rebuild_logs"))
        assert result.returncode == 0, f"the full rebuild: {explain(result)}"
        counts = step(json.loads(summary.read_text(encoding="utf-8")), "dbt_build")["details"]["counts"]
        assert set(counts["models"]) == {"success"} and "data_tests" not in counts, counts
        return self._tables(REBUILT, tables)

    def tables(self, tables: tuple[str, ...]) -> dict[str, Rows]:
        return self._tables(INCREMENTAL, tables)

    def _tables(self, dataset: str, tables: tuple[str, ...]) -> dict[str, Rows]:
        client = bigquery.Client(
            project=self.emulator.project, credentials=AnonymousCredentials(),
            client_options={"api_endpoint": self.emulator.endpoint},
        )
        try:
            return {
                table: sorted_rows([dict(row.items()) for row in client.query(
                    f"select * from `{client.project}.{dataset}.{table}`"
                ).result()])
                for table in tables
            }
        finally:
            client.close()


def test_bigquery_membership_models_built_export_by_export_equal_a_full_rebuild(
    bigquery_emulator: Emulator, tmp_path: Path
) -> None:
    exports = generate_exports(tmp_path / "data")
    run_sequence(BigQueryPipeline(bigquery_emulator, tmp_path / "pipeline"), exports)
