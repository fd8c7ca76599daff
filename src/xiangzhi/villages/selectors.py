"""Every scoped read of 民主法治村 creation: the records a user sees (their jurisdiction; an assessor also the villages
whose applications they assess), one record, application or title (else 404), the dashboard figures, and
:func:`titles_of`, the titles a village holds, for other apps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Coalesce, Substr
from django.http import Http404

from xiangzhi.core import rules as core_rules
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.models import Region
from xiangzhi.core.selectors import holds_role_in, region_q, role_codes

from . import rules
from .enums import LADDER, TitleLevel, TitleState
from .models import Application, CreationRecord, Evidence, Standard, Task, Title


def _in_jurisdiction(user, field: str) -> Q:  # noqa: ANN001
    """Inside a region where the user holds a role that sees creation records (rules.VIEW_ROLES); a membership of
    another kind widens nothing."""
    return region_q(user, field, codes=role_codes(user, rules.VIEW_ROLES))


def _viewer(user) -> bool:  # noqa: ANN001
    return core_rules.is_staff_member(user) and rules.can_view(core_rules.roles_of(user))


def may_work_on(user, code: str) -> bool:  # noqa: ANN001
    """The user plans, cultivates, applies for and withdraws the village ``code``: a working role (rules.WORK_ROLES)
    held for a region that contains it. Seeing a village as its assessor gives no right to work on it."""
    return core_rules.is_staff_member(user) and holds_role_in(user, rules.WORK_ROLES, code)


def may_manage_in(user, code: str) -> bool:  # noqa: ANN001
    """The bureau's steps (assessors, naming, registering and reviewing titles) for the village ``code``."""
    return core_rules.is_staff_member(user) and holds_role_in(user, rules.BUREAU_ROLES, code)


def records_visible_to(user) -> QuerySet[CreationRecord]:  # noqa: ANN001
    """Creation records in the user's jurisdiction (bureau, justice offices, auditor), plus those whose applications
    the user is assigned to assess. Nothing for anyone else."""
    if not core_rules.is_staff_member(user):
        return CreationRecord.objects.none()
    q = Q(pk__in=Application.objects.filter(assessors=user).values("record_id"))
    if rules.can_view(core_rules.roles_of(user)):
        q |= _in_jurisdiction(user, "region__code")
    return CreationRecord.objects.filter(q).select_related("region")


def villages_visible_to(user) -> QuerySet[Region]:  # noqa: ANN001
    """The villages and communities of the user's jurisdiction (also those without a creation record yet)."""
    if not _viewer(user):
        return Region.objects.none()
    return Region.objects.filter(_in_jurisdiction(user, "code"), level=RegionLevel.VILLAGE, is_active=True)


def access_village(user, code: str) -> Region:  # noqa: ANN001
    village = villages_visible_to(user).filter(code=code).first()
    if village is None:
        rec = records_visible_to(user).filter(region__code=code).first()
        if rec is None:
            raise Http404
        village = rec.region
    return village


def access_record(user, code: str) -> CreationRecord | None:  # noqa: ANN001
    """The creation record of the village ``code`` (None when the village has none yet), or 404."""
    village = access_village(user, code)
    return CreationRecord.objects.filter(region=village).select_related("region").first()


def applications_visible_to(user) -> QuerySet[Application]:  # noqa: ANN001
    if not core_rules.is_staff_member(user):
        return Application.objects.none()
    q = Q(assessors=user)
    if rules.can_view(core_rules.roles_of(user)):
        q |= _in_jurisdiction(user, "record__region__code")
    return Application.objects.filter(pk__in=Application.objects.filter(q).values("pk")).select_related(
        "record__region", "standard")


def access_application(user, pk: int) -> Application:  # noqa: ANN001
    app = applications_visible_to(user).filter(pk=pk).first()
    if app is None:
        raise Http404
    return app


def to_assess(user) -> QuerySet[Application]:  # noqa: ANN001
    """Applications the user is assigned to and has not scored yet."""
    return (Application.objects.filter(assessors=user, state__in=rules.SCORING_STATES)
            .exclude(sheets__assessor=user).select_related("record__region").order_by("submitted_at", "pk"))


def access_title(user, pk: int) -> Title:  # noqa: ANN001
    if not _viewer(user):
        raise Http404
    title = Title.objects.filter(_in_jurisdiction(user, "record__region__code"), pk=pk).select_related(
        "record__region").first()
    if title is None:
        raise Http404
    return title


def access_evidence(user, pk: int) -> Evidence:  # noqa: ANN001
    """An evidence file of a village in the user's jurisdiction, or of a village whose application the user
    assesses; else 404."""
    if not core_rules.is_staff_member(user):
        raise Http404
    q = Q(task__plan__record__applications__assessors=user)
    if rules.can_view(core_rules.roles_of(user)):
        q |= _in_jurisdiction(user, "task__plan__record__region__code")
    ev = Evidence.objects.filter(pk__in=Evidence.objects.filter(q).values("pk"), pk=pk).first()
    if ev is None:
        raise Http404
    return ev


def evidence_of(app: Application) -> QuerySet[Evidence]:
    """Every evidence file of the applying village (what its assessors look at), oldest first."""
    return Evidence.objects.filter(task__plan__record=app.record_id).select_related("task").order_by("at", "pk")


def task_of(rec: CreationRecord, pk: int | None) -> Task:
    """A task of one of ``rec``'s plans (the record already accessed), or 404."""
    task = Task.objects.filter(plan__record=rec, pk=pk).select_related("plan__record").first()
    if task is None:
        raise Http404
    return task


def review_due_on(title: Title) -> date:
    """When ``title`` is next due for its 复核: XIANGZHI_VILLAGES_REVIEW_YEARS after naming or the last review."""
    last = title.last_reviewed_on or title.named_on
    years = settings.XIANGZHI_VILLAGES_REVIEW_YEARS
    try:
        return last.replace(year=last.year + years)
    except ValueError:  # 29 February
        return last.replace(year=last.year + years, day=28)


def due_for_review(user, today: date) -> QuerySet[Title]:  # noqa: ANN001
    """Held titles in the user's jurisdiction whose periodic 复核 is due on or before ``today`` (oldest first)."""
    if not _viewer(user):
        return Title.objects.none()
    years = settings.XIANGZHI_VILLAGES_REVIEW_YEARS
    try:
        cutoff = today.replace(year=today.year - years)
    except ValueError:
        cutoff = today.replace(year=today.year - years, day=28)
    return (Title.objects.filter(_in_jurisdiction(user, "record__region__code"), state=TitleState.HELD)
            .filter(Q(last_reviewed_on__lte=cutoff) | Q(last_reviewed_on__isnull=True, named_on__lte=cutoff))
            .select_related("record__region").order_by(Coalesce("last_reviewed_on", "named_on"), "pk"))


def standards_for(user) -> QuerySet[Standard]:  # noqa: ANN001
    """The checklists (county-wide): read by every viewer, edited by the bureau."""
    if not _viewer(user):
        return Standard.objects.none()
    return Standard.objects.prefetch_related("indicators").order_by("level", "-is_active", "-pk")


def active_standard(level: str) -> Standard | None:
    return Standard.objects.filter(level=level, is_active=True).prefetch_related("indicators").first()


def archive(rec: CreationRecord):  # noqa: ANN201
    """Everything about the village's creation, in order (一村一档)."""
    return rec.events.order_by("at", "pk")


# --- for other apps ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TitleInfo:
    level: str
    label: str
    named_on: date
    document_no: str


def titles_of(village_code: str) -> list[TitleInfo]:
    """The 民主法治村(社区) titles the village ``village_code`` holds now, lowest level first (public facts: the
    naming is published)."""
    rows = Title.objects.filter(record__region__code=village_code, state=TitleState.HELD).values_list(
        "level", "named_on", "document_no")
    return sorted((TitleInfo(lv, str(TitleLevel(lv).label), on, no) for lv, on, no in rows),
                  key=lambda t: LADDER.index(t.level))


def title_labels_by_village(codes: list[str]) -> dict[str, list[str]]:
    """{village code: ["县级（桐乡市级）民主法治村", …]} of the villages ``codes`` holding titles now, lowest level
    first, in one query (the network app's coverage and village page show them, through its registry)."""
    found: dict[str, list[tuple[int, str]]] = {}
    rows = Title.objects.filter(record__region__code__in=codes, state=TitleState.HELD).values_list(
        "record__region__code", "record__region__name", "level")
    for code, name, level in rows:
        kind = "社区" if name.endswith("社区") else "村"
        found.setdefault(code, []).append((LADDER.index(level), f"{TitleLevel(level).label}民主法治{kind}"))
    return {code: [label for _, label in sorted(titles)] for code, titles in found.items()}


# --- dashboard --------------------------------------------------------------------------------------------------
@dataclass
class TownCoverage:
    code: str
    name: str
    villages: int
    titles: dict[str, int]

    @property
    def coverage(self) -> float:
        """Share of the town's villages holding the county-level title, in percent."""
        return round(100.0 * self.titles.get(TitleLevel.COUNTY, 0) / self.villages, 1) if self.villages else 0.0


@dataclass
class Dashboard:
    by_level: dict[str, int]
    villages: int
    towns: list[TownCoverage]

    @property
    def coverage(self) -> float:
        county = self.by_level.get(TitleLevel.COUNTY, 0)
        return round(100.0 * county / self.villages, 1) if self.villages else 0.0


def dashboard(user) -> Dashboard:  # noqa: ANN001
    """Titles held by level, and per town the villages and the titles held (coverage = share with the county-level
    title), within the user's jurisdiction. Four queries."""
    if not _viewer(user):
        raise Http404
    villages = villages_visible_to(user)
    per_town_villages = dict(villages.annotate(town=Substr("code", 1, 9)).values("town").annotate(n=Count("pk"))
                             .values_list("town", "n"))
    held = Title.objects.filter(_in_jurisdiction(user, "record__region__code"), state=TitleState.HELD)
    rows = (held.annotate(town=Substr("record__region__code", 1, 9)).values("town", "level")
            .annotate(n=Count("pk")).values_list("town", "level", "n"))
    per_town: dict[str, dict[str, int]] = {}
    by_level = dict.fromkeys(LADDER, 0)
    for town, level, n in rows:
        per_town.setdefault(town, dict.fromkeys(LADDER, 0))[level] = n
        by_level[level] += n
    towns = Region.objects.filter(level=RegionLevel.TOWN, code__in=set(per_town_villages) | set(per_town)).order_by(
        "code")
    return Dashboard(by_level=by_level, villages=sum(per_town_villages.values()), towns=[
        TownCoverage(code=t.code, name=t.display_name, villages=per_town_villages.get(t.code, 0),
                     titles=per_town.get(t.code, dict.fromkeys(LADDER, 0))) for t in towns])
