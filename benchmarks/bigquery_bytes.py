"""What the GA4 export costs a BigQuery run: bytes read by a daily run against a full refresh.

BigQuery on demand bills the bytes of the columns a query references in the tables
it scans, at their logical (uncompressed) size, and scans only the shards a literal
`_TABLE_SUFFIX` range names. base_ga4__events is the one model that reads the export
(tests/bigquery/test_bigquery_pruning.py checks its compiled ranges); so a run's export bytes
are, for each shard the run reads, that shard's logical bytes in the columns the
model references. Which shards: the window rules (docs/specification.md), the same
the compiled SQL shows:

- full refresh: every shard;
- daily incremental run: the ga4_lookback_days + 1 days up to the latest day already
  loaded, plus the new day (the range is open-ended, so every newer shard);

Logical sizes follow BigQuery's data-size rules: STRING 2 bytes + its UTF-8 length,
INT64 / FLOAT64 / TIMESTAMP 8, BOOL 1, a STRUCT the sum of the fields read, an ARRAY
the sum of its elements, NULL 0. The shards are the benchmark's generated Parquet
files (the same schema as the export); their Parquet size is reported beside, as the
compressed stand-in. The figures at 1 and 3 years extrapolate from the mean shard
of the last 28 days of the benchmark data (the steady state of the simulated site).

The merge's side: each incremental model replaces ga4_lookback_days + 1 literal
dates, so BigQuery scans those partitions of the model's table; a partition list of
subqueries (all a parse-time config can hold) would make it scan every partition.

The window's look-up, `select max(event_date)` of the model's own table
(macros/cross_db/ga4_latest_date.sql), is bounded by a literal date REACH_DAYS before
the export's newest daily table, so BigQuery reads the DATE column (8 bytes a row)
of the table's last REACH_DAYS partitions only, whatever the history: the days from
that bound up to the latest day loaded (the day before the new one). For
base_ga4__events, one row per event, that is counted here at LOOKUPS_PER_RUN
look-ups a run (the model's query, and the partitions its merge replaces, which asks
the window again and the latest day); the other incremental GA4 models and the data
tests' look-ups (one each, bounded the same way) are left out, so the figure is a
lower bound. `lookup_bytes_unbounded` is what the same look-ups cost without the
bound, reading the whole column.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pipeline_bench import _generate
from report import Figure

SECTION = "bigquery"
LOOKBACK_DAYS = 3  # the ga4_lookback_days default (dbt_project.yml)
STEADY_DAYS = 28
YEARS = (1, 3)
MIB = 1024 ** 2
LOOKUPS_PER_RUN = 3  # macros/ga4/ga4_date_window.sql: ga4_date_window twice, ga4_partitions_to_replace once
DATE_BYTES = 8
REACH_DAYS = 31  # ga4_latest_date_reach() (macros/cross_db/ga4_latest_date.sql)

# The export columns base_ga4__events references (a dotted path reads one field of
# a struct; event_params is read whole, by to_json_string and the parameter lookups).
COLUMNS_READ = (
    "event_date", "event_timestamp", "event_name", "event_params", "user_id", "user_pseudo_id",
    "user_first_touch_timestamp", "is_active_user",
    "traffic_source.source", "traffic_source.medium", "traffic_source.name",
    "collected_traffic_source.manual_source", "collected_traffic_source.manual_medium",
    "collected_traffic_source.manual_campaign_name", "collected_traffic_source.gclid",
    "session_traffic_source_last_click.manual_campaign.source",
    "session_traffic_source_last_click.manual_campaign.medium",
    "session_traffic_source_last_click.manual_campaign.campaign_name",
    "device.category", "geo.country", "stream_id", "platform",
)


def logical_bytes(array: pa.Array | pa.ChunkedArray) -> int:
    """BigQuery's logical size of a column: what on-demand pricing counts."""
    if isinstance(array, pa.ChunkedArray):
        return sum(logical_bytes(chunk) for chunk in array.chunks)
    valid = len(array) - array.null_count
    kind = array.type
    if pa.types.is_struct(kind):
        return sum(logical_bytes(child) for child in array.flatten())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return logical_bytes(array.flatten())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        lengths = pc.sum(pc.binary_length(array)).as_py() or 0
        return int(lengths) + 2 * valid
    if pa.types.is_boolean(kind):
        return valid
    return 8 * valid  # INT64, FLOAT64, TIMESTAMP, DATE


def _field(array: pa.Array, path: list[str]) -> pa.Array | None:
    """The struct field at `path`, nulls of its parents included; None if absent."""
    for name in path:
        index = array.type.get_field_index(name)
        if index < 0:
            return None
        array = array.flatten()[index]
    return array


def shard_bytes(path: Path) -> int:
    """The logical bytes base_ga4__events reads from one shard."""
    available = set(pq.read_schema(path).names)
    tops = sorted({column.split(".")[0] for column in COLUMNS_READ} & available)
    table = pq.read_table(path, columns=tops)
    total = 0
    for column in COLUMNS_READ:
        top, *rest = column.split(".")
        if top not in available:
            continue  # a shard from before the column existed: BigQuery reads nulls, 0 bytes
        array = table.column(top).combine_chunks()
        leaf = _field(array, rest) if rest else array
        total += logical_bytes(leaf) if leaf is not None else 0
    return total


def _lookup_bytes(mean_rows: float, days: int) -> float:
    """What a run's look-ups of base_ga4__events' latest day read: its DATE column over `days` partitions."""
    return LOOKUPS_PER_RUN * DATE_BYTES * mean_rows * days


def run(workdir: Path, members: int, days: int, start: str, seed: int) -> tuple[dict[str, Any], list[Figure]]:
    """What each kind of run reads of the benchmark's data, and the 1- and 3-year extrapolation."""
    data = _generate(workdir, members, days, start, seed)
    shards = sorted((data.folder / "ga4").glob("events_*.parquet"))
    if len(shards) < LOOKBACK_DAYS + 2:
        raise RuntimeError(f"{len(shards)} GA4 shards in {data.folder / 'ga4'}: a daily run needs at least "
                           f"{LOOKBACK_DAYS + 2}; run with more --days.")
    per_shard = {p.stem.removeprefix("events_"): (shard_bytes(p), p.stat().st_size) for p in shards}
    suffixes = sorted(per_shard)
    # The last shard is the day that lands; the run before had loaded up to the one before it.
    new_day = suffixes[-1]
    latest_loaded = dt.datetime.strptime(suffixes[-2], "%Y%m%d").date()
    window_start = f"{latest_loaded - dt.timedelta(days=LOOKBACK_DAYS):%Y%m%d}"
    daily = [s for s in suffixes if s >= window_start]
    full_logical = sum(v[0] for v in per_shard.values())
    full_parquet = sum(v[1] for v in per_shard.values())
    daily_logical = sum(per_shard[s][0] for s in daily)
    daily_parquet = sum(per_shard[s][1] for s in daily)
    steady = suffixes[-STEADY_DAYS:]
    mean_day = sum(per_shard[s][0] for s in steady) / len(steady)
    rows = {p.stem.removeprefix("events_"): pq.read_metadata(p).num_rows for p in shards}
    mean_rows = sum(rows[s] for s in steady) / len(steady)
    extrapolated = {
        f"{years}y": {
            "days": 365 * years,
            "full_refresh_bytes": round(mean_day * 365 * years),
            "daily_run_bytes": round(mean_day * len(daily)),
            "daily_run_over_full_refresh": round(len(daily) / (365 * years), 5),
            "lookup_bytes_base_ga4__events": round(_lookup_bytes(mean_rows, min(REACH_DAYS, 365 * years))),
            "lookup_bytes_unbounded": round(_lookup_bytes(mean_rows, 365 * years)),
            "daily_run_bytes_with_lookups": round(mean_day * len(daily)
                                                  + _lookup_bytes(mean_rows, min(REACH_DAYS, 365 * years))),
            "merge_partitions_scanned_per_model": {"literal_list": LOOKBACK_DAYS + 1,
                                                   "subquery_list": 365 * years},
        }
        for years in YEARS
    }
    results: dict[str, Any] = {
        "shards": len(shards),
        "columns_read": list(COLUMNS_READ),
        "lookback_days": LOOKBACK_DAYS,
        "daily_run": {"shard_range": [window_start, "99999999"], "shards_read": daily, "new_day": new_day,
                      "logical_bytes": daily_logical, "parquet_bytes": daily_parquet},
        "full_refresh": {"shard_range": ["00000000", "99999999"], "shards_read": len(shards),
                         "logical_bytes": full_logical, "parquet_bytes": full_parquet},
        "mean_shard_logical_bytes_last_28_days": round(mean_day),
        "mean_shard_rows_last_28_days": round(mean_rows),
        "lookups_per_run": LOOKUPS_PER_RUN,
        "lookup_reach_days": REACH_DAYS,
        "logical_over_parquet": round(full_logical / full_parquet, 3),
        "extrapolated": extrapolated,
    }
    share = len(daily) / len(shards)
    figures = [
        Figure(SECTION, f"export bytes, daily run ({len(daily)} shards)", daily_logical / MIB, "MiB",
               f"full refresh ({len(shards)} shards)", full_logical / MIB, limit=round(2 * share, 4),
               note="logical bytes of the columns read; target: at most twice the window's share of days"),
        Figure(SECTION, "export Parquet bytes, daily run", daily_parquet / MIB, "MiB",
               "full refresh", full_parquet / MIB, note="compressed stand-in"),
    ]
    for years in YEARS:
        figure = extrapolated[f"{years}y"]
        figures.append(Figure(
            SECTION, f"export bytes, daily run at {years} year{'s' if years > 1 else ''}",
            figure["daily_run_bytes"] / MIB, "MiB", f"full refresh at {years}y",
            figure["full_refresh_bytes"] / MIB, note=f"mean of the last {STEADY_DAYS} shards x days",
        ))
    one, three = (extrapolated[f"{years}y"]["daily_run_bytes_with_lookups"] for years in YEARS)
    figures.append(Figure(
        SECTION, "daily run with the max(event_date) look-ups at 3 years", three / MIB, "MiB",
        "the same at 1 year", one / MIB, limit=1.3,
        note=f"export window + {LOOKUPS_PER_RUN} look-ups of base_ga4__events' date column (8 bytes a row) "
             f"over its last {REACH_DAYS} partitions; target: flat in the history",
    ))
    return results, figures
