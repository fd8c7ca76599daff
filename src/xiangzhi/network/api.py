"""/api/v1/network: the coverage of villages by legal advisers (all villages in scope in one response), and the
paginated lists of service points, advisers, service teams and terminals of the caller's jurisdiction. Parse →
selector → schema; no business rules here."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Status

from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut

from . import selectors
from .models import Adviser, ServiceLog, Site, Team, Terminal
from .schemas import (
    NetworkAdviserOut,
    NetworkAdviserRef,
    NetworkAssignIn,
    NetworkAssignmentOut,
    NetworkCommitteeOut,
    NetworkCoverageOut,
    NetworkMemberOut,
    NetworkServiceLogIn,
    NetworkServiceLogOut,
    NetworkShiftOut,
    NetworkSiteOut,
    NetworkTeamOut,
    NetworkTerminalOut,
    NetworkTotalsOut,
    NetworkVillageOut,
)
from .services import directory

router = Router(tags=["network 公共法律服务网络"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _adviser_ref(a: Adviser | None) -> NetworkAdviserRef | None:
    if a is None:
        return None
    return NetworkAdviserRef(id=a.pk, name=a.name, firm=a.firm.name if a.firm else None, work_phone=a.work_phone,
                             mobile=a.masked_mobile)


@router.get("/coverage", response={200: NetworkCoverageOut, **ERRORS},
            summary="一村一法律顾问覆盖情况（管辖范围内全部村一次返回，不分页）")
def coverage(request: HttpRequest):
    """``villages`` lists EVERY village of the caller's jurisdiction in one response, not paginated by design: the
    county has about 200 villages and the coverage is read as a whole (a map, a table). ``totals`` are counted from
    the same rows. ``titles`` is left empty until the villages app provides them."""
    cov = selectors.coverage(request.auth)
    return NetworkCoverageOut(
        villages=[NetworkVillageOut(
            code=r.village.code, name=r.village.display_name, town=r.village.code[:9], covered=r.covered,
            adviser=_adviser_ref(r.adviser),
            mediation_committees=[NetworkCommitteeOut(id=o.pk, name=o.name, phone=o.phone) for o in r.committees],
            titles=r.titles) for r in cov.rows],
        totals=NetworkTotalsOut(villages=cov.villages, covered=cov.covered, uncovered=cov.uncovered,
                                coverage_rate=cov.rate, advisers=cov.advisers, sites_county=cov.sites["county"],
                                sites_town=cov.sites["town"], sites_village=cov.sites["village"], teams=cov.teams,
                                terminals=cov.terminals))


def _site_out(s: Site) -> NetworkSiteOut:
    return NetworkSiteOut(id=s.pk, name=s.name, region_code=s.region.code, level=s.region.level, address=s.address,
                          hours=s.hours, services=s.services, phone=s.phone)


@router.get("/sites", response={200: page_of(NetworkSiteOut), **ERRORS}, summary="公共法律服务点（县、镇、村三级）")
def sites(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.sites_visible_to(request.auth).order_by("region__code", "pk"), page,
                    _site_out)


def _adviser_out(a: Adviser) -> NetworkAdviserOut:
    return NetworkAdviserOut(id=a.pk, name=a.name, firm=a.firm.name if a.firm else None, work_phone=a.work_phone,
                             mobile=a.masked_mobile, villages=[x.village.code for x in a.assignments.all()])


@router.get("/advisers", response={200: page_of(NetworkAdviserOut), **ERRORS}, summary="法律顾问及其服务的村")
def advisers(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.advisers_visible_to(request.auth).order_by("name", "pk"), page, _adviser_out)


def _team_out(t: Team) -> NetworkTeamOut:
    return NetworkTeamOut(id=t.pk, name=t.name, region_code=t.region.code, level=t.region.level, members=[
        NetworkMemberOut(id=m.pk, kind=m.kind, kind_label=str(m.get_kind_display()), name=m.name, unit=m.unit)
        for m in t.members.all()], roster=[
        NetworkShiftOut(day=d.day, member_id=d.member_id, member=d.member.name,
                        kind_label=str(d.member.get_kind_display())) for d in t.upcoming_shifts])


@router.get("/teams", response={200: page_of(NetworkTeamOut), **ERRORS}, summary="三级法律服务团（三官一师）及成员")
def teams(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.teams_visible_to(request.auth).order_by("region__code", "pk"), page, _team_out)


def _terminal_out(t: Terminal) -> NetworkTerminalOut:
    return NetworkTerminalOut(id=t.pk, code=t.code, name=t.name, kind=t.kind, region_code=t.region.code,
                              site_id=t.site_id, is_active=t.is_active, last_seen_at=t.last_seen_at,
                              visits=t.visit_total or 0, visits_last_30_days=t.visits_30d or 0)


@router.get("/terminals", response={200: page_of(NetworkTerminalOut), **ERRORS}, summary="智能终端及累计访问次数")
def terminals(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.terminals_visible_to(request.auth).order_by("code"), page, _terminal_out)


# --- writes: the adviser of a village, service logs ---------------------------------------------------------------
@router.put("/villages/{code}/adviser", response={200: NetworkAssignmentOut, **ERRORS},
            summary="聘任村（社区）法律顾问（一村一名，替换原顾问；司法局、司法所）")
def assign(request: HttpRequest, code: str, payload: NetworkAssignIn):
    village = selectors.access_village_to_manage(request.auth, code)
    assignment = directory.assign_adviser(village, selectors.active_adviser(payload.adviser_id), actor=request.auth)
    return NetworkAssignmentOut(village=village.code, adviser=_adviser_ref(assignment.adviser))


@router.delete("/villages/{code}/adviser", response={200: NetworkAssignmentOut, **ERRORS},
               summary="解聘村（社区）法律顾问（该村即标为未覆盖）")
def unassign(request: HttpRequest, code: str):
    village = selectors.access_village_to_manage(request.auth, code)
    directory.unassign_adviser(village, actor=request.auth)
    return NetworkAssignmentOut(village=village.code, adviser=None)


def _log_out(log: ServiceLog) -> NetworkServiceLogOut:
    return NetworkServiceLogOut(id=log.pk, adviser_id=log.adviser_id, adviser=log.adviser.name,
                                village=log.village.code, grid=log.grid.code if log.grid else None, kind=log.kind,
                                kind_label=str(log.get_kind_display()), minutes=log.minutes, summary=log.summary,
                                occurred_at=log.occurred_at)


@router.get("/service-logs", response={200: page_of(NetworkServiceLogOut), **ERRORS},
            summary="法律顾问服务日志（本人的，及管辖范围内的）")
def service_logs(request: HttpRequest, page: Query[PageIn]):
    return paginate(request, selectors.service_logs_visible_to(request.auth).order_by("-occurred_at", "-pk"), page,
                    _log_out)


@router.post("/service-logs", response={201: NetworkServiceLogOut, **ERRORS},
             summary="记一条服务日志（驻村走访、讲座、咨询、审查、调解；一事一记）")
@idempotent
def log_service(request: HttpRequest, payload: NetworkServiceLogIn):
    """The adviser logs their own service; the justice office may log on an adviser's behalf (``adviser_id``).
    The minutes are kept for the time bank."""
    adviser = selectors.access_adviser_for_log(request.auth, payload.adviser_id)
    village = selectors.village_for_log(request.auth, adviser, payload.village)
    grid = selectors.grid_of(village, payload.grid) if payload.grid else None
    log = directory.log_service(adviser, village, kind=payload.kind, minutes=payload.minutes, summary=payload.summary,
                                occurred_at=payload.occurred_at, grid=grid, actor=request.auth)
    return Status(201, _log_out(log))
