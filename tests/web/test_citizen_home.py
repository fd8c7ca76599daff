"""「我的」: a signed-in villager finds their own disputes and their own consultations (and whether a legal worker
has replied), and nobody else's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.consultation.conftest import subset_engine, subset_gz  # noqa: F401 - fixtures
from tests.disputes.conftest import new_case

pytestmark = pytest.mark.django_db


def test_my_page_lists_my_cases_and_my_consultations_with_the_reply_state(tongxiang, villager_a, villager_b, lawyer,
                                                                           request, settings, tmp_path):
    from xiangzhi.consultation import services as consult
    from xiangzhi.consultation.models import Question

    consult.load_laws(request.getfixturevalue("subset_gz"), actor=None)
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    consult.set_engine(request.getfixturevalue("subset_engine"))
    try:
        user_a, client_a = villager_a
        _user_b, client_b = villager_b
        case = new_case(applicant_phone="13800000001")  # villager A's phone is the applicant's
        chat = reverse("consultation:chat")
        client_a.post(chat, {"action": "ask", "question": "老板拖欠工资三个月不给怎么办"})
        client_a.post(chat, {"action": "ask", "question": "试用期工资可以比正式工资低多少"})
        asked = Question.objects.filter(conversation__citizen=user_a).latest("pk")
        handoff = consult.request_handoff(asked)
        page = client_a.get(reverse("web:citizen_home")).content.decode()
        assert case.number in page and reverse("disputes:status", args=[case.token]) in page
        assert "试用期工资可以比正式工资低多少" in page and "已转人工，等待答复" in page
        assert reverse("consultation:conversation", args=[asked.conversation.token]) in page
        consult.claim_handoff(handoff, actor=lawyer.user)
        consult.reply_handoff(handoff, text="试用期工资不得低于本单位相同岗位最低档工资的百分之八十。", actor=lawyer.user)
        assert "工作人员已答复" in client_a.get(reverse("web:citizen_home")).content.decode()
        other = client_b.get(reverse("web:citizen_home")).content.decode()  # villager B sees none of it
        assert case.number not in other and "试用期" not in other and "暂无。遇到纠纷可以" in other
    finally:
        consult.set_engine(None)
