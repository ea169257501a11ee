"""`--vars`: parsed as dbt parses them, and checked against what dbt_project.yml declares.

dbt itself ignores a var nobody reads, so a typo (`conversion_window_day`) would
silently build the marts on the default; here it is an error that names the known vars.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml  # dbt depends on PyYAML, and parses --vars as YAML too


class BadVars(ValueError):
    """--vars is not a mapping of declared vars; the message says what to give."""


def declared_vars(project_dir: Path) -> dict[str, Any]:
    """The vars of dbt_project.yml with their defaults."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def parse_vars(text: str | None, declared: dict[str, Any]) -> dict[str, Any]:
    """The mapping `text` gives, every key one of `declared`."""
    if not text:
        return {}
    try:
        given = yaml.safe_load(text) or {}
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date-like value such as 2025-13-01
        raise BadVars(f"--vars is not valid YAML ({error}): give a mapping such as "
                      "'{conversion_window_days: 14, start_date: 2025-03-01}'") from None
    if not isinstance(given, dict):
        raise BadVars(f"--vars must be a YAML mapping such as '{{conversion_window_days: 14}}', got {text!r}")
    unknown = [str(name) for name in given if name not in declared]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise BadVars(
            f"--vars names {', '.join(hints)}, which dbt_project.yml does not declare, so dbt "
            f"would ignore it. Known vars: {', '.join(sorted(declared))}."
        )
    return given


def effective_vars(given: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    """Every declared var with the value this run uses."""
    return {**declared, **given}
