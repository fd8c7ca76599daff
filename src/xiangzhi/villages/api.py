"""/api/v1/villages: 民主法治村 creation — the records list (paginated), one village's record and its archive, 申报
(409 without the lower title), assessors, 考核 score sheets, 命名, 复核, and the dashboard figures.
Parse → service/selector → schema; no business rules here."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from xiangzhi.core import rules as core_rules
from xiangzhi.core.models import User
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut

from . import selectors
from .enums import EventKind, Stage, TitleLevel
from .models import Application, CreationRecord, Title
from .schemas import (
    VillageApplicationOut,
    VillageApplyIn,
    VillageAssessorsIn,
    VillageDashboardOut,
    VillageDueTitleOut,
    VillageEventOut,
    VillageImprovementOut,
    VillageNameIn,
    VillagePlanOut,
    VillageRecordDetailOut,
    VillageRecordOut,
    VillageReviewIn,
    VillageReviewOut,
    VillageScoreIn,
    VillageSheetOut,
    VillageTaskOut,
    VillageTitleOut,
    VillageTownOut,
)
from .services import assessment, titles
from .services.assessment import LineIn

router = Router(tags=["villages 民主法治村"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _staff(request: HttpRequest) -> User:
    if not core_rules.is_staff_member(request.auth):
        raise Http404
    return request.auth


def _record_out(rec: CreationRecord) -> VillageRecordOut:
    return VillageRecordOut(code=rec.region.code, name=rec.region.name, town_code=rec.region.code[:9],
                            stage=rec.stage, stage_label=str(Stage(rec.stage).label), highest_level=rec.highest_level,
                            updated_at=rec.updated_at)


def _title_out(t: Title) -> VillageTitleOut:
    return VillageTitleOut(id=t.pk, level=t.level, level_label=str(t.get_level_display()), state=t.state,
                           state_label=str(t.get_state_display()), named_on=t.named_on, document_no=t.document_no,
                           ended_on=t.ended_on, last_reviewed_on=t.last_reviewed_on,
                           registered=t.application_id is None)


def _app_out(app: Application) -> VillageApplicationOut:
    return VillageApplicationOut(
        id=app.pk, code=app.record.region.code, level=app.level, level_label=str(app.get_level_display()),
        state=app.state, state_label=str(app.get_state_display()), standard_id=app.standard_id,
        pass_mark=app.standard.pass_mark, submitted_at=app.submitted_at, decided_at=app.decided_at, score=app.score,
        vetoed=app.vetoed, assessors=app.assessors.count(), sheets=app.sheets.count())


@router.get("/records", response={200: page_of(VillageRecordOut), **ERRORS},
            summary="民主法治村创建档案列表（管辖范围内；可按乡镇、最高等级、阶段筛选）")
def list_records(request: HttpRequest, page: Query[PageIn], town: str = "",
                 level: TitleLevel | Literal["", "none"] = "", stage: Stage | Literal[""] = ""):
    qs = selectors.records_visible_to(_staff(request))
    if town:
        qs = qs.filter(region__code__startswith=town)
    if level:
        qs = qs.filter(highest_level="" if level == "none" else level)
    if stage:
        qs = qs.filter(stage=stage)
    return paginate(request, qs.order_by("region__code"), page, _record_out)


@router.get("/records/{village_code}", response={200: VillageRecordDetailOut, **ERRORS},
            summary="一个村（社区）的创建档案：称号、规划与任务、申报、提升计划")
def get_record(request: HttpRequest, village_code: str):
    user = _staff(request)
    village = selectors.access_village(user, village_code)
    rec = CreationRecord.objects.filter(region=village).first() or CreationRecord(region=village)
    base = _record_out(rec).dict()
    if rec.pk is None:
        return VillageRecordDetailOut(**base, titles=[], plans=[], applications=[], improvements=[])
    return VillageRecordDetailOut(
        **base, titles=[_title_out(t) for t in rec.titles.all()],
        plans=[VillagePlanOut(id=p.pk, target_level=p.target_level, year_from=p.year_from, year_to=p.year_to,
                              targets=p.targets,
                              tasks=[VillageTaskOut(id=t.pk, title=t.title, state=t.state, due_on=t.due_on,
                                                    evidence=t.evidence.count()) for t in p.tasks.all()])
               for p in rec.plans.prefetch_related("tasks")],
        applications=[_app_out(a) for a in rec.applications.select_related("standard", "record__region")],
        improvements=[VillageImprovementOut(id=i.pk, measures=i.measures, due_on=i.due_on, created_at=i.created_at)
                      for i in rec.improvements.all()])


@router.get("/records/{village_code}/archive", response={200: page_of(VillageEventOut), **ERRORS},
            summary="一村一档：该村（社区）创建的全部记录，按时间顺序")
def get_archive(request: HttpRequest, village_code: str, page: Query[PageIn]):
    user = _staff(request)
    village = selectors.access_village(user, village_code)
    rec = CreationRecord.objects.filter(region=village).first()
    rows = selectors.archive(rec) if rec is not None else []
    return paginate(request, rows, page, lambda e: VillageEventOut(
        id=e.pk, kind=e.kind, kind_label=str(EventKind(e.kind).label), at=e.at, actor=e.actor_label,
        payload=e.payload))


@router.post("/records/{village_code}/applications", response={201: VillageApplicationOut, **ERRORS},
             summary="申报：须先获得下一级称号（否则 409 LOWER_TITLE_REQUIRED）")
def apply(request: HttpRequest, village_code: str, payload: VillageApplyIn):
    user = _staff(request)
    village = selectors.access_village(user, village_code)
    app = assessment.apply(village, actor=user, level=payload.level, summary=payload.summary)
    return Status(201, _app_out(app))


@router.get("/applications/{application_id}", response={200: VillageApplicationOut, **ERRORS}, summary="一条申报")
def get_application(request: HttpRequest, application_id: int):
    return _app_out(selectors.access_application(_staff(request), application_id))


@router.post("/applications/{application_id}/assessors", response={200: VillageApplicationOut, **ERRORS},
             summary="司法局指派考核人员")
def assign_assessors(request: HttpRequest, application_id: int, payload: VillageAssessorsIn):
    user = _staff(request)
    app = selectors.access_application(user, application_id)
    people = list(User.objects.filter(pk__in=payload.user_ids))
    if len(people) != len(set(payload.user_ids)):
        raise Http404
    return _app_out(assessment.assign_assessors(app, people, actor=user))


@router.post("/applications/{application_id}/scores", response={201: VillageSheetOut, **ERRORS},
             summary="考核评分（仅限指派的考核人员，每人一次；一票否决项触发即不通过）")
def score(request: HttpRequest, application_id: int, payload: VillageScoreIn):
    user = _staff(request)
    app = selectors.access_application(user, application_id)
    lines = {line.indicator_id: LineIn(score=line.score, veto_hit=line.veto_hit, note=line.note)
             for line in payload.lines}
    sheet = assessment.score(app, actor=user, lines=lines, note=payload.note)
    app.refresh_from_db()
    return Status(201, VillageSheetOut(id=sheet.pk, total=sheet.total, vetoed=sheet.vetoed, application=_app_out(app)))


@router.post("/applications/{application_id}/name", response={201: VillageTitleOut, **ERRORS},
             summary="命名：考核通过的申报获得称号")
def name(request: HttpRequest, application_id: int, payload: VillageNameIn):
    user = _staff(request)
    app = selectors.access_application(user, application_id)
    return Status(201, _title_out(titles.name(app, actor=user, named_on=payload.named_on,
                                              document_no=payload.document_no)))


@router.post("/titles/{title_id}/review", response={201: VillageReviewOut, **ERRORS},
             summary="复核：保留、撤销或注销（撤销、注销须写明原因）")
def review(request: HttpRequest, title_id: int, payload: VillageReviewIn):
    user = _staff(request)
    title = selectors.access_title(user, title_id)
    rev = titles.review(title, actor=user, outcome=payload.outcome, reviewed_on=payload.reviewed_on,
                        note=payload.note)
    title.refresh_from_db()
    return Status(201, VillageReviewOut(id=rev.pk, outcome=rev.outcome, reviewed_on=rev.reviewed_on,
                                        title=_title_out(title)))


@router.get("/titles/due-review", response={200: page_of(VillageDueTitleOut), **ERRORS},
            summary="到期待复核的称号（命名或上次复核满 XIANGZHI_VILLAGES_REVIEW_YEARS 年）")
def due_review(request: HttpRequest, page: Query[PageIn]):
    user = _staff(request)
    qs = selectors.due_for_review(user, timezone.localdate())
    return paginate(request, qs, page, lambda t: VillageDueTitleOut(
        code=t.record.region.code, name=t.record.region.name, title=_title_out(t), due_on=selectors.review_due_on(t)))


@router.get("/dashboard", response={200: VillageDashboardOut, **ERRORS},
            summary="看板：各等级称号数，各乡镇（街道）县级称号覆盖情况")
def dashboard(request: HttpRequest):
    d = selectors.dashboard(_staff(request))
    return VillageDashboardOut(by_level=d.by_level, villages=d.villages, coverage=d.coverage, towns=[
        VillageTownOut(code=t.code, name=t.name, villages=t.villages, titles=t.titles, coverage=t.coverage)
        for t in d.towns])
