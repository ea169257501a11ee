"""The local BigQuery API itself: the fixture starts it, the real client talks to it."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.support.bigquery_emulator import Emulator

pytestmark = pytest.mark.bigquery


def test_client_round_trip_through_the_emulator(bigquery_emulator: Emulator) -> None:
    client = bigquery.Client(
        project=bigquery_emulator.project,
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": bigquery_emulator.endpoint},
    )
    client.create_dataset("fixture_smoke", exists_ok=True)
    table_id = f"{bigquery_emulator.project}.fixture_smoke.t"
    table = bigquery.Table(
        table_id,
        schema=[bigquery.SchemaField("n", "INT64"), bigquery.SchemaField("s", "STRING")],
    )
    client.create_table(table, exists_ok=True)
    client.query(
        f"insert into `{table_id}` (n, s) values (1, 'a'), (2, 'b')"
    ).result()
    rows = client.query(
        "select sum(n) as total, string_agg(s, ',' order by s) as letters "
        f"from `{table_id}`"
    ).result()
    assert [(row.total, row.letters) for row in rows] == [(3, "a,b")]
    client.delete_dataset("fixture_smoke", delete_contents=True)


def test_emulator_is_its_own_process_group(bigquery_emulator: Emulator) -> None:
    import os

    # stop_emulator signals the group; that only stays safe if the server leads its own.
    assert os.getpgid(bigquery_emulator.process.pid) == bigquery_emulator.process.pid
    assert os.getpgid(bigquery_emulator.process.pid) != os.getpgid(0)
