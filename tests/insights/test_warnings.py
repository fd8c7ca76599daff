"""Early warnings (风险研判): each kind fires once, notifies the supervisors of its region once, can be
acknowledged with a note; the burst detector waits out a pending period and does not flap."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from tests.conftest import CHONGFU, WUZHEN, first_village
from xiangzhi.core.models import Notification, Organisation
from xiangzhi.disputes.models import Case, CaseCounter, DisputeType
from xiangzhi.insights import services
from xiangzhi.insights.models import RiskWarning
from xiangzhi.insights.services import poisson_z, run_warnings

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def make_case(region, *, created, type_code="neighbour", stage="in_mediation", **kw):
    from xiangzhi.disputes.services.intake import format_archive_number, format_number
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    counter, _ = CaseCounter.objects.get_or_create(year=2026)
    counter.last += 1
    counter.save()
    seq = counter.last
    return Case.objects.create(
        year=2026, seq=seq, number=format_number(2026, seq), archive_number=format_archive_number(2026, seq),
        token=secrets.token_urlsafe(24), stage=stage, channel="window", source="application",
        dispute_type=DisputeType.objects.get(code=type_code), region=region, region_code=region.code,
        description="测试纠纷内容", created_at=created, stage_changed_at=created, **kw)


def notified(persona, kind_title=""):
    return Notification.objects.filter(recipient_user=persona.user, subject__startswith="风险预警", subject__contains=kind_title).count()


def test_major_risk_fires_once_notifies_the_town_once_and_is_acknowledged(tongxiang, town_staff, other_town_staff):
    village = first_village(WUZHEN)
    case = make_case(village, created=NOW - dt.timedelta(days=2), risk_level="major")
    run_warnings(now=NOW)
    run_warnings(now=NOW + dt.timedelta(hours=1))
    warnings = RiskWarning.objects.filter(kind="major_risk", key=f"major_risk:{case.pk}")
    assert warnings.count() == 1
    w = warnings.get()
    assert w.state == "open" and w.link == f"/cases/workbench/{case.pk}/"
    assert notified(town_staff) == 1 and notified(other_town_staff) == 0
    client = town_staff.client()
    assert "重大风险案件" in client.get("/insights/warnings/").content.decode()
    assert other_town_staff.client().post(f"/insights/warnings/{w.pk}/ack/", {"note": "已处理"}).status_code == 404
    client.post(f"/insights/warnings/{w.pk}/ack/", {"note": ""})
    w.refresh_from_db()
    assert w.state == "open"
    client.post(f"/insights/warnings/{w.pk}/ack/", {"note": "已约谈双方，镇里牵头化解"})
    w.refresh_from_db()
    assert w.state == "acknowledged" and w.ack_note == "已约谈双方，镇里牵头化解" and w.acknowledged_by == town_staff.user
    run_warnings(now=NOW + dt.timedelta(hours=2))
    assert RiskWarning.objects.filter(key=f"major_risk:{case.pk}").count() == 1
    assert notified(town_staff) == 1
    # the case closes → the warning is resolved; nothing new
    Case.objects.filter(pk=case.pk).update(stage="closed")
    run_warnings(now=NOW + dt.timedelta(hours=3))
    w.refresh_from_db()
    assert w.state == "resolved"


def test_repeat_same_place_fires_at_three(tongxiang, town_staff):
    village = first_village(WUZHEN)
    for i in range(2):
        make_case(village, created=NOW - dt.timedelta(days=10 + i), place="三组河埠头")
    run_warnings(now=NOW)
    assert not RiskWarning.objects.filter(kind="repeat_place").exists()
    make_case(village, created=NOW - dt.timedelta(days=1), place="三组河埠头")
    run_warnings(now=NOW)
    run_warnings(now=NOW + dt.timedelta(hours=1))
    w = RiskWarning.objects.get(kind="repeat_place")
    assert w.state == "open" and "3 件" in w.title and w.region_code == village.code
    assert notified(town_staff) == 1
    services.acknowledge_warning(w, actor=town_staff.user, note="已排查")


def test_repeat_same_applicant_through_the_intake_service(tongxiang, mediator, town_staff):
    from tests.conftest import valid_id_number
    from xiangzhi.disputes.services.intake import IntakeIn, PartyIn, create_case

    village = first_village(WUZHEN)
    id_number = valid_id_number("33048319800101123")
    for i in range(3):
        create_case(IntakeIn(applicant=PartyIn(name="张三", id_number=id_number, phone="13800001111"),
                             respondents=[PartyIn(name=f"李{i}")], region_code=village.code,
                             description=f"第{i}次：邻居家漏水到我家，协商不成", request="赔偿", type_code="neighbour"),
                    actor=mediator.user, channel="window")
    run_warnings()
    w = RiskWarning.objects.get(kind="repeat_party")
    assert w.state == "open" and w.region_code == village.code
    assert notified(town_staff) == 1


def test_an_organisation_with_many_overdue_cases(tongxiang, town_staff):
    village = first_village(WUZHEN)
    org = Organisation.objects.get(region=village, kind="village_committee")
    for i in range(5):
        make_case(village, created=NOW - dt.timedelta(days=60 + i), organisation=org)
    run_warnings(now=NOW)
    w = RiskWarning.objects.get(kind="org_overdue")
    assert w.key == f"org_overdue:{org.pk}" and "5 件" in w.title
    services.acknowledge_warning(w, actor=town_staff.user, note="督促办理")
    assert RiskWarning.objects.get(pk=w.pk).state == "acknowledged"


def test_a_mediator_with_far_more_open_cases_than_peers(tongxiang, mediator, other_mediator, town_staff):
    from tests.conftest import make_staff

    village = first_village(WUZHEN)
    third = make_staff("mediator_3", "mediator", village.code, {"region": village, "kind": "village_committee"})
    for user, n in ((other_mediator.user, 1), (third.user, 2), (mediator.user, 10)):
        for _ in range(n):
            make_case(village, created=NOW - dt.timedelta(days=3), mediator=user)
    run_warnings(now=NOW)
    w = RiskWarning.objects.get(kind="mediator_load")
    assert w.key == f"mediator_load:{mediator.user.pk}"
    assert w.region_code == village.code
    services.acknowledge_warning(w, actor=town_staff.user, note="已调整分派")


def _burst_data(village, *, spike: int):
    """One neighbour case a week for 12 weeks, then ``spike`` cases in the last 7 days."""
    for week in range(1, 13):
        make_case(village, created=NOW - dt.timedelta(days=7 * week + 2), type_code="neighbour")
    return [make_case(village, created=NOW - dt.timedelta(days=1, hours=i), type_code="neighbour") for i in range(spike)]


def test_a_burst_waits_out_its_pending_period_then_opens_once(tongxiang, town_staff):
    village = first_village(WUZHEN)
    _burst_data(village, spike=6)
    run_warnings(now=NOW)
    burst = RiskWarning.objects.filter(kind="burst", region_code=village.code)
    assert burst.get().state == "pending"
    assert notified(town_staff) == 0
    assert "纠纷异常上升" not in town_staff.client().get("/insights/warnings/").content.decode()
    run_warnings(now=NOW + dt.timedelta(hours=6))
    assert burst.get().state == "pending"
    run_warnings(now=NOW + dt.timedelta(hours=13))
    w = burst.get()
    assert w.state == "open" and "z =" in w.reasons[1]
    # the town key fires too (same burst seen at town level): one notice each, never twice
    n = notified(town_staff)
    run_warnings(now=NOW + dt.timedelta(hours=14))
    assert notified(town_staff) == n
    assert RiskWarning.objects.filter(kind="burst", key=w.key).count() == 1


def test_a_one_off_blip_never_opens(tongxiang, town_staff):
    village = first_village(WUZHEN)
    spike = _burst_data(village, spike=6)
    run_warnings(now=NOW)
    Case.objects.filter(pk__in=[c.pk for c in spike[:5]]).delete()  # e.g. duplicates merged away
    run_warnings(now=NOW + dt.timedelta(hours=13))
    assert not RiskWarning.objects.filter(kind="burst", state__in=["open", "acknowledged"]).exists()
    assert notified(town_staff) == 0


def test_the_burst_detector_does_not_flap_around_its_threshold(tongxiang, town_staff):
    village = first_village(WUZHEN)
    spike = _burst_data(village, spike=6)
    run_warnings(now=NOW)
    run_warnings(now=NOW + dt.timedelta(hours=13))
    key = RiskWarning.objects.get(kind="burst", region_code=village.code).key
    # the count wobbles between just below the opening threshold and above it: z(3) ≈ 2.8 < 3 but ≥ 1.5
    assert 1.5 <= poisson_z(3, [1] * 12)[0] < 3.0
    extra = spike[3:]
    for i in range(6):
        if i % 2 == 0:
            Case.objects.filter(pk__in=[c.pk for c in extra]).update(created_at=NOW - dt.timedelta(days=30))
        else:
            Case.objects.filter(pk__in=[c.pk for c in extra]).update(created_at=NOW - dt.timedelta(days=1))
        run_warnings(now=NOW + dt.timedelta(hours=14 + i))
    assert RiskWarning.objects.filter(key=key).count() == 1
    assert RiskWarning.objects.get(key=key).state == "open"


def test_poisson_z():
    z, lam = poisson_z(6, [1] * 12)
    assert lam == 1 and z == pytest.approx(5.0)
    assert poisson_z(0, [2] * 12)[0] < 0
    assert poisson_z(3, [])[0] >= 3  # no history: three in a week is a burst


def test_warnings_are_scoped_by_region(tongxiang, town_staff, other_town_staff):
    village = first_village(CHONGFU)
    make_case(village, created=NOW - dt.timedelta(days=1), risk_level="major")
    run_warnings(now=NOW)
    assert "重大风险案件" not in town_staff.client().get("/insights/warnings/").content.decode()
    assert "重大风险案件" in other_town_staff.client().get("/insights/warnings/").content.decode()
    assert notified(other_town_staff) == 1 and notified(town_staff) == 0
    api = other_town_staff.client().get("/api/v1/insights/warnings").json()["items"]
    assert len(api) == 1
    r = other_town_staff.client().post(f"/api/v1/insights/warnings/{api[0]['id']}/ack", {"note": "已处理"},
                                       content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"


def test_the_periodic_job_is_registered():
    from xiangzhi.core.periodic import discover_jobs

    assert "insights.warnings" in {j.name for j in discover_jobs()}
