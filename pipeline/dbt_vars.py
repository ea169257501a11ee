"""The project's dbt vars: parsed as dbt parses them, and checked against the one
declaration of what each accepts (`var_rules` in dbt_project.yml).

dbt itself ignores a var nobody reads, and takes any value a model can render, so a
typo (`conversion_window_day`) or a wrong value (`conversion_window_days: seven`)
would build the marts on a default, or on nonsense, with a green run. Here either is
an error that says what is allowed, raised before anything runs. The on-run-start
hook `check_vars()` (macros/run/check_vars.sql) applies the same declaration when dbt
is run by hand.

Standard library and PyYAML only: the Airflow interpreter imports it too.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path
from typing import Any

import yaml  # dbt depends on PyYAML, and parses --vars as YAML too

RULES_VAR = "var_rules"  # the declaration itself, not a setting


class BadVars(ValueError):
    """A var is unknown or its value is not allowed; the message says what to give."""


def _project_vars(project_dir: Path) -> dict[str, Any]:
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def declared_vars(project_dir: Path) -> dict[str, Any]:
    """The vars of dbt_project.yml with their defaults."""
    return {name: value for name, value in _project_vars(project_dir).items() if name != RULES_VAR}


def var_rules(project_dir: Path) -> dict[str, dict[str, Any]]:
    """What each var accepts (`var_rules` in dbt_project.yml)."""
    return dict(_project_vars(project_dir).get(RULES_VAR) or {})


# --- what a rule allows ------------------------------------------------------------


def allowed(rule: dict[str, Any]) -> str:
    """The values a rule allows, as a person reads it."""
    kind = rule.get("kind")
    if kind == "integer":
        text = f"an integer from {rule.get('min', '-inf')} to {rule.get('max', 'inf')}"
    elif kind == "timezone":
        text = "an IANA time zone name such as Asia/Seoul, Europe/Berlin or UTC"
    elif kind == "date":
        text = "a date YYYY-MM-DD"
    elif kind == "boolean":
        text = "true or false"
    elif kind == "string":
        text = f"text matching {rule['pattern']}" if rule.get("pattern") else "text"
    elif kind == "one_of":
        text = "one of " + ", ".join(map(str, rule.get("values") or []))
    elif kind == "list":
        text = f"a list, each item {allowed(rule.get('items') or {})}"
    else:
        raise BadVars(f"dbt_project.yml: var_rules has a rule of unknown kind {kind!r}: "
                      "use integer, timezone, date, boolean, string, one_of or list")
    return text + (", or null" if rule.get("nullable") else "")


def _timezone_exists(name: str) -> bool:
    if name in zoneinfo.available_timezones():
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _fits(value: Any, rule: dict[str, Any]) -> bool:
    kind = rule.get("kind")
    if value is None:
        return bool(rule.get("nullable"))
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)
                and rule.get("min", value) <= value <= rule.get("max", value))
    if kind == "timezone":
        return isinstance(value, str) and _timezone_exists(value)
    if kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return True
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return False
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return False
        return True
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str) and bool(re.fullmatch(rule.get("pattern") or ".*", value, re.S))
    if kind == "one_of":
        return value in (rule.get("values") or [])
    if kind == "list":
        return isinstance(value, list) and all(_fits(item, rule.get("items") or {}) for item in value)
    allowed(rule)  # raises for an unknown kind
    return False


def _one_edit_apart(a: str, b: str) -> bool:
    if len(a) == len(b):
        differ = [i for i in range(len(a)) if a[i] != b[i]]
        return len(differ) == 1 or (len(differ) == 2 and differ[1] == differ[0] + 1
                                    and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return len(longer) == len(shorter) + 1 and any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def suggestion(name: str, candidates: list[str]) -> str:
    """" (did you mean 'x'?)" when exactly one candidate is close to `name`: one is a
    prefix of the other, they differ by a trailing s, or by one edit (a character
    inserted, deleted, replaced, or two neighbours swapped). The rule of
    macros/run/check_vars.sql `_var_hint()` too, so both checks suggest the same."""
    close = [c for c in candidates if c != name and (
        c.startswith(name) or name.startswith(c) or c.rstrip("s") == name.rstrip("s") or _one_edit_apart(c, name))]
    return f" (did you mean {close[0]!r}?)" if len(close) == 1 else ""


def problems(values: dict[str, Any], rules: dict[str, dict[str, Any]], where: str) -> list[str]:
    """One sentence per var of `values` that is unknown or not allowed; `where` names
    where the values came from (--vars, dbt_project.yml)."""
    found = []
    for name, value in values.items():
        rule = rules.get(name)
        if rule is None:
            found.append(f"{where} names {str(name)!r}{suggestion(str(name), sorted(rules))}, which "
                         f"dbt_project.yml does not declare, so dbt would ignore it. "
                         f"Known vars: {', '.join(sorted(rules))}.")
        elif not _fits(value, rule):
            shown = value.isoformat() if isinstance(value, dt.date) else value
            hint = suggestion(value, sorted(zoneinfo.available_timezones())) \
                if rule.get("kind") == "timezone" and isinstance(value, str) else ""
            found.append(f"{where}: {name} is {shown!r}{hint}; allowed: {allowed(rule)}.")
    return found


def check(values: dict[str, Any], rules: dict[str, dict[str, Any]], where: str) -> None:
    found = problems(values, rules, where)
    if found:
        raise BadVars(" ".join(found))


def check_pairs(effective: dict[str, Any]) -> None:
    """Rules between two vars."""
    start, end = effective.get("start_date"), effective.get("end_date")
    if end is not None and start is None:
        raise BadVars("end_date needs start_date: a GA4 backfill runs from a start date "
                      "(to end_date, else to the latest shard).")
    if start is not None and end is not None and str(start) > str(end):
        raise BadVars(f"start_date {start} is after end_date {end}.")
    warn, error = effective.get("membership_freshness_warn_hours"), effective.get("membership_freshness_error_hours")
    if isinstance(warn, int) and isinstance(error, int) and warn > error:
        raise BadVars(f"membership_freshness_warn_hours ({warn}) is above membership_freshness_error_hours "
                      f"({error}): the warning must come first.")


# --- --vars ----------------------------------------------------------------------


def parse_vars(text: str | None, rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The mapping `text` gives, each key a declared var and each value one its rule allows."""
    if not text:
        return {}
    try:
        given = yaml.safe_load(text) or {}
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date that does not exist, 2025-13-01
        raise BadVars(f"--vars is not valid YAML ({error}): give a mapping such as "
                      "'{conversion_window_days: 14, start_date: 2025-03-01}'") from None
    if not isinstance(given, dict):
        raise BadVars(f"--vars must be a YAML mapping such as '{{conversion_window_days: 14}}', got {text!r}")
    check(given, rules, "--vars")
    return given


def project_vars(project_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The defaults of dbt_project.yml and their rules, the defaults checked: a default
    edited in the file is a setting like any other."""
    declared, rules = declared_vars(project_dir), var_rules(project_dir)
    missing = sorted(set(declared) - set(rules))
    if missing:
        raise BadVars(f"dbt_project.yml: var_rules has no rule for {', '.join(missing)}: "
                      "add one beside the others.")
    check(declared, rules, "dbt_project.yml")
    return declared, rules


def checked_vars(given: dict[str, Any], declared: dict[str, Any],
                 rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`given` (from --vars and the flags) checked, alone and with the defaults."""
    check(given, rules, "--vars")
    check_pairs(effective_vars(given, declared))
    return given


def effective_vars(given: dict[str, Any], declared: dict[str, Any]) -> dict[str, Any]:
    """Every declared var with the value this run uses."""
    return {**declared, **given}
