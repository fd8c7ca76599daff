"""Benchmark: hot-topic alert quality on synthetic question streams with known bursts (pure: the detection module
the services use, no database).

Run with ``python bench/outreach_alerts.py [--topics 40] [--days 90] [--seed 7]``. Each topic gets a baseline rate
(0.3–8 questions a day, hour-of-day shaped) and, at random times after a 35-day warm-up, bursts that add 12–40
questions over 3–12 hours. The rule of the demo (24 h window, threshold 10, release level 5, Poisson p ≤ 0.001
against the topic's previous 28 days, pending 30 min, keep firing 12 h) is evaluated every 10 minutes. Printed:

* detection recall: bursts followed by a firing between their start and 24 h after their end;
* false alerts: firings that start outside every burst's [start, end + 24 h], as a share of all firings after the
  warm-up, and per topic-month of quiet stream;
* flaps: firings after the first within one burst; and on a stream whose rate sits AT the threshold for 30 days,
  the firings of our rule against a threshold-only rule (release at the threshold, no pending, no keep-firing),
  measured in the same run (the floor to compare with);
* time to alert: median and p90 hours from burst start to firing.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from xiangzhi.outreach import detection  # noqa: E402
from xiangzhi.outreach.enums import Firing  # noqa: E402

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
STEP = dt.timedelta(minutes=10)
WINDOW_H, BASELINE_D = 24, 28
OURS = detection.Params(threshold=10, release_level=5, burst_p=0.001, pending=dt.timedelta(minutes=30),
                        keep_firing=dt.timedelta(hours=12))
THRESHOLD_ONLY = detection.Params(threshold=10, release_level=10, burst_p=1.0, pending=dt.timedelta(0),
                                  keep_firing=dt.timedelta(0))


def poisson_times(rng: random.Random, rate_per_hour, start: float, end: float) -> list[float]:  # noqa: ANN001
    """Arrival times (hours) of an inhomogeneous Poisson process by thinning; ``rate_per_hour(t)`` ≤ its max."""
    peak = max(rate_per_hour(start + i * 0.5) for i in range(int((end - start) * 2) + 1)) or 1e-9
    out, t = [], start
    while True:
        t += rng.expovariate(peak)
        if t >= end:
            return out
        if rng.random() * peak <= rate_per_hour(t):
            out.append(t)


def shape(t: float) -> float:
    """Hour-of-day shape of the questions (more in the day and evening), mean 1."""
    h = t % 24
    return 1.6 if 8 <= h < 21 else 0.25


def run(times: list[float], hours: float, p: detection.Params) -> list[tuple[float, str]]:
    """(hour, "F"/"R") of every firing and release of one rule on one stream."""
    state, out = detection.State(), []
    steps = int(hours * 6)
    for i in range(steps):
        now_h = i / 6
        count = bisect.bisect_left(times, now_h) - bisect.bisect_left(times, now_h - WINDOW_H)
        base_start, base_end = now_h - WINDOW_H - BASELINE_D * 24, now_h - WINDOW_H
        base = bisect.bisect_left(times, base_end) - bisect.bisect_left(times, max(0.0, base_start))
        base_hours = base_end - max(0.0, base_start)
        expected = detection.expected_count(base, base_hours, WINDOW_H) if base_hours > 0 else 1e9
        s = detection.step(state, count=count, expected=expected, now=T0 + i * STEP, p=p)
        state = s.state
        if s.fired:
            out.append((now_h, "F"))
        elif s.released:
            out.append((now_h, "R"))
    assert state.firing in Firing.values
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=40)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--p", type=float, default=OURS.burst_p, help="burst test's tail probability")
    parser.add_argument("--keep", type=float, default=OURS.keep_firing.total_seconds() / 3600, help="keep firing (h)")
    args = parser.parse_args()
    rule = detection.Params(threshold=OURS.threshold, release_level=OURS.release_level, burst_p=args.p,
                            pending=OURS.pending, keep_firing=dt.timedelta(hours=args.keep))
    rng = random.Random(args.seed)
    hours = args.days * 24.0
    warm = 35 * 24.0
    bursts_total = detected = false_alerts = firings = flaps = 0
    delays: list[float] = []
    quiet_months = 0.0
    for _ in range(args.topics):
        daily = rng.uniform(0.3, 8.0)
        bursts = []
        t = warm + rng.uniform(0, 10 * 24)
        while t < hours - 48:
            length = rng.uniform(3, 12)
            extra = rng.randint(12, 40)
            bursts.append((t, t + length, extra))
            t += length + rng.uniform(12, 25) * 24
        times = poisson_times(rng, lambda x, d=daily: d / 24 * shape(x), 0.0, hours)
        for start, end, extra in bursts:
            times += [rng.uniform(start, end) for _ in range(extra)]
        times.sort()
        events = run(times, hours, rule)
        fires = [h for h, e in events if e == "F" and h >= warm]  # the first 35 days only build the baseline
        firings += len(fires)
        bursts_total += len(bursts)
        spans = [(s, e + WINDOW_H) for s, e, _ in bursts]
        for s, e, _ in bursts:
            inside = [h for h in fires if s <= h <= e + WINDOW_H]
            if inside:
                detected += 1
                delays.append(inside[0] - s)
                flaps += len(inside) - 1
        false_alerts += sum(1 for h in fires if h >= warm and not any(s <= h <= e for s, e in spans))
        quiet_months += ((hours - warm) - sum(e - s for s, e in spans)) / (30 * 24)
    # a rate that sits at the threshold: 1 a day for 35 days, then 10 a day (= the threshold per window) for 30 days
    hover_rng = random.Random(args.seed + 1)
    hover_hours = 65 * 24.0
    hover = sorted(poisson_times(hover_rng, lambda x: (1 if x < warm else 10) / 24 * shape(x), 0.0, hover_hours))
    ours = [e for _, e in run(hover, hover_hours, rule)].count("F")
    naive = [e for _, e in run(hover, hover_hours, THRESHOLD_ONLY)].count("F")
    recall = detected / bursts_total if bursts_total else 0.0
    print(f"streams: {args.topics} topics × {args.days} days (seed {args.seed}); {bursts_total} injected bursts; "
          f"{firings} firings")
    print(f"detection recall: {recall:.3f} ({detected}/{bursts_total})")
    print(f"false alerts: {false_alerts}/{firings} = {false_alerts / max(1, firings):.3f} of firings; "
          f"{false_alerts / max(1e-9, quiet_months):.3f} per topic-month of quiet stream")
    print(f"flaps within a burst: {flaps}")
    print(f"rate at the threshold for 30 days: our rule fired {ours} time(s) (flaps {max(0, ours - 1)}); "
          f"threshold-only floor fired {naive} times (×{naive / max(1, ours):.0f})")
    if delays:
        delays.sort()
        print(f"time to alert: median {statistics.median(delays):.1f} h, p90 {delays[int(0.9 * (len(delays) - 1))]:.1f} h")


if __name__ == "__main__":
    main()
