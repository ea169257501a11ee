"""Plans, prices and plan changes: how each payer's money moves over time.

The plans are those of dbt_project/seeds/plans.csv: free, monthly and premium
(billed every month) and annual (billed every 12 months). The monthly plan's list
price rises on MONTHLY_PRICE_CHANGE (a local date): members who start or switch to
the monthly plan from that day pay the new price, those already on it keep theirs.

Every payer starts on the plan drawn for them in samplegen.arrivals, except that
some monthly starters take premium instead. After the first payment a payer may
change plan up to twice: monthly to premium (an upgrade) or to annual (a switch,
cheaper per month), premium back to monthly (a downgrade). A change after the
cancellation never happens. Each member's draws are hashes of their own signup
instant (one salt per kind of draw), so a plan history never depends on the range's
length or on other members, and the GA4 purchase of one member can be priced
without working out everyone's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from samplegen.clock import DAY_US, NONE_US, local_midnight_us
from samplegen.randomness import hash_uniform
from samplegen.world import World

PLAN_FREE, PLAN_MONTHLY, PLAN_ANNUAL, PLAN_PREMIUM = 0, 1, 2, 3
PLAN_NAMES = ("free", "monthly", "annual", "premium")
LIST_PRICES_KRW = (0, 10900, 99000, 19900)  # today's list prices, as in seeds/plans.csv
MONTHLY_PRICE_BEFORE_CHANGE_KRW = 9900
MONTHLY_PRICE_CHANGE = date(2025, 2, 15)  # from this local day, monthly costs 10,900

PREMIUM_START_SHARE = 0.2  # of monthly starters
FIRST_CHANGE_SHARE = 0.55  # of payers, some time after the first payment
SECOND_CHANGE_SHARE = 0.35  # of those who changed once
MEAN_DAYS_TO_CHANGE = 30.0
UPGRADE_SHARE = 0.6  # of monthly payers who change: premium; the others go annual

# One salt per kind of draw, so the draws of a member are independent of each other.
_DRAW_PREMIUM_START, _DRAW_FIRST, _DRAW_FIRST_GAP, _DRAW_UPGRADE, _DRAW_SECOND, _DRAW_SECOND_GAP = (
    np.uint64(0x5EED_0000 + k * 0x9E37) for k in range(6))


@dataclass
class PlanHistory:
    """Up to three plan segments per member: plan and price from each segment's start.

    Segment k starts at start_us[:, k] (NONE_US when it never starts); segment 0 starts
    at the first payment.
    """

    plan: np.ndarray  # (members, 3) int
    price: np.ndarray  # (members, 3) int, KRW per billing period
    start_us: np.ndarray  # (members, 3) int64


def _uniform(signup_us: np.ndarray, salt: np.uint64) -> np.ndarray:
    """One uniform [0, 1) per member, from the member's signup instant."""
    return hash_uniform(signup_us.astype(np.uint64) ^ salt)


def _initial_plans(world: World, rows: np.ndarray) -> np.ndarray:
    """The plan members `rows` pay first (free for those who never pay)."""
    paid = world.m_first_paid_us[rows] != NONE_US
    initial = np.where(paid, world.m_plan[rows].astype(np.int64), PLAN_FREE)
    premium = _uniform(world.m_signup_us[rows], _DRAW_PREMIUM_START) < PREMIUM_START_SHARE
    return np.where((initial == PLAN_MONTHLY) & premium, PLAN_PREMIUM, initial)


def price_of(plan: np.ndarray, start_us: np.ndarray) -> np.ndarray:
    """The list price of `plan` for a segment starting at `start_us`."""
    price = np.array(LIST_PRICES_KRW, dtype=np.int64)[plan]
    before_change = start_us < local_midnight_us(MONTHLY_PRICE_CHANGE)
    return np.where((plan == PLAN_MONTHLY) & before_change, MONTHLY_PRICE_BEFORE_CHANGE_KRW, price)


def _next_plan(plan: np.ndarray, upgrade: np.ndarray) -> np.ndarray:
    """The plan a payer changes to: monthly to premium or annual, premium to monthly."""
    from_monthly = np.where(upgrade, PLAN_PREMIUM, PLAN_ANNUAL)
    return np.where(plan == PLAN_MONTHLY, from_monthly,
                    np.where(plan == PLAN_PREMIUM, PLAN_MONTHLY, plan))


def plan_histories(world: World) -> PlanHistory:
    """Every member's plan segments (free members: one free segment that never starts)."""
    signup = world.m_signup_us
    paid = world.m_first_paid_us != NONE_US
    initial = _initial_plans(world, np.arange(len(signup)))

    def gap(salt: np.uint64) -> np.ndarray:
        days = 1.0 - np.log1p(-_uniform(signup, salt)) * MEAN_DAYS_TO_CHANGE
        return (days * DAY_US).astype(np.int64)

    upgrade = _uniform(signup, _DRAW_UPGRADE) < UPGRADE_SHARE
    first_plan = _next_plan(initial, upgrade)
    changes_once = paid & (first_plan != initial) & (_uniform(signup, _DRAW_FIRST) < FIRST_CHANGE_SHARE)
    first_at = np.where(changes_once, world.m_first_paid_us + gap(_DRAW_FIRST_GAP), NONE_US)
    first_at = np.where(first_at < world.m_canceled_us, first_at, NONE_US)
    second_plan = _next_plan(first_plan, ~upgrade)
    changes_twice = (first_at != NONE_US) & (second_plan != first_plan) & (
        _uniform(signup, _DRAW_SECOND) < SECOND_CHANGE_SHARE)
    second_at = np.where(changes_twice, first_at + gap(_DRAW_SECOND_GAP), NONE_US)
    second_at = np.where(second_at < world.m_canceled_us, second_at, NONE_US)

    start_us = np.stack([np.where(paid, world.m_first_paid_us, NONE_US), first_at, second_at], axis=1)
    plan = np.stack([initial, first_plan, second_plan], axis=1)
    return PlanHistory(plan=plan, price=price_of(plan, start_us), start_us=start_us)


def plans_at(history: PlanHistory, rows: np.ndarray, before_us: int) -> tuple[np.ndarray, np.ndarray]:
    """(plan, price) of members `rows` just before `before_us`: free until the first payment."""
    starts = history.start_us[rows]
    current = (starts < before_us).sum(axis=1) - 1  # segments start in order
    has = current >= 0
    pick = np.maximum(current, 0)
    plan = np.where(has, history.plan[rows, pick], PLAN_FREE)
    price = np.where(has, history.price[rows, pick], 0)
    return plan, price


def first_payment_prices(world: World, rows: np.ndarray) -> np.ndarray:
    """What members `rows` paid at their first payment (0 for members who never paid)."""
    return price_of(_initial_plans(world, rows), world.m_first_paid_us[rows])
