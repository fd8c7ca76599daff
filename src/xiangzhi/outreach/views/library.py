"""普法资源库 and 以案释法 Top 10 pages: the public list (by audience and topic, the 清单式普法 lists per audience), one
item, its micro-video, the year's Top 10 with the vote button; the workbench of the bureau and the towns' 司法所
(create, edit, attach a picture or a video/audio file, publish, unpublish — each its own jurisdiction's items), the
bureau's nominations and the jury's scores (once per juror and case). Thin: selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiangzhi.consultation.retrieval import TOPICS
from xiangzhi.consultation.services import new_visitor_id
from xiangzhi.consultation.views.public import COOKIE, COOKIE_AGE
from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import public, staff_required
from xiangzhi.core.errors import ValidationFailed, XiangzhiError
from xiangzhi.core.media import stored_file_response
from xiangzhi.disputes.services.uploads import Upload

from .. import rules, selectors
from ..enums import Audience, ItemKind
from ..services import answers, feed, library, topten
from .feed import viewer_of


@public
@require_GET
def item_list(request: HttpRequest) -> HttpResponse:
    audience = request.GET.get("audience", "")
    audience = audience if audience in Audience.values else ""
    topic = request.GET.get("topic", "")
    topic = topic if topic in TOPICS else ""
    items = list(selectors.published_items(audience=audience, topic=topic)[:100])
    return render(request, "outreach/library.html", {
        "items": items, "audiences": Audience.choices, "topics": TOPICS, "audience": audience, "topic": topic,
        "audience_label": Audience(audience).label if audience else ""})


@public
@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published item; the opening is logged as a read of this visitor (services.feed.record_read: their feed
    and the audience of 求助 on its topics), a visitor id cookie given to a phone that has none."""
    item = selectors.published_item(pk)
    viewer = viewer_of(request)
    new_id = "" if viewer.visitor_id else new_visitor_id()
    if new_id:
        viewer = feed.Viewer(new_id, viewer.citizen, viewer.town_code, viewer.audience)
    feed.record_read(item, viewer)
    response = render(request, "outreach/item.html", {
        "item": item, "lessons": item.lessons.all(), "pages": item.pages.all(),
        "audience_labels": [Audience(a).label for a in item.audiences]})
    if new_id:
        response.set_cookie(COOKIE, new_id, max_age=COOKIE_AGE, httponly=True, samesite="Lax")
    return response


@public
@require_GET
def item_media(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.published_item(pk)
    if not item.media:
        raise Http404
    return stored_file_response(request, answers.storage(), item.media, item.content_type,
                                cache_control="public, max-age=3600")


@public
@require_GET
def page_image(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """One picture of a published comic."""
    page = selectors.published_item(pk).pages.filter(position=position).first()
    if page is None:
        raise Http404
    return stored_file_response(request, answers.storage(), page.name, page.content_type,
                                cache_control="public, max-age=3600")


@public
@require_GET
def top_ten(request: HttpRequest, year: int | None = None) -> HttpResponse:
    years = selectors.top_ten_years()
    year = year or (years[0] if years else timezone.now().year - 1)
    can_vote = core_rules.is_citizen(request.user) and bool(request.user.phone_index)
    return render(request, "outreach/top_ten.html", {
        "year": year, "years": years, "ranked": topten.top_ten(year), "can_vote": can_vote,
        "candidates": selectors.nominations_of(year), "weights": (topten.VOTE_WEIGHT, topten.JURY_WEIGHT)})


@public
@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    nomination = selectors.open_nomination(pk)
    if not core_rules.is_citizen(request.user):
        messages.error(request, "请先用手机号和验证码登录后再投票。")
        return redirect("outreach:top_ten_year", year=nomination.year)
    try:
        topten.vote(nomination, voter=request.user)
        messages.success(request, "投票成功，谢谢参与！")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("outreach:top_ten_year", year=nomination.year)


def _lessons(text: str) -> list[tuple[str, str]]:
    return [(ln.partition("|")[0].strip(), ln.partition("|")[2].strip()) for ln in text.splitlines() if ln.strip()]


def _draft(post) -> library.ItemDraft:  # noqa: ANN001
    return library.ItemDraft(
        kind=post.get("kind", ""), title=post.get("title", ""), summary=post.get("summary", ""),
        body=post.get("body", ""), topics=post.getlist("topic"), audiences=post.getlist("audience"),
        lessons=_lessons(post.get("lessons", "")))


@staff_required(*(rules.LIBRARY_ROLES | rules.JURY_ROLES))
@require_http_methods(["GET", "POST"])
def workbench(request: HttpRequest) -> HttpResponse:
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                f = request.FILES.get("media")
                library.create_item(
                    _draft(request.POST), actor=request.user, upload=Upload.from_django(f) if f else None,
                    images=[Upload.from_django(i) for i in request.FILES.getlist("images")])
                messages.success(request, "已保存为草稿。")
            elif action in ("publish", "unpublish"):
                item = selectors.managed_item(request.user, int(request.POST.get("item", 0) or 0))
                library.set_published(item, actor=request.user, published=action == "publish")
                messages.success(request, "已发布。" if action == "publish" else "已下架。")
            elif action == "nominate":
                item = selectors.managed_item(request.user, int(request.POST.get("item", 0) or 0))
                topten.nominate(item, int(request.POST.get("year") or timezone.now().year), actor=request.user)
                messages.success(request, "已提名参评以案释法十佳。")
            elif action == "jury":
                nomination = selectors.managed_nomination(request.user, int(request.POST.get("nomination", 0) or 0))
                topten.set_jury_score(nomination, float(request.POST.get("score") or -1), actor=request.user)
                messages.success(request, "评审分已保存（每个案例只能打一次分）。")
            return redirect("outreach:workbench")
        except XiangzhiError as exc:
            error = exc.message
        except ValueError:
            error = "请填写正确的数字。"
    roles = core_rules.roles_of(request.user)
    return render(request, "outreach/workbench.html", {
        "items": selectors.library_for(request.user)[:200], "kinds": ItemKind.choices, "audiences": Audience.choices,
        "topics": TOPICS, "nominations": selectors.nominations_managed(request.user)[:200], "error": error,
        "my_scores": selectors.jury_scores_by(request.user), "can_edit": rules.can_manage_library(roles),
        "can_nominate": bool(rules.TOPTEN_ROLES & roles), "is_juror": bool(rules.JURY_ROLES & roles),
        "year": timezone.now().year}, status=422 if error else 200)


@staff_required(*rules.LIBRARY_ROLES)
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit one item of the user's jurisdiction (404 for another town's): its content, and its file (a comic's next
    picture, a micro-video's video or audio)."""
    item = selectors.managed_item(request.user, pk)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "media":
                f = request.FILES.get("file")
                if f is None:
                    raise ValidationFailed("FILE_REQUIRED", "请选择要上传的文件。")
                library.attach_media(item, Upload.from_django(f), actor=request.user)
                messages.success(request, "文件已上传。")
            else:
                library.update_item(item, _draft(request.POST), actor=request.user)
                messages.success(request, "已保存修改。")
            return redirect("outreach:item_edit", pk=item.pk)
        except XiangzhiError as exc:
            error = exc.message
    lessons = "\n".join(f"{lesson.title}|{lesson.body}" for lesson in item.lessons.all())
    return render(request, "outreach/item_edit.html", {
        "item": item, "kinds": ItemKind.choices, "audiences": Audience.choices, "topics": TOPICS,
        "lessons": request.POST.get("lessons", lessons) if error else lessons, "pages": item.pages.all(),
        "error": error}, status=422 if error else 200)
