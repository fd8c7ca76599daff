"""The villager's side of 精准普法 (mobile first): the inbox of answers pushed to them, one answer by its SMS link,
and the answer files. Thin: selectors read, services write."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from xiangzhi.consultation.views.public import COOKIE
from xiangzhi.core.access import public
from xiangzhi.core.media import stored_file_response

from .. import selectors
from ..services import answers, push


def _visitor_id(request: HttpRequest) -> str:
    return (request.COOKIES.get(COOKIE) or "")[:64]


@public
@require_GET
@ensure_csrf_cookie  # the page tells the server when the answer is played (a POST)
def inbox(request: HttpRequest) -> HttpResponse:
    """The answers pushed to this phone's visitor id (the consultation cookie) or to the signed-in citizen."""
    items = list(selectors.inbox(visitor_id=_visitor_id(request), citizen=request.user)[:50])
    return render(request, "outreach/inbox.html", {"items": items})


@public
@require_GET
@ensure_csrf_cookie
def delivery(request: HttpRequest, token: str) -> HttpResponse:
    """One answer, reached by the link of its SMS."""
    d = selectors.access_delivery(token)
    return render(request, "outreach/inbox.html", {"items": [d], "single": True})


@public
@require_POST
def opened(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    """The page tells that the villager played the answer (the delivery becomes 已查看)."""
    push.mark_opened(selectors.access_delivery(token))
    return HttpResponse(status=204)


@public
def answer_media(request: HttpRequest, pk: int) -> HttpResponse:
    """The audio or video of a published answer (public), or of one under review for the staff who see it (GET
    only, asked after the access check so that a method tells nothing of an object one may not see)."""
    try:
        alert = selectors.published_alert(pk)
    except Http404:
        alert = selectors.access_alert(request.user, pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    answer = getattr(alert, "answer", None)
    if answer is None or not answer.media:
        raise Http404
    return stored_file_response(request, answers.storage(), answer.media, answer.content_type,
                                cache_control="private, max-age=3600")
