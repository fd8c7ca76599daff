"""/api/v1/outreach: 普法求助 (hot-topic alerts) — list with state, claim (抢单), take the next, give back, answer
(multipart upload), review and publish; the 普法资源库 items (public list/detail; the editing of the bureau and the
towns' 司法所: /manage/items list, detail, edit, attach a file; /items/{id}/publish, /unpublish) and the 以案释法 Top 10 (public
ranking, the citizens' vote; under /manage the bureau's nominations and the jury's scores); the signed-in citizen's
own feed (为你推荐). Parse →
service/selector → schema; no business rules here."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from xiangzhi.core import rules as core_rules
from xiangzhi.core.api_auth import PUBLIC
from xiangzhi.core.errors import Forbidden
from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.models import User
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut
from xiangzhi.disputes.services.uploads import Upload

from . import rules, selectors
from .enums import AlertState, Audience, ItemKind, ItemState
from .models import Alert, LibraryItem, Nomination
from .schemas import (
    AlertOut,
    AnswerOut,
    ItemOut,
    LessonOut,
    OutreachFeedEntryOut,
    OutreachItemEditIn,
    OutreachJuryScoreIn,
    OutreachManagedItemOut,
    OutreachNominationIn,
    OutreachNominationOut,
    ReviewIn,
    TopTenOut,
    VoteOut,
)
from .services import answers, claims, feed, library, topten

router = Router(tags=["outreach 精准普法"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _staff(request: HttpRequest) -> User:
    user = request.auth
    roles = core_rules.roles_of(user)
    if not core_rules.is_staff_member(user) or not (rules.is_claimer(roles) or rules.can_see_deliveries(roles)):
        raise Http404
    return user


def _out(alert: Alert, user: User) -> AlertOut:
    answer = getattr(alert, "answer", None) if alert.state != AlertState.OPEN else None
    return AlertOut(
        id=alert.pk, topic=alert.topic, scope=alert.scope, region_name=alert.region.name, state=alert.state,
        state_label=str(alert.get_state_display()), fired_at=alert.fired_at, released_at=alert.released_at,
        count=alert.count, expected=alert.expected, series=alert.series, samples=alert.samples,
        audience=alert.deliveries.count(),
        claimed_by=(alert.claimed_by.display_name or alert.claimed_by.username) if alert.claimed_by else None,
        claim_deadline=alert.claim_deadline, published_at=alert.published_at,
        answer=AnswerOut(text=answer.text, citations=answer.citations, media_kind=answer.media_kind,
                         media_url=reverse("outreach:media", args=[alert.pk]), content_type=answer.content_type,
                         duration=answer.duration, size=answer.size, sha256=answer.sha256) if answer else None,
        deliveries=selectors.delivery_counts(alert) if rules.can_see_deliveries(core_rules.roles_of(user)) else None)


@router.get("/alerts", response={200: page_of(AlertOut), **ERRORS}, summary="普法求助列表（管辖范围和擅长领域内）")
def list_alerts(request: HttpRequest, page: Query[PageIn], state: AlertState | Literal[""] = "",
                claimable: bool = False):
    user = _staff(request)
    qs = selectors.claimable_for(user) if claimable else selectors.alerts_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    return paginate(request, qs.select_related("answer").order_by("-fired_at", "-pk"), page,
                    lambda a: _out(a, user))


@router.post("/alerts/next", response={200: AlertOut, 204: None, **ERRORS},
             summary="抢下一单：认领最早的一条可认领求助（没有时 204）")
def take_next(request: HttpRequest):
    user = _staff(request)
    alert = claims.take_next(actor=user)
    if alert is None:
        return Status(204, None)
    return _out(alert, user)


@router.get("/alerts/{alert_id}", response={200: AlertOut, **ERRORS}, summary="一条普法求助")
def get_alert(request: HttpRequest, alert_id: int):
    user = _staff(request)
    return _out(selectors.access_alert(user, alert_id), user)


@router.post("/alerts/{alert_id}/claim", response={200: AlertOut, **ERRORS},
             summary="抢单：只有一人成功，其余返回 409 ALREADY_CLAIMED")
def claim(request: HttpRequest, alert_id: int):
    user = _staff(request)
    return _out(claims.claim(selectors.access_alert(user, alert_id), actor=user), user)


@router.post("/alerts/{alert_id}/release", response={200: AlertOut, **ERRORS}, summary="放弃认领（答复前）")
def release(request: HttpRequest, alert_id: int):
    user = _staff(request)
    return _out(claims.release(selectors.access_alert(user, alert_id), actor=user), user)


@router.post("/alerts/{alert_id}/answer", response={200: AlertOut, **ERRORS},
             summary="提交音视频解答（MP3/M4A/AAC/OGG/WAV/MP4/WebM，按内容识别类型，大小和时长受限）")
@idempotent
def answer(request: HttpRequest, alert_id: int, text: Form[str], citations: Form[str],
           file: UploadedFile = File(...)):  # noqa: B008
    """``citations``: article keys separated by commas (``民法典-1079,民法典-1087``)."""
    user = _staff(request)
    keys = [c.strip() for c in citations.replace("，", ",").split(",") if c.strip()]
    alert = answers.submit_answer(selectors.access_alert(user, alert_id), actor=user, text=text, citations=keys,
                                  upload=Upload.from_django(file))
    return _out(alert, user)


@router.post("/alerts/{alert_id}/review", response={200: AlertOut, **ERRORS},
             summary="司法局审核：通过即发布并推送，退回须写明原因")
def review(request: HttpRequest, alert_id: int, payload: ReviewIn):
    user = _staff(request)
    alert = answers.review_answer(selectors.access_alert(user, alert_id), actor=user, approve=payload.approve,
                                  note=payload.note)
    return _out(alert, user)


# --- 普法资源库 and 以案释法 Top 10 -------------------------------------------------------------------------------
def _item_out(item: LibraryItem) -> ItemOut:
    return ItemOut(
        id=item.pk, kind=item.kind, kind_label=str(item.get_kind_display()), title=item.title, summary=item.summary,
        body=item.body, topics=item.topics, audiences=item.audiences, state=item.state,
        media_url=reverse("outreach:item_media", args=[item.pk]) if item.media else None,
        content_type=item.content_type, duration=item.duration, published_at=item.published_at,
        lessons=[LessonOut(position=lesson.position, title=lesson.title, body=lesson.body)
                 for lesson in item.lessons.all()],
        pages=[reverse("outreach:item_page", args=[item.pk, p.position]) for p in item.pages.all()])


@router.get("/items", auth=None, openapi_extra=PUBLIC, response={200: page_of(ItemOut), **ERRORS},
            summary="普法资源库：已发布的资源（按人群、主题、类型筛选）")
def list_items(request: HttpRequest, page: Query[PageIn], audience: Audience | Literal[""] = "",
               topic: str = "", kind: ItemKind | Literal[""] = ""):
    qs = selectors.published_items(audience=audience, topic=topic, kind=kind).prefetch_related("lessons", "pages")
    return paginate(request, qs, page, _item_out)


@router.get("/items/{item_id}", auth=None, openapi_extra=PUBLIC, response={200: ItemOut, **ERRORS},
            summary="一条已发布的普法资源")
def get_item(request: HttpRequest, item_id: int):  # noqa: ARG001
    return _item_out(selectors.published_item(item_id))


@router.post("/items", response={201: ItemOut, **ERRORS},
             summary="新建普法资源（草稿；司法局为全县，司法所为本镇；微视频随表单上传 MP4/WebM，按内容识别类型）")
@idempotent
def create_item(request: HttpRequest, kind: Form[ItemKind], title: Form[str], audiences: Form[str],
                summary: Form[str] = "", body: Form[str] = "", topics: Form[str] = "", lessons: Form[str] = "",
                file: UploadedFile | None = File(None), images: list[UploadedFile] = File(None)):  # noqa: B008
    """``audiences``, ``topics``: comma-separated; ``lessons`` (课程): one lesson a line, ``标题|内容``; ``file``: the
    micro-video; ``images``: a comic's pictures, in order."""
    draft = library.ItemDraft(
        kind=kind, title=title, summary=summary, body=body, topics=_split(topics), audiences=_split(audiences),
        lessons=[(line.partition("|")[0].strip(), line.partition("|")[2].strip())
                 for line in lessons.splitlines() if line.strip()])
    item = library.create_item(draft, actor=request.auth, upload=Upload.from_django(file) if file else None,
                               images=[Upload.from_django(i) for i in images or []])
    return Status(201, _item_out(item))


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.replace("，", ",").split(",") if t.strip()]


def _managed_out(item: LibraryItem) -> OutreachManagedItemOut:
    base = _item_out(item).model_dump()
    return OutreachManagedItemOut(
        **base, region_code=item.region.code if item.region_id else "", region_name=item.region.name if item.region_id
        else "全县", created_at=item.created_at, updated_at=item.updated_at, size=item.size, sha256=item.sha256)


@router.get("/manage/items", response={200: page_of(OutreachManagedItemOut), **ERRORS},
            summary="资源管理：本辖区的普法资源（含草稿、已下架；司法局全部，司法所本镇）")
def managed_items(request: HttpRequest, page: Query[PageIn], state: ItemState | Literal[""] = "",
                  kind: ItemKind | Literal[""] = ""):
    qs = selectors.library_for(request.auth).prefetch_related("lessons", "pages")
    if state:
        qs = qs.filter(state=state)
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(request, qs, page, _managed_out)


@router.get("/manage/items/{item_id}", response={200: OutreachManagedItemOut, **ERRORS},
            summary="资源管理：本辖区的一条普法资源（含草稿）")
def managed_item(request: HttpRequest, item_id: int):
    return _managed_out(selectors.managed_item(request.auth, item_id))


@router.patch("/manage/items/{item_id}", response={200: OutreachManagedItemOut, **ERRORS},
              summary="编辑本辖区的普法资源（标题、摘要、正文、类型、主题、人群、课程的课时）")
def edit_item(request: HttpRequest, item_id: int, payload: OutreachItemEditIn):
    """Fields left out keep their value; ``lessons`` replaces a class's lessons (left out: kept; an item that is
    no longer a class drops them)."""
    item = selectors.managed_item(request.auth, item_id)
    kind = payload.kind if payload.kind is not None else item.kind
    if payload.lessons is not None:
        lessons = [(lesson.title, lesson.body) for lesson in payload.lessons]
    else:
        lessons = [(lesson.title, lesson.body) for lesson in item.lessons.all()] if kind == ItemKind.CLASS else []
    draft = library.ItemDraft(
        kind=kind,
        title=payload.title if payload.title is not None else item.title,
        summary=payload.summary if payload.summary is not None else item.summary,
        body=payload.body if payload.body is not None else item.body,
        topics=payload.topics if payload.topics is not None else item.topics,
        audiences=payload.audiences if payload.audiences is not None else item.audiences, lessons=lessons)
    library.update_item(item, draft, actor=request.auth)
    return _managed_out(selectors.managed_item(request.auth, item_id))


@router.post("/manage/items/{item_id}/media", response={200: OutreachManagedItemOut, **ERRORS},
             summary="上传资源文件：漫画加一张图片（PNG/JPEG/WebP/GIF），微视频换音视频（按内容识别类型，大小和时长受限）")
@idempotent
def attach_media(request: HttpRequest, item_id: int, file: UploadedFile = File(...)):  # noqa: B008
    item = selectors.managed_item(request.auth, item_id)
    library.attach_media(item, Upload.from_django(file), actor=request.auth)
    return _managed_out(selectors.managed_item(request.auth, item_id))


@router.post("/items/{item_id}/publish", response={200: ItemOut, **ERRORS}, summary="发布本辖区的普法资源")
def publish_item(request: HttpRequest, item_id: int):
    item = selectors.managed_item(request.auth, item_id)
    return _item_out(library.set_published(item, actor=request.auth, published=True))


@router.post("/items/{item_id}/unpublish", response={200: ItemOut, **ERRORS}, summary="下架本辖区的普法资源")
def unpublish_item(request: HttpRequest, item_id: int):
    item = selectors.managed_item(request.auth, item_id)
    return _item_out(library.set_published(item, actor=request.auth, published=False))


@router.get("/top-ten/{year}", auth=None, openapi_extra=PUBLIC, response={200: page_of(TopTenOut), **ERRORS},
            summary="以案释法年度十佳（公众投票与评审分综合排名）")
def top_ten(request: HttpRequest, year: int, page: Query[PageIn]):
    return paginate(request, list(enumerate(topten.top_ten(year), start=1)), page, lambda row: TopTenOut(
        rank=row[0], nomination_id=row[1].nomination.pk, item_id=row[1].nomination.item_id,
        title=row[1].nomination.item.title, votes=row[1].votes, jury_score=row[1].jury, score=row[1].score))


def _nomination_out(n: Nomination, mine: dict[int, float]) -> OutreachNominationOut:
    return OutreachNominationOut(
        id=n.pk, item_id=n.item_id, title=n.item.title, year=n.year, item_state=n.item.state, votes=n.vote_count,
        jury_score=n.jury_mean, jurors=n.jury_count, my_score=mine.get(n.pk))


@router.get("/manage/nominations", response={200: page_of(OutreachNominationOut), **ERRORS},
            summary="以案释法十佳候选（司法局和评审组；票数、评审分均按记录重新计算）")
def nominations(request: HttpRequest, page: Query[PageIn], year: int | None = None):
    qs = selectors.nominations_managed(request.auth, year=year)
    mine = selectors.jury_scores_by(request.auth)
    return paginate(request, qs, page, lambda n: _nomination_out(n, mine))


@router.post("/manage/nominations", response={201: OutreachNominationOut, **ERRORS},
             summary="司法局提名以案释法案例参评年度十佳")
def nominate(request: HttpRequest, payload: OutreachNominationIn):
    item = selectors.managed_item(request.auth, payload.item_id)
    n = topten.nominate(item, payload.year, actor=request.auth)
    return Status(201, _nomination_out(selectors.managed_nomination(request.auth, n.pk),
                                       selectors.jury_scores_by(request.auth)))


@router.post("/manage/nominations/{nomination_id}/jury", response={200: OutreachNominationOut, **ERRORS},
             summary="评审打分（0–100，每位评审每个案例一次；再次打分 409 ALREADY_SCORED）")
def jury_score(request: HttpRequest, nomination_id: int, payload: OutreachJuryScoreIn):
    n = selectors.managed_nomination(request.auth, nomination_id)
    topten.set_jury_score(n, payload.score, actor=request.auth)
    return _nomination_out(selectors.managed_nomination(request.auth, nomination_id),
                           selectors.jury_scores_by(request.auth))


@router.post("/top-ten/nominations/{nomination_id}/vote", response={200: VoteOut, **ERRORS},
             summary="为以案释法候选案例投票（手机号验证码登录的群众，每个手机号每个案例一票，限频）")
def vote(request: HttpRequest, nomination_id: int):
    nomination = topten.vote(selectors.open_nomination(nomination_id), voter=request.auth)
    return VoteOut(nomination_id=nomination.pk, votes=nomination.votes)


@router.get("/feed", response={200: page_of(OutreachFeedEntryOut), **ERRORS},
            summary="为你推荐：当前登录群众自己的普法推荐（按本人咨询、阅读、乡镇和人群排序，已看过的排后）")
def my_feed(request: HttpRequest, page: Query[PageIn], audience: Audience | Literal[""] = ""):
    """Only the signed-in citizen's own feed (no parameter names another person); ``audience``: who they declare
    they are (else derived from their topics)."""
    if not core_rules.is_citizen(request.auth):
        raise Forbidden("CITIZEN_ONLY", "为你推荐只提供给用手机号登录的群众。")
    entries = feed.feed_for(feed.Viewer(citizen=request.auth, audience=audience))
    return paginate(request, entries, page, lambda e: OutreachFeedEntryOut(
        key=e.ranked.candidate.key, kind=e.kind, id=e.obj.pk, title=e.title, summary=e.summary, topics=e.topics,
        audiences=e.audiences, url=e.url, score=e.ranked.score, read=e.read, reasons=e.reasons))
