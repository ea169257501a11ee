"""When each mart was last built, and which ones a later run did not rebuild.

Every model a dbt invocation builds gets a row in `_build_metadata` (the on-run-end
hook). A mart whose latest row is from an earlier invocation than the newest mart's
was not rebuilt by the latest build (a failed test upstream of it, or a partial
build): its figures may disagree with the other marts', and the run summary, `show`
and the report say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline import warehouse
from pipeline.settings import Settings

MART_PREFIXES = ("fct_", "dim_")


@dataclass(frozen=True)
class MartBuild:
    name: str
    built_at: str  # ISO, UTC
    invocation_id: str


def _text(value: Any) -> str:
    return str(warehouse.plain(value))[:19].replace("T", " ") + " UTC"


def last_builds(settings: Settings) -> dict[str, MartBuild]:
    """Each mart's latest build; empty when the warehouse has no build record yet."""
    try:
        rows = warehouse.records(settings, "select model_name, invocation_id, built_at from "
                                           f"{warehouse.relation(settings, '_build_metadata')}")
    except Exception:  # no build yet (or an older warehouse): nothing to compare
        return {}
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = str(row["model_name"])
        newer = name not in latest or str(row["built_at"]) > str(latest[name]["built_at"])
        if name.startswith(MART_PREFIXES) and newer:
            latest[name] = row
    return {name: MartBuild(name, _text(row["built_at"]), str(row["invocation_id"])) for name, row in latest.items()}


def older_marts(builds: dict[str, MartBuild]) -> dict[str, MartBuild]:
    """The marts the newest build did not rebuild."""
    if not builds:
        return {}
    newest = max(builds.values(), key=lambda b: b.built_at)
    return {name: b for name, b in builds.items() if b.invocation_id != newest.invocation_id}


def newest_build(builds: dict[str, MartBuild]) -> str | None:
    return max((b.built_at for b in builds.values()), default=None)


def older_note(mart: str, builds: dict[str, MartBuild]) -> str | None:
    """A sentence when `mart` is older than the newest marts, else None."""
    older = older_marts(builds)
    if mart not in older:
        return None
    return (f"{mart} was last built {older[mart].built_at}, before the other marts ({newest_build(builds)}): "
            "the latest build did not rebuild it, so its figures may disagree with theirs. "
            "See the last run summary (target/run_summary.json) for why, fix it and run again.")
