"""Sites, advisers and the villages they serve, service teams with their rosters, adviser service logs.

Each function validates (``check_*``) and writes in one transaction, then calls :func:`records.record`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from xiangzhi.core import personal
from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import OrgKind, RegionLevel
from xiangzhi.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from xiangzhi.core.models import Organisation, Region, User
from xiangzhi.core.text import clean_text
from xiangzhi.timebank.enums import ActivityKind
from xiangzhi.timebank.services.activities import propose_activity

from .. import rules, selectors
from ..enums import MemberKind, ServiceKind, SiteService
from ..models import Adviser, Assignment, DutyShift, ServiceLog, Site, Team, TeamMember
from .records import record

SITE_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE)
# 一事一记 entries longer than a working day are typing mistakes (a day is 8 hours: 480 minutes).
MAX_LOG_MINUTES = 8 * 60


def _required(value: str, field: str, label: str, max_length: int) -> str:
    value = clean_text(value or "").strip()
    if not value:
        raise ValidationFailed("REQUIRED", f"请填写{label}。", {"field": field})
    if len(value) > max_length:
        raise ValidationFailed("TOO_LONG", f"{label}不能超过 {max_length} 个字。", {"field": field})
    return value


def check_service_region(region: Region) -> None:
    if region.level not in SITE_LEVELS or not region.is_active:
        raise ValidationFailed("BAD_LEVEL", "服务点和服务团只设在县、镇（街道）、村（社区）三级。",
                               {"region": region.code})


# --- sites -------------------------------------------------------------------------------------------------------
@transaction.atomic
def create_site(region: Region, *, name: str, address: str, hours: str, services: Iterable[str], phone: str = "",
                actor: User | None) -> Site:
    """A public legal service point of ``region``. Side effects: the site, its audit row."""
    check_service_region(region)
    chosen = [s for s in SiteService.values if s in set(services)]
    unknown = sorted(set(services) - set(SiteService.values))
    if unknown:
        raise ValidationFailed("UNKNOWN_SERVICE", "服务项目不在清单内。", {"services": unknown})
    name = _required(name, "name", "名称", 120)
    if Site.objects.filter(region=region, name=name).exists():
        raise Conflict("DUPLICATE", "同一区划已有同名服务点。", {"name": name})
    site = Site.objects.create(region=region, name=name, address=_required(address, "address", "地址", 200),
                               hours=_required(hours, "hours", "开放时间", 120), services=chosen,
                               phone=clean_text(phone or "").strip()[:30])
    record(site, "network.site_created", {"name": site.name, "services": chosen}, actor=actor,
           region_code=region.code)
    return site


# --- advisers and villages ----------------------------------------------------------------------------------------
@transaction.atomic
def create_adviser(*, name: str, firm: Organisation | None, work_phone: str = "", mobile: str = "",
                   user: User | None = None, actor: User | None) -> Adviser:
    """A legal adviser (a lawyer of ``firm``). ``mobile`` is validated and stored encrypted; ``work_phone`` is the
    public service line. Side effects: the adviser, its audit row (the mobile masked)."""
    if firm is not None and firm.kind != OrgKind.LAW_FIRM:
        raise ValidationFailed("NOT_A_LAW_FIRM", "法律顾问须属于律师事务所。", {"firm": firm.pk})
    try:
        mobile = personal.validate_phone(mobile) if mobile else ""
    except DjangoValidationError as exc:
        raise ValidationFailed("INVALID_PHONE", "手机号码应为11位，以1开头。", {"field": "mobile"}) from exc
    adviser = Adviser.objects.create(name=_required(name, "name", "姓名", 60), firm=firm, user=user,
                                     work_phone=clean_text(work_phone or "").strip()[:30], mobile=mobile)
    record(adviser, "network.adviser_created", {"name": adviser.name, "firm": firm.pk if firm else None,
                                                "mobile": adviser.masked_mobile}, actor=actor)
    return adviser


def check_manager(actor: User | None, region: Region) -> None:
    """The actor runs the network in ``region`` (a managing role held for a region containing it); None is the
    system (the demo, an import), which may."""
    if actor is not None and not selectors.may_manage_region(actor, region.code):
        raise NotFound()


def check_village(village: Region) -> None:
    if village.level != RegionLevel.VILLAGE or not village.is_active:
        raise ValidationFailed("NOT_A_VILLAGE", "法律顾问按村（社区）聘任。", {"region": village.code})


@transaction.atomic
def assign_adviser(village: Region, adviser: Adviser, *, actor: User | None,
                   since: dt.date | None = None) -> Assignment:
    """Make ``adviser`` the legal adviser of ``village`` (一村一法律顾问: replaces the previous one, if any).
    Side effects: the assignment row (locked and updated, or created), its audit row with the previous adviser."""
    check_manager(actor, village)
    check_village(village)
    if not adviser.is_active:
        raise ValidationFailed("ADVISER_INACTIVE", "该法律顾问已离任，不能再聘任。", {"adviser": adviser.pk})
    current = Assignment.objects.select_for_update().filter(village=village).first()
    before = current.adviser_id if current else None
    if current is None:
        current = Assignment.objects.create(village=village, adviser=adviser, since=since or timezone.localdate())
    elif current.adviser_id != adviser.pk:
        current.adviser = adviser
        current.since = since or timezone.localdate()
        current.save(update_fields=["adviser", "since"])
    else:
        return current
    record(current, "network.adviser_assigned", {"village": village.code, "adviser": adviser.pk,
                                                 "previous": before}, actor=actor, region_code=village.code)
    return current


@transaction.atomic
def unassign_adviser(village: Region, *, actor: User | None) -> None:
    """The village has no adviser any more (flagged as uncovered). Side effects: the row removed, an audit row."""
    check_manager(actor, village)
    current = Assignment.objects.select_for_update().filter(village=village).first()
    if current is None:
        return
    adviser_id = current.adviser_id
    current.delete()
    record(village, "network.adviser_unassigned", {"village": village.code, "previous": adviser_id},
           actor=actor, region_code=village.code)


# --- teams and duty rosters ---------------------------------------------------------------------------------------
@transaction.atomic
def create_team(region: Region, *, name: str, members: Iterable[tuple[str, str, str]] = (),
                actor: User | None) -> Team:
    """A 三官一师 legal service team of ``region`` with ``members`` as (kind, name, unit). Side effects: the team,
    its members, one audit row."""
    check_service_region(region)
    name = _required(name, "name", "名称", 120)
    if Team.objects.filter(region=region, name=name).exists():
        raise Conflict("DUPLICATE", "同一区划已有同名服务团。", {"name": name})
    team = Team.objects.create(region=region, name=name)
    rows = []
    for kind, member_name, unit in members:
        if kind not in MemberKind.values:
            raise ValidationFailed("UNKNOWN_MEMBER_KIND", "成员身份须为法官、检察官、警官、律师或司法行政人员。",
                                   {"kind": kind})
        rows.append(TeamMember(team=team, kind=kind, name=_required(member_name, "members", "成员姓名", 60),
                               unit=clean_text(unit or "").strip()[:120]))
    TeamMember.objects.bulk_create(rows)
    record(team, "network.team_created", {"name": team.name, "members": [r.kind for r in rows]}, actor=actor,
           region_code=region.code)
    return team


@transaction.atomic
def set_duty(team: Team, member: TeamMember, day: dt.date, *, note: str = "", actor: User | None) -> DutyShift:
    """Put ``member`` on ``team``'s duty roster on ``day`` (once per member and day). Side effects: the shift, an
    audit row."""
    if member.team_id != team.pk:
        raise ValidationFailed("NOT_A_MEMBER", "值班人员须是本服务团成员。", {"member": member.pk})
    shift, created = DutyShift.objects.get_or_create(team=team, member=member, day=day,
                                                     defaults={"note": clean_text(note or "").strip()[:120]})
    if created:
        record(shift, "network.duty_set", {"team": team.pk, "member": member.pk, "day": day.isoformat()},
               actor=actor, region_code=team.region.code)
    return shift


# --- adviser service logs -----------------------------------------------------------------------------------------
def check_may_log(actor: User | None, adviser: Adviser, village: Region) -> None:
    """rules.can_log_service for ``actor`` (None: the system, e.g. the demo or an import, which may)."""
    if actor is None:
        return
    roles = core_rules.roles_of(actor) if core_rules.is_staff_member(actor) else set()
    serves = adviser.assignments.filter(village=village).exists()
    may = rules.can_log_service(roles, is_the_adviser=adviser.user_id is not None and adviser.user_id == actor.pk,
                                serves_village=serves)
    if may and adviser.user_id != actor.pk and not selectors.may_manage_region(actor, village.code):
        may = False
    if not may:
        if not serves:
            raise ValidationFailed("NOT_THE_VILLAGE_ADVISER", "只能为自己服务的村（社区）记日志。",
                                   {"village": village.code})
        raise Forbidden("NOT_ALLOWED", "只有该法律顾问本人或所在司法所可以记录服务日志。", {})


def check_service_log(adviser: Adviser, village: Region, grid: Region | None, *, kind: str, minutes: int,
                      occurred_at: dt.datetime, actor: User | None = None) -> None:
    check_village(village)
    check_may_log(actor, adviser, village)
    if kind not in ServiceKind.values:
        raise ValidationFailed("UNKNOWN_KIND", "服务类型不在清单内。", {"kind": kind})
    if not 1 <= minutes <= MAX_LOG_MINUTES:
        raise ValidationFailed("BAD_MINUTES", f"时长须在 1–{MAX_LOG_MINUTES} 分钟之间。", {"minutes": minutes})
    if grid is not None and (grid.parent_id != village.pk or grid.level != RegionLevel.GRID):
        raise ValidationFailed("NOT_A_GRID_OF_VILLAGE", "网格须属于该村（社区）。", {"grid": grid.code})
    if occurred_at > timezone.now():
        raise ValidationFailed("IN_THE_FUTURE", "服务时间不能晚于现在。", {})
    if not adviser.assignments.filter(village=village).exists():
        raise ValidationFailed("NOT_THE_VILLAGE_ADVISER", "只能为自己服务的村（社区）记日志。",
                               {"village": village.code})


@transaction.atomic
def log_service(adviser: Adviser, village: Region, *, kind: str, minutes: int, summary: str,
                occurred_at: dt.datetime, grid: Region | None = None, actor: User | None) -> ServiceLog:
    """One entry of the adviser's service log (一事一记). Numbers typed into the summary (phones, 身份证号) are
    masked. Side effects: the entry, its audit row, and — when the adviser's account is a registered volunteer —
    the time bank's proposal of those minutes (idempotent by ``network.servicelog:<id>``; a second person verifies
    it there before it is credited)."""
    check_service_log(adviser, village, grid, kind=kind, minutes=minutes, occurred_at=occurred_at, actor=actor)
    log = ServiceLog.objects.create(
        adviser=adviser, village=village, grid=grid, kind=kind, minutes=minutes, occurred_at=occurred_at,
        summary=personal.mask_text(_required(summary, "summary", "摘要", 500)),
        recorded_by=actor if actor is not None and actor.pk else None)
    record(log, "network.service_logged", {"adviser": adviser.pk, "village": village.code, "kind": kind,
                                           "minutes": minutes}, actor=actor, region_code=village.code)
    if adviser.user_id and adviser.firm_id:
        propose_activity(source_key=f"network.servicelog:{log.pk}", user=adviser.user,
                         kind=TIMEBANK_KINDS.get(kind, ActivityKind.OTHER),
                         title=f"法律顾问{ServiceKind(kind).label}：{village.display_name}",
                         occurred_on=timezone.localdate(occurred_at), minutes=minutes, organisation=adviser.firm,
                         region=village)
    return log


# What an adviser's service counts as in the time bank.
TIMEBANK_KINDS = {ServiceKind.TALK: ActivityKind.TALK, ServiceKind.CONSULTATION: ActivityKind.CONSULTATION,
                  ServiceKind.MEDIATION: ActivityKind.MEDIATION}
