"""Villagers' consultation pages (mobile first, kiosk mode ``?kiosk=1``): chat, a conversation by token, articles."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from xiangzhi.core import rules as core_rules
from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import public
from xiangzhi.core.errors import RateLimited, XiangzhiError
from xiangzhi.core.models import Region

from .. import guidance, selectors, services
from ..models import Channel, Conversation, Question

COOKIE = "xz_visitor"
COOKIE_AGE = 365 * 24 * 3600


def visitor_of(request: HttpRequest) -> services.Visitor:
    vid = request.COOKIES.get(COOKIE) or getattr(request, "_xz_visitor", None) or services.new_visitor_id()
    request._xz_visitor = vid
    citizen = request.user if core_rules.is_citizen(request.user) else None
    region = None
    code = request.GET.get("v") or request.POST.get("v") or request.session.get("consult_region", "")
    if code:
        region = Region.objects.filter(code=code).first()
        if region is not None:
            request.session["consult_region"] = region.code
    return services.Visitor(visitor_id=vid[:64], citizen=citizen, region=region)


def _with_cookie(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if request.COOKIES.get(COOKIE) != getattr(request, "_xz_visitor", None) and getattr(request, "_xz_visitor", None):
        response.set_cookie(COOKIE, request._xz_visitor, max_age=COOKIE_AGE, httponly=True, samesite="Lax")
    return response


def _thread(conv: Conversation | None) -> list[dict]:
    if conv is None:
        return []
    items = []
    questions = list(conv.questions.select_related("handoff", "conversation__region").order_by("pk"))
    cited = selectors.cited_articles(questions)
    guides = guidance.guides_for(questions)
    for q in questions:
        handoff = getattr(q, "handoff", None) if hasattr(q, "handoff") else None
        guide = guides[q.pk]
        # the guide's own mediation step links to the application; without guidance, the old link for a dispute
        has_mediation = any(s.url for s in guide.steps)
        dispute = services.dispute_link(q.topic, q.text) if q.kind == Question.Kind.ANSWER and not has_mediation else ""
        items.append({"q": q, "handoff": handoff, "lines": selectors.answer_lines(q), "guide": guide,
                      "disclaimer": services.DISCLAIMER in q.answer, "citations": cited[q.pk], "dispute_link": dispute})
    return items


def _render_chat(request: HttpRequest, conv: Conversation | None, *, error: str = "", status: int = 200) -> HttpResponse:
    kiosk = request.GET.get("kiosk") == "1" or request.POST.get("kiosk") == "1"
    place = request.session.get("consult_region", "")
    ctx = {"thread": _thread(conv), "kiosk": kiosk, "idle_seconds": settings.XIANGZHI_KIOSK_IDLE_SECONDS,
           "error": error, "conversation": conv, "disclaimer": services.DISCLAIMER,
           "max_chars": services.MAX_QUESTION_CHARS,
           # the villager may say where they are (for the demand of each place); a terminal's place is in its URL
           "place": place, "places": [] if kiosk and place else core_selectors.public_village_groups()}
    return _with_cookie(request, render(request, "consultation/chat.html", ctx, status=status))


@public
@require_http_methods(["GET", "POST"])
def chat(request: HttpRequest) -> HttpResponse:
    """Ask a question; rate an answer (有用/没用); ask for a human (转人工); end the consultation (结束咨询: on a
    service terminal also after ``XIANGZHI_KIOSK_IDLE_SECONDS`` without a touch, so the next villager does not see
    it)."""
    visitor = visitor_of(request)
    conv = Conversation.objects.filter(visitor_id=visitor.visitor_id).order_by("-pk").first()
    if request.method == "POST":
        action = request.POST.get("action", "ask")
        channel = Channel.TERMINAL if request.POST.get("kiosk") == "1" else Channel.PHONE
        if action == "end":
            # a shared terminal (or phone): the next person starts afresh under a new anonymous visitor id, and
            # nothing of this conversation stays on the screen (it remains reachable only by its SMS link)
            request._xz_visitor = services.new_visitor_id()
            url = reverse("consultation:chat") + ("?kiosk=1" if channel == Channel.TERMINAL else "")
            return _with_cookie(request, redirect(url))
        try:
            if action == "ask":
                services.ask(request.POST.get("question", ""), visitor=visitor, channel=channel)
            else:
                if conv is None:
                    raise Http404
                question = get_object_or_404(Question, pk=request.POST.get("question_id") or 0, conversation=conv)
                if action in ("useful", "useless"):
                    services.rate_answer(question, useful=action == "useful")
                elif action == "handoff":
                    services.request_handoff(question, phone=request.POST.get("phone", "").strip())
                else:
                    raise Http404
        except RateLimited as exc:
            return _render_chat(request, conv, error=exc.message, status=429)
        except XiangzhiError as exc:
            return _render_chat(request, conv, error=exc.message, status=422)
        url = reverse("consultation:chat") + ("?kiosk=1" if channel == Channel.TERMINAL else "")
        return _with_cookie(request, redirect(url + "#latest"))
    return _render_chat(request, conv)


@public
def conversation(request: HttpRequest, token: str) -> HttpResponse:
    """A conversation by its unguessable token (the link in the reply SMS); continues it on this device."""
    conv = selectors.conversation_by_token(token)
    request._xz_visitor = conv.visitor_id
    return _render_chat(request, conv)


@public
def article(request: HttpRequest, key: str) -> HttpResponse:
    """One article: law, part/chapter, 第X条, text, version date (and older versions)."""
    art = selectors.article_by_key(key)
    services.record_article_view(art.key, visitor=visitor_of(request))
    ctx = {"art": art, "history": selectors.article_history(art), "disclaimer": services.DISCLAIMER,
           "kiosk": request.GET.get("kiosk") == "1", "idle_seconds": settings.XIANGZHI_KIOSK_IDLE_SECONDS}
    return _with_cookie(request, render(request, "consultation/article.html", ctx))
