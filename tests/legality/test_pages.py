"""The workbench pages: list, submit, one submission with its actions, dashboard; another town's → 404."""

from __future__ import annotations

import pytest

from tests.conftest import CHONGFU, WUZHEN
from tests.legality.conftest import TEXT, assigned, new_submission, opine

pytestmark = pytest.mark.django_db


def test_submit_assign_review_and_issue_through_the_pages(town_staff, lawyer, law_articles):
    from xiangzhi.legality.models import Submission

    staff, lw = town_staff.client(), lawyer.client()
    assert staff.get("/legality/staff/submit/").status_code == 200
    r = staff.post("/legality/staff/submit/", {"region": WUZHEN, "kind": "agreement", "title": "招商引资协议",
                                               "text": TEXT})
    sub = Submission.objects.get(title="招商引资协议")
    assert r.status_code == 302 and r["Location"] == f"/legality/staff/{sub.pk}/"
    url = r["Location"]
    page = staff.get(url).content.decode()
    assert "指定审查人" in page and lawyer.user.display_name in page
    r = staff.post(url, {"action": "assign", "reviewer": [lawyer.user.pk], "deadline_workdays": "5"})
    assert r.status_code == 302
    page = lw.get(url).content.decode()
    assert "出具审查意见" in page
    r = staff.post(url, {"action": "issue", "digest": sub.versions.get().digest})
    assert r.status_code == 422 and "未经合法性审查" in r.content.decode()
    r = lw.post(url, {"action": "opinion", "conclusion": "lawful", "reasons": "合法",
                      "citations": "重大行政决策程序暂行条例-25，民法典-1079", "digest": sub.versions.get().digest})
    assert r.status_code == 302
    page = staff.get(url).content.decode()
    assert "《民法典》第1079条" in page and "标记为已印发" in page
    r = staff.post(url, {"action": "issue", "digest": sub.versions.get().digest})
    assert r.status_code == 302
    sub.refresh_from_db()
    assert sub.state == "issued"
    assert "已印发" in staff.get("/legality/staff/").content.decode()


def test_a_bad_citation_shows_the_error_and_keeps_the_review_open(town_staff, lawyer, law_articles):
    sub = assigned(town_staff.user, [lawyer.user])
    r = lawyer.client().post(f"/legality/staff/{sub.pk}/", {"action": "opinion", "conclusion": "lawful",
                                                            "reasons": "合法", "citations": "民法典-99999",
                                                            "digest": sub.versions.get().digest})
    assert r.status_code == 422 and "引用的法条不存在" in r.content.decode()


def test_a_revision_through_the_page_goes_back_under_review(town_staff, lawyer, law_articles):
    from tests.legality.conftest import opine

    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user, "lawful_if_revised")
    r = town_staff.client().post(f"/legality/staff/{sub.pk}/", {"action": "revise", "text": TEXT + "（改）", "note": "改"})
    assert r.status_code == 302
    sub.refresh_from_db()
    assert sub.state == "under_review" and sub.version == 2


def test_another_towns_pages_answer_404(town_staff, other_town_staff, lawyer_cf, lawyer):
    sub = assigned(other_town_staff.user, [lawyer_cf.user], code=CHONGFU)
    c = town_staff.client()
    assert c.get(f"/legality/staff/{sub.pk}/").status_code == 404
    assert c.post(f"/legality/staff/{sub.pk}/", {"action": "assign", "reviewer": [lawyer.user.pk]}).status_code == 404
    r = c.post("/legality/staff/submit/", {"region": CHONGFU, "kind": "normative", "title": "x", "text": "y"})
    assert r.status_code == 422
    assert "崇福" not in c.get("/legality/staff/").content.decode()


def test_the_pages_refuse_people_without_a_legality_role(mediator, client, town_staff):
    sub = new_submission(town_staff.user)
    for url in ("/legality/staff/", f"/legality/staff/{sub.pk}/", "/legality/staff/dashboard/",
                "/legality/staff/submit/"):
        assert mediator.client().get(url).status_code == 404, url
        assert client.get(url).status_code == 302, url


def test_the_workbench_navigation_shows_the_entry(town_staff, lawyer, mediator):
    assert "合法性审查" in town_staff.client().get("/legality/staff/").content.decode()
    assert lawyer.client().get("/legality/staff/dashboard/").status_code == 404
    assert 'href="/legality/staff/"' not in mediator.client().get("/").content.decode()


def _queries(client, url: str) -> int:  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_page_and_api_cost_the_same_queries_for_2_or_8_submissions(town_staff, lawyer, law_articles):
    c = town_staff.client()
    for i in range(2):
        opine(assigned(town_staff.user, [lawyer.user], title=f"a{i}"), lawyer.user)
    c.get("/legality/staff/")
    few = (_queries(c, "/legality/staff/"), _queries(c, "/api/v1/legality/submissions"))
    for i in range(6):
        assigned(town_staff.user, [lawyer.user], title=f"b{i}")
    assert (_queries(c, "/legality/staff/"), _queries(c, "/api/v1/legality/submissions")) == few


def test_the_detail_page_costs_the_same_queries_for_one_or_three_versions(town_staff, lawyer, law_articles):
    from xiangzhi.legality.services import submissions

    c = town_staff.client()
    sub = assigned(town_staff.user, [lawyer.user])
    opine(sub, lawyer.user, "lawful_if_revised")
    c.get(f"/legality/staff/{sub.pk}/")
    one = _queries(c, f"/legality/staff/{sub.pk}/")
    for n in (2, 3):
        submissions.revise(sub, text=f"第{n}稿", actor=town_staff.user)
        opine(sub, lawyer.user, "lawful_if_revised", citations=["民法典-1079"])
    assert _queries(c, f"/legality/staff/{sub.pk}/") == one + 1  # article labels: one query per distinct cited key


def test_the_justice_office_reveals_masked_numbers_with_a_reason_and_it_is_logged(town_staff, lawyer):
    from tests.conftest import valid_id_number
    from xiangzhi.core.models import AuditLog

    id_number = valid_id_number("33048319800101001")
    sub = assigned(town_staff.user, [lawyer.user], kind="agreement", text=f"乙方：张三，身份证号{id_number}。")
    c = town_staff.client()
    page = c.get(f"/legality/staff/{sub.pk}/").content.decode()
    assert id_number not in page and "查看完整号码" in page
    assert c.post(f"/legality/staff/{sub.pk}/", {"action": "reveal", "reason": ""}).status_code == 422
    r = c.post(f"/legality/staff/{sub.pk}/", {"action": "reveal", "reason": "核对协议当事人身份"})
    assert r.status_code == 200 and id_number in r.content.decode()
    assert AuditLog.objects.filter(action="personal.text_numbers_revealed", actor=town_staff.user).count() == 1
    lw = lawyer.client()
    assert "查看完整号码" not in lw.get(f"/legality/staff/{sub.pk}/").content.decode()
    r = lw.post(f"/legality/staff/{sub.pk}/", {"action": "reveal", "reason": "想看"})
    assert r.status_code == 422 and id_number not in r.content.decode()
