"""How int_kpis_aggregated's cost grows: members x periods, or members + periods.

The SQL dbt ran for the model in a full refresh (run_results.json's compiled_code)
is run again, in a child process, on synthetic inputs of two sizes: a small one
and 1,000,000 members over 3 years of periods. Its upstream relations are swapped
for tables of the same columns: members with deterministic dates (a hash of the
member number), their paying spells (one, and a second for some who canceled), no
GA4 counts per period, and the week and month spine of the years.

Run alone, `python benchmarks/kpi_scaling_bench.py COMPILED_SQL --workdir DIR` runs
the smallest size only: a quick check that the synthetic inputs still cover every
relation the model reads (tests/benchmarks/test_kpi_scaling_bench.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from measure import run_measured
from report import Figure

SIZES = (("small", 10_000, 1), ("large", 1_000_000, 3))

_SCRIPT = r"""
import json, sys, time, duckdb
sql, members, years = open(sys.argv[1]).read(), int(sys.argv[2]), int(sys.argv[3])
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
con.execute(f'''
    create table members as
    select
        i as member_id,
        date '2024-01-01' + cast(hash(i, 1) % ({years} * 365) as integer) as signup_date,
        case when hash(i, 2) % 3 = 0 then null
             else date '2024-01-01' + cast(hash(i, 1) % ({years} * 365) + hash(i, 3) % 30 as integer) end
            as first_paid_date,
        case when hash(i, 4) % 2 = 0 then null
             else date '2024-01-01' + cast(hash(i, 1) % ({years} * 365) + 30 + hash(i, 5) % 300 as integer) end
            as canceled_date,
        true as is_valid_lifecycle,
        hash(i, 3) % 30 < 7 as is_converted_within_window
    from range({members}) as r(i)
''')
# Each paying member's spells: the first from first_paid_date to canceled_date, and
# for a third of those who canceled a second one, 60 days after the first ended.
con.execute('''
    create table spells as
    select member_id, 1 as spell_number, first_paid_date as spell_start_date, canceled_date as spell_end_date
    from members
    where first_paid_date is not null
    union all
    select member_id, 2, canceled_date + 60, cast(null as date)
    from members
    where first_paid_date is not null and canceled_date is not null and hash(member_id, 6) % 3 = 0
''')
con.execute("create table ga4_periods as select cast(null as varchar) as period_grain, "
            "cast(null as date) as period_start, cast(0 as bigint) as active_users, "
            "cast(0 as bigint) as new_users where false")
con.execute(f'''
    create table periods as
    with days as (
        select cast(d as date) as d
        from range(date '2024-01-01', date '2024-01-01' + interval ({years * 365 + 30}) day, interval 1 day) as t(d)
    )
    , spine as (
        select distinct 'week' as period_grain, cast(date_trunc('week', d) as date) as period_start,
            cast(date_trunc('week', d) as date) + 6 as period_end from days
        union all
        select distinct 'month', cast(date_trunc('month', d) as date), cast(last_day(d) as date) from days
    )
    -- The membership data spans the whole spine; there is no GA4 data.
    select *, true as is_complete_period, date '2024-01-01' + {years * 365 + 30} as as_of_date,
        date '2024-01-01' as membership_first_date, date '2024-01-01' + {years * 365 + 30} as membership_as_of_date,
        cast(null as date) as ga4_first_date, cast(null as date) as ga4_as_of_date
    from spine
''')
periods = con.execute("select count(*) from periods").fetchone()[0]
started = time.perf_counter()
rows = con.execute(f"select count(*) from ({sql})").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - started, "periods": periods, "rows": rows}))
"""


def _swap_relations(compiled: str) -> str:
    """The model's SQL reading the synthetic tables instead of the warehouse's."""
    for name, table in (("int_members_validated", "members"), ("int_paying_spells_merged", "spells"),
                        ("int_ga4_periods_aggregated", "ga4_periods"), ("int_periods_spined", "periods")):
        compiled = re.sub(r'"[^"]+"\."[^"]+"\."' + name + '"', table, compiled)
    return compiled


def run(workdir: Path, run_results: dict[str, object] | None) -> tuple[dict[str, object], list[Figure]]:
    compiled = next(
        (str(r.get("compiled_code")) for r in (run_results or {}).get("results", [])  # type: ignore[union-attr]
         if str(r.get("unique_id", "")).endswith(".int_kpis_aggregated") and r.get("compiled_code")),
        None,
    )
    if compiled is None:
        raise RuntimeError("int_kpis_aggregated has no compiled_code in the full refresh's run_results.json; "
                           "run the pipeline section first (benchmarks/run.py --only pipeline).")
    results: dict[str, object] = dict(measure(workdir, compiled, SIZES))
    small, large = results["small"], results["large"]  # type: ignore[assignment]
    sum_growth = (large["members"] + large["periods"]) / (small["members"] + small["periods"])
    product_growth = (large["members"] * large["periods"]) / (small["members"] * small["periods"])
    time_growth = large["seconds"] / small["seconds"]
    results.update({"members_plus_periods_growth": sum_growth, "members_times_periods_growth": product_growth,
                    "time_growth": time_growth})
    figures = [
        Figure("pipeline", "int_kpis_aggregated, 1M members x 3 years", large["seconds"], "s",
               f"same SQL, {small['members']:,} members x 1 year", small["seconds"],
               # Growing with members + periods: the time ratio within twice that growth.
               limit=2 * sum_growth,
               note=f"members + periods grew {sum_growth:.0f}x, members x periods {product_growth:.0f}x"),
    ]
    return results, figures


def measure(workdir: Path, compiled: str, sizes: Sequence[tuple[str, int, int]]) -> dict[str, dict[str, Any]]:
    """The model's compiled SQL run on the synthetic inputs of each (label, members, years)."""
    workdir.mkdir(parents=True, exist_ok=True)
    sql_path = workdir / "int_kpis_aggregated.sql"
    sql_path.write_text(_swap_relations(compiled), encoding="utf-8")
    results: dict[str, dict[str, Any]] = {}
    for label, members, years in sizes:
        measurement = run_measured(
            [sys.executable, "-c", _SCRIPT, str(sql_path), str(members), str(years)],
            workdir / f"kpi_{label}.log",
        )
        output = json.loads(Path(measurement.log_path).read_text().strip().splitlines()[-1])
        results[label] = {"members": members, "years": years, **output, "peak_rss_mb": measurement.peak_rss_mb}
    return results


def main(argv: list[str] | None = None) -> int:
    """A quick check that the benchmark still runs on the model's SQL: its smallest size only."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("compiled", type=Path,
                        help="int_kpis_aggregated's compiled SQL (dbt compile --select int_kpis_aggregated, "
                             "then target/compiled/.../int_kpis_aggregated.sql)")
    parser.add_argument("--workdir", type=Path, required=True, help="where the SQL and the logs are written")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.workdir, args.compiled.read_text(encoding="utf-8"), SIZES[:1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
