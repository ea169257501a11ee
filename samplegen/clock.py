"""Time on the simulated site: UTC microseconds, read in Asia/Seoul.

Every instant is an int64 count of microseconds since the epoch, so whole arrays of
them can be shifted and cut with numpy; a day is the local (Asia/Seoul) day, because
both the membership exports and the GA4 property count days there.
"""

from __future__ import annotations

from datetime import date

import numpy as np

SOURCE_TZ_OFFSET_US = 9 * 3600 * 1_000_000  # Asia/Seoul has no DST: always UTC+09:00
DAY_US = 86_400 * 1_000_000
HOUR_US = 3600 * 1_000_000
SECOND_US = 1_000_000
NONE_US = np.iinfo(np.int64).max  # "never happened" for lifecycle instants


def local_midnight_us(day: date) -> int:
    """The UTC instant (micros) at which `day` starts in Asia/Seoul."""
    return (day - date(1970, 1, 1)).days * DAY_US - SOURCE_TZ_OFFSET_US


def local_day(ts_us: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of the Asia/Seoul date of UTC micros."""
    return (ts_us + SOURCE_TZ_OFFSET_US) // DAY_US


def weekday_of_us(ts_us: np.ndarray) -> np.ndarray:
    """Monday = 0 weekday of UTC micros, in Asia/Seoul (1970-01-01 was a Thursday)."""
    return ((ts_us + SOURCE_TZ_OFFSET_US) // DAY_US + 3) % 7


def shift_day_keep_time(base_us: np.ndarray, day_offset: np.ndarray, time_of_day_us: np.ndarray) -> np.ndarray:
    """The instant `day_offset` local days after base's local day, at `time_of_day_us`."""
    base_day = (base_us + SOURCE_TZ_OFFSET_US) // DAY_US
    return (base_day + day_offset) * DAY_US - SOURCE_TZ_OFFSET_US + time_of_day_us
