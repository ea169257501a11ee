"""Export failures of the GA4 daily export: a day Google never exported, and a day
exported half.

Real properties see both: a daily ``events_YYYYMMDD`` table that never lands, and
one that lands short (an export job cut off, a property over its daily limit). The
generator can write either on any day of the range, so that the export-health mart
(``fct_ga4__export_days``) and its warnings have something to find:

- a missing day: no shard is written for it at all;
- a half-exported day: the shard holds only the events of the first half of the
  local day, before noon (the export stopped at midday). On the sample's daily
  rhythm that is about 30 % of the day's events, well under the export-health
  mart's default short-day threshold (50 % of the trailing median).

With ``--messy`` the range gets one of each, on fixed days counted from the start
(MESSY_MISSING_DAY_INDEX, MESSY_HALF_DAY_INDEX) when the range reaches them, so a
longer range keeps the same gaps on the same days. The half-exported day comes
after the missing one and at least a week into the range, so that it has enough
earlier days for a trailing median to compare it with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from samplegen.clock import HOUR_US, local_midnight_us

MESSY_MISSING_DAY_INDEX = 20
MESSY_HALF_DAY_INDEX = 27


@dataclass(frozen=True)
class ExportGaps:
    """The days whose shard is not written (missing) or written half (half)."""

    missing: frozenset[date] = frozenset()
    half: frozenset[date] = frozenset()


NO_GAPS = ExportGaps()


def export_gaps(start: date, days: int, messy: bool, missing: Iterable[date] = (),
                half: Iterable[date] = ()) -> ExportGaps:
    """The gaps of a range of `days` days from `start`: the days asked for, plus the
    --messy ones the range reaches. A day outside the range, or asked for both, is
    refused with a ValueError saying which."""
    last = start + timedelta(days=days - 1)
    missing_days, half_days = set(missing), set(half)
    for option, chosen in (("--drop-ga4-day", missing_days), ("--half-export-ga4-day", half_days)):
        outside = sorted(day for day in chosen if not start <= day <= last)
        if outside:
            raise ValueError(f"{option} {outside[0]:%Y-%m-%d} is outside the generated range "
                             f"{start:%Y-%m-%d}..{last:%Y-%m-%d}; pick a day inside it.")
    if messy:
        for index, chosen in ((MESSY_MISSING_DAY_INDEX, missing_days), (MESSY_HALF_DAY_INDEX, half_days)):
            if index < days:
                chosen.add(start + timedelta(days=index))
    both = sorted(missing_days & half_days)
    if both:
        raise ValueError(f"{both[0]:%Y-%m-%d} is both dropped and half-exported; a day can be only one "
                         "(with --messy, days "
                         f"{start + timedelta(days=MESSY_MISSING_DAY_INDEX):%Y-%m-%d} and "
                         f"{start + timedelta(days=MESSY_HALF_DAY_INDEX):%Y-%m-%d} are taken).")
    return ExportGaps(frozenset(missing_days), frozenset(half_days))


def half_exported(table: pa.Table, day: date) -> pa.Table:
    """The rows of `day`'s table logged before local noon."""
    noon = local_midnight_us(day) + 12 * HOUR_US
    kept = np.flatnonzero(np.asarray(table.column("event_timestamp")) < noon)
    return table.take(pa.array(kept, type=pa.int64()))
