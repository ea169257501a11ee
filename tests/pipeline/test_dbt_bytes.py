"""The run summary's BigQuery bytes, from run_results.json's adapter_response.

The local BigQuery API reports `bytes_processed: 0` and no `bytes_billed` (see
tests/bigquery/test_bigquery_pruning.py, which checks a real emulator run), so the sums are
tested here on results written in the shape dbt-bigquery documents for its
BigQueryAdapterResponse: `_message, code, rows_affected, bytes_processed,
bytes_billed, location, project_id, job_id, slot_ms`, the byte counts as integers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline import dbt
from pipeline.dbt_bytes import bytes_line, format_bytes
from pipeline.summary import summary_lines

GIB = 1024 ** 3


def _bq(code: str, processed: int | None, billed: int | None, rows: int | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "_message": f"{code} (… processed)", "code": code, "rows_affected": rows,
        "bytes_processed": processed, "bytes_billed": billed, "location": "US",
        "project_id": "p", "job_id": "j", "slot_ms": 10,
    }
    return response


def _result(unique_id: str, response: dict[str, Any], status: str = "success") -> dict[str, Any]:
    return {"unique_id": unique_id, "status": status, "adapter_response": response, "message": ""}


BIGQUERY_RESULTS = [
    _result("operation.membership_analytics.membership_analytics-on-run-start-0", {}),
    _result("seed.membership_analytics.plans", {"_message": "INSERT (4 rows)", "code": "INSERT",
                                                "rows_affected": 4}),
    _result("model.membership_analytics.base_ga4__events", _bq("SCRIPT", 3 * GIB, 3 * GIB + 5)),
    _result("model.membership_analytics.stg_ga4__events", _bq("CREATE VIEW", 0, 0)),
    _result("model.membership_analytics.fct_kpis_weekly", _bq("CREATE TABLE", GIB // 2, 10 * 1024 ** 2, 52)),
    _result("test.membership_analytics.not_null_fct_kpis_weekly_week_start.ab12", _bq("SELECT", 1000, 10 * 1024 ** 2),
            status="pass"),
    _result("model.membership_analytics.dim_members", {}, status="skipped"),
]


def _outcome(results: list[dict[str, Any]]) -> dbt.DbtOutcome:
    return dbt.DbtOutcome(returncode=0, log_file=Path("/tmp/dbt_build.log"), results=results)


def test_bytes_are_summed_over_every_node_by_kind_and_per_model() -> None:
    summary = dbt.summarize(_outcome(BIGQUERY_RESULTS))["bytes"]
    assert summary["processed"] == 3 * GIB + GIB // 2 + 1000
    assert summary["billed"] == 3 * GIB + 5 + 20 * 1024 ** 2
    assert summary["source"] == "main_statements"
    assert summary["jobs"] == 4  # the seed, hooks and the skipped model reported no bytes
    assert summary["by_kind"]["data_tests"] == {"processed": 1000, "billed": 10 * 1024 ** 2, "jobs": 1}
    assert summary["by_model"] == {
        "base_ga4__events": {"processed": 3 * GIB, "billed": 3 * GIB + 5, "jobs": 1},
        "fct_kpis_weekly": {"processed": GIB // 2, "billed": 10 * 1024 ** 2, "jobs": 1},
        "stg_ga4__events": {"processed": 0, "billed": 0, "jobs": 1},
    }
    assert summary["largest_model"] == "base_ga4__events"


def test_a_local_api_that_bills_nothing_gives_billed_none() -> None:
    results = [_result("model.p.base_ga4__events", {"_message": "SCRIPT (0 processed)", "code": "SCRIPT",
                                                      "bytes_processed": 0, "location": "US"})]
    summary = dbt.summarize(_outcome(results))["bytes"]
    assert summary["processed"] == 0 and summary["billed"] is None
    assert bytes_line(summary) == ("BigQuery: 0 B processed, billed not reported (1 jobs, main statements only); "
                                    "largest: base_ga4__events 0 B")


def test_duckdb_results_report_no_bytes() -> None:
    results = [_result("model.p.fct_kpis_weekly", {"_message": "OK", "code": "OK", "rows_affected": 3}),
               _result("operation.p.on-run-end-0", {})]
    assert dbt.summarize(_outcome(results))["bytes"] is None


def test_the_printed_summary_has_one_bytes_line() -> None:
    details = dbt.summarize(_outcome(BIGQUERY_RESULTS))
    summary = {"run_id": "r", "status": "success", "duration_seconds": 1.0, "target": "bigquery",
               "summary_file": "s.json",
               "steps": [{"name": "dbt_build", "status": "success", "duration_seconds": 1.0,
                          "attempts": 1, "error": None, "details": details}]}
    lines = [line.strip() for line in summary_lines(summary) if "BigQuery:" in line]
    assert lines == ["BigQuery: 3.5 GiB processed, 3.0 GiB billed (4 jobs, main statements only); "
                     "largest: base_ga4__events 3.0 GiB"]
    duckdb = {**summary, "steps": [{**summary["steps"][0], "details": {**details, "bytes": None}}]}
    assert not [line for line in summary_lines(duckdb) if "BigQuery:" in line]


def test_format_bytes_uses_binary_units() -> None:
    assert format_bytes(0) == "0 B"
    assert format_bytes(1023) == "1023 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(1288490189) == "1.2 GiB"
    assert format_bytes(5 * 1024 ** 4) == "5.0 TiB"
