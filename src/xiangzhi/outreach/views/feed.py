"""为你推荐 (千人千面), the villager's own feed (mobile first), and the public page of a published 求助 answer. Who
the visitor is comes from the request only (consultation's visitor cookie, the signed-in citizen, the town of the
code they scanned): nobody can ask for someone else's feed. Thin: services.feed reads and ranks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from xiangzhi.consultation.views.public import COOKIE
from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import public

from .. import selectors
from ..enums import Audience
from ..services import feed

AUDIENCE_COOKIE = "xz_audience"
AUDIENCE_AGE = 365 * 24 * 3600
PAGE_SIZE = 30


def viewer_of(request: HttpRequest) -> feed.Viewer:
    """The visitor making the request: their phone's visitor id, their citizen account (when signed in as one), the
    town of the code they scanned (consultation keeps it in the session) and the audience they declared."""
    citizen = request.user if core_rules.is_citizen(request.user) else None
    town = (request.GET.get("v") or request.session.get("consult_region", "") or "")[:9]
    town = town if town.isdigit() and len(town) == 9 else ""
    audience = request.COOKIES.get(AUDIENCE_COOKIE, "")
    return feed.Viewer(visitor_id=(request.COOKIES.get(COOKIE) or "")[:64], citizen=citizen, town_code=town,
                       audience=audience if audience in Audience.values else "")


@public
@require_GET
def my_feed(request: HttpRequest) -> HttpResponse:
    """The visitor's feed. ``?audience=`` declares who they are (kept in a cookie; empty clears it)."""
    declared = None
    if "audience" in request.GET:
        declared = request.GET["audience"] if request.GET["audience"] in Audience.values else ""
    viewer = viewer_of(request)
    if declared is not None:
        viewer = feed.Viewer(viewer.visitor_id, viewer.citizen, viewer.town_code, declared)
    entries = feed.feed_for(viewer)
    profile_known = viewer.known and any(e.ranked.reasons and e.ranked.reasons[0].startswith("topic:")
                                         for e in entries[:PAGE_SIZE])
    response = render(request, "outreach/feed.html", {
        "entries": entries[:PAGE_SIZE], "audiences": Audience.choices, "audience": viewer.audience,
        "personal": profile_known})
    if declared is not None:
        if declared:
            response.set_cookie(AUDIENCE_COOKIE, declared, max_age=AUDIENCE_AGE, httponly=True, samesite="Lax")
        else:
            response.delete_cookie(AUDIENCE_COOKIE)
    return response


@public
@require_GET
def answer(request: HttpRequest, pk: int) -> HttpResponse:  # noqa: ARG001
    """A published 求助 answer (public once published)."""
    alert = selectors.published_alert(pk)
    return render(request, "outreach/answer.html", {"a": alert, "ans": getattr(alert, "answer", None)})
