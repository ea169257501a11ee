"""Resubscriptions: payers who cancel and pay again, and cancellations withdrawn.

Membership exports are snapshots, so a member's later export may contradict an
earlier one. Three kinds occur here, each drawn from hashes of the member's signup
instant (one salt per kind of draw, as in samplegen.plans), so that whether and when
a member comes back never depends on the range's length or on other members:

- a comeback: RESUBSCRIBE_SHARE of the payers who cancel pay again some days later
  (MEAN_DAYS_AWAY on average, at least one). From that instant the exports show the
  new first payment and no cancellation, on the plan the member left, at that plan's
  list price on the day they come back.
  A member who comes back does not cancel again.
- a break: BREAK_SHARE of the payers still paying BREAK_AFTER_DAYS + BREAK_DAYS after
  their first payment, and the first BREAK_FIRST_PAYERS of them in signup order (so
  that even a short range shows one), cancel BREAK_AFTER_DAYS after paying and pay
  again BREAK_DAYS later; their own cancellation, if any, shows after that.
- a withdrawal: WITHDRAWN_SHARE of the other payers who cancel take the cancellation
  back within WITHDRAW_DAYS days. From then the exports show the same first payment
  and no cancellation.

Only a valid cancellation (on or after the first payment) is followed by any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samplegen.clock import DAY_US, NONE_US
from samplegen.randomness import hash_uniform
from samplegen.world import World

RESUBSCRIBE_SHARE = 0.35
MEAN_DAYS_AWAY = 20.0
BREAK_SHARE = 0.04
BREAK_FIRST_PAYERS = 2
BREAK_AFTER_DAYS = 25
BREAK_DAYS = 20
WITHDRAWN_SHARE = 0.15
WITHDRAW_DAYS = 5

_DRAW_COMEBACK, _DRAW_AWAY, _DRAW_WITHDRAW, _DRAW_WITHDRAW_AFTER, _DRAW_BREAK = (
    np.uint64(0xBAC0_0000 + k * 0x9E37) for k in range(5))


@dataclass
class Resubscriptions:
    """Per member, the instants the exports show (NONE_US: never)."""

    break_canceled_us: np.ndarray  # a break's cancellation, shown until again_us
    again_us: np.ndarray  # the new first payment after a cancellation or a break
    withdrawn_us: np.ndarray  # when the cancellation disappears


def _uniform(signup_us: np.ndarray, salt: np.uint64) -> np.ndarray:
    return hash_uniform(signup_us.astype(np.uint64) ^ salt)


def resubscriptions(world: World, canceled_us: np.ndarray) -> Resubscriptions:
    """Comebacks, breaks and withdrawals of the members whose cancellations are `canceled_us`."""
    signup = world.m_signup_us
    first_paid = world.m_first_paid_us
    paid = first_paid != NONE_US
    churned = paid & (canceled_us != NONE_US) & (canceled_us >= first_paid)
    comes_back = churned & (_uniform(signup, _DRAW_COMEBACK) < RESUBSCRIBE_SHARE)
    away_days = 1.0 - np.log1p(-_uniform(signup, _DRAW_AWAY)) * MEAN_DAYS_AWAY
    again = np.where(comes_back, canceled_us + (away_days * DAY_US).astype(np.int64), NONE_US)

    break_end = first_paid + (BREAK_AFTER_DAYS + BREAK_DAYS) * DAY_US
    can_break = paid & (canceled_us >= first_paid) & (canceled_us > break_end)
    breaks = can_break & (_uniform(signup, _DRAW_BREAK) < BREAK_SHARE)
    breaks[np.flatnonzero(can_break)[:BREAK_FIRST_PAYERS]] = True
    break_canceled = np.where(breaks, first_paid + BREAK_AFTER_DAYS * DAY_US, NONE_US)
    again = np.where(breaks, break_end, again)

    withdraws = churned & ~comes_back & (_uniform(signup, _DRAW_WITHDRAW) < WITHDRAWN_SHARE)
    after = (1.0 + _uniform(signup, _DRAW_WITHDRAW_AFTER) * (WITHDRAW_DAYS - 1)) * DAY_US
    withdrawn = np.where(withdraws, canceled_us + after.astype(np.int64), NONE_US)
    return Resubscriptions(break_canceled_us=break_canceled, again_us=again, withdrawn_us=withdrawn)
