"""/api/v1/legality: the workflow through the API, the 409 envelope for issuing without a passed review, pagination
and jurisdiction (404 for another town's submission)."""

from __future__ import annotations

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village
from tests.legality.conftest import TEXT, assigned, new_submission

pytestmark = pytest.mark.django_db
API = "/api/v1/legality"


def post(client, url, body):  # noqa: ANN001
    return client.post(url, body, content_type="application/json")


def test_the_whole_workflow_through_the_api(town_staff, lawyer, law_articles):
    staff, lw = town_staff.client(), lawyer.client()
    r = post(staff, f"{API}/submissions", {"region_code": WUZHEN, "kind": "major_decision", "title": "老旧小区改造方案",
                                           "text": TEXT})
    assert r.status_code == 201, r.content
    sub = r.json()
    assert sub["state"] == "submitted" and sub["versions"][0]["text"] == TEXT
    digest1 = sub["versions"][0]["digest"]
    url = f"{API}/submissions/{sub['id']}"
    r = post(staff, f"{url}/assign", {"reviewer_ids": [lawyer.user.pk], "deadline_workdays": 5})
    assert r.status_code == 200 and r.json()["state"] == "under_review" and r.json()["deadline_workdays"] == 5
    r = post(lw, f"{url}/opinion", {"digest": digest1, "conclusion": "lawful_if_revised", "reasons": "第三条须修改",
                                    "citations": ["重大行政决策程序暂行条例-25"]})
    assert r.status_code == 201, r.content
    cite = r.json()["citations"][0]
    assert cite["key"] == "重大行政决策程序暂行条例-25" and cite["label"].startswith("《重大行政决策程序暂行条例》")
    assert cite["url"].startswith("/consult/")
    r = post(staff, f"{url}/issue", {"digest": digest1})
    assert r.status_code == 409 and r.json() == {"code": "NOT_REVIEWED", "message": "未经合法性审查或审查未通过的文件不得印发。",
                                                 "detail": {"state": "to_revise", "version": 1}}
    r = post(staff, f"{url}/revise", {"text": TEXT + "\n第三条 已修改。", "note": "按审查意见修改"})
    assert r.status_code == 200 and r.json()["version"] == 2
    digest2 = r.json()["versions"][1]["digest"]
    r = post(lw, f"{url}/opinion", {"digest": digest1, "conclusion": "lawful", "reasons": "合法",
                                    "citations": ["重大行政决策程序暂行条例-25"]})
    assert r.status_code == 409 and r.json()["code"] == "STALE_VERSION"
    r = post(lw, f"{url}/opinion", {"digest": digest2, "conclusion": "lawful", "reasons": "合法",
                                    "citations": ["重大行政决策程序暂行条例-25"]})
    assert r.status_code == 201
    r = post(staff, f"{url}/issue", {"digest": digest1})
    assert r.status_code == 409 and r.json()["code"] == "VERSION_CHANGED"
    r = post(staff, f"{url}/issue", {"digest": digest2})
    assert r.status_code == 200 and r.json()["state"] == "issued"
    detail = staff.get(url).json()
    assert [o["version"] for o in detail["opinions"]] == [1, 2]
    assert detail["versions"][0]["text"] is None and detail["versions"][1]["text"].endswith("已修改。")


def test_issuing_an_unreviewed_document_answers_409_and_changes_nothing(town_staff):
    sub = new_submission(town_staff.user)
    r = post(town_staff.client(), f"{API}/submissions/{sub.pk}/issue", {"digest": sub.versions.get().digest})
    assert r.status_code == 409
    assert set(r.json()) == {"code", "message", "detail"} and r.json()["code"] == "NOT_REVIEWED"
    sub.refresh_from_db()
    assert sub.state == "submitted" and sub.issued_at is None


def test_only_the_assigned_reviewer_gives_an_opinion_through_the_api(town_staff, lawyer, lawyer_wz, law_articles):
    sub = assigned(town_staff.user, [lawyer.user])
    body = {"digest": sub.versions.get().digest, "conclusion": "lawful", "reasons": "合法",
            "citations": ["民法典-1079"]}
    r = post(lawyer_wz.client(), f"{API}/submissions/{sub.pk}/opinion", body)
    assert r.status_code == 404  # a lawyer not assigned does not see it at all
    r = post(town_staff.client(), f"{API}/submissions/{sub.pk}/opinion", body)
    assert r.status_code == 403 and r.json()["code"] == "NOT_ASSIGNED_REVIEWER"
    r = post(lawyer.client(), f"{API}/submissions/{sub.pk}/opinion", {**body, "citations": ["民法典-99999"]})
    assert r.status_code == 422 and r.json()["code"] == "UNKNOWN_ARTICLE"
    assert post(lawyer.client(), f"{API}/submissions/{sub.pk}/opinion", body).status_code == 201


def test_another_towns_submission_answers_404(town_staff, other_town_staff, lawyer_cf, lawyer):
    sub = assigned(other_town_staff.user, [lawyer_cf.user], code=CHONGFU)
    c = town_staff.client()
    url = f"{API}/submissions/{sub.pk}"
    assert c.get(url).status_code == 404
    for action, body in (("assign", {"reviewer_ids": [lawyer.user.pk]}), ("revise", {"text": "x"}),
                         ("issue", {"digest": "0" * 64})):
        r = post(c, f"{url}/{action}", body)
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND", action
    assert c.get(f"{API}/submissions").json()["count"] == 0
    r = post(c, f"{API}/submissions", {"region_code": CHONGFU, "kind": "normative", "title": "x", "text": "y"})
    assert r.status_code == 404
    r = post(c, f"{API}/submissions", {"region_code": first_village(CHONGFU).code, "kind": "village_rules",
                                       "title": "x", "text": "y"})
    assert r.status_code == 404
    assert other_town_staff.client().get(url).status_code == 200


def test_people_without_a_legality_role_see_nothing(mediator, villager_a, client, town_staff):
    sub = new_submission(town_staff.user)
    assert mediator.client().get(f"{API}/submissions/{sub.pk}").status_code == 404
    assert mediator.client().get(f"{API}/submissions").status_code == 404
    assert villager_a[1].get(f"{API}/submissions/{sub.pk}").status_code in (401, 404)
    assert client.get(f"{API}/submissions").status_code == 401


def test_a_reviewer_lists_only_what_they_review(town_staff, lawyer, lawyer_wz, django_assert_max_num_queries):
    mine = assigned(town_staff.user, [lawyer_wz.user])
    assigned(town_staff.user, [lawyer.user], title="别人的")
    new_submission(town_staff.user, title="未分配")
    page = lawyer_wz.client().get(f"{API}/submissions").json()
    assert [s["id"] for s in page["items"]] == [mine.pk]
    assert town_staff.client().get(f"{API}/submissions").json()["count"] == 3


def test_the_list_is_paginated_with_a_fixed_number_of_queries(town_staff, lawyer, django_assert_max_num_queries):
    for i in range(6):
        assigned(town_staff.user, [lawyer.user], title=f"文件{i}")
    c = town_staff.client()
    c.get(f"{API}/submissions?limit=2")  # warm the session
    with django_assert_max_num_queries(12):
        page = c.get(f"{API}/submissions?limit=5").json()
    assert page["count"] == 6 and len(page["items"]) == 5 and "offset=5" in page["next"]
    assert c.get(f"{API}/submissions?state=under_review&limit=200").json()["count"] == 6
    assert c.get(f"{API}/submissions?limit=201").status_code == 422


def test_the_dashboard_needs_an_overseer(lawyer, town_staff):
    assert lawyer.client().get(f"{API}/dashboard").status_code == 404
    body = town_staff.client().get(f"{API}/dashboard").json()
    assert [t["code"] for t in body["towns"]] == [WUZHEN]


def test_api_tokens_need_a_legality_scope(town_staff):
    from xiangzhi.core import services

    def call(token, method, url, body=None):  # noqa: ANN001, ANN202
        from django.test import Client

        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if method == "get":
            return Client().get(url, **headers)
        return Client().post(url, body, content_type="application/json", **headers)

    body = {"region_code": WUZHEN, "kind": "normative", "title": "令牌报送", "text": TEXT}
    read = services.issue_api_token(town_staff.user, name="读", actor=None, scopes=["legality:read"])
    write = services.issue_api_token(town_staff.user, name="写", actor=None, scopes=["legality:write"])
    other = services.issue_api_token(town_staff.user, name="案件", actor=None, scopes=["cases:write"])
    assert call(read, "get", f"{API}/submissions").status_code == 200
    assert call(read, "post", f"{API}/submissions", body).json()["code"] == "TOKEN_SCOPE"
    assert call(other, "get", f"{API}/submissions").json()["code"] == "TOKEN_SCOPE"
    assert call(write, "post", f"{API}/submissions", body).status_code == 201
