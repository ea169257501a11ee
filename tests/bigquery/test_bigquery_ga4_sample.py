"""scripts/load_ga4_sample.py against the local BigQuery API: GA4-shaped shards land
as events_YYYYMMDD tables that the export's SQL idioms can read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.support.bigquery_emulator import Emulator, emulator_env

pytestmark = pytest.mark.bigquery

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "load_ga4_sample.py"

VALUE = pa.struct([
    ("string_value", pa.string()),
    ("int_value", pa.int64()),
    ("float_value", pa.float64()),
    ("double_value", pa.float64()),
])
PARAM = pa.struct([("key", pa.string()), ("value", VALUE)])
GA4_SCHEMA = pa.schema([
    ("event_date", pa.string()),
    ("event_timestamp", pa.int64()),
    ("event_name", pa.string()),
    ("event_params", pa.list_(PARAM)),
    ("user_id", pa.string()),
    ("user_pseudo_id", pa.string()),
    ("is_active_user", pa.bool_()),
    ("traffic_source", pa.struct([("name", pa.string()), ("medium", pa.string()),
                                  ("source", pa.string())])),
    ("device", pa.struct([("category", pa.string()),
                          ("web_info", pa.struct([("browser", pa.string()),
                                                  ("hostname", pa.string())]))])),
])


def _param(key: str, *, string: str | None = None, integer: int | None = None) -> dict:
    return {"key": key, "value": {"string_value": string, "int_value": integer,
                                  "float_value": None, "double_value": None}}


def _write_shard(directory: Path, day: str, events: list[dict]) -> None:
    columns = {name: [event.get(name) for event in events] for name in GA4_SCHEMA.names}
    pq.write_table(pa.table(columns, schema=GA4_SCHEMA), directory / f"events_{day}.parquet")


def _event(day: str, name: str, pseudo: str, params: list[dict], active: bool | None) -> dict:
    return {
        "event_date": day, "event_timestamp": 1_735_000_000_000_000, "event_name": name,
        "event_params": params, "user_id": None, "user_pseudo_id": pseudo,
        "is_active_user": active,
        "traffic_source": {"name": "(organic)", "medium": "organic", "source": "google"},
        "device": {"category": "mobile", "web_info": {"browser": "Chrome", "hostname": "x"}},
    }


@pytest.fixture()
def shards(tmp_path: Path) -> Path:
    _write_shard(tmp_path, "20250301", [
        _event("20250301", "first_visit", "p1",
               [_param("ga_session_id", integer=11), _param("page_title", string="Home")], True),
        _event("20250301", "page_view", "p2", [_param("engagement_time_msec", integer=0)], None),
    ])
    _write_shard(tmp_path, "20250302", [
        _event("20250302", "page_view", "p1", [_param("ga_session_id", integer=12)], True),
    ])
    (tmp_path / "notes.txt").write_text("not a shard")
    return tmp_path


def _run_script(emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
        env=emulator_env(emulator), cwd=REPO_ROOT, timeout=120, check=False,
    )


def _client(emulator: Emulator) -> bigquery.Client:
    return bigquery.Client(project=emulator.project, credentials=AnonymousCredentials(),
                           client_options={"api_endpoint": emulator.endpoint})


def test_shards_load_into_wildcard_readable_tables_idempotently(
    bigquery_emulator: Emulator, shards: Path
) -> None:
    for _ in range(2):  # the rerun must replace, not append
        run = _run_script(bigquery_emulator, str(shards), "--target", "bigquery",
                          "--property-id", "424242")
        assert run.returncode == 0, run.stderr
    assert "loaded 2 shard(s), 3 rows into analytics_424242" in run.stdout

    client = _client(bigquery_emulator)
    table = client.get_table(f"{bigquery_emulator.project}.analytics_424242.events_20250301")
    params = next(f for f in table.schema if f.name == "event_params")
    assert (params.field_type, params.mode) == ("RECORD", "REPEATED")
    assert [f.name for f in params.fields] == ["key", "value"]

    rows = client.query(
        f"""
        select
            _table_suffix as suffix,
            event_name,
            user_pseudo_id,
            (select p.value.int_value from unnest(event_params) as p
             where p.key = 'ga_session_id') as ga_session_id,
            device.web_info.browser as browser
        from `{bigquery_emulator.project}.analytics_424242.events_*`
        where _table_suffix between '20250301' and '20250302'
        order by suffix, user_pseudo_id
        """
    ).result()
    assert [tuple(row.values()) for row in rows] == [
        ("20250301", "first_visit", "p1", 11, "Chrome"),
        ("20250301", "page_view", "p2", None, "Chrome"),
        ("20250302", "page_view", "p1", 12, "Chrome"),
    ]
    pruned = client.query(
        f"select count(*) as n from `{bigquery_emulator.project}.analytics_424242.events_*` "
        "where _table_suffix = '20250302'"
    ).result()
    assert [row.n for row in pruned] == [1]


def test_a_shard_missing_an_export_column_is_refused(
    bigquery_emulator: Emulator, tmp_path: Path
) -> None:
    pq.write_table(pa.table({"event_date": ["20250301"], "event_name": ["page_view"]}),
                   tmp_path / "events_20250301.parquet")
    run = _run_script(bigquery_emulator, str(tmp_path), "--dataset", "analytics_bad")
    assert run.returncode == 2
    assert "events_20250301.parquet: column event_timestamp is missing" in run.stderr


def test_an_empty_folder_is_refused_with_what_to_do(
    bigquery_emulator: Emulator, tmp_path: Path
) -> None:
    run = _run_script(bigquery_emulator, str(tmp_path))
    assert run.returncode == 2
    assert "No events_YYYYMMDD.parquet file" in run.stderr
    assert "generate_sample_data.py" in run.stderr


def test_an_older_shard_without_a_later_column_reads_as_null(
    bigquery_emulator: Emulator, shards: Path
) -> None:
    """A column Google added later (session_traffic_source_last_click) is in the newest
    shard only; the older shard's table gets it as null, so the wildcard reads both."""
    last_click = pa.struct([("manual_campaign", pa.struct([("source", pa.string())]))])
    newer = GA4_SCHEMA.append(pa.field("session_traffic_source_last_click", last_click))
    event = _event("20250303", "page_view", "p3", [_param("ga_session_id", integer=13)], True)
    event["session_traffic_source_last_click"] = {"manual_campaign": {"source": "naver"}}
    columns = {name: [event.get(name)] for name in newer.names}
    pq.write_table(pa.table(columns, schema=newer), shards / "events_20250303.parquet")
    run = _run_script(bigquery_emulator, str(shards), "--dataset", "analytics_widened")
    assert run.returncode == 0, run.stderr

    client = _client(bigquery_emulator)
    rows = client.query(
        f"""
        select _table_suffix as suffix, session_traffic_source_last_click.manual_campaign.source as source
        from `{bigquery_emulator.project}.analytics_widened.events_*`
        order by suffix
        """
    ).result()
    assert [tuple(row.values()) for row in rows] == [
        ("20250301", None), ("20250301", None), ("20250302", None), ("20250303", "naver"),
    ]
