"""GA4 models on DuckDB: an incremental run gives the same tables as a full refresh.

The scenario is the one the lookback exists for. The shards of days 7 and 10
first land incomplete (GA4 keeps rewriting a daily table for up to 3 days); a
later run finds them complete plus two new days. The incremental run must re-read
days 7-10 (ga4_lookback_days = 3 before the latest loaded day, 10), add days 11-12,
and read nothing older: shards 1-6 are overwritten with garbage during that run,
so opening one would fail the run. A backfill of one day (vars start_date / end_date)
must likewise read only that day. Every result is compared with a full refresh
over the final shards.

Sample data comes from the project's own generator (12 days, a few seconds);
dbt runs as a subprocess against a scratch DuckDB file, with its target and log
paths in the module's tmp dirs so that it does not touch dbt_project/target.

Most of a dbt invocation here is its parse, not its models. dbt parses in part only
when the profile (which holds the DuckDB path) and the command-line vars are those of
the parse it saved, so every invocation of the module goes through one staged path
(`Dbt`), and each vars value keeps its own target dir: the project is parsed in full
once per vars value, not once per invocation. The full refresh over every shard is
built once (`full_build`) and compared with by every test that ends there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
GENERATOR = REPO_ROOT / "scripts" / "generate_sample_data.py"
DBT = Path(sys.executable).with_name("dbt")
SELECTOR = ("+fct_ga4__active_users_daily +fct_ga4__sessions_daily"
            " +int_ga4_users_acquired +int_ga4_user_ids_mapped +int_ga4_periods_aggregated"
            " +int_ga4_new_users_aggregated")
# Models and seeds only (the seed of GA4's source categories feeds the session models).
EXCLUDED = "resource_type:test resource_type:unit_test"
GA4_TABLES = ("base_ga4__events", "int_ga4_user_days_aggregated", "fct_ga4__active_users_daily",
              "int_ga4_sessions_touched", "int_ga4_sessions_attributed", "int_ga4_traffic_sources_classified",
              "fct_ga4__sessions", "fct_ga4__sessions_daily",
              "int_ga4_users_acquired", "int_ga4_user_id_days_aggregated", "int_ga4_user_ids_mapped",
              "int_ga4_days_aggregated", "int_ga4_periods_aggregated",
              "int_ga4_new_users_aggregated")
FIRST_DAY = dt.date(2025, 1, 1)
DAYS = 12


def _shard(folder: Path, day_number: int) -> Path:
    day = FIRST_DAY + dt.timedelta(days=day_number - 1)
    return folder / f"events_{day:%Y%m%d}.parquet"


def _copied_shards(source: Path, folder: Path, days: range) -> Path:
    """`folder`, made, holding a copy of `source`'s shards of those day numbers."""
    folder.mkdir()
    for n in days:
        shutil.copy(_shard(source, n), _shard(folder, n))
    return folder


class Dbt:
    """dbt against any scratch DuckDB file and GA4 folder, with one profile for all.

    For the length of an invocation the warehouse file is moved to `stage/warehouse.duckdb`
    (and back after), and `stage/ga4` links to the GA4 folder: dbt sees the same DuckDB
    path and GA4_LOCAL_PATH every time, so its saved parse of the same vars stays valid.
    """

    def __init__(self, stage: Path) -> None:
        self.stage = stage
        self.warehouse = stage / "warehouse.duckdb"
        self.ga4 = stage / "ga4"

    def target_path(self, dbt_vars: str | None) -> Path:
        return self.stage / "targets" / hashlib.sha256((dbt_vars or "").encode()).hexdigest()[:16]

    def __call__(self, tmp: Path, duckdb_file: Path, ga4_dir: Path, command: list[str],
                 dbt_vars: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "DBT_TARGET": "duckdb",
            "DUCKDB_PATH": str(self.warehouse),
            "GA4_LOCAL_PATH": str(self.ga4),
            "DBT_PROFILES_DIR": str(DBT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        argv = [str(DBT), *command, "--project-dir", str(DBT_DIR),
                "--target-path", str(self.target_path(dbt_vars)), "--log-path", str(tmp / "logs")]
        if dbt_vars is not None:
            argv += ["--vars", dbt_vars]
        self.ga4.unlink(missing_ok=True)
        self.ga4.symlink_to(ga4_dir.resolve(), target_is_directory=True)
        with self._staged(duckdb_file):
            return subprocess.run(argv, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=300)

    @contextmanager
    def _staged(self, duckdb_file: Path) -> Iterator[None]:
        """`duckdb_file` (with its WAL, if any) at the staged path, then back."""
        pairs = [(duckdb_file, self.warehouse),
                 (duckdb_file.with_name(duckdb_file.name + ".wal"), self.warehouse.with_name(self.warehouse.name + ".wal"))]
        for own, staged in pairs:
            assert not staged.exists(), f"{staged} is left from another invocation"
            if own.exists():
                own.replace(staged)
        try:
            yield
        finally:
            for own, staged in pairs:
                if staged.exists():
                    staged.replace(own)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory) -> Dbt:
    return Dbt(tmp_path_factory.mktemp("dbt_stage"))


def _dbt(dbt: Dbt, tmp: Path, duckdb_file: Path, ga4_dir: Path, *args: str, dbt_vars: str | None = None) -> None:
    """Build the GA4 models (and the seed they read) into `duckdb_file` from the shards in `ga4_dir`."""
    result = dbt(tmp, duckdb_file, ga4_dir, ["build", "--select", SELECTOR, "--exclude", EXCLUDED, *args], dbt_vars)
    assert result.returncode == 0, (
        f"dbt {' '.join([*args, dbt_vars or ''])} failed with exit code {result.returncode}:\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    )


def _window(day_number: int) -> str:
    """The vars of a run for one day (what an Airflow run for that day passes)."""
    day = (FIRST_DAY + dt.timedelta(days=day_number - 1)).isoformat()
    return f"{{start_date: {day}, end_date: {day}}}"


def _rows(duckdb_file: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        # _invocation_id names the run that wrote a row: it differs by construction.
        return con.sql(
            f"select columns(lambda c: c <> '_invocation_id') from analytics.{table} order by all"
        ).fetchall()


def _corrupt(paths: list[Path]) -> dict[Path, bytes]:
    """Replace files with bytes that are not Parquet; returns the originals."""
    originals = {}
    for path in paths:
        originals[path] = path.read_bytes()
        path.write_bytes(b"not a parquet file: a pruned run must not open it")
    return originals


def _restore(originals: dict[Path, bytes]) -> None:
    for path, content in originals.items():
        path.write_bytes(content)


@pytest.fixture(scope="module")
def generated_shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), "--days", str(DAYS),
         "--start", FIRST_DAY.isoformat(), "--seed", "11"],
        check=True, capture_output=True, timeout=120,
    )
    ga4 = out / "ga4"
    assert sorted(p.name for p in ga4.glob("events_*.parquet")) == [
        _shard(ga4, n).name for n in range(1, DAYS + 1)
    ], "the generator did not write one GA4 shard per day"
    return ga4


@pytest.fixture(scope="module")
def full_build(generated_shards: Path, dbt: Dbt, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A full refresh over every shard: what each incremental path below must end at.
    Tests only read it; one that writes to a warehouse works on a copy."""
    tmp = tmp_path_factory.mktemp("full_build")
    full = tmp / "full.duckdb"
    _dbt(dbt, tmp, full, generated_shards, "--full-refresh")
    assert not full.with_name(full.name + ".wal").exists(), "dbt left a WAL: the file alone is not the warehouse"
    return full


def test_incremental_run_equals_full_refresh(generated_shards: Path, full_build: Path, dbt: Dbt,
                                             tmp_path: Path) -> None:
    ga4 = _copied_shards(generated_shards, tmp_path / "ga4", range(1, 11))
    # Days 7 (the first day of the coming lookback) and 10 arrive incomplete.
    for n in (7, 10):
        table = pq.read_table(_shard(generated_shards, n))
        pq.write_table(table.slice(0, table.num_rows // 2), _shard(ga4, n))

    incremental_db = tmp_path / "incremental.duckdb"
    _dbt(dbt, tmp_path, incremental_db, ga4)
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        first_count = con.sql("select count(*) from analytics.base_ga4__events").fetchall()[0][0]

    # Later: days 7 and 10 complete, 11 and 12 new; days 1-6 are outside the lookback.
    for n in (7, *range(10, DAYS + 1)):
        shutil.copy(_shard(generated_shards, n), _shard(ga4, n))
    originals = _corrupt([_shard(ga4, n) for n in range(1, 7)])
    try:
        _dbt(dbt, tmp_path, incremental_db, ga4)
    finally:
        _restore(originals)

    # A backfill of day 5 alone reads day 5 alone and leaves the rest as it was.
    originals = _corrupt([_shard(ga4, n) for n in range(1, DAYS + 1) if n != 5])
    try:
        _dbt(dbt, tmp_path, incremental_db, ga4, dbt_vars=_window(5))
    finally:
        _restore(originals)

    # The shards are now exactly the generated ones: full_build is their full refresh.
    assert all(_shard(ga4, n).read_bytes() == _shard(generated_shards, n).read_bytes() for n in range(1, DAYS + 1))
    full_db = full_build

    full_base = _rows(full_db, "base_ga4__events")
    assert len(full_base) > first_count, "the final shards should hold more events than the first run saw"
    for table in GA4_TABLES:
        incremental, full = _rows(incremental_db, table), _rows(full_db, table)
        assert len(incremental) == len(full), (
            f"{table}: {len(incremental)} rows after incremental runs, {len(full)} after a full refresh"
        )
        assert incremental == full, f"{table}: incremental runs and a full refresh differ"

    days = _rows(full_db, "fct_ga4__active_users_daily")
    assert [row[0] for row in days] == [FIRST_DAY + dt.timedelta(days=i) for i in range(DAYS)]
    # The export's health, rebuilt whole from the per-day counts: its figures (not the
    # tables' times, which are the copied files' here) equal a full refresh's.
    health = ("select export_date, event_count, user_count, baseline_days, trailing_median_event_count, "
              "is_incomplete_day from analytics.fct_ga4__export_days order by all")
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        incremental_health = con.sql(health).fetchall()
    with duckdb.connect(str(full_db), read_only=True) as con:
        full_health = con.sql(health).fetchall()
    assert incremental_health == full_health and len(full_health) == DAYS


def _key_test_failures(dbt: Dbt, tmp: Path, duckdb_file: Path, ga4_dir: Path, dbt_vars: str) -> int:
    """Rows the `unique_event_key` test of base_ga4__events.event_key returns under these vars."""
    result = dbt(tmp, duckdb_file, ga4_dir, ["test", "--select", "base_ga4__events,test_name:unique_event_key"],
                 dbt_vars)
    if re.search(r"PASS unique_event_key_base_ga4__events_event_key", result.stdout):
        failures = 0
    else:
        found = re.search(r"FAIL (\d+) unique_event_key_base_ga4__events_event_key", result.stdout)
        assert found, f"the key test neither passed nor failed:\n{result.stdout[-3000:]}"
        failures = int(found.group(1))
    assert (result.returncode == 0) == (failures == 0), result.stdout[-3000:]
    return failures


def test_key_test_checks_the_recent_days_or_the_backfill_range(generated_shards: Path, full_build: Path, dbt: Dbt,
                                                               tmp_path: Path) -> None:
    """On an incremental run the event_key uniqueness test reads the last
    ga4_test_window_days days (older days were tested when written); a backfill
    tests its own range."""
    duckdb_file = tmp_path / "w.duckdb"
    shutil.copy(full_build, duckdb_file)
    with duckdb.connect(str(duckdb_file)) as con:
        for day in (1, DAYS):  # the oldest and the newest day each get one duplicated event
            con.execute("insert into analytics.base_ga4__events select * from analytics.base_ga4__events "
                        "where event_date = ? limit 1", [FIRST_DAY + dt.timedelta(days=day - 1)])

    runs = {"{ga4_test_window_days: 3}": 1, f"{{ga4_test_window_days: {DAYS}}}": 2,
            _window(1): 1, _window(5): 0}  # day 5: a day in the middle, with no duplicate
    for dbt_vars, failures in runs.items():
        assert _key_test_failures(dbt, tmp_path, duckdb_file, generated_shards, dbt_vars) == failures, dbt_vars

    # The check groups the keys as integers (a full refresh of years of events fits
    # the default memory cap that way; benchmarks/README.md), and that grouping is
    # exact: every key of the table maps to its own integer and back.
    for dbt_vars in runs:
        (compiled,) = dbt.target_path(dbt_vars).glob(
            "run/*/models/staging/base/*/unique_event_key_base_ga4__events_event_key.sql")
        grouping = re.search(r"group by (.*)\n", compiled.read_text())
        assert grouping and grouping.group(1) == "event_date, cast('0x' || event_key as ubigint)", compiled.read_text()
    with duckdb.connect(str(duckdb_file)) as con:
        keys, distinct_keys, distinct_values, round_trips = con.execute(
            "select count(*), count(distinct event_key), count(distinct cast('0x' || event_key as ubigint)), "
            "count(*) filter (where hex(cast('0x' || event_key as ubigint)) = event_key) "
            "from analytics.base_ga4__events").fetchone()
    assert keys == round_trips and distinct_keys == distinct_values > 0


def _days(duckdb_file: Path) -> list[dt.date]:
    return [row[0] for row in _rows(duckdb_file, "fct_ga4__active_users_daily")]


def _assert_same_ga4_tables(got: Path, want: Path, what: str) -> None:
    for table in GA4_TABLES:
        assert _rows(got, table) == _rows(want, table), f"{table}: {what} differs from a full build"


def test_a_first_windowed_run_builds_the_history_up_to_the_window_end(generated_shards: Path, full_build: Path,
                                                                      dbt: Dbt, tmp_path: Path) -> None:
    """What a first Airflow run for a past day passes (start_date = end_date = that
    day) on a warehouse with no GA4 tables: every day from the export's first to the
    window's end is built, as a full build of those shards would; a later run on time
    carries on from there to a table equal to a full build of every shard."""
    day = 8
    windowed = tmp_path / "windowed.duckdb"
    _dbt(dbt, tmp_path, windowed, generated_shards, dbt_vars=_window(day))
    assert _days(windowed) == [FIRST_DAY + dt.timedelta(days=i) for i in range(day)]

    first_days = _copied_shards(generated_shards, tmp_path / "first_days", range(1, day + 1))
    up_to_the_end = tmp_path / "up_to_the_end.duckdb"
    _dbt(dbt, tmp_path, up_to_the_end, first_days, "--full-refresh")
    _assert_same_ga4_tables(windowed, up_to_the_end, f"a first run windowed on day {day}")

    _dbt(dbt, tmp_path, windowed, generated_shards)
    _assert_same_ga4_tables(windowed, full_build, "the run on time after it")


def test_a_backfill_starting_before_the_tables_first_day_leaves_no_gap(generated_shards: Path, dbt: Dbt,
                                                                      tmp_path: Path) -> None:
    """A table that starts after the window (built on the last days only): the
    backfill of an early day also fills the days between it and the table."""
    late = _copied_shards(generated_shards, tmp_path / "late", range(9, DAYS + 1))
    warehouse = tmp_path / "w.duckdb"
    _dbt(dbt, tmp_path, warehouse, late)
    assert _days(warehouse)[0] == FIRST_DAY + dt.timedelta(days=8)
    _dbt(dbt, tmp_path, warehouse, generated_shards, dbt_vars=_window(3))
    assert _days(warehouse) == [FIRST_DAY + dt.timedelta(days=i) for i in range(2, DAYS)]


def test_a_day_by_day_backfill_of_the_whole_export_equals_a_full_build(generated_shards: Path, dbt: Dbt,
                                                                      tmp_path: Path) -> None:
    """An Airflow backfill over the export's whole range passes one day per run."""
    days = 4
    export = _copied_shards(generated_shards, tmp_path / "export", range(1, days + 1))
    backfilled = tmp_path / "backfilled.duckdb"
    for n in range(1, days + 1):
        _dbt(dbt, tmp_path, backfilled, export, dbt_vars=_window(n))
    full = tmp_path / "full.duckdb"
    _dbt(dbt, tmp_path, full, export, "--full-refresh")
    assert _days(full) == [FIRST_DAY + dt.timedelta(days=i) for i in range(days)]
    _assert_same_ga4_tables(backfilled, full, "a day-by-day backfill")


def _day(day_number: int) -> str:
    return (FIRST_DAY + dt.timedelta(days=day_number - 1)).isoformat()


def _rewrite_shard(source: Path, target: Path, query: str) -> None:
    """Write `target` as the rows `query` returns, where `shard` names `source`'s rows."""
    with duckdb.connect() as con:
        con.execute(f"create view shard as select * from read_parquet('{source}')")
        written = target.with_suffix(".tmp")
        con.execute(f"copy ({query}) to '{written}' (format parquet)")
    written.replace(target)


def _one(duckdb_file: Path, query: str, *params: object) -> tuple:
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        rows = con.execute(query, list(params)).fetchall()
    assert len(rows) == 1, f"{query} {params}: {rows}"
    return rows[0]


PERIOD_TABLES = ("int_ga4_periods_aggregated", "int_ga4_new_users_aggregated")


def test_a_week_left_without_new_users_loses_its_rows(generated_shards: Path, dbt: Dbt, tmp_path: Path) -> None:
    """The GA4 period tables keep rows per period and recount the periods a run's
    window reaches; a recounted key with nothing left must lose its row. Days 1-5
    are the export's whole ISO week of 2024-12-30. GA4 restates them without any
    first_visit or first_open, and a backfill of those days must leave that week
    with no row in the new users by channel group and no new user in the period
    counts, as a full build of the same shards gives."""
    ga4 = _copied_shards(generated_shards, tmp_path / "ga4", range(1, DAYS + 1))
    warehouse = tmp_path / "w.duckdb"
    _dbt(dbt, tmp_path, warehouse, ga4)
    week = dt.date(2024, 12, 30)
    assert (week + dt.timedelta(days=2)).isoformat() == _day(1) and (week + dt.timedelta(days=6)).isoformat() == _day(5)
    new_by_channel = ("select count(*) from analytics.int_ga4_new_users_aggregated "
                      "where period_grain = 'week' and period_start = ?")
    new_in_week = ("select new_users from analytics.int_ga4_periods_aggregated "
                   "where period_grain = 'week' and period_start = ?")
    assert _one(warehouse, new_by_channel, week)[0] > 1 and _one(warehouse, new_in_week, week)[0] > 0

    for n in range(1, 6):
        _rewrite_shard(_shard(generated_shards, n), _shard(ga4, n), """
            select * replace (case when event_name in ('first_visit', 'first_open') then 'page_view'
                                   else event_name end as event_name)
            from shard""")
    _dbt(dbt, tmp_path, warehouse, ga4, dbt_vars=f"{{start_date: {_day(1)}, end_date: {_day(5)}}}")
    assert _one(warehouse, new_by_channel, week) == (0,), "the week kept new users by channel group"
    assert _one(warehouse, new_in_week, week) == (0,)
    full = tmp_path / "full.duckdb"
    _dbt(dbt, tmp_path, full, ga4, "--full-refresh")
    for table in PERIOD_TABLES:
        assert _rows(warehouse, table) == _rows(full, table), f"{table}: the backfill differs from a full build"


def test_state_tables_follow_restated_days_and_backfills(generated_shards: Path, dbt: Dbt, tmp_path: Path) -> None:
    """The device first touches and the user-id mapping are state tables that an
    incremental run updates only for the devices and pairs its window touches. A
    wrong update shows here: day 9 first holds a device seen on no other day
    (it must disappear) and a login of a device otherwise seen only on day
    `settled` (its event count and pair must go); day 8 first holds the first
    events of a device really first seen on day 10 (its first touch must move
    to day 10). The restated days come with day 11, where the settled device
    logs in with a user id never seen before; then a backfill of day `settled`
    drops that device's only events there (its first touch moves to day 11).
    Each step must leave the tables a full build of the same shards gives."""
    ga4 = _copied_shards(generated_shards, tmp_path / "ga4", range(1, 11))
    with duckdb.connect() as con:
        con.execute(f"create view events as select * from read_parquet('{generated_shards}/*.parquet')")
        settled_device, settled_day = con.sql(
            "select user_pseudo_id, min(event_date) from events group by user_pseudo_id "
            "having min(event_date) = max(event_date) and max(event_date) <= '20250103' "
            "and count(user_id) = 0 order by user_pseudo_id limit 1").fetchall()[0]
        late_device = con.sql(
            "select user_pseudo_id from events group by user_pseudo_id "
            "having min(event_date) = '20250110' order by user_pseudo_id limit 1").fetchall()[0][0]
    settled = int(settled_day[-2:])
    _rewrite_shard(_shard(generated_shards, 9), _shard(ga4, 9), f"""
        select * from shard
        union all
        (select * replace ('ghost.1' as user_pseudo_id, 'ghost-user' as user_id) from shard
         order by event_timestamp limit 3)
        union all
        (select * replace ('{settled_device}' as user_pseudo_id, 'settled-user' as user_id) from shard
         order by event_timestamp desc limit 2)""")
    _rewrite_shard(_shard(generated_shards, 8), _shard(ga4, 8), f"""
        select * from shard
        union all
        (select * replace ('{late_device}' as user_pseudo_id, null as user_id) from shard
         order by event_timestamp limit 2)""")

    warehouse = tmp_path / "w.duckdb"
    _dbt(dbt, tmp_path, warehouse, ga4)
    acquired = "select count(*) from analytics.int_ga4_users_acquired where user_pseudo_id = ?"
    assert _one(warehouse, acquired, "ghost.1") == (1,), "the first build should hold the injected device"
    assert _one(warehouse, "select first_seen_date from analytics.int_ga4_users_acquired "
                "where user_pseudo_id = ?", late_device) == (dt.date.fromisoformat(_day(8)),)

    # Days 8 and 9 restated (inside the lookback of a run after day 10), days 11-12 new.
    for n in (8, 9, 12):
        shutil.copy(_shard(generated_shards, n), _shard(ga4, n))
    _rewrite_shard(_shard(generated_shards, 11), _shard(ga4, 11), f"""
        select * from shard
        union all
        (select * replace ('{settled_device}' as user_pseudo_id, 'late-user' as user_id) from shard
         order by event_timestamp limit 2)""")
    _dbt(dbt, tmp_path, warehouse, ga4)
    full = tmp_path / "full.duckdb"
    _dbt(dbt, tmp_path, full, ga4, "--full-refresh")
    _assert_same_ga4_tables(warehouse, full, "the run after restated days")
    assert _one(warehouse, acquired, "ghost.1") == (0,)
    assert _one(warehouse, "select count(*) from analytics.int_ga4_user_ids_mapped "
                "where user_pseudo_id = ?", settled_device) == (1,)
    assert _one(warehouse, "select first_seen_date from analytics.int_ga4_users_acquired "
                "where user_pseudo_id = ?", late_device) == (dt.date.fromisoformat(_day(10)),)

    # A backfill of the settled device's only early day, now without its events.
    _rewrite_shard(_shard(generated_shards, settled), _shard(ga4, settled),
                   f"select * from shard where user_pseudo_id is distinct from '{settled_device}'")
    _dbt(dbt, tmp_path, warehouse, ga4, dbt_vars=_window(settled))
    full_again = tmp_path / "full_again.duckdb"
    _dbt(dbt, tmp_path, full_again, ga4, "--full-refresh")
    _assert_same_ga4_tables(warehouse, full_again, "the backfill of a restated early day")
    assert _one(warehouse, "select first_seen_date from analytics.int_ga4_users_acquired "
                "where user_pseudo_id = ?", settled_device) == (dt.date.fromisoformat(_day(11)),)
