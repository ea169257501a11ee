"""The run summary's bytes from every BigQuery job, and the bytes budget's arithmetic.

The local BigQuery API reports 0 bytes for every job and keeps no labels (see
tests/test_bigquery_job_accounting.py, which runs dbt on it), so the sums and the
budget's threshold are checked here on jobs in the shape BigQuery's jobs.list gives,
as pipeline/bigquery_jobs.py reads them.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import dbt
from pipeline.bigquery_jobs import Job, billed, job_comment
from pipeline.bytes_budget import over_budget
from pipeline.dbt_bytes import bytes_lines

GIB = 1024 ** 3
BASE = "model.membership_analytics.base_ga4__events"


def _job(node: str | None, processed: int | None, billed_bytes: int | None) -> Job:
    return Job(job_id="j", node_id=node, processed=processed, billed=billed_bytes,
               maximum_bytes_billed=None, labels={})


# An incremental run of base_ga4__events issues three jobs: the max(event_date)
# look-up, the temporary table of the window, the merge script.
JOBS = [
    _job(BASE, 10 * 1024 ** 2, 10 * 1024 ** 2),
    _job(BASE, 2 * GIB, 2 * GIB),
    _job(BASE, GIB, GIB),
    _job("model.membership_analytics.fct_kpis_weekly", 5000, 10 * 1024 ** 2),
    _job("test.membership_analytics.not_null_fct_kpis_weekly_week_start.ab12", 100, 10 * 1024 ** 2),
    _job("operation.membership_analytics.membership_analytics-on-run-end-0", 0, 0),
    _job(None, 0, None),  # a statement outside any node
]


def _outcome(jobs: list[Job] | None, jobs_error: str | None = None) -> dbt.DbtOutcome:
    return dbt.DbtOutcome(returncode=0, log_file=Path("dbt.log"), jobs=jobs, jobs_error=jobs_error)


def test_every_job_is_counted_under_its_node() -> None:
    summary = dbt.summarize(_outcome(JOBS))["bytes"]
    assert summary["source"] == "jobs"
    assert summary["jobs"] == 7
    assert summary["processed"] == 3 * GIB + 10 * 1024 ** 2 + 5100
    assert summary["billed"] == 3 * GIB + 30 * 1024 ** 2
    assert summary["by_model"]["base_ga4__events"] == {
        "processed": 3 * GIB + 10 * 1024 ** 2, "billed": 3 * GIB + 10 * 1024 ** 2, "jobs": 3}
    assert set(summary["by_kind"]) == {"models", "data_tests", "hooks", "outside_nodes"}
    assert summary["by_kind"]["outside_nodes"] == {"processed": 0, "billed": None, "jobs": 1}
    assert summary["largest_model"] == "base_ga4__events"


def test_the_printed_lines_show_every_job_and_the_models_by_bytes() -> None:
    lines = bytes_lines(dbt.summarize(_outcome(JOBS))["bytes"], models_shown=1)
    assert lines == [
        "BigQuery: 3.0 GiB processed, 3.0 GiB billed (7 jobs, every job); largest: base_ga4__events 3.0 GiB",
        "  by model: base_ga4__events 3.0 GiB (3 jobs), and 1 more (run summary file)",
    ]


def test_without_the_jobs_the_main_statements_are_shown_and_why() -> None:
    outcome = _outcome(None, jobs_error="Forbidden: 403")
    outcome.results = [{"unique_id": BASE, "status": "success",
                        "adapter_response": {"bytes_processed": GIB, "bytes_billed": GIB}}]
    summary = dbt.summarize(outcome)["bytes"]
    assert summary["source"] == "main_statements" and summary["jobs_error"] == "Forbidden: 403"
    assert bytes_lines(summary)[-1] == "  not every job counted: Forbidden: 403"


def test_a_job_without_a_billed_figure_counts_what_it_processed() -> None:
    assert billed([_job(BASE, 7, None), _job(BASE, 7, 10)]) == 17


def test_the_budget_is_spent_once_the_jobs_billed_it() -> None:
    assert over_budget(3 * GIB + 30 * 1024 ** 2 + 1, JOBS) is None
    message = over_budget(3 * GIB, JOBS)
    assert message is not None
    assert "7 jobs billed 3.0 GiB" in message and "bigquery_bytes_budget" in message
    assert "--vars '{bigquery_bytes_budget: N}'" in message
    assert over_budget(0, []) is not None  # a budget of 0 allows nothing


def test_the_query_comment_is_found_wherever_dbt_put_it() -> None:
    comment = '/* {"app": "dbt", "invocation_id": "abc", "node_id": "model.p.m"} */'
    assert job_comment(f"{comment}\nselect 1")["node_id"] == "model.p.m"
    assert job_comment(f"select 1\n{comment}")["invocation_id"] == "abc"
    assert job_comment("/* not json */ select 1") == {}
    assert job_comment('/* {"other": 1} */ select 1') == {}
