"""Marts compared with the independent computation (tests/reference/), cell by cell:
shared by the end-to-end, GA4-optional and Airflow tests."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd

import tests.reference.reference_metrics as ref
from tests.support.pipeline_runs import MART_KEYS, Workspace

RATE_TOLERANCE = 1e-9


def plain(value: Any) -> Any:
    """A cell as a plain Python value: dates as date, numbers as int / float, nulls as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value


def mismatches(name: str, mart: pd.DataFrame, expected: pd.DataFrame,
                keys: list[str] | None = None) -> list[str]:
    keys = keys or MART_KEYS[name]
    problems = [f"{name}: column {c} missing from the mart" for c in expected.columns if c not in mart.columns]
    problems += [f"{name}: column {c} is in the mart but not in the reference" for c in mart.columns
                 if c not in expected.columns]
    if problems:
        return problems
    mart_by_key = {tuple(plain(r[k]) for k in keys): r for r in mart.to_dict("records")}
    ref_by_key = {tuple(plain(r[k]) for k in keys): r for r in expected.to_dict("records")}
    for key in sorted(set(ref_by_key) - set(mart_by_key), key=str):
        problems.append(f"{name} {dict(zip(keys, key))}: row missing from the mart")
    for key in sorted(set(mart_by_key) - set(ref_by_key), key=str):
        problems.append(f"{name} {dict(zip(keys, key))}: row in the mart that the reference does not have")
    for key in sorted(set(mart_by_key) & set(ref_by_key), key=str):
        got_row, want_row = mart_by_key[key], ref_by_key[key]
        for column in expected.columns:
            got, want = plain(got_row[column]), plain(want_row[column])
            if want is None or got is None:
                same = got is None and want is None
            elif isinstance(want, float) or isinstance(got, float):
                same = math.isclose(float(got), float(want), rel_tol=RATE_TOLERANCE, abs_tol=RATE_TOLERANCE)
            else:
                same = got == want
            if not same:
                problems.append(f"{name} {dict(zip(keys, key))} {column}: mart {got!r}, reference {want!r}")
    return problems


def assert_marts_match_reference(ws: Workspace, expected: dict[str, pd.DataFrame] | None = None) -> None:
    """Every row and every column of the four marts equals the reference (rates within
    RATE_TOLERANCE). `expected`: the reference of the workspace's current exports, when
    the caller already computed it (several runs over the same files)."""
    if expected is None:
        expected = ref.compute_all(ws.membership_dir, ws.ga4_dir)
    marts = ws.marts()
    problems: list[str] = []
    for name in MART_KEYS:
        assert len(expected[name]) > 0, f"the reference {name} is empty: the test data is too small"
        problems += mismatches(name, marts[name], expected[name])
    shown = "\n".join(problems[:40])
    assert not problems, f"{len(problems)} difference(s) between the marts and the reference:\n{shown}"
