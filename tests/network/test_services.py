"""Directory services: one adviser per village, teams of 三官一师 with duty rosters, adviser service logs (minutes
stored, the signal sent after commit for the time bank)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import WUZHEN
from tests.network.conftest import make_adviser, villages_of
from xiangzhi.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def test_a_village_has_one_adviser_and_reassigning_replaces_it(adviser):
    from xiangzhi.core.models import AuditLog
    from xiangzhi.network.models import Assignment
    from xiangzhi.network.services import directory

    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, adviser, actor=None)
    other = make_adviser("钱律师", mobile="13700000000")
    directory.assign_adviser(village, other, actor=None)
    assert Assignment.objects.get(village=village).adviser == other
    last = AuditLog.objects.filter(action="network.adviser_assigned").order_by("-id").first()
    assert last.after == {"village": village.code, "adviser": other.pk, "previous": adviser.pk}
    directory.unassign_adviser(village, actor=None)
    assert not Assignment.objects.filter(village=village).exists()
    from xiangzhi.core.models import Region

    with pytest.raises(ValidationFailed):
        directory.assign_adviser(Region.objects.get(code=WUZHEN), adviser, actor=None)


def test_an_adviser_may_serve_several_villages(adviser):
    from xiangzhi.network.services import directory

    for village in villages_of(WUZHEN)[:4]:
        directory.assign_adviser(village, adviser, actor=None)
    assert adviser.assignments.count() == 4


def test_the_mobile_is_encrypted_at_rest_and_validated(adviser):
    from django.db import connection

    from tests.network.conftest import ADVISER_MOBILE

    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM network_adviser WHERE id = %s", [adviser.pk])
        stored = cursor.fetchone()[0]
    assert ADVISER_MOBILE not in stored
    with pytest.raises(ValidationFailed):
        make_adviser("坏号码", mobile="12345")


def test_teams_and_duty_rosters(tongxiang):
    from xiangzhi.core.models import Region
    from xiangzhi.network import selectors
    from xiangzhi.network.services import directory

    town = Region.objects.get(code=WUZHEN)
    team = directory.create_team(town, name="乌镇镇法律服务团", members=[
        ("judge", "法官甲", "乌镇法庭"), ("prosecutor", "检察官乙", "桐乡市检察院"), ("police", "警官丙", "乌镇派出所"),
        ("lawyer", "律师丁", "浙江梧桐律师事务所")], actor=None)
    with pytest.raises(Conflict):
        directory.create_team(town, name="乌镇镇法律服务团", actor=None)
    with pytest.raises(ValidationFailed):
        directory.create_team(town, name="坏团", members=[("mayor", "某某", "")], actor=None)
    judge, lawyer = team.members.get(kind="judge"), team.members.get(kind="lawyer")
    monday = dt.date(2026, 12, 7)
    directory.set_duty(team, judge, monday, actor=None)
    directory.set_duty(team, lawyer, monday + dt.timedelta(days=1), actor=None)
    directory.set_duty(team, judge, monday, actor=None)  # once per member and day
    rows = list(selectors.roster(team, start=monday, end=monday + dt.timedelta(days=6)))
    assert [(r.day, r.member.name) for r in rows] == [(monday, "法官甲"), (monday + dt.timedelta(days=1), "律师丁")]


def test_a_service_log_stores_minutes_masks_numbers_and_proposes_the_minutes_to_the_time_bank(tongxiang, lawyer):
    from xiangzhi.network.services import directory
    from xiangzhi.timebank.models import Activity
    from xiangzhi.timebank.services.volunteers import register_volunteer

    village, other = villages_of(WUZHEN)[:2]
    adviser = make_adviser(user=lawyer.user)
    directory.assign_adviser(village, adviser, actor=None)
    directory.assign_adviser(other, adviser, actor=None)
    when = timezone.now() - dt.timedelta(hours=2)
    log = directory.log_service(adviser, village, kind="consultation", minutes=45, summary="村民13800001111咨询宅基地纠纷",
                                grid=village.children.first(), occurred_at=when, actor=None)
    assert log.minutes == 45
    assert "13800001111" not in log.summary and "138****1111" in log.summary
    assert not Activity.objects.exists()  # the adviser is not a registered volunteer: nothing to propose
    register_volunteer(name="沈律师", kind="lawyer", organisation=adviser.firm, region=village, user=lawyer.user,
                       actor=None)
    log = directory.log_service(adviser, other, kind="talk", minutes=90, summary="法治讲座：土地承包", occurred_at=when,
                                actor=None)
    proposed = Activity.objects.get()
    assert (proposed.source_key, proposed.minutes, proposed.kind, proposed.region) == (
        f"network.servicelog:{log.pk}", 90, "talk", other)
    assert (proposed.state, proposed.verified_at) == ("proposed", None)  # credited only once a person verifies


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"minutes": 0}, "BAD_MINUTES"), ({"minutes": 481}, "BAD_MINUTES"), ({"kind": "party"}, "UNKNOWN_KIND"),
    ({"occurred_at": "future"}, "IN_THE_FUTURE"), ({"village": "other"}, "NOT_THE_VILLAGE_ADVISER")])
def test_a_service_log_is_refused_when_invalid(adviser, kwargs, code):
    from xiangzhi.network.services import directory

    village, other = villages_of(WUZHEN)[:2]
    directory.assign_adviser(village, adviser, actor=None)
    args = {"kind": "visit", "minutes": 60, "summary": "驻村走访", "occurred_at": timezone.now()}
    args.update(kwargs)
    if args["occurred_at"] == "future":
        args["occurred_at"] = timezone.now() + dt.timedelta(days=1)
    target = other if args.pop("village", None) == "other" else village
    with pytest.raises(ValidationFailed) as err:
        directory.log_service(adviser, target, actor=None, **args)
    assert err.value.code == code


def test_only_the_adviser_or_the_justice_office_logs_a_service(adviser, mediator, town_staff, other_town_staff):
    from xiangzhi.core.errors import Forbidden
    from xiangzhi.network.services import directory

    village = villages_of(WUZHEN)[0]
    directory.assign_adviser(village, adviser, actor=None)
    args = {"kind": "visit", "minutes": 30, "summary": "走访", "occurred_at": timezone.now()}
    for outsider in (mediator.user, other_town_staff.user):
        with pytest.raises(Forbidden):
            directory.log_service(adviser, village, actor=outsider, **args)
    assert directory.log_service(adviser, village, actor=town_staff.user, **args).recorded_by == town_staff.user


def test_a_town_office_manages_its_own_town_only_whatever_else_it_holds(adviser):
    """乌镇's justice-office official who is also a county lawyer (a viewer of the whole county) assigns advisers and
    logs services for 乌镇's villages only: the lawyer membership gives no managing right in 崇福."""
    from django.http import Http404

    from tests.conftest import CHONGFU, COUNTY, WUZHEN, first_village, make_staff
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.network import selectors
    from xiangzhi.network.services import directory

    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    cf = first_village(CHONGFU)
    assert selectors.villages_visible_to(both).filter(pk=cf.pk).exists()  # they see it (as a county lawyer)
    with pytest.raises(Http404):
        selectors.access_village_to_manage(both, cf.code)
    with pytest.raises(XiangzhiError):
        directory.assign_adviser(cf, adviser, actor=both)
    assert selectors.access_village_to_manage(both, first_village(WUZHEN).code) is not None
