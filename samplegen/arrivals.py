"""One arrival day: the visitors who first come on it, and each one's whole future.

Everything about a visitor (channel, device, place, later sessions, sign-up, payment,
cancellation) is drawn from the stream of the day they arrive, and drawn for everyone
whatever the outcome, so the draws of a day never depend on the range's length; the
range's end cuts the result afterwards (samplegen.world).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from samplegen.catalog import (
    CHANNEL_P,
    CHANNEL_PAY,
    CHANNEL_SIGNUP,
    CHANNELS,
    DEVICE_P,
    DEVICES,
    GEO_P,
    GEOS,
    HOUR_P,
    MEAN_SIGNUP_RATE,
    OFFLINE_MEMBER_SHARE,
    PLAN_ANNUAL,
    PLAN_FREE,
    PLAN_MONTHLY,
    RETURN_CHANNEL_P,
    WEEKDAY_FACTOR,
    traffic_factor,
)
from samplegen.clock import (
    DAY_US,
    HOUR_US,
    NONE_US,
    SECOND_US,
    local_midnight_us,
    shift_day_keep_time,
    weekday_of_us,
)
from samplegen.randomness import STREAM_ARRIVALS, stream

RETURN_WINDOW_DAYS = 730  # members stop visiting after two years; keeps arrays bounded

# Bits of a session's kind.
S_FIRST, S_SIGNUP, S_PURCHASE = 1, 2, 4


@dataclass
class Arrivals:
    """The visitors and members who first appear on one day, and all their sessions."""

    # visitors (index = position in this day's cohort)
    v_arrival_us: np.ndarray
    v_pseudo_rand: np.ndarray
    v_channel: np.ndarray
    v_device: np.ndarray
    v_geo: np.ndarray
    v_member: np.ndarray  # index into this cohort's members, -1 for non-members
    # members (web signers first, then offline ones)
    m_signup_us: np.ndarray
    m_first_paid_us: np.ndarray
    m_canceled_us: np.ndarray
    m_plan: np.ndarray
    m_geo: np.ndarray
    m_channel: np.ndarray  # index into CHANNELS, len(CHANNELS) = signed up offline
    m_user_id: np.ndarray  # uint64, 0 = no user_id
    m_invalid_draw: np.ndarray  # uniform; --messy breaks the lifecycle of the lowest ones
    # sessions
    s_visitor: np.ndarray
    s_start_us: np.ndarray
    s_number: np.ndarray
    s_pages: np.ndarray
    s_engaged: np.ndarray
    s_channel: np.ndarray
    s_seed: np.ndarray
    s_kind: np.ndarray  # bit 1: first session, 2: holds the sign_up, 4: holds the purchase


def _time_of_day_us(rng: np.random.Generator, n: int) -> np.ndarray:
    """Times of day at the site's usual hours."""
    hours = rng.choice(24, size=n, p=HOUR_P)
    return hours * HOUR_US + rng.integers(0, HOUR_US, size=n)


def _draw_lifecycles(
    rng: np.random.Generator, signup_us: np.ndarray, pay_factor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First payment, cancellation, plan, a draw for --messy, and how a payer converted.

    Drawn for everyone in `signup_us` (NONE_US where it does not happen), so the number
    of draws never depends on outcomes.
    """
    n = len(signup_us)
    pays = rng.random(n) < 0.30 * pay_factor
    # How a payer converts: right away, at the end of a 7-day trial, or some days later.
    mode = rng.choice(3, size=n, p=[0.45, 0.35, 0.20])
    immediate = rng.integers(60, 1200, size=n) * SECOND_US
    # Trials end with a billing run early on local day 7 after signup; a quarter of
    # the charges fail once and go through on the retry a day later.
    trial_day = 7 + (rng.random(n) < 0.25)
    trial = shift_day_keep_time(signup_us, trial_day, rng.integers(10 * 60, 9 * 3600, size=n) * SECOND_US)
    trial = trial - signup_us
    later = DAY_US + (rng.exponential(20.0, size=n) * DAY_US).astype(np.int64)
    delay = np.where(mode == 0, immediate, np.where(mode == 1, trial, later))
    annual = rng.random(n) < 0.28
    plan = np.where(pays, np.where(annual, PLAN_ANNUAL, PLAN_MONTHLY), PLAN_FREE)
    # Payers cancel with a monthly hazard of about 7 % (monthly) or 2 % (annual).
    tenure = (rng.exponential(1.0, size=n) * np.where(annual, 1500.0, 400.0) * DAY_US).astype(np.int64)
    free_cancels = rng.random(n) < 0.12
    free_tenure = (rng.exponential(25.0, size=n) * DAY_US).astype(np.int64)
    first_paid = np.where(pays, signup_us + delay, NONE_US)
    canceled = np.where(
        pays,
        first_paid + HOUR_US + tenure,
        np.where(free_cancels, signup_us + HOUR_US + free_tenure, NONE_US),
    )
    invalid_draw = rng.random(n)
    return first_paid, canceled, plan.astype(np.int8), invalid_draw, mode


def _returns(rng: np.random.Generator, base_us: np.ndarray, counts: np.ndarray, mean_gap_days: np.ndarray,
             uniform_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return-visit instants after base_us: whole local days later, at a usual hour.

    A visit either follows base after an exponential gap (mean_gap_days: visits decay)
    or, with probability `uniform_share`, falls anywhere in the return window (the
    habitual visits of a member). Weekend visits are thinned.
    """
    owner = np.repeat(np.arange(len(base_us)), counts)
    m = len(owner)
    decaying = rng.random(m) >= uniform_share[owner]
    gap = np.where(
        decaying,
        1 + np.floor(rng.exponential(1.0, size=m) * mean_gap_days[owner]),
        rng.integers(1, RETURN_WINDOW_DAYS + 1, size=m),
    ).astype(np.int64)
    starts = shift_day_keep_time(base_us[owner], gap, _time_of_day_us(rng, m))
    keep = rng.random(m) < WEEKDAY_FACTOR[weekday_of_us(starts)] / WEEKDAY_FACTOR.max()
    return owner[keep], starts[keep]


def simulate_arrivals(seed: int, start: date, day_index: int, members_per_year: float) -> Arrivals:
    """Everything that starts on day `day_index`: new visitors, their futures, members."""
    rng = stream(seed, STREAM_ARRIVALS, day_index)
    day = start + timedelta(days=day_index)
    factor = traffic_factor(day_index, day)
    web_signups = members_per_year / 365.0 * (1 - OFFLINE_MEMBER_SHARE)
    n_vis = int(rng.poisson(web_signups / MEAN_SIGNUP_RATE * factor))
    n_off = int(rng.poisson(members_per_year / 365.0 * OFFLINE_MEMBER_SHARE * factor))
    midnight = local_midnight_us(day)

    channel = rng.choice(len(CHANNELS), size=n_vis, p=CHANNEL_P).astype(np.int8)
    device = rng.choice(len(DEVICES), size=n_vis, p=DEVICE_P).astype(np.int8)
    geo = rng.choice(len(GEOS), size=n_vis, p=GEO_P).astype(np.int8)
    pseudo_rand = rng.integers(100_000_000, 2_147_483_647, size=n_vis)
    arrival = midnight + _time_of_day_us(rng, n_vis)

    # Who signs up, and when: most in their first session, the rest days later.
    signs_up = rng.random(n_vis) < CHANNEL_SIGNUP[channel]
    in_first_session = rng.random(n_vis) < 0.55
    signup_lead = rng.integers(40, 600, size=n_vis) * SECOND_US
    later_day = 1 + np.floor(rng.exponential(4.0, size=n_vis)).astype(np.int64)
    later_signup = np.maximum(
        shift_day_keep_time(arrival, later_day, _time_of_day_us(rng, n_vis)),
        arrival + 3 * HOUR_US,
    )
    signup_all = np.where(in_first_session, arrival + signup_lead, later_signup)
    first_paid_all, canceled_all, plan_all, invalid_all, pay_mode_all = _draw_lifecycles(
        rng, signup_all, CHANNEL_PAY[channel]
    )
    user_id_all = rng.integers(1 << 40, 1 << 63, size=n_vis, dtype=np.uint64)

    members_idx = np.flatnonzero(signs_up)
    v_member = np.full(n_vis, -1, dtype=np.int32)
    v_member[members_idx] = np.arange(len(members_idx), dtype=np.int32)

    off_signup = midnight + _time_of_day_us(rng, n_off)
    off_paid, off_canceled, off_plan, off_invalid, _ = _draw_lifecycles(rng, off_signup, np.ones(n_off))
    off_geo = rng.choice(len(GEOS), size=n_off, p=GEO_P).astype(np.int8)

    # Sessions. Per visitor: the first one, anonymous returns, the sign-up session,
    # the payment session, returns as a member.
    anon_counts = rng.poisson(0.55, size=n_vis)
    anon_owner, anon_start = _returns(
        rng, arrival, anon_counts, np.full(n_vis, 6.0), np.full(n_vis, 0.05)
    )
    # Before signing up, a visitor's anonymous visits end well before the sign-up session.
    before_signup = ~signs_up[anon_owner] | (
        anon_start < signup_all[anon_owner] - signup_lead[anon_owner] - 2 * HOUR_US
    )
    anon_owner, anon_start = anon_owner[before_signup], anon_start[before_signup]

    pays = first_paid_all != NONE_US
    member_counts = rng.poisson(np.where(pays, 7.0, 2.5) + np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS)
    uniform_share = np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS / (
        np.where(pays, 7.0, 2.5) + np.where(pays, 0.03, 0.008) * RETURN_WINDOW_DAYS
    )
    mem_owner, mem_start = _returns(
        rng, signup_all, np.where(signs_up, member_counts, 0), np.where(pays, 20.0, 8.0), uniform_share
    )
    # After a cancellation a member seldom comes back.
    after_cancel = mem_start > canceled_all[mem_owner]
    keep = ~after_cancel | (rng.random(len(mem_owner)) < 0.1)
    mem_owner, mem_start = mem_owner[keep], mem_start[keep]

    signup_session = signs_up & ~in_first_session
    paid_in_signup_session = signs_up & pays & (pay_mode_all == 0)
    pay_session = signs_up & pays & (pay_mode_all != 0)
    pay_lead = rng.integers(20, 300, size=n_vis) * SECOND_US

    first_kind = S_FIRST | np.where(signs_up & in_first_session, S_SIGNUP, 0)
    first_kind = first_kind | np.where(in_first_session & paid_in_signup_session, S_PURCHASE, 0)
    su_owner = np.flatnonzero(signup_session)
    su_kind = S_SIGNUP | np.where(paid_in_signup_session[su_owner], S_PURCHASE, 0)
    pay_owner = np.flatnonzero(pay_session)

    s_visitor = np.concatenate([np.arange(n_vis), anon_owner, su_owner, pay_owner, mem_owner]).astype(np.int32)
    s_start = np.concatenate([
        arrival,
        anon_start,
        signup_all[su_owner] - signup_lead[su_owner],
        first_paid_all[pay_owner] - pay_lead[pay_owner],
        mem_start,
    ])
    s_kind = np.concatenate([
        first_kind,
        np.zeros(len(anon_owner), dtype=np.int64),
        su_kind,
        np.full(len(pay_owner), S_PURCHASE),
        np.zeros(len(mem_owner), dtype=np.int64),
    ]).astype(np.int8)
    n_s = len(s_visitor)
    special = (s_kind & (S_SIGNUP | S_PURCHASE)) != 0
    is_first = (s_kind & S_FIRST) != 0
    engaged = special | (rng.random(n_s) < np.where(is_first, 0.6, 0.7))
    pages = np.where(engaged, 2 + np.minimum(rng.geometric(0.6, size=n_s) - 1, 10), 1).astype(np.int8)
    return_channel = rng.choice(len(CHANNELS), size=n_s, p=RETURN_CHANNEL_P)
    s_channel = np.where(is_first, channel[s_visitor], return_channel).astype(np.int8)
    s_seed = rng.integers(0, np.iinfo(np.int64).max, size=n_s).astype(np.uint64)

    # ga_session_number: the rank of the session among the visitor's sessions.
    order = np.lexsort((s_start, s_visitor))
    s_visitor, s_start, s_kind = s_visitor[order], s_start[order], s_kind[order]
    engaged, pages, s_channel, s_seed = engaged[order], pages[order], s_channel[order], s_seed[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(s_visitor)) + 1]
    number = np.arange(n_s) - np.repeat(group_start, np.diff(np.r_[group_start, n_s])) + 1

    return Arrivals(
        v_arrival_us=arrival,
        v_pseudo_rand=pseudo_rand,
        v_channel=channel,
        v_device=device,
        v_geo=geo,
        v_member=v_member,
        m_signup_us=np.concatenate([signup_all[members_idx], off_signup]),
        m_first_paid_us=np.concatenate([first_paid_all[members_idx], off_paid]),
        m_canceled_us=np.concatenate([canceled_all[members_idx], off_canceled]),
        m_plan=np.concatenate([plan_all[members_idx], off_plan]),
        m_geo=np.concatenate([geo[members_idx], off_geo]),
        m_channel=np.concatenate([channel[members_idx], np.full(n_off, len(CHANNELS), dtype=np.int8)]),
        m_user_id=np.concatenate([user_id_all[members_idx], np.zeros(n_off, dtype=np.uint64)]),
        m_invalid_draw=np.concatenate([invalid_all[members_idx], off_invalid]),
        s_visitor=s_visitor,
        s_start_us=s_start,
        s_number=number.astype(np.int32),
        s_pages=pages,
        s_engaged=engaged,
        s_channel=s_channel,
        s_seed=s_seed,
        s_kind=s_kind,
    )
