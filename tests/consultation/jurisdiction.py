"""Objects of 崇福镇 for the consultation URLs (see tests/jurisdiction.py)."""

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register, token_route

token_route("consultation:conversation", "consultation:article")


def chongfu_handoff():
    import secrets

    from xiangzhi.consultation.models import Conversation, Handoff, Question

    village = first_village(CHONGFU)
    conv = Conversation.objects.create(token=secrets.token_urlsafe(12), visitor_id="v-cf", region=village)
    q = Question.objects.create(conversation=conv, text="邻居占了我家宅基地", kind="handoff", topic="房屋宅基地")
    return Handoff.objects.create(question=q, conversation=conv, region=village, topic=q.topic)


@register("consultation:handoff")
def chongfu_handoff_pk():
    return {"pk": chongfu_handoff().pk}


@register("consultation:faq_edit")
def some_faq_pk():
    from xiangzhi.consultation.models import FaqEntry

    return {"pk": FaqEntry.objects.create(question="测试", answer="测试", citations=[]).pk}


@register("GET /api/v1/consult/handoffs/{handoff_id}", "POST /api/v1/consult/handoffs/{handoff_id}/claim",
          "POST /api/v1/consult/handoffs/{handoff_id}/faq")
def chongfu_handoff_id():
    return {"handoff_id": chongfu_handoff().pk}


@register("POST /api/v1/consult/handoffs/{handoff_id}/reply")
def chongfu_handoff_reply():
    return {"handoff_id": chongfu_handoff().pk, "_body": {"text": "可以申请调解。"}}


@register("GET /api/v1/consult/faqs/{faq_id}", "POST /api/v1/consult/faqs/{faq_id}/review")
def some_faq_id():
    return {"faq_id": some_faq_pk()["pk"]}


@register("PUT /api/v1/consult/faqs/{faq_id}")
def some_faq_edit():
    return {"faq_id": some_faq_pk()["pk"],
            "_body": {"question": "测试", "answer": "测试", "citations": ["民法典-1079"]}}


@register("PUT /api/v1/consult/rewrites/{rewrite_id}")
def some_rewrite():
    from xiangzhi.consultation.models import Rewrite

    row, _ = Rewrite.objects.get_or_create(phrase="测试口语", defaults={"terms": "测试 用语"})
    return {"rewrite_id": row.pk, "_body": {"terms": "测试 用语", "is_active": True}}


# Guidance is the county's, not a place's: only the justice administration edits it (a village mediator gets 404).
@register("consultation:guidance_edit")
def a_kind():
    return {"kind": "劳动争议"}


@register("PUT /api/v1/consult/guidance/{kind}")
def a_kind_edit():
    return {"kind": "劳动争议", "_body": {"steps": [{"label": "协商"}]}}
