"""Report flags and screenings on screen: the case page offers the 统计标记 form to the case's mediator and the town
supervisor, the screenings page to town and village staff, and the mediation report changes accordingly."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village
from tests.disputes.conftest import new_case, walk
from xiangzhi.insights import selectors
from xiangzhi.insights.models import CaseFlags, Screening

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _report(region=WUZHEN):
    return selectors.mediation_report(None, period=selectors.parse_period(str(dt.datetime.now(TZ).year)),
                                      region_code=region)


def test_the_cases_mediator_records_the_flags_on_the_case_page_and_the_report_counts_them(mediator):
    case = walk(new_case(), "in_mediation", mediator.user)  # accepted, assigned to this mediator
    client = mediator.client()
    page = client.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert 'id="report-flags"' in page and f'action="/insights/cases/{case.pk}/flags/"' in page
    before = _report().totals
    r = client.post(f"/insights/cases/{case.pk}/flags/", {
        "found_by_screening": "on", "prevented_criminal": "on", "prevented_criminal_people": "3",
        "prevented_petition": "on", "prevented_petition_people": "15"})
    assert r.status_code == 302 and r["Location"].endswith(f"/cases/workbench/{case.pk}/#report-flags")
    after = _report().totals
    assert after["screened"] == before["screened"] + 1
    assert (after["criminal"], after["criminal_people"]) == (before["criminal"] + 1, before["criminal_people"] + 3)
    assert (after["petition"], after["petition_people"]) == (before["petition"] + 1, before["petition_people"] + 15)
    page = client.get(f"/cases/workbench/{case.pk}/").content.decode()
    assert 'name="prevented_criminal_people" value="3"' in page  # the form shows what is recorded
    # people without the flag, and negative counts, are refused with a Chinese message and change nothing
    r = client.post(f"/insights/cases/{case.pk}/flags/", {"prevented_petition_people": "4"}, follow=True)
    assert "未勾选的事项不能填写人数" in r.content.decode()
    r = client.post(f"/insights/cases/{case.pk}/flags/", {"prevented_criminal": "on",
                                                         "prevented_criminal_people": "-1"}, follow=True)
    assert "人数不能为负数" in r.content.decode()
    assert CaseFlags.objects.get(case=case).prevented_petition_people == 15
    assert _report().totals == after


def test_the_town_supervisor_may_set_flags_an_auditor_only_reads_them(mediator, town_staff, auditor):
    case = walk(new_case(), "in_mediation", mediator.user)
    r = town_staff.client().post(f"/insights/cases/{case.pk}/flags/", {"agreement_performed": "on"})
    assert r.status_code == 302 and CaseFlags.objects.get(case=case).agreement_performed
    page = auditor.client().get(f"/cases/workbench/{case.pk}/").content.decode()
    assert "协议已履行" in page and f"/insights/cases/{case.pk}/flags/" not in page
    auditor.client().post(f"/insights/cases/{case.pk}/flags/", {"found_by_screening": "on"})
    assert not CaseFlags.objects.get(case=case).found_by_screening


def test_a_mediator_of_another_town_gets_404(mediator, other_mediator):
    case = walk(new_case(), "in_mediation", mediator.user)
    r = other_mediator.client().post(f"/insights/cases/{case.pk}/flags/", {"prevented_criminal": "on"})
    assert r.status_code == 404 and not CaseFlags.objects.filter(case=case).exists()


def test_town_staff_record_screenings_and_the_report_counts_them(town_staff, client):
    village = first_village(WUZHEN)
    staff = town_staff.client()
    page = staff.get("/insights/screenings/").content.decode()
    assert "登记一次排查" in page and village.code in page and first_village(CHONGFU).code not in page
    before = _report()
    today = dt.datetime.now(TZ).date()
    r = staff.post("/insights/screenings/", {"region": village.code, "held_on": today.isoformat(),
                                             "disputes_found": "4", "note": "春节前排查"})
    assert r.status_code == 302
    after = _report()
    assert (after.screenings, after.screening_reported) == (before.screenings + 1, before.screening_reported + 4)
    # what a round records is its own tally; 排查发现纠纷 stays the column's total (the cases found by screening)
    assert after.screening_disputes == after.totals["screened"] == before.screening_disputes
    assert "春节前排查" in staff.get("/insights/screenings/").content.decode()
    # bad input: a clear Chinese message, nothing written
    for data, message in (({"region": village.code, "held_on": today.isoformat(), "disputes_found": "-2"},
                           "发现纠纷数不能为负数"),
                          ({"region": first_village(CHONGFU).code, "held_on": today.isoformat(),
                            "disputes_found": "1"}, "请选择您辖区内"),
                          ({"region": village.code, "held_on": "昨天", "disputes_found": "1"}, "日期格式"),
                          ({"region": village.code, "held_on": (today + dt.timedelta(days=2)).isoformat(),
                            "disputes_found": "1"}, "不能晚于今天")):
        r = staff.post("/insights/screenings/", data)
        assert r.status_code == 200 and message in r.content.decode(), message
    assert Screening.objects.count() == 1
    assert client.get("/insights/screenings/").status_code == 302  # anonymous: to the login page


def test_the_service_refuses_a_screening_outside_the_actors_region(town_staff):
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.insights import services

    with pytest.raises(XiangzhiError):
        services.record_screening(first_village(CHONGFU), actor=town_staff.user, held_at=dt.datetime.now(TZ),
                                  disputes_found=1)
    assert not Screening.objects.exists()
