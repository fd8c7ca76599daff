"""/api/v1/legality: 合法性审查 — submissions (paginated list, detail), submit, assign reviewers, the reviewer's
opinion, a revised version, issue (409 NOT_REVIEWED unless the current version passed review), and the coverage and
timeliness dashboard per town. Parse → service/selector → schema; no business rules here."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from xiangzhi.consultation import selectors as law
from xiangzhi.consultation import services as consultation
from xiangzhi.core import rules as core_rules
from xiangzhi.core.errors import NotFound, ValidationFailed
from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.models import User
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut
from xiangzhi.core.selectors import access_region

from . import rules, selectors
from .enums import DocKind, State
from .models import Opinion, Submission
from .schemas import (
    LegalityAssignIn,
    LegalityCitationOut,
    LegalityDashboardOut,
    LegalityIssueIn,
    LegalityOpinionIn,
    LegalityOpinionOut,
    LegalityReviseIn,
    LegalitySubmissionDetailOut,
    LegalitySubmissionOut,
    LegalitySubmitIn,
    LegalityTownOut,
    LegalityVersionOut,
)
from .services import deadlines, review, submissions

router = Router(tags=["legality 合法性审查"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.auth
    if not core_rules.is_staff_member(user) or not rules.SEE_ROLES & core_rules.roles_of(user):
        raise Http404
    return user


def _name(user: User) -> str:
    return user.display_name or user.username


def _fields(sub: Submission) -> dict:
    return {
        "id": sub.pk, "kind": sub.kind, "kind_label": str(sub.get_kind_display()), "title": sub.title, "town_code": sub.town.code,
        "town_name": sub.town.name, "region_code": sub.region.code, "region_name": sub.region.name, "state": sub.state,
        "state_label": str(sub.get_state_display()), "version": sub.version, "submitted_at": sub.submitted_at,
        "submitted_by": _name(sub.submitted_by), "reviewers": [_name(u) for u in sub.reviewers.all()],
        "assigned_at": sub.assigned_at, "deadline_workdays": sub.deadline_workdays, "due_date": sub.due_date,
        "overdue": deadlines.is_overdue(sub.state, sub.due_date, timezone.localdate()), "issued_at": sub.issued_at}


def _out(sub: Submission) -> LegalitySubmissionOut:
    return LegalitySubmissionOut(**_fields(sub))


def _opinion_out(o: Opinion) -> LegalityOpinionOut:
    return LegalityOpinionOut(
        id=o.pk, version=o.version.number, digest=o.digest, conclusion=o.conclusion,
        conclusion_label=str(o.get_conclusion_display()), reasons=o.reasons,
        citations=[LegalityCitationOut(key=k, label=law.article_label(k), url=consultation.article_url(k))
                   for k in o.citations],
        reviewer=_name(o.reviewer), given_at=o.given_at, due_date=o.due_date, in_time=o.in_time)


def _detail(sub: Submission) -> LegalitySubmissionDetailOut:
    versions = list(sub.versions.order_by("number"))
    return LegalitySubmissionDetailOut(
        **_fields(sub),
        versions=[LegalityVersionOut(number=v.number, digest=v.digest, note=v.note, created_at=v.created_at,
                                     text=v.text if v.number == sub.version else None) for v in versions],
        opinions=[_opinion_out(o) for o in sub.opinions.select_related("version", "reviewer").order_by("given_at")])


@router.get("/submissions", response={200: page_of(LegalitySubmissionOut), **ERRORS},
            summary="合法性审查事项列表（管辖范围内；审查人只看指派给自己的）")
def list_submissions(request: HttpRequest, page: Query[PageIn], state: State | Literal[""] = "",
                     kind: DocKind | Literal[""] = "", town: str = Query("", max_length=9)):
    user = _user(request)
    qs = selectors.submissions_visible_to(user).prefetch_related("reviewers")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    if town:
        qs = qs.filter(town__code=town)
    return paginate(request, qs.order_by("-submitted_at", "-pk"), page, _out)


@router.post("/submissions", response={201: LegalitySubmissionDetailOut, **ERRORS},
             summary="报送合法性审查（乡镇四类事项，或村重大合同、重大决策、村规民约）")
@idempotent
def submit(request: HttpRequest, payload: LegalitySubmitIn):
    user = _user(request)
    try:
        region = access_region(user, payload.region_code)
    except Http404:
        raise NotFound("未找到该区划或无权报送。") from None
    sub = submissions.submit(region=region, kind=payload.kind, title=payload.title, text=payload.text, actor=user)
    return Status(201, _detail(sub))


@router.get("/submissions/{submission_id}", response={200: LegalitySubmissionDetailOut, **ERRORS},
            summary="一项合法性审查（各版本摘要、当前正文、审查意见）")
def get_submission(request: HttpRequest, submission_id: int):
    return _detail(selectors.access_submission(_user(request), submission_id))


@router.post("/submissions/{submission_id}/assign", response={200: LegalitySubmissionOut, **ERRORS},
             summary="司法所指定审查人（律师或法律顾问审查组）及审查时限（工作日）")
def assign(request: HttpRequest, submission_id: int, payload: LegalityAssignIn):
    user = _user(request)
    sub = selectors.access_submission(user, submission_id)
    found = {u.pk: u for u in User.objects.filter(pk__in=payload.reviewer_ids)}
    chosen = [found[i] for i in dict.fromkeys(payload.reviewer_ids) if i in found]
    if len(chosen) != len(set(payload.reviewer_ids)):
        raise ValidationFailed("INVALID_REVIEWER", "审查人须为管辖范围覆盖该单位的律师或法律顾问。",
                               {"reviewers": sorted(set(payload.reviewer_ids) - set(found))})
    return _out(review.assign(sub, reviewers=chosen, deadline_workdays=payload.deadline_workdays, actor=user))


@router.post("/submissions/{submission_id}/opinion", response={201: LegalityOpinionOut, **ERRORS},
             summary="被指定的审查人对当前版本出具审查意见（合法 / 修改后合法 / 不合法，理由，引用法条）")
@idempotent
def opinion(request: HttpRequest, submission_id: int, payload: LegalityOpinionIn):
    user = _user(request)
    sub = selectors.access_submission(user, submission_id)
    o = review.give_opinion(sub, conclusion=payload.conclusion, reasons=payload.reasons, citations=payload.citations,
                            digest=payload.digest, actor=user)
    return Status(201, _opinion_out(Opinion.objects.select_related("version", "reviewer").get(pk=o.pk)))


@router.post("/submissions/{submission_id}/revise", response={200: LegalitySubmissionDetailOut, **ERRORS},
             summary="提交修改稿（新版本须重新审查）")
@idempotent
def revise(request: HttpRequest, submission_id: int, payload: LegalityReviseIn):
    user = _user(request)
    sub = selectors.access_submission(user, submission_id)
    return _detail(submissions.revise(sub, text=payload.text, note=payload.note, actor=user))


@router.post("/submissions/{submission_id}/issue", response={200: LegalitySubmissionOut, **ERRORS},
             summary="印发：当前版本未经审查合法的，返回 409 NOT_REVIEWED")
def issue(request: HttpRequest, submission_id: int, payload: LegalityIssueIn):
    user = _user(request)
    sub = selectors.access_submission(user, submission_id)
    return _out(submissions.issue(sub, digest=payload.digest, actor=user))


def _town_out(row: selectors.TownRow) -> LegalityTownOut:
    return LegalityTownOut(code=row.code, name=row.name, submitted=row.submitted, reviewed=row.reviewed,
                           opinions=row.opinions, in_time=row.in_time, late=row.late, overdue=row.overdue,
                           issued=row.issued, issued_without_review=row.issued_without_review, refused=row.refused,
                           coverage=row.coverage, timeliness=row.timeliness)


@router.get("/dashboard", response={200: LegalityDashboardOut, **ERRORS},
            summary="各乡镇（街道）合法性审查覆盖率和按期率")
def dashboard(request: HttpRequest, year: int | None = Query(None, ge=2000, le=2100)):
    user = _user(request)
    if not rules.can_oversee(core_rules.roles_of(user)):
        raise Http404
    rows, total = selectors.dashboard(user, year=year)
    return LegalityDashboardOut(year=year, towns=[_town_out(r) for r in rows], total=_town_out(total))
