"""/api/v1/consult: the same service as the chat page. No business rules here."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from xiangzhi.core.api_auth import PUBLIC
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.middleware import client_ip
from xiangzhi.core.models import Region
from xiangzhi.core.schemas import ErrorOut

from . import services
from .models import Channel
from .schemas import AskIn, AskOut

router = Router(tags=["consultation 智能咨询"])


@router.post("/ask", response={200: AskOut, 422: ErrorOut, 429: ErrorOut}, auth=None, openapi_extra=PUBLIC)
def ask(request: HttpRequest, payload: AskIn) -> dict:
    """Ask the robot. Rate-limited per visitor id (or per client address when none is given)."""
    # A keyed hash, not a plain one: 2^32 IPv4 addresses are quickly tried against sha256(ip), which would make the
    # stored id a raw IP; only security logs keep raw addresses.
    visitor_id = payload.visitor_id[:64] or "ip-" + blind_index(client_ip(request) or "", purpose="consult-visitor")[:24]
    region = Region.objects.filter(code=payload.village).first() if payload.village else None
    reply = services.ask(payload.question, visitor=services.Visitor(visitor_id=visitor_id, region=region),
                         channel=Channel.API, top_k=max(1, min(payload.top_k, 20)))
    return {
        "answer": reply.answer, "kind": reply.kind,
        "citations": [{k: c[k] for k in ("law", "label", "number", "id", "url")} for c in reply.citations],
        "ranked": reply.ranked, "topic": reply.topic, "confidence": reply.confidence, "handoff": reply.handoff,
        "handed_off": reply.handed_off, "clarify_topics": reply.clarify_topics,
    }
