"""A timestamp in dim_members says its time zone in its name: `_utc`, described as UTC
(the reporting-zone dates sit beside them as `_date`)."""

from __future__ import annotations

import yaml

from pipeline.settings import DBT_PROJECT_DIR


def test_dim_members_timestamps_are_named_and_described_utc() -> None:
    models = yaml.safe_load((DBT_PROJECT_DIR / "models" / "marts" / "dim_members.yml").read_text(encoding="utf-8"))
    columns = next(m for m in models["models"] if m["name"] == "dim_members")["columns"]
    timestamps = [c for c in columns if c.get("data_type") == "timestamp"]
    assert [c["name"] for c in timestamps] == ["signup_at_utc", "first_paid_at_utc", "canceled_at_utc"]
    assert all("in UTC" in c["description"] for c in timestamps)
    sql = (DBT_PROJECT_DIR / "models" / "marts" / "dim_members.sql").read_text(encoding="utf-8")
    assert all(f"as {c['name']}," in sql for c in timestamps)
