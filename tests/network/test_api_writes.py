"""The API's writes: the justice office assigns (and removes) a village's adviser; an adviser logs their own service
and the justice office logs on their behalf; outsiders get 404."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import CHONGFU, WUZHEN, make_staff
from tests.network.conftest import make_adviser, villages_of

pytestmark = pytest.mark.django_db


def _coverage_row(client, code):
    return next(r for r in client.get("/api/v1/network/coverage").json()["villages"] if r["code"] == code)


def test_the_justice_office_assigns_and_removes_an_adviser(town_staff, adviser):
    village = villages_of(WUZHEN)[3]
    c = town_staff.client()
    assert not _coverage_row(c, village.code)["covered"]
    done = c.put(f"/api/v1/network/villages/{village.code}/adviser", {"adviser_id": adviser.pk},
                 content_type="application/json")
    assert done.status_code == 200 and done.json()["adviser"]["name"] == "沈律师"
    assert _coverage_row(c, village.code)["adviser"]["id"] == adviser.pk
    assert c.delete(f"/api/v1/network/villages/{village.code}/adviser").status_code == 200
    assert not _coverage_row(c, village.code)["covered"]


def test_outsiders_cannot_assign(town_staff, mediator, adviser):
    chongfu = villages_of(CHONGFU)[0]
    wuzhen = villages_of(WUZHEN)[0]
    body = {"adviser_id": adviser.pk}
    assert town_staff.client().put(f"/api/v1/network/villages/{chongfu.code}/adviser", body,
                                   content_type="application/json").status_code == 404
    assert mediator.client().put(f"/api/v1/network/villages/{wuzhen.code}/adviser", body,
                                 content_type="application/json").status_code == 404
    assert town_staff.client().put(f"/api/v1/network/villages/{wuzhen.code}/adviser", {"adviser_id": 999999},
                                   content_type="application/json").status_code == 404


def _log_body(village, **extra):
    return {"village": village.code, "kind": "visit", "minutes": 90, "summary": "驻村走访，解答土地流转问题",
            "occurred_at": (timezone.now() - dt.timedelta(hours=3)).isoformat(), **extra}


def test_an_adviser_logs_their_own_service_and_the_office_logs_on_their_behalf(lawyer, town_staff):
    from xiangzhi.network.models import ServiceLog
    from xiangzhi.network.services import directory

    adviser = make_adviser(user=lawyer.user)
    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, adviser, actor=None)
    own = lawyer.client().post("/api/v1/network/service-logs", _log_body(village, grid=village.children.first().code),
                               content_type="application/json")
    assert own.status_code == 201, own.content
    assert own.json()["minutes"] == 90 and own.json()["grid"] == village.children.first().code
    behalf = town_staff.client().post("/api/v1/network/service-logs", _log_body(village, adviser_id=adviser.pk),
                                      content_type="application/json")
    assert behalf.status_code == 201, behalf.content
    assert ServiceLog.objects.filter(adviser=adviser).count() == 2
    listed = town_staff.client().get("/api/v1/network/service-logs").json()
    assert listed["count"] == 2
    # a village the adviser does not serve is refused
    other = villages_of(WUZHEN)[1]
    refused = lawyer.client().post("/api/v1/network/service-logs", _log_body(other), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "NOT_THE_VILLAGE_ADVISER"


def test_a_lawyer_who_is_not_an_adviser_and_other_towns_get_404(tongxiang, other_town_staff):
    from xiangzhi.network.services import directory

    adviser = make_adviser()
    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, adviser, actor=None)
    stranger = make_staff("lawyer2", "lawyer", "330483", {"kind": "law_firm"})
    assert stranger.client().post("/api/v1/network/service-logs", _log_body(village),
                                  content_type="application/json").status_code == 404
    # a justice office of another town cannot log for a 乌镇 village
    assert other_town_staff.client().post("/api/v1/network/service-logs", _log_body(village, adviser_id=adviser.pk),
                                          content_type="application/json").status_code == 404
    assert other_town_staff.client().get("/api/v1/network/service-logs").json()["count"] == 0
