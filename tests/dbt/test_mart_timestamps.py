"""A timestamp in a mart says its time zone in its name: `_utc` (the reporting-zone
dates sit beside them as `_date` or as the period columns)."""

from __future__ import annotations

import yaml

from pipeline.settings import DBT_PROJECT_DIR


def _mart_columns() -> dict[str, list[dict]]:
    out = {}
    for path in sorted((DBT_PROJECT_DIR / "models" / "marts").glob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            out[model["name"]] = model.get("columns", [])
    return out


def test_every_mart_timestamp_is_named_utc() -> None:
    columns = _mart_columns()
    timestamps = {f"{model}.{c['name']}" for model, cols in columns.items() for c in cols
                  if str(c.get("data_type", "")).startswith("timestamp")}
    assert {"dim_members.signup_at_utc", "fct_ga4__sessions.session_start_at_utc"} <= timestamps
    assert [name for name in sorted(timestamps) if not name.endswith("_utc")] == []


def test_dim_members_timestamps_are_described_utc() -> None:
    columns = _mart_columns()["dim_members"]
    timestamps = [c for c in columns if c.get("data_type") == "timestamp"]
    assert [c["name"] for c in timestamps] == ["signup_at_utc", "first_paid_at_utc", "canceled_at_utc"]
    assert all("in UTC" in c["description"] for c in timestamps)
