"""Every write of 研判: a case's statistics flags, screening rounds, and early warnings (detected by the periodic
job, notified once to the supervisors of the region, acknowledged with a note).

Warning life: a detection creates a *pending* warning (kinds with a pending period) or an *open* one. A pending
warning opens when it has been seen in at least two runs spanning the pending period, so a one-off blip never
notifies anyone. At most one live warning per key (database constraint). A live warning is resolved when its
condition is gone; the burst detector uses a lower threshold to clear than to open (hysteresis), so it does not flap.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from xiangzhi.core import selectors as core_selectors
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Membership, Organisation, Region, User
from xiangzhi.disputes import rules as dispute_rules
from xiangzhi.disputes.enums import OPEN_STAGES, PartyRole, RiskLevel
from xiangzhi.disputes.models import Case, DisputeType, Party

from . import rules
from .models import LIVE_STATES, CaseFlags, RiskWarning, Screening, WarningKind, WarningState
from .selectors import TZ, overdue_q

# ----------------------------------------------------------------------------------------------------------------
# Statistics flags and screenings
# ----------------------------------------------------------------------------------------------------------------
FLAG_FIELDS = ("found_by_screening", "prevented_criminal", "prevented_criminal_people", "prevented_petition",
               "prevented_petition_people", "agreement_performed")


def _check_flags(case: Case, actor: User | None, flags: Mapping[str, Any]) -> None:
    unknown = set(flags) - set(FLAG_FIELDS)
    if unknown:
        raise ValidationFailed("INVALID_FLAGS", f"未知的统计标记：{', '.join(sorted(unknown))}")
    if actor is not None and not rules.can_set_case_flags(actor, case):
        raise XiangzhiError("FORBIDDEN", "您无权修改该案件的统计标记。", status=403)
    for people, flag in (("prevented_criminal_people", "prevented_criminal"),
                         ("prevented_petition_people", "prevented_petition")):
        if int(flags.get(people) or 0) < 0:
            raise ValidationFailed("INVALID_FLAGS", "人数不能为负数。")
        if flags.get(people) and not flags.get(flag, True):
            raise ValidationFailed("INVALID_FLAGS", "未勾选的事项不能填写人数。")


def set_case_flags(case: Case, *, actor: User | None, **flags: Any) -> CaseFlags:
    """Record the report flags of a case (排查发现, 防止民转刑/群体性上访 with people counts, 协议履行).

    Allowed to the case's mediator and the supervisors of its place (``actor=None``: the system, e.g. the demo).
    Side effects: the CaseFlags row, an audit row."""
    _check_flags(case, actor, flags)
    with transaction.atomic():
        row, _ = CaseFlags.objects.select_for_update().get_or_create(case=case)
        before = {f: getattr(row, f) for f in FLAG_FIELDS}
        for name, value in flags.items():
            setattr(row, name, value)
        row.updated_at = timezone.now()
        row.updated_by = actor if actor is not None and actor.pk else None
        row.save()
        core.audit("insights.case_flags", actor=actor, obj=case, region_code=case.region_code, before=before,
                   after={f: getattr(row, f) for f in FLAG_FIELDS})
    return row


def set_case_flags_many(items: Sequence[tuple[Case, Mapping[str, Any]]], *, actor: User | None) -> list[CaseFlags]:
    """:func:`set_case_flags` for many cases at once (the demo year's bulk path): the same checks, rows and audit rows
    in the same order, in a few queries (one read, one INSERT and one UPDATE of the rows, one audit batch).
    Side effects: the CaseFlags rows, an audit row per case."""
    for case, flags in items:
        _check_flags(case, actor, flags)
    if not items:
        return []
    with transaction.atomic():
        existing = {row.case_id: row for row in CaseFlags.objects.select_for_update().filter(
            case_id__in=[case.pk for case, _ in items])}
        old = list(existing.values())
        rows, new, audits = [], [], []
        now = timezone.now()
        for case, flags in items:
            row = existing.get(case.pk)
            if row is None:
                row = existing[case.pk] = CaseFlags(case=case)
                new.append(row)
            before = {f: getattr(row, f) for f in FLAG_FIELDS}
            for name, value in flags.items():
                setattr(row, name, value)
            row.updated_at = now
            row.updated_by = actor if actor is not None and actor.pk else None
            rows.append(row)
            audits.append({"action": "insights.case_flags", "actor": actor, "obj": case,
                           "region_code": case.region_code, "before": before,
                           "after": {f: getattr(row, f) for f in FLAG_FIELDS}})
        CaseFlags.objects.bulk_create(new)
        if old:
            CaseFlags.objects.bulk_update(old, [*FLAG_FIELDS, "updated_at", "updated_by"])
        core.audit_many(audits)
    return rows


def record_screening(region: Region, *, actor: User | None, held_at: dt.datetime, disputes_found: int,
                     organisation: Organisation | None = None, note: str = "") -> Screening:
    """One round of 矛盾纠纷排查, by town or village staff of the region (``actor=None``: the system, e.g. the demo).
    Side effects: the row, an audit row."""
    if disputes_found < 0:
        raise ValidationFailed("INVALID_SCREENING", "发现纠纷数不能为负数。")
    if actor is not None and not rules.can_record_screening(actor, region.code):
        raise XiangzhiError("FORBIDDEN", "您无权登记该区域的矛盾纠纷排查。", status=403)
    with transaction.atomic():
        row = Screening.objects.create(region=region, region_code=region.code, organisation=organisation,
                                       held_at=held_at, disputes_found=disputes_found, note=note[:200],
                                       recorded_by=actor if actor is not None and actor.pk else None)
        core.audit("insights.screening", actor=actor, obj=row, region_code=region.code,
                   after={"disputes_found": disputes_found})
    return row


# ----------------------------------------------------------------------------------------------------------------
# Early warnings
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Finding:
    kind: str
    key: str
    region_code: str
    title: str
    reasons: list[str]
    link: str = ""
    score: float = 0.0


@dataclass
class Detection:
    findings: list[Finding] = field(default_factory=list)
    sustained: set[str] = field(default_factory=set)  # keys still above the clearing threshold


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    for length in (15, 12, 9, 6):  # snap to a real region level
        if n >= length:
            return a[:length]
    return a[:6]


def _case_link(pk: int) -> str:
    return f"/cases/workbench/{pk}/"


def detect_repeats(now: dt.datetime) -> Detection:
    """Same applicant (blind index of 身份证号, else phone) or same place with ≥ N cases in the window."""
    days, minimum = settings.XIANGZHI_INSIGHTS_REPEAT_DAYS, settings.XIANGZHI_INSIGHTS_REPEAT_MIN
    since = now - dt.timedelta(days=days)
    out = Detection()
    seen_groups: set[tuple[int, int]] = set()
    parties = Party.objects.filter(role=PartyRole.APPLICANT, case__created_at__gte=since, person__isnull=False)
    for index_field in ("person__id_number_index", "person__phone_index"):
        rows = (parties.exclude(**{f"{index_field}__isnull": True}).exclude(**{index_field: ""})
                .values(index_field).annotate(n=Count("case", distinct=True), lo=Min("case__region_code"),
                                              hi=Max("case__region_code"), last=Max("case_id"))
                .filter(n__gte=minimum).order_by())
        for r in rows:
            key = f"repeat_party:{r[index_field][:24]}"
            if (r["last"], r["n"]) in seen_groups:  # the same person found by 身份证号 and by phone
                continue
            seen_groups.add((r["last"], r["n"]))
            out.findings.append(Finding(
                WarningKind.REPEAT_PARTY, key, _common_prefix(r["lo"], r["hi"]),
                f"同一当事人{days}天内重复纠纷 {r['n']} 件",
                [f"同一申请人（按身份证号或手机号识别）{days}天内提出纠纷 {r['n']} 件，达到 {minimum} 件的预警线。",
                 "建议由调解组织上门回访、排查根源，防止矛盾激化。"], _case_link(r["last"]), float(r["n"])))
    rows = (Case.objects.filter(created_at__gte=since).exclude(place="")
            .values("region_code", "place").annotate(n=Count("id"), last=Max("id")).filter(n__gte=minimum).order_by())
    for r in rows:
        out.findings.append(Finding(
            WarningKind.REPEAT_PLACE, f"repeat_place:{r['region_code']}:{r['place'][:80]}", r["region_code"],
            f"同一地点{days}天内重复纠纷 {r['n']} 件：{r['place'][:40]}",
            [f"“{r['place'][:60]}”{days}天内登记纠纷 {r['n']} 件，达到 {minimum} 件的预警线。"],
            _case_link(r["last"]), float(r["n"])))
    return out


def poisson_z(x: int, baseline: list[int]) -> tuple[float, float]:
    """(z, λ): how unusual ``x`` events in this window are against the same key's own past windows (Poisson)."""
    lam = sum(baseline) / len(baseline) if baseline else 0.0
    lam_eff = max(lam, settings.XIANGZHI_INSIGHTS_BURST_MIN_RATE)
    return (x - lam) / math.sqrt(lam_eff), lam


def detect_bursts(now: dt.datetime) -> Detection:
    """A dispute type rising in a village or town against its own baseline: this week's count against the previous
    12 weeks (Poisson z-score). Opens at z ≥ 3 with at least 3 cases; stays live while z ≥ 1.5 (hysteresis)."""
    window, weeks = settings.XIANGZHI_INSIGHTS_BURST_WINDOW_DAYS, settings.XIANGZHI_INSIGHTS_BURST_BASELINE_WINDOWS
    z_open, z_clear = settings.XIANGZHI_INSIGHTS_BURST_Z_OPEN, settings.XIANGZHI_INSIGHTS_BURST_Z_CLEAR
    minimum = settings.XIANGZHI_INSIGHTS_BURST_MIN
    today = timezone.localtime(now, TZ).date()
    since = dt.datetime.combine(today - dt.timedelta(days=window * (weeks + 1) - 1), dt.time(), tzinfo=TZ)
    counts: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0] * (weeks + 1))
    rows = (Case.objects.filter(created_at__gte=since, created_at__lte=now)
            .annotate(v=Substr("region_code", 1, 12), d=TruncDate("created_at", tzinfo=TZ))
            .values("v", "dispute_type_id", "d").annotate(n=Count("id")).order_by())
    for r in rows:
        w = (today - r["d"]).days // window
        if 0 <= w <= weeks:
            counts[(r["v"], r["dispute_type_id"])][w] += r["n"]
            counts[(r["v"][:9], r["dispute_type_id"])][w] += r["n"]
    names = dict(DisputeType.objects.values_list("id", "name"))
    region_names = core_selectors.place_names({k[0] for k in counts})  # "乌镇镇东苑社区", as people name it
    out = Detection()
    for (code, type_id), series in counts.items():
        x, baseline = series[0], series[1:]
        z, lam = poisson_z(x, baseline)
        key = f"burst:{code}:{type_id}"
        if x >= minimum and z >= z_open:
            place = region_names.get(code, code)
            out.findings.append(Finding(
                WarningKind.BURST, key, code, f"{place}{names.get(type_id, '')}纠纷异常上升",
                [f"近{window}天登记{names.get(type_id, '')}纠纷 {x} 件，此前{weeks}周平均每周 {lam:.1f} 件。",
                 f"泊松检验 z = {z:.1f}（≥ {z_open} 预警）；连续两次检出且经过观察期后才发出预警。"],
                f"/insights/cases/?region={code}&type=", round(z, 2)))
        elif x >= 2 and z >= z_clear:
            out.sustained.add(key)
    type_codes = dict(DisputeType.objects.values_list("id", "code"))
    for f in out.findings:
        f.link += type_codes.get(int(f.key.rsplit(":", 1)[1]), "")
    return out


def detect_major_risk(now: dt.datetime) -> Detection:  # noqa: ARG001
    out = Detection()
    for pk, number, code in Case.objects.filter(stage__in=OPEN_STAGES, risk_level=RiskLevel.MAJOR).values_list(
            "pk", "number", "region_code"):
        out.findings.append(Finding(WarningKind.MAJOR_RISK, f"major_risk:{pk}", code, f"重大风险案件 {number} 未办结",
                                    ["案件风险等级为“重大”，尚未办结，请重点关注、必要时联合化解。"], _case_link(pk), 1.0))
    return out


def detect_org_overdue(now: dt.datetime) -> Detection:
    minimum = settings.XIANGZHI_INSIGHTS_ORG_OVERDUE_MIN
    out = Detection()
    rows = (Case.objects.filter(overdue_q(now), organisation__isnull=False).values(
        "organisation_id", "organisation__name", "organisation__region__code").annotate(n=Count("id"))
        .filter(n__gte=minimum).order_by())
    for r in rows:
        out.findings.append(Finding(
            WarningKind.ORG_OVERDUE, f"org_overdue:{r['organisation_id']}", r["organisation__region__code"],
            f"{r['organisation__name']}超期案件 {r['n']} 件",
            [f"该组织有 {r['n']} 件在办案件已超过办理期限（预警线 {minimum} 件）。"],
            f"/insights/cases/?region={r['organisation__region__code']}&flag=overdue&period=", float(r["n"])))
    return out


def detect_mediator_load(now: dt.datetime) -> Detection:  # noqa: ARG001
    """Mediators with far more open cases than their peers: ≥ 3 × the median of mediators with open cases, and
    at least N (default 8)."""
    factor, minimum = settings.XIANGZHI_INSIGHTS_MEDIATOR_FACTOR, settings.XIANGZHI_INSIGHTS_MEDIATOR_MIN
    rows = list(Case.objects.filter(stage__in=OPEN_STAGES, mediator__isnull=False).values(
        "mediator_id", "mediator__display_name", "mediator__username").annotate(
        n=Count("id"), lo=Min("region_code"), hi=Max("region_code")).order_by())
    out = Detection()
    if len(rows) < 3:
        return out
    median = statistics.median(r["n"] for r in rows)
    for r in rows:
        if r["n"] >= minimum and r["n"] >= factor * median:
            who = r["mediator__display_name"] or r["mediator__username"]
            out.findings.append(Finding(
                WarningKind.MEDIATOR_LOAD, f"mediator_load:{r['mediator_id']}", _common_prefix(r["lo"], r["hi"]),
                f"调解员{who}在办案件 {r['n']} 件，明显多于同事",
                [f"在办 {r['n']} 件，调解员在办件数中位数 {median:g} 件（预警：≥ {factor:g} 倍且 ≥ {minimum} 件）。",
                 "建议调整分派，避免超期。"], "", float(r["n"])))
    return out


DETECTORS = [
    (detect_repeats, (WarningKind.REPEAT_PARTY, WarningKind.REPEAT_PLACE)),
    (detect_bursts, (WarningKind.BURST,)),
    (detect_major_risk, (WarningKind.MAJOR_RISK,)),
    (detect_org_overdue, (WarningKind.ORG_OVERDUE,)),
    (detect_mediator_load, (WarningKind.MEDIATOR_LOAD,)),
]
PENDING_KINDS = {WarningKind.BURST}


def _pending_period() -> dt.timedelta:
    return dt.timedelta(hours=settings.XIANGZHI_INSIGHTS_BURST_PENDING_HOURS)


def supervisors_of(region_code: str) -> list[User]:
    ids = {uid for uid, code in Membership.objects.filter(
        is_active=True, role__in=dispute_rules.SUPERVISOR_ROLES, user__is_active=True).values_list(
        "user_id", "region__code") if region_code.startswith(code)}
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _open(w: RiskWarning, now: dt.datetime) -> None:
    w.state, w.opened_at = WarningState.OPEN, now
    for user in supervisors_of(w.region_code):
        core.notify_user(user, subject=f"风险预警：{w.title}", body="；".join(w.reasons)[:400],
                         link="/insights/warnings/", dedupe_key=f"insights.warning:{w.pk}:{user.pk}")
    w.notified_at = now
    core.audit("insights.warning_opened", actor=None, obj=w, region_code=w.region_code,
               after={"kind": w.kind, "key": w.key, "score": w.score})


def run_warnings(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: detect every kind, open/keep/resolve warnings. Returns counts by outcome."""
    now = now or timezone.now()
    stats = {"opened": 0, "pending": 0, "kept": 0, "resolved": 0}
    for detect, kinds in DETECTORS:
        detection = detect(now)
        with transaction.atomic():
            live = {w.key: w for w in RiskWarning.objects.select_for_update().filter(kind__in=kinds,
                                                                                    state__in=LIVE_STATES)}
            seen = set()
            for f in detection.findings:
                seen.add(f.key)
                w = live.get(f.key)
                if w is None:
                    w = RiskWarning.objects.create(kind=f.kind, key=f.key, region_code=f.region_code, title=f.title,
                                                   reasons=f.reasons, link=f.link, score=f.score, first_seen_at=now,
                                                   last_seen_at=now, state=WarningState.PENDING)
                    if f.kind not in PENDING_KINDS:
                        _open(w, now)
                        stats["opened"] += 1
                    else:
                        stats["pending"] += 1
                else:
                    w.hits += 1
                    w.last_seen_at, w.title, w.reasons, w.score, w.link = now, f.title, f.reasons, f.score, f.link
                    if w.state == WarningState.PENDING and now - w.first_seen_at >= _pending_period():
                        _open(w, now)
                        stats["opened"] += 1
                    else:
                        stats["kept"] += 1
                w.save()
            for key, w in live.items():
                if key in seen:
                    continue
                if key in detection.sustained and w.state != WarningState.PENDING:
                    w.last_seen_at = now
                    w.save(update_fields=["last_seen_at"])
                    stats["kept"] += 1
                    continue
                w.state, w.resolved_at = WarningState.RESOLVED, now
                w.save(update_fields=["state", "resolved_at"])
                stats["resolved"] += 1
    return stats


def acknowledge_warning(warning: RiskWarning, *, actor: User, note: str) -> RiskWarning:
    """A supervisor of the region signs for an open warning with a note. Side effects: the row, an audit row."""
    from .rules import can_acknowledge

    note = (note or "").strip()
    if len(note) < 2:
        raise ValidationFailed("NOTE_REQUIRED", "请填写签收说明（已采取或拟采取的措施）。")
    with transaction.atomic():
        w = RiskWarning.objects.select_for_update().get(pk=warning.pk)
        if not can_acknowledge(actor, w):
            raise XiangzhiError("FORBIDDEN", "只有该区域的司法所、矛调中心或县级管理人员可以签收预警。", status=403)
        if w.state != WarningState.OPEN:
            raise Conflict("NOT_OPEN", "只有预警中的预警可以签收。")
        w.state, w.acknowledged_at, w.acknowledged_by, w.ack_note = WarningState.ACKNOWLEDGED, timezone.now(), actor, note[:300]
        w.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "ack_note"])
        core.audit("insights.warning_acknowledged", actor=actor, obj=w, region_code=w.region_code, note=note)
    return w
