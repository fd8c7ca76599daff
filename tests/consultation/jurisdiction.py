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
