"""Every read of the public legal service network: what a staff user sees (their jurisdiction), the coverage of
villages by advisers, the public pages of a village and a site (public by design: whom a villager can turn to)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import OrgKind, RegionLevel, Role
from xiangzhi.core.models import Membership, Organisation, Region
from xiangzhi.core.selectors import holds_role_in, region_q, role_codes

from . import registry, rules
from .models import (
    Adviser,
    Assignment,
    CodeScan,
    DutyShift,
    ServiceLog,
    Site,
    Team,
    TeamMember,
    Terminal,
    TerminalVisit,
)

# The duty roster shown with a team: from today on.
ROSTER_DAYS = 14


def _viewer(user) -> bool:  # noqa: ANN001
    return core_rules.is_staff_member(user) and rules.can_view_network(core_rules.roles_of(user))


def _manager(user) -> bool:  # noqa: ANN001
    return core_rules.is_staff_member(user) and rules.can_manage_network(core_rules.roles_of(user))


def may_view(user) -> bool:  # noqa: ANN001
    return _viewer(user)


def may_manage(user) -> bool:  # noqa: ANN001
    return _manager(user)


def manage_codes(user) -> list[str]:  # noqa: ANN001
    """The regions where the user holds a managing role (rules.MANAGE_ROLES): what they run, whatever else (a
    county lawyer's view, say) they hold."""
    return role_codes(user, rules.MANAGE_ROLES) if _manager(user) else []


def may_manage_region(user, code: str) -> bool:  # noqa: ANN001
    return _manager(user) and holds_role_in(user, rules.MANAGE_ROLES, code)


# --- staff reads --------------------------------------------------------------------------------------------------
def villages_visible_to(user) -> QuerySet[Region]:  # noqa: ANN001
    if not _viewer(user):
        return Region.objects.none()
    return Region.objects.filter(region_q(user, "code"), level=RegionLevel.VILLAGE, is_active=True)


def sites_visible_to(user) -> QuerySet[Site]:  # noqa: ANN001
    if not _viewer(user):
        return Site.objects.none()
    return Site.objects.filter(region_q(user)).select_related("region")


def teams_visible_to(user) -> QuerySet[Team]:  # noqa: ANN001
    if not _viewer(user):
        return Team.objects.none()
    today = timezone.localdate()
    upcoming = (DutyShift.objects.filter(day__gte=today, day__lt=today + dt.timedelta(days=ROSTER_DAYS))
                .select_related("member").order_by("day", "member__kind"))
    return (Team.objects.filter(region_q(user)).select_related("region")
            .prefetch_related("members", Prefetch("shifts", queryset=upcoming, to_attr="upcoming_shifts")))


def terminals_visible_to(user) -> QuerySet[Terminal]:  # noqa: ANN001
    if not _viewer(user):
        return Terminal.objects.none()
    since = timezone.localdate() - dt.timedelta(days=30)
    return (Terminal.objects.filter(region_q(user)).select_related("region", "site")
            .annotate(visit_total=Sum("visits__count"),
                      visits_30d=Sum("visits__count", filter=Q(visits__day__gt=since))))


def access_terminal_to_manage(user, pk: int) -> Terminal:  # noqa: ANN001
    terminal = Terminal.objects.filter(region_q(user, codes=manage_codes(user)), pk=pk).select_related("region").first()
    if terminal is None:
        raise Http404
    return terminal


def advisers_visible_to(user) -> QuerySet[Adviser]:  # noqa: ANN001
    """Advisers serving a village of the user's jurisdiction, or whose law firm lies in it."""
    if not _viewer(user):
        return Adviser.objects.none()
    serving = Assignment.objects.filter(region_q(user, "village__code")).values("adviser_id")
    return (Adviser.objects.filter(Q(pk__in=serving) | region_q(user, "firm__region__code")).select_related("firm")
            .prefetch_related(Prefetch("assignments", queryset=Assignment.objects.select_related("village"))))


# --- coverage -----------------------------------------------------------------------------------------------------
@dataclass
class VillageRow:
    village: Region
    adviser: Adviser | None
    committees: list[Organisation] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return self.adviser is not None


@dataclass
class Coverage:
    rows: list[VillageRow]
    villages: int
    covered: int
    uncovered: int
    advisers: int
    sites: dict[str, int]
    teams: int
    terminals: int

    @property
    def rate(self) -> float:
        return round(self.covered / self.villages, 4) if self.villages else 0.0


def coverage(user) -> Coverage:  # noqa: ANN001
    """One row per village of the user's jurisdiction (all of them, in code order) with its adviser and its
    mediation committee, and the totals. A fixed number of queries whatever the number of villages."""
    villages = list(villages_visible_to(user).order_by("code"))
    codes = [v.code for v in villages]
    assignments = {a.village_id: a.adviser for a in
                   Assignment.objects.filter(village__in=villages).select_related("adviser", "adviser__firm")}
    committees: dict[int, list[Organisation]] = {}
    for org in Organisation.objects.filter(region__in=villages, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True):
        committees.setdefault(org.region_id, []).append(org)
    titles = registry.titles_for(codes)
    rows = [VillageRow(village=v, adviser=assignments.get(v.pk), committees=committees.get(v.pk, []),
                       titles=titles.get(v.code, [])) for v in villages]
    covered = sum(1 for r in rows if r.covered)
    site_levels = dict(sites_visible_to(user).filter(is_active=True).values_list("region__level")
                       .annotate(n=Count("pk")).order_by())
    return Coverage(
        rows=rows, villages=len(rows), covered=covered, uncovered=len(rows) - covered,
        advisers=len({a.pk for a in assignments.values()}) if codes else 0,
        sites={level: site_levels.get(level, 0) for level in (RegionLevel.COUNTY, RegionLevel.TOWN,
                                                              RegionLevel.VILLAGE)},
        teams=teams_visible_to(user).filter(is_active=True).count(),
        terminals=terminals_visible_to(user).filter(is_active=True).count())


def terminal_visits(terminal: Terminal, *, days: int = 366) -> list[TerminalVisit]:
    return list(terminal.visits.order_by("-day")[:days])


def roster(team: Team, *, start, end) -> QuerySet[DutyShift]:  # noqa: ANN001
    return team.shifts.filter(day__gte=start, day__lte=end).select_related("member").order_by("day", "member__kind")


# --- public pages -------------------------------------------------------------------------------------------------
@dataclass
class VillagePage:
    village: Region
    town: Region | None
    adviser: Adviser | None
    committees: list[Organisation]
    mediators: list[str]
    site: Site | None
    teams: list[Team]
    scans: int
    titles: list[str] = field(default_factory=list)
    justice_office: Organisation | None = None


def public_village(code: str) -> Region:
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE, is_active=True).select_related(
        "parent").first()
    if village is None:
        raise Http404
    return village


def nearest_site(region: Region) -> Site | None:
    """The service point closest up the tree: the village's own, else its town's, else the county's."""
    codes = [region.code[:n] for n in (12, 9, 6) if n <= len(region.code)]
    sites = {s.region.code: s for s in Site.objects.filter(region__code__in=codes, is_active=True)
             .select_related("region").order_by("-pk")}
    return next((sites[c] for c in codes if c in sites), None)


def village_page(village: Region) -> VillagePage:
    """Whom a villager can turn to: the legal adviser, the mediation committee and its mediators (names only), the
    nearest service point, the town's justice office (司法所), the village's and town's legal service teams."""
    assignment = Assignment.objects.filter(village=village).select_related("adviser", "adviser__firm").first()
    committees = list(Organisation.objects.filter(region=village, kind=OrgKind.VILLAGE_COMMITTEE, is_active=True))
    mediators = sorted({m.user.display_name or m.user.username for m in Membership.objects.filter(
        organisation__in=committees, role=Role.MEDIATOR, is_active=True, user__is_active=True).select_related("user")})
    teams = list(Team.objects.filter(region__code__in=[village.code, village.code[:9]], is_active=True)
                 .select_related("region").prefetch_related(
                     Prefetch("members", queryset=TeamMember.objects.order_by("kind", "pk")))
                 .order_by("-region__code", "name"))
    scans = CodeScan.objects.filter(target="village", key=village.code).aggregate(n=Sum("count"))["n"] or 0
    return VillagePage(village=village, town=village.parent, adviser=assignment.adviser if assignment else None,
                       committees=committees, mediators=mediators, site=nearest_site(village), teams=teams,
                       scans=scans, titles=registry.titles_for([village.code]).get(village.code, []),
                       justice_office=Organisation.objects.filter(
                           region__code=village.code[:9], kind=OrgKind.JUSTICE_OFFICE, is_active=True)
                       .order_by("pk").first())


def public_site(pk: int) -> Site:
    site = Site.objects.filter(pk=pk, is_active=True).select_related("region").first()
    if site is None:
        raise Http404
    return site


def search_villages(q: str = "", town: str = "") -> QuerySet[Region]:
    """Villages by name (or part of it) and town, for the public 找法律顾问 page."""
    qs = Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True).select_related("parent")
    if town:
        qs = qs.filter(code__startswith=town)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(short_name__contains=q))
    return qs.order_by("code")


# --- writes' lookups ----------------------------------------------------------------------------------------------
def access_village_to_manage(user, code: str) -> Region:  # noqa: ANN001
    """A village of the manager's jurisdiction (to assign its adviser); 404 otherwise."""
    village = Region.objects.filter(region_q(user, "code", codes=manage_codes(user)), code=code,
                                    level=RegionLevel.VILLAGE, is_active=True).first()
    if village is None:
        raise Http404
    return village


def active_adviser(pk: int) -> Adviser:
    """An adviser in office (advisers are county-wide and public: their names are on the village pages)."""
    adviser = Adviser.objects.filter(pk=pk, is_active=True).select_related("firm").first()
    if adviser is None:
        raise Http404
    return adviser


def adviser_of(user) -> Adviser | None:  # noqa: ANN001
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Adviser.objects.filter(user=user, is_active=True).first()


def village_adviser_user(code: str):  # noqa: ANN201 - a core User or None
    """The account of the village's serving legal adviser (一村一法律顾问), or None (no adviser, or one without an
    account): higher apps default to it, e.g. legality's reviewer of a village's major matters."""
    row = (Assignment.objects.filter(village__code=code, adviser__is_active=True, adviser__user__isnull=False,
                                     adviser__user__is_active=True)
           .select_related("adviser__user").first())
    return row.adviser.user if row is not None else None


def access_adviser_for_log(user, adviser_id: int | None) -> Adviser:  # noqa: ANN001
    """Whose log entry: the user's own adviser record, or (for a manager) an adviser visible to them; else 404."""
    if adviser_id is None:
        adviser = adviser_of(user)
    elif _manager(user):
        adviser = advisers_visible_to(user).filter(pk=adviser_id).first()
    else:
        adviser = adviser_of(user)
        adviser = adviser if adviser is not None and adviser.pk == adviser_id else None
    if adviser is None:
        raise Http404
    return adviser


def village_for_log(user, adviser: Adviser, code: str) -> Region:  # noqa: ANN001
    """The village of a log entry: one the adviser serves, or one of the user's jurisdiction; else 404."""
    village = Region.objects.filter(code=code, level=RegionLevel.VILLAGE, is_active=True).filter(
        Q(legal_adviser_assignment__adviser=adviser) | region_q(user, "code")).first()
    if village is None:
        raise Http404
    return village


def service_logs_visible_to(user) -> QuerySet[ServiceLog]:  # noqa: ANN001
    """The user's own entries (as an adviser) and, for the network's viewers, those of their jurisdiction."""
    own = adviser_of(user)
    q = Q(adviser=own) if own is not None else Q(pk__in=[])
    if _viewer(user):
        q |= region_q(user, "village__code")
    return ServiceLog.objects.filter(q).select_related("adviser", "village", "grid")


def grid_of(village: Region, code: str) -> Region:
    grid = Region.objects.filter(code=code, parent=village, level=RegionLevel.GRID, is_active=True).first()
    if grid is None:
        raise Http404
    return grid


def access_region_for_code(user, code: str) -> Region:  # noqa: ANN001
    """A county, town or village of the viewer's jurisdiction (whose 有法码 they may print); 404 otherwise."""
    region = (Region.objects.filter(region_q(user, "code"), code=code, is_active=True,
                                    level__in=[RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE]).first()
              if _viewer(user) else None)
    if region is None:
        raise Http404
    return region
