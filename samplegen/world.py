"""The simulated world: every visitor, member and session of the range, cut at its end.

The arrival days are simulated one by one (samplegen.arrivals) and stitched together:
members are numbered in signup order across days, sessions sorted by start, so the
GA4 days and the membership snapshots can each take their slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

import numpy as np

from samplegen.arrivals import simulate_arrivals
from samplegen.catalog import DIRECT_CHANNEL, LAST_CLICK_LOOKBACK_DAYS
from samplegen.clock import local_day, local_midnight_us


def gather(values: np.ndarray, index: np.ndarray, missing: int) -> np.ndarray:
    """values[index] where index >= 0, `missing` where it is -1 (values may be empty)."""
    out = np.full(len(index), missing, dtype=values.dtype if len(values) else np.int64)
    has = index >= 0
    out[has] = values[index[has]]
    return out


@dataclass
class World:
    """All visitors, members and sessions of the range, cut at its end."""

    start: date
    days: int
    end_us: int  # first instant after the range
    v_arrival_us: np.ndarray
    v_pseudo_rand: np.ndarray
    v_channel: np.ndarray
    v_device: np.ndarray
    v_geo: np.ndarray
    v_member: np.ndarray  # index into the member arrays (member_id order), -1 if none
    m_signup_us: np.ndarray
    m_first_paid_us: np.ndarray
    m_canceled_us: np.ndarray
    m_plan: np.ndarray
    m_geo: np.ndarray
    m_channel: np.ndarray
    m_user_id: np.ndarray
    m_invalid_draw: np.ndarray
    s_visitor: np.ndarray  # sessions sorted by start
    s_start_us: np.ndarray
    s_number: np.ndarray
    s_pages: np.ndarray
    s_engaged: np.ndarray
    s_channel: np.ndarray
    s_seed: np.ndarray
    s_kind: np.ndarray

    @cached_property
    def s_last_click_channel(self) -> np.ndarray:
        """Per session, the channel GA4 credits it with (session scope, last non-direct
        click): its own, or for a direct session the channel of the same visitor's latest
        earlier non-direct session at most LAST_CLICK_LOOKBACK_DAYS days before; else direct.
        Only earlier sessions count, so the answer is the same for any longer range."""
        n = len(self.s_start_us)
        order = np.lexsort((np.arange(n), self.s_start_us, self.s_visitor))
        channel = self.s_channel[order]
        visitor = self.s_visitor[order]
        position = np.arange(n)
        first_of_visitor = np.maximum.accumulate(np.where(np.r_[True, visitor[1:] != visitor[:-1]], position, 0))
        latest_click = np.maximum.accumulate(np.where(channel != DIRECT_CHANNEL, position, -1))
        day = local_day(self.s_start_us[order])
        inherits = (channel == DIRECT_CHANNEL) & (latest_click >= first_of_visitor)
        inherits &= day - day[np.maximum(latest_click, 0)] <= LAST_CLICK_LOOKBACK_DAYS
        credited = np.where(inherits, channel[np.maximum(latest_click, 0)], channel)
        out = np.empty(n, dtype=np.int64)
        out[order] = credited
        return out


def simulate(seed: int, start: date, days: int, members_per_year: float) -> World:
    """The world of `days` days from `start`, `members_per_year` the yearly signup rate."""
    end_us = local_midnight_us(start + timedelta(days=days))
    v_parts: dict[str, list[np.ndarray]] = {}
    m_parts: dict[str, list[np.ndarray]] = {}
    s_parts: dict[str, list[np.ndarray]] = {}
    m_keys: list[np.ndarray] = []
    v_offset = 0
    m_offset = 0
    for day_index in range(days):
        a = simulate_arrivals(seed, start, day_index, members_per_year)
        in_range_s = a.s_start_us < end_us
        in_range_m = a.m_signup_us < end_us
        # Members are numbered within the kept ones; a visitor whose signup falls after
        # the range is not (yet) a member.
        kept_m = np.flatnonzero(in_range_m)
        renumber = np.full(len(a.m_signup_us), -1, dtype=np.int64)
        renumber[kept_m] = np.arange(len(kept_m)) + m_offset
        v_member = gather(renumber, a.v_member, -1)
        for name in ("v_arrival_us", "v_pseudo_rand", "v_channel", "v_device", "v_geo"):
            v_parts.setdefault(name, []).append(getattr(a, name))
        v_parts.setdefault("v_member", []).append(v_member)
        for name in ("m_signup_us", "m_first_paid_us", "m_canceled_us", "m_plan", "m_geo", "m_channel",
                     "m_user_id", "m_invalid_draw"):
            m_parts.setdefault(name, []).append(getattr(a, name)[kept_m])
        m_keys.append(np.full(len(kept_m), day_index))
        for name in ("s_start_us", "s_number", "s_pages", "s_engaged", "s_channel", "s_seed", "s_kind"):
            s_parts.setdefault(name, []).append(getattr(a, name)[in_range_s])
        s_parts.setdefault("s_visitor", []).append(a.s_visitor[in_range_s].astype(np.int64) + v_offset)
        v_offset += len(a.v_arrival_us)
        m_offset += len(kept_m)

    def cat(parts: dict[str, list[np.ndarray]], name: str, dtype: type) -> np.ndarray:
        chunks = parts.get(name, [])
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)

    v = {k: cat(v_parts, k, np.int64) for k in ("v_arrival_us", "v_pseudo_rand", "v_channel",
                                                 "v_device", "v_geo", "v_member")}
    m = {k: cat(m_parts, k, np.int64) for k in ("m_signup_us", "m_first_paid_us", "m_canceled_us",
                                                 "m_plan", "m_geo", "m_channel", "m_user_id",
                                                 "m_invalid_draw")}
    s = {k: cat(s_parts, k, np.int64) for k in ("s_visitor", "s_start_us", "s_number", "s_pages",
                                                 "s_engaged", "s_channel", "s_seed", "s_kind")}
    # member_id follows signup order; ties (same microsecond) by arrival day then position.
    m_day = np.concatenate(m_keys) if m_keys else np.zeros(0, dtype=np.int64)
    member_order = np.lexsort((np.arange(len(m_day)), m_day, m["m_signup_us"]))
    rank = np.empty(len(member_order), dtype=np.int64)
    rank[member_order] = np.arange(len(member_order))
    m = {k: arr[member_order] for k, arr in m.items()}
    v["v_member"] = gather(rank, v["v_member"], -1)
    session_order = np.argsort(s["s_start_us"], kind="stable")
    s = {k: arr[session_order] for k, arr in s.items()}
    return World(start=start, days=days, end_us=end_us, **v, **m, **s)
