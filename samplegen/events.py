"""One local day's events: the sessions that touch the day, expanded into events.

A session is stored as a few numbers (start, pages, engaged, seed); its page views,
the time spent on each page and the sign-up or purchase it holds are worked out here,
day by day, so no event is ever stored for more than the day being written. A
session that starts late in the evening can spill into the next day; each day keeps
only the events that fall in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from samplegen.arrivals import S_FIRST, S_PURCHASE, S_SIGNUP
from samplegen.catalog import LANDING_PAGES, PAGE_CHECKOUT, PAGE_SIGNUP
from samplegen.clock import DAY_US, HOUR_US, NONE_US, SECOND_US, local_midnight_us
from samplegen.randomness import hash_uniform
from samplegen.world import World, gather

# Event kinds, in the order GA4 logs events that share a timestamp.
EV_FIRST_VISIT, EV_SESSION_START, EV_PAGE_VIEW, EV_USER_ENGAGEMENT, EV_SIGN_UP, EV_PURCHASE = range(6)
EVENT_NAMES = ("first_visit", "session_start", "page_view", "user_engagement", "sign_up", "purchase")
SESSION_WINDOW_US = 3 * HOUR_US  # longer than any session: 12 pages x 300 s + leads
# Engaged sessions whose engagement shows only in session_engaged (GA4 also counts two
# page views or a key event): no user_engagement event carries engagement_time_msec.
QUIET_ENGAGED_SHARE = 0.2


def is_quiet(seed: np.ndarray) -> np.ndarray:
    """Whether an engaged session reports no user_engagement events."""
    return hash_uniform(seed ^ np.uint64(0x51E7C0DE)) < QUIET_ENGAGED_SHARE


def _dwell_seconds(seed: np.ndarray, page_index: np.ndarray, engaged: np.ndarray) -> np.ndarray:
    """Seconds spent on each page: long-tailed when the session is engaged, a glance otherwise."""
    u = hash_uniform(seed ^ (page_index.astype(np.uint64) * np.uint64(0x632BE59BD9B4E019)))
    engaged_dwell = np.minimum(4.0 - 32.0 * np.log1p(-u), 300.0)
    return np.where(engaged, engaged_dwell, 1.0 + 7.0 * u)


def _page_index(seed: np.ndarray, page_index: np.ndarray) -> np.ndarray:
    """Which landing page each page view shows; the sign-up and checkout flows replace the last."""
    u = hash_uniform(seed ^ np.uint64(0xD1B54A32D192ED03) ^ page_index.astype(np.uint64))
    return (u * LANDING_PAGES).astype(np.int64)


@dataclass
class DayEvents:
    """One local day's events, sorted by time, with their sessions' attributes."""

    day_index: int
    session: np.ndarray  # global session index (World.s_*)
    timestamp_us: np.ndarray
    kind: np.ndarray  # EV_*
    visitor: np.ndarray  # global visitor index
    member: np.ndarray  # member index or -1
    session_start_us: np.ndarray
    session_number: np.ndarray
    session_channel: np.ndarray
    session_seed: np.ndarray
    engaged: np.ndarray  # the session is engaged
    page: np.ndarray  # index into PAGES
    page_number: np.ndarray  # 0-based page of a page_view, -1 for other events
    engagement_msec: np.ndarray  # user_engagement only, -1 elsewhere


def expand_sessions(world: World, day_index: int) -> DayEvents:
    """The events of every session that touches the day, kept if they fall in it."""
    day_start = local_midnight_us(world.start + timedelta(days=day_index))
    day_end = day_start + DAY_US
    lo = int(np.searchsorted(world.s_start_us, day_start - SESSION_WINDOW_US, side="left"))
    hi = int(np.searchsorted(world.s_start_us, day_end, side="left"))
    sess = np.arange(lo, hi)
    n_sess = len(sess)
    start_us = world.s_start_us[sess]
    kind = world.s_kind[sess]
    pages = world.s_pages[sess].astype(np.int64)
    engaged = world.s_engaged[sess].astype(bool)
    seed = world.s_seed[sess].astype(np.uint64)
    member = world.v_member[world.s_visitor[sess]]

    # Page views, each followed in an engaged session by the user_engagement event that
    # reports the time spent on the page.
    first_pv = np.cumsum(pages) - pages
    pv_sess = np.repeat(np.arange(n_sess), pages)
    pv_k = np.arange(int(pages.sum())) - np.repeat(first_pv, pages)
    dwell_us = (_dwell_seconds(seed[pv_sess], pv_k, engaged[pv_sess]) * SECOND_US).astype(np.int64)
    cum = np.cumsum(dwell_us)
    elapsed_before = cum - dwell_us - np.repeat(np.r_[0, cum][first_pv], pages)
    pv_ts = start_us[pv_sess] + elapsed_before + pv_k * 1_000  # page loads take a moment
    page = _page_index(seed[pv_sess], pv_k)
    # The sign-up and checkout flows end on their own pages.
    last = pv_k == pages[pv_sess] - 1
    page = np.where(last & ((kind[pv_sess] & S_SIGNUP) != 0), PAGE_SIGNUP, page)
    page = np.where(last & ((kind[pv_sess] & S_PURCHASE) != 0), PAGE_CHECKOUT, page)
    ue = engaged[pv_sess] & ~is_quiet(seed[pv_sess])
    landing = page[first_pv]

    first_sess = np.flatnonzero((kind & S_FIRST) != 0)
    signup_sess = np.flatnonzero((kind & S_SIGNUP) != 0)
    purchase_sess = np.flatnonzero((kind & S_PURCHASE) != 0)
    all_sess = np.arange(n_sess)
    # A session whose sign-up or payment falls after the range has no member yet:
    # NONE_US drops those events below.
    signup_us = gather(world.m_signup_us, member, NONE_US)
    paid_us = gather(world.m_first_paid_us, member, NONE_US)
    parts = [  # (session, kind, timestamp, page, page_number, engagement_msec)
        (first_sess, EV_FIRST_VISIT, start_us[first_sess], landing[first_sess], 0, -1),
        (all_sess, EV_SESSION_START, start_us, landing, 0, -1),
        (pv_sess, EV_PAGE_VIEW, pv_ts, page, pv_k, -1),
        (pv_sess[ue], EV_USER_ENGAGEMENT, pv_ts[ue] + dwell_us[ue], page[ue], -1,
         np.maximum(dwell_us[ue] // 1000 - 300, 1)),
        (signup_sess, EV_SIGN_UP, signup_us[signup_sess], PAGE_SIGNUP, -1, -1),
        (purchase_sess, EV_PURCHASE, paid_us[purchase_sess], PAGE_CHECKOUT, -1, -1),
    ]

    def column(i: int) -> np.ndarray:
        return np.concatenate([np.broadcast_to(np.asarray(p[i], dtype=np.int64), len(p[0])) for p in parts])

    ev_sess, ev_kind, ev_ts, ev_page, ev_k, ev_msec = (column(i) for i in range(6))
    ev_visitor = world.s_visitor[sess][ev_sess]
    order = np.lexsort((ev_kind, ev_visitor, ev_ts))
    order = order[(ev_ts[order] >= day_start) & (ev_ts[order] < day_end)]
    ev_sess = ev_sess[order]
    return DayEvents(
        day_index=day_index,
        session=sess[ev_sess],
        timestamp_us=ev_ts[order],
        kind=ev_kind[order],
        visitor=ev_visitor[order],
        member=member[ev_sess],
        session_start_us=start_us[ev_sess],
        session_number=world.s_number[sess][ev_sess].astype(np.int64),
        session_channel=world.s_channel[sess][ev_sess].astype(np.int64),
        session_seed=seed[ev_sess],
        engaged=engaged[ev_sess],
        page=ev_page[order],
        page_number=ev_k[order],
        engagement_msec=ev_msec[order],
    )
