"""The burst test and the pending/hysteresis state machine (pure)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from xiangzhi.outreach import detection

T0 = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
P = detection.Params(threshold=10, release_level=5, burst_p=0.01, pending=dt.timedelta(minutes=30),
                     keep_firing=dt.timedelta(minutes=60))


def _tail(k: int, lam: float) -> float:
    return 1 - sum(math.exp(-lam) * lam ** i / math.factorial(i) for i in range(k))


@pytest.mark.parametrize(("k", "lam"), [(0, 3.0), (1, 0.5), (5, 2.0), (10, 3.0), (12, 12.0), (30, 4.0)])
def test_poisson_tail_matches_the_textbook_sum(k, lam):
    assert detection.poisson_tail(k, lam) == pytest.approx(_tail(k, lam), rel=1e-6, abs=1e-15)


def test_poisson_tail_keeps_digits_far_in_the_tail():
    assert 0 < detection.poisson_tail(60, 2.0) < 1e-40


def run(counts: list[int], *, expected: float = 1.0, every: dt.timedelta = dt.timedelta(minutes=10)):
    state, events = detection.State(), []
    for i, c in enumerate(counts):
        s = detection.step(state, count=c, expected=expected, now=T0 + i * every, p=P)
        state = s.state
        events.append("F" if s.fired else "R" if s.released else state.firing[0])
    return events


def test_it_fires_only_after_the_pending_period():
    events = run([12, 12, 12, 12])
    assert events == ["p", "p", "p", "F"]  # 0, 10, 20 min pending; fires at 30 min


def test_a_short_spike_inside_the_pending_period_never_fires():
    assert "F" not in run([12, 12, 3, 12, 12, 2, 12])


def test_the_threshold_alone_is_not_enough_without_a_burst_against_the_baseline():
    # a topic that always has ~12 questions a day: 12 today is no burst
    assert "F" not in run([12] * 10, expected=12.0)
    assert "F" in run([12] * 10, expected=2.0)


def test_a_rate_hovering_at_the_threshold_fires_once_and_never_flaps():
    counts = [12, 12, 12, 12] + [9, 10, 11, 10, 9, 10, 8, 11, 10, 9, 6, 10] * 10
    events = run(counts)
    assert events.count("F") == 1 and events.count("R") == 0


def test_it_releases_only_below_the_release_level_for_the_keep_firing_period():
    events = run([12, 12, 12, 12, 4, 4, 4, 6, 4, 4, 4, 4, 4, 4, 4])
    fired = events.index("F")
    released = events.index("R")
    # below since the index 8 (the 6 at index 7 resets it); released 60 minutes later
    assert released == 14 and fired == 3
    assert events.count("F") == 1


def test_after_release_a_new_burst_fires_again_after_its_own_pending_period():
    events = run([12, 12, 12, 12] + [0] * 7 + [12, 12, 12, 12])
    assert events.count("F") == 2 and events.count("R") == 1
    assert events[-1] == "F" and events[-2] == "p"
