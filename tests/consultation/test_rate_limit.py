"""The consultation limit holds per client address too, so a new visitor id for every question does not escape it."""

from __future__ import annotations

from django.test import Client

from xiangzhi.consultation.models import Question


def test_a_new_visitor_id_per_question_does_not_escape_the_limit(db, settings):
    settings.XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE = 3
    client = Client()
    codes = [client.post("/api/v1/consult/ask", {"question": "hello", "visitor_id": f"v{i}"},
                         content_type="application/json").status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    assert Question.objects.count() == 3
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/api/v1/consult/ask", {"question": "hello", "visitor_id": "v9"},
                      content_type="application/json").status_code == 200


def test_the_chat_page_limits_an_address_that_drops_its_cookie(db, settings):
    settings.XIANGZHI_RATE_LIMIT_CONSULT_PER_ADDRESS_PER_MINUTE = 2
    statuses = []
    for _ in range(3):
        client = Client()  # a fresh browser each time: a new visitor id cookie
        statuses.append(client.post("/consult/", {"question": "hello"}).status_code)
    assert statuses == [302, 302, 429]
