"""How an instant is written in a membership export: the datetime formats.

Clean exports use one format (local time, to the second); the --messy ones mix all
of them (samplegen.messy). Without an offset a value is Asia/Seoul local time, and a
format that truncates never moves a value to another local date.
"""

from __future__ import annotations

import numpy as np

from samplegen.clock import NONE_US, SECOND_US, SOURCE_TZ_OFFSET_US

# 2025-03-19 11:13:18, 2025-03-19T02:13:18Z, 2025-03-19T11:13:18+09:00, 2025/03/19 11:13,
# 2025.03.19, 2025-03-19 (the same instant in each).
FORMAT_LOCAL, FORMAT_Z, FORMAT_OFFSET, FORMAT_SLASH_MINUTES, FORMAT_DOTS, FORMAT_DATE = range(6)


def _local_strings(ts_us: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SS' in Asia/Seoul for UTC micros (truncated to seconds)."""
    local = ((ts_us + SOURCE_TZ_OFFSET_US) // SECOND_US).astype("datetime64[s]")
    return np.datetime_as_string(local, unit="s")


def format_datetimes(ts_us: np.ndarray, formats: np.ndarray) -> list[str]:
    """Text of each instant in its format; NONE_US becomes the empty string."""
    safe = np.where(ts_us == NONE_US, 0, ts_us)
    local = _local_strings(safe).tolist()
    utc = np.datetime_as_string((safe // SECOND_US).astype("datetime64[s]"), unit="s").tolist()
    out = []
    for ts, fmt, loc, u in zip(ts_us.tolist(), formats.tolist(), local, utc):
        if ts == NONE_US:
            out.append("")
        elif fmt == FORMAT_LOCAL:
            out.append(loc.replace("T", " "))
        elif fmt == FORMAT_Z:
            out.append(u + "Z")
        elif fmt == FORMAT_OFFSET:
            out.append(loc + "+09:00")
        elif fmt == FORMAT_SLASH_MINUTES:
            out.append(loc[:16].replace("-", "/").replace("T", " "))
        elif fmt == FORMAT_DOTS:
            out.append(loc[:10].replace("-", "."))
        else:
            out.append(loc[:10])
    return out
