"""The bureau's alert rules and their evaluation (run by ``runperiodic``): counts per topic (and per town) over the
rule's sliding window from consultation's visit log, the burst test and the pending/hysteresis state machine of
:mod:`..detection`; a rule that fires raises a 求助 with sample questions, the hourly chart and its audience."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.consultation import selectors as consultation
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Forbidden, ValidationFailed
from xiangzhi.core.models import Region, User

from .. import detection, rules
from ..enums import ACTIVE_STATES, EventKind, Firing
from ..models import Alert, AlertRule, RuleState
from .push import sync_audience
from .records import record

RULE_FIELDS = ("name", "topic", "per_town", "window_hours", "threshold", "release_level", "baseline_days", "burst_p",
               "pending_minutes", "keep_firing_minutes", "claim_hours", "needs_review", "is_active")


# ----------------------------------------------------------------------------------------------------------------
# Rules (the justice bureau, in the workbench)
# ----------------------------------------------------------------------------------------------------------------
def check_rule(values: dict[str, Any]) -> dict[str, Any]:
    """The rule's fields, checked: a name; window 1–720 h; threshold ≥ 1; release level ≤ threshold; burst p in
    (0, 0.5]; baseline ≥ 1 day."""
    errors = {}
    name = str(values.get("name") or "").strip()
    if not name:
        errors["name"] = "必填"
    ints = {}
    for f, lo, hi in (("window_hours", 1, 720), ("threshold", 1, 100000), ("release_level", 0, 100000),
                      ("baseline_days", 1, 365), ("pending_minutes", 0, 10080), ("keep_firing_minutes", 0, 10080),
                      ("claim_hours", 1, 720)):
        try:
            ints[f] = int(values.get(f))
        except (TypeError, ValueError):
            errors[f] = "须为整数"
            continue
        if not lo <= ints[f] <= hi:
            errors[f] = f"须在 {lo}–{hi} 之间"
    try:
        burst_p = float(values.get("burst_p"))
        if not 0 < burst_p <= 0.5:
            errors["burst_p"] = "须在 0–0.5 之间"
    except (TypeError, ValueError):
        errors["burst_p"] = "须为小数"
        burst_p = 0.0
    if "threshold" in ints and "release_level" in ints and ints["release_level"] > ints["threshold"]:
        errors["release_level"] = "解除数量不能高于触发数量（否则预警会反复触发、解除）"
    if errors:
        raise ValidationFailed("INVALID_RULE", "预警规则填写有误，请检查标出的项目。", errors)
    return {"name": name[:80], "topic": str(values.get("topic") or "").strip()[:20],
            "per_town": bool(values.get("per_town")), "burst_p": burst_p,
            "needs_review": bool(values.get("needs_review")), "is_active": bool(values.get("is_active", True)),
            **ints}


def save_rule(rule: AlertRule | None, values: dict[str, Any], *, actor: User) -> AlertRule:
    """Create or edit an alert rule (the justice bureau only). Side effects: the rule row; one audit row."""
    if not rules.can_edit_rules(core_rules.roles_of(actor)):
        raise Forbidden("NOT_BUREAU", "只有司法局可以设置热点预警规则。")
    clean = check_rule(values)
    with transaction.atomic():
        before = {f: getattr(rule, f) for f in RULE_FIELDS} if rule is not None else None
        rule = rule or AlertRule()
        for f, v in clean.items():
            setattr(rule, f, v)
        rule.updated_by = actor
        rule.save()
        core.audit("outreach.save_rule", actor=actor, obj=rule, before=before, after=clean)
    return rule


# ----------------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    fired: int = 0
    released: int = 0
    pending: int = 0
    firing: int = 0


def params(rule: AlertRule) -> detection.Params:
    return detection.Params(threshold=rule.threshold, release_level=rule.release_level, burst_p=rule.burst_p,
                            pending=dt.timedelta(minutes=rule.pending_minutes),
                            keep_firing=dt.timedelta(minutes=rule.keep_firing_minutes))


def _by_scope(counts: Counter, per_town: bool) -> Counter:
    out: Counter = Counter()
    for (topic, town), n in counts.items():
        if per_town and not town:
            continue
        out[(topic, town if per_town else "")] += n
    return out


def _region(scope: str) -> Region:
    if scope:
        region = Region.objects.filter(code=scope).first()
        if region is not None:
            return region
    region = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise ValidationFailed("NO_REGION", "尚未导入行政区划。")
    return region


def evaluate(*, now: dt.datetime | None = None) -> Evaluation:
    """Evaluate every active rule once (``runperiodic``; its lease keeps a second evaluator out, and the DB
    constraint keeps one active 求助 per topic and scope whatever happens).

    Side effects: RuleState rows; a 求助 (Alert, a ``fired`` event, its audience) when a rule fires and no 求助
    on that topic and scope is still being worked on; ``released`` events; the audience of firing 求助 refreshed."""
    now = now or timezone.now()
    out = Evaluation()
    for rule in AlertRule.objects.filter(is_active=True).order_by("pk"):
        window = dt.timedelta(hours=rule.window_hours)
        since, base_since = now - window, now - window - dt.timedelta(days=rule.baseline_days)
        current = _by_scope(consultation.question_counts(since, now, topic=rule.topic), rule.per_town)
        baseline = _by_scope(consultation.question_counts(base_since, since, topic=rule.topic), rule.per_town)
        states = {(s.topic, s.scope): s for s in RuleState.objects.filter(rule=rule)}
        keys = set(current) | {k for k, s in states.items() if s.firing != Firing.INACTIVE}
        p = params(rule)
        for key in sorted(keys):
            count = current.get(key, 0)
            expected = detection.expected_count(baseline.get(key, 0), rule.baseline_days * 24, rule.window_hours)
            row = states.get(key) or RuleState(rule=rule, topic=key[0], scope=key[1])
            result = detection.step(detection.State(row.firing, row.since, row.below_since), count=count,
                                    expected=expected, now=now, p=p)
            with transaction.atomic():
                row.firing, row.since, row.below_since = result.state.firing, result.state.since, \
                    result.state.below_since
                row.last_count, row.last_expected, row.evaluated_at = count, expected, now
                row.save()
                if result.fired:
                    out.fired += _fire(rule, key[0], key[1], count=count, expected=expected, now=now)
                elif result.released:
                    out.released += _release(key[0], key[1], count=count, now=now)
                elif result.state.firing == Firing.FIRING:
                    _refresh(key[0], key[1], count=count, expected=expected, rule=rule, now=now)
            out.pending += result.state.firing == Firing.PENDING
            out.firing += result.state.firing == Firing.FIRING
    return out


def _active(topic: str, scope: str) -> Alert | None:
    return Alert.objects.filter(topic=topic, scope=scope, state__in=ACTIVE_STATES).select_related("region").first()


def _fire(rule: AlertRule, topic: str, scope: str, *, count: int, expected: float, now: dt.datetime) -> int:
    """Raise the 求助 (1), or refresh the one still being worked on for this topic and scope (0)."""
    since = now - dt.timedelta(hours=rule.window_hours)
    if _active(topic, scope) is not None:
        _refresh(topic, scope, count=count, expected=expected, rule=rule, now=now)
        return 0
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule, topic=topic, scope=scope, region=_region(scope), fired_at=now, count=count,
                expected=round(expected, 3),
                series=consultation.hourly_question_counts(topic, since, now, town_code=scope),
                samples=consultation.sample_questions(topic, since, now, town_code=scope,
                                                      limit=settings.XIANGZHI_OUTREACH_SAMPLES))
            audience = sync_audience(alert, since=since, until=now)
            record(alert, EventKind.FIRED, {"topic": topic, "scope": scope, "count": count,
                                            "expected": round(expected, 3), "audience": audience},
                   actor=None, action="outreach.fired", notify=_claimer_notices(alert))
    except IntegrityError:  # another evaluator raised it at the same instant
        return 0
    return 1


def _refresh(topic: str, scope: str, *, count: int, expected: float, rule: AlertRule, now: dt.datetime) -> None:
    alert = _active(topic, scope)
    if alert is None:
        return
    since = now - dt.timedelta(hours=rule.window_hours)
    alert.count = max(alert.count, count)
    alert.series = consultation.hourly_question_counts(topic, alert.fired_at - dt.timedelta(hours=rule.window_hours),
                                                       now, town_code=scope)
    alert.save(update_fields=["count", "series"])
    sync_audience(alert, since=since, until=now)


def _release(topic: str, scope: str, *, count: int, now: dt.datetime) -> int:
    alert = Alert.objects.filter(topic=topic, scope=scope, released_at__isnull=True).order_by("-fired_at").first()
    if alert is None:
        return 0
    alert.released_at = now
    alert.save(update_fields=["released_at"])
    record(alert, EventKind.RELEASED, {"count": count}, actor=None, action="outreach.released")
    return 1


def _claimer_notices(alert: Alert) -> list[core.Message]:
    """An in-app notice to every lawyer and legal worker who may claim the new 求助 (at most 200)."""
    from ..selectors import may_claim

    scope = "全市" if not alert.scope else alert.region.name
    out = []
    candidates = (User.objects.filter(memberships__is_active=True, memberships__role__in=rules.CLAIM_ROLES,
                                      is_active=True).distinct().order_by("pk")[:200])
    for user in candidates:
        if may_claim(user, alert):
            out.append(core.Message(user, f"新的普法求助：{alert.topic}（{scope}）",
                                    f"“{alert.topic}”方面的咨询 {alert.count} 条，明显多于平常，请抢单录制解答。",
                                    f"/outreach/staff/{alert.pk}/", f"outreach:{alert.pk}:fired:{user.pk}"))
    return out
