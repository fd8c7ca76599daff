"""Hot-topic detection, pure (no database): the burst test against a topic's own baseline and the rule's state
machine with a pending period and hysteresis. The services feed it counts; ``bench/outreach_alerts.py`` feeds it
synthetic streams.

One step of :func:`step` for one rule, topic and scope:

* triggered = count ≥ threshold AND P(X ≥ count | Poisson(expected)) ≤ burst_p (the burst test: the count is
  unlikely under the topic's own baseline rate, so a topic that is always busy does not fire every day);
* inactive → pending when triggered; pending → inactive when not triggered; pending → firing when triggered for
  ``pending`` (Prometheus ``for:``);
* firing → inactive (released) only when the count has stayed below ``release_level`` (< threshold) for
  ``keep_firing`` (Prometheus ``keep_firing_for:``): a rate hovering at the threshold never releases and re-fires.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from .enums import Firing

# The expected count never goes below this (a topic never asked about before would make any count a "burst").
MIN_EXPECTED = 0.5


def poisson_tail(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), computed in log space (exact for the small counts of a county)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    # 1 - P(X ≤ k-1), summed from the largest term down for accuracy
    log_terms = [-lam + i * math.log(lam) - math.lgamma(i + 1) for i in range(k)]
    top = max(log_terms)
    cdf = math.exp(top) * sum(math.exp(t - top) for t in log_terms)
    return max(0.0, 1.0 - cdf) if cdf < 0.999999 else _upper_sum(k, lam)


def _upper_sum(k: int, lam: float) -> float:
    """P(X ≥ k) summed directly over the upper tail (when 1 - cdf would lose every digit)."""
    total, i = 0.0, k
    term = math.exp(-lam + k * math.log(lam) - math.lgamma(k + 1))
    while term > 1e-300 and i < k + 10_000:
        total += term
        i += 1
        term *= lam / i
        if term < total * 1e-17:
            break
    return total


def expected_count(baseline_count: int, baseline_hours: float, window_hours: float) -> float:
    """The count the window would hold at the topic's baseline rate."""
    if baseline_hours <= 0:
        return MIN_EXPECTED
    return max(MIN_EXPECTED, baseline_count * window_hours / baseline_hours)


@dataclass(frozen=True)
class Params:
    threshold: int
    release_level: int
    burst_p: float
    pending: dt.timedelta
    keep_firing: dt.timedelta


@dataclass(frozen=True)
class State:
    firing: str = Firing.INACTIVE
    since: dt.datetime | None = None
    below_since: dt.datetime | None = None


@dataclass(frozen=True)
class Step:
    state: State
    fired: bool = False  # this step raised the alert
    released: bool = False  # this step ended the firing
    triggered: bool = False


def triggered(count: int, expected: float, p: Params) -> bool:
    return count >= p.threshold and poisson_tail(count, expected) <= p.burst_p


def step(state: State, *, count: int, expected: float, now: dt.datetime, p: Params) -> Step:
    """The next state of one rule for one topic and scope, given the window's count and its expected value."""
    hot = triggered(count, expected, p)
    if state.firing == Firing.FIRING:
        if count >= p.release_level:
            return Step(State(Firing.FIRING, state.since, None), triggered=hot)
        below = state.below_since or now
        if now - below >= p.keep_firing:
            return Step(State(Firing.INACTIVE), released=True, triggered=hot)
        return Step(State(Firing.FIRING, state.since, below), triggered=hot)
    if not hot:
        return Step(State(Firing.INACTIVE))
    since = state.since if state.firing == Firing.PENDING and state.since else now
    if now - since >= p.pending:
        return Step(State(Firing.FIRING, now), fired=True, triggered=True)
    return Step(State(Firing.PENDING, since), triggered=True)
