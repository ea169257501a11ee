"""Every BigQuery job one dbt invocation issued, read back with the jobs.list API.

A model's row in run_results.json holds the statistics of its main statement only;
dbt-bigquery issues more jobs than that: the temporary table and the merge of an
incremental model, the macros' look-ups (`max(event_date)` of a table, the GA4
export's table listing), the hooks, the tests. Each of them carries the query
comment of dbt_project.yml (macros/run/job_comment.sql): the invocation's id and the
node's id, in the query text and, with `job-label: true`, as the job's labels
(dbt-bigquery also labels every job `dbt_invocation_id`). This module lists the
project's jobs created since the invocation started (`jobs.list`, projection full:
the caller's own jobs, which needs `bigquery.jobs.list`, part of the BigQuery User
role) and keeps those whose comment or labels name the invocation.

jobs.list returns top-level jobs only: a multi-statement script (an incremental
merge) is one job whose statistics sum its statements, so nothing is counted twice.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

# A job's creation time may lag our clock a little; jobs of other invocations that
# slip into the window are told apart by their invocation id.
_CLOCK_SLACK = dt.timedelta(minutes=2)
_PAGE_SIZE = 1000
_COMMENT = re.compile(r"/\*\s*(\{.*?\})\s*\*/", re.DOTALL)


@dataclass(frozen=True)
class Job:
    """One BigQuery job of the invocation, as the API reported it."""

    job_id: str
    node_id: str | None  # None: a statement dbt ran outside any node
    processed: int | None
    billed: int | None
    maximum_bytes_billed: int | None
    labels: dict[str, str]


class JobLister(Protocol):
    """What this module needs of google.cloud.bigquery.Client."""

    def list_jobs(self, *, min_creation_time: dt.datetime, page_size: int, all_users: bool
                  ) -> Iterable[Any]: ...


def job_comment(sql: str) -> dict[str, Any]:
    """The JSON query comment dbt put on a statement; {} when it has none."""
    for match in _COMMENT.finditer(sql or ""):
        try:
            value = json.loads(match.group(1))
        except ValueError:
            continue
        if isinstance(value, dict) and "invocation_id" in value:
            return value
    return {}


def invocation_jobs(client: JobLister, invocation_id: str, since: dt.datetime) -> list[Job]:
    """Every query job of `invocation_id` created since `since` (a UTC datetime)."""
    jobs = []
    for job in client.list_jobs(min_creation_time=since - _CLOCK_SLACK, page_size=_PAGE_SIZE, all_users=False):
        if getattr(job, "job_type", None) != "query":
            continue  # load, copy and extract jobs bill no query bytes
        comment = job_comment(getattr(job, "query", "") or "")
        labels = dict(getattr(job, "labels", None) or {})
        if invocation_id not in (comment.get("invocation_id"), labels.get("dbt_invocation_id"),
                                 labels.get("invocation_id")):
            continue
        jobs.append(Job(
            job_id=str(job.job_id),
            node_id=comment.get("node_id"),
            processed=_int(getattr(job, "total_bytes_processed", None)),
            billed=_int(getattr(job, "total_bytes_billed", None)),
            maximum_bytes_billed=_int(getattr(job, "maximum_bytes_billed", None)),
            labels=labels,
        ))
    return jobs


def billed(jobs: Iterable[Job]) -> int:
    """What the jobs billed; where a job reported no billed figure, what it processed."""
    return sum((job.billed if job.billed is not None else job.processed or 0) for job in jobs)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
