"""Rate budgets: a machine client with a valid API token has its own per-token budget and is not counted against the
anonymous per-address budget of the people who share its address."""

from __future__ import annotations

import json

from django.test import Client

from xiangzhi.core import services


def _post(client, token=None):
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/cases/", json.dumps({"typo": 1}), content_type="application/json", **extra)


def test_a_token_client_has_its_own_budget_not_the_anonymous_one(mediator, settings):
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 2
    settings.XIANGZHI_RATE_LIMIT_TOKEN_PER_MINUTE = 5
    token = services.issue_api_token(mediator.user, name="批量接口", actor=None)
    client = Client()
    codes = [_post(client, token).status_code for _ in range(5)]
    assert codes == [422] * 5  # validated, not refused by the anonymous budget of 2
    last = _post(client, token)
    assert last.status_code == 429 and last.json()["code"] == "RATE_LIMITED" and "Retry-After" in last
    # the people behind the same address still have their whole anonymous budget
    anon = [client.post("/api/v1/auth/code", {"phone": "1"}, content_type="application/json").status_code
            for _ in range(3)]
    assert anon == [422, 422, 429]


def test_a_wrong_token_is_counted_as_anonymous(mediator, settings):
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 2
    token = services.issue_api_token(mediator.user, name="x", actor=None)
    client = Client()
    codes = [_post(client, token[:-2] + "xx").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
