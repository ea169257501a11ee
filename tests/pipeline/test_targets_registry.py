"""The warehouses are registered once (membership_elt/targets.py): the registered
ones are complete, and a third one registered there is told exactly what it lacks
(docs/architecture.md, "Where to make a change": a warehouse)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from membership_elt import targets
from membership_elt.target_check import dispatched_macros, main, missing_parts
from membership_elt.targets import TARGETS, Target, UnknownTarget, get_target


def test_every_registered_target_is_complete(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0, capsys.readouterr().out
    for target in TARGETS.values():
        assert missing_parts(target) == []


@pytest.fixture
def stub_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    stub = Target(name="snowflake", raw_schema="raw", marts_schema="analytics",
                  environment_defaults={"SNOWFLAKE_ACCOUNT": "example"})
    monkeypatch.setitem(targets.TARGETS, stub.name, stub)
    yield stub


def test_a_third_target_lists_what_it_lacks(stub_target: Target) -> None:
    found = missing_parts(stub_target)
    macros = dispatched_macros()
    assert {"week_start", "month_start", "try_cast", "date_series"} <= set(macros)
    assert found == [
        "dbt_project/profiles.yml has no output 'snowflake': add one (type snowflake)",
        *[f"dbt_project/macros/ has no snowflake__{name} (the dispatched macro {name})" for name in macros],
        "loader/sinks/ has no sink for 'snowflake': add loader/sinks/snowflake.py meeting "
        "loader.sinks.Sink and register it in SINKS",
        "pipeline/warehouse.py has no reader for 'snowflake': add it to READERS",
        "pipeline/warehouse.py does not quote a relation of 'snowflake': add it to QUOTED_RELATIONS",
    ]


def test_a_registered_target_every_part_reads(stub_target: Target) -> None:
    """The command lines offer what the registry holds, and refuse what it does not."""
    import argparse

    from membership_elt.targets import add_target_option

    parser = argparse.ArgumentParser()
    add_target_option(parser)
    assert parser.parse_args(["--target", "snowflake"]).target == "snowflake"
    assert get_target("snowflake") is stub_target
    with pytest.raises(UnknownTarget, match="use one of duckdb, bigquery, snowflake"):
        get_target("postgres")
