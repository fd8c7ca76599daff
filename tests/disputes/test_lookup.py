"""The public number lookup (/cases/lookup/): a party goes on to the status page; anyone else sees only the stage."""

from __future__ import annotations

import pytest

from tests.conftest import make_citizen
from tests.disputes.conftest import new_case
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db


def test_a_non_party_sees_only_the_stage(client, mediator):
    from xiangzhi.disputes.enums import CaseStage as S

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理")
    _, outsider = make_citizen("13700000066")
    for c in (client, outsider):
        r = c.get("/cases/lookup/", {"number": case.number})
        html = r.content.decode()
        assert r.status_code == 200 and "已受理" in html and case.number in html
        for secret in (case.token, "张*", "李*", "张三", "李四", case.description[:8], case.organisation.name,
                       "13800000001", "/cases/s/"):
            assert secret not in html, secret


def test_a_party_goes_on_to_the_status_page(villager_a, tongxiang):
    case = new_case()
    r = villager_a[1].get("/cases/lookup/", {"number": case.number})
    assert r.status_code == 302 and r.url == f"/cases/s/{case.token}/"


def test_an_unknown_number_says_so(client, tongxiang):
    r = client.get("/cases/lookup/", {"number": "桐解〔2026〕99999号"})
    assert "未找到该案件" in r.content.decode()
