"""A per-run BigQuery bytes budget (var bigquery_bytes_budget), kept in two places.

- Per job, enforced by BigQuery: each job dbt issues carries `maximum_bytes_billed`,
  the smaller of BQ_MAXIMUM_BYTES_BILLED and the budget (dbt_project/profiles.yml,
  which `job_cap_environment` hands the budget). On on-demand pricing BigQuery refuses a
  job that would bill more before it runs, and bills it nothing.
- Per run, enforced by orchestrate.py: after every node dbt reports done, the jobs
  of the invocation are listed (pipeline/bigquery_jobs.py) and, once they have billed
  the budget, dbt is stopped (SIGINT: dbt cancels the jobs it still runs) and the run
  fails with `over_budget`'s message.

What that guarantees: no single job bills more than the budget; and once a node's
completion shows the budget spent, dbt is stopped as soon as the jobs are listed
(a second or so). It can still spend past the budget what the nodes running until
then bill (dbt goes on with the next nodes while the check runs: at most the
profile's threads of them at a time, each of their jobs capped as above). A check
between nodes cannot see inside a node, and only BigQuery's per-job cap is a hard
ceiling.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.bigquery_jobs import Job, billed
from pipeline.dbt_bytes import format_bytes


def job_cap_environment(budget: int | None) -> dict[str, str]:
    """BQ_RUN_BYTES_BUDGET for dbt's profile, which caps each job at the smaller of it
    and BQ_MAXIMUM_BYTES_BILLED. Nothing when there is no budget, or when it is 0
    (to dbt-bigquery a cap of 0 means none; the run-level check stops that run)."""
    return {"BQ_RUN_BYTES_BUDGET": str(budget)} if budget else {}


def over_budget(budget: int, jobs: list[Job]) -> str | None:
    """The error message once the jobs have billed `budget` bytes, else None."""
    spent = billed(jobs)
    if spent < budget:
        return None
    return (f"BigQuery bytes budget spent: this dbt build's {len(jobs)} jobs billed {format_bytes(spent)} "
            f"({spent} bytes), and the budget (var bigquery_bytes_budget) is {format_bytes(budget)} "
            f"({budget} bytes), so dbt was stopped before its next node. The run summary's BigQuery "
            "bytes by model show where the bytes went; raise the budget with --vars "
            "'{bigquery_bytes_budget: N}' if this run should cost more, or build less "
            "(--select, or without --full-refresh).")


class BudgetWatch:
    """The run-level check: called when dbt reports a node done."""

    def __init__(self, budget: int, list_jobs: Callable[[str], list[Job]]) -> None:
        self.budget = budget
        self.list_jobs = list_jobs
        self.exceeded: str | None = None

    def check(self, invocation_id: str | None) -> str | None:
        """The message when the invocation's jobs have spent the budget, else None."""
        if invocation_id is None or self.exceeded:
            return self.exceeded
        self.exceeded = over_budget(self.budget, self.list_jobs(invocation_id))
        return self.exceeded
