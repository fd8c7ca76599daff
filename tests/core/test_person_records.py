"""Who may open a person record (page and API) follows the role, not any membership: a truth table over every
role, each held over the whole county, for a person who lives in 乌镇镇."""

from __future__ import annotations

import pytest

from tests.conftest import COUNTY, WUZHEN, first_village, make_staff
from xiangzhi.core.enums import Role

pytestmark = pytest.mark.django_db

# role → may open the record. Mediation and justice-office staff and grid workers work with the parties; banks,
# lawyers and department liaisons do not, and the auditor audits the logs, not the people.
MAY_SEE = {
    Role.COUNTY_ADMIN: True,
    Role.CENTRE_STAFF: True,
    Role.TOWN_STAFF: True,
    Role.MEDIATOR: True,
    Role.GRID_WORKER: True,
    Role.LAWYER: False,
    Role.LIAISON: False,
    Role.BANK_OFFICER: False,
    Role.AUDITOR: False,
}


def test_the_table_names_every_role():
    assert set(MAY_SEE) == set(Role.values)


@pytest.mark.parametrize("role", list(MAY_SEE))
def test_a_person_record_is_open_only_to_roles_that_work_with_parties(tongxiang, role):
    from xiangzhi.core import rules, services

    staff = make_staff(f"r_{role}", role, COUNTY)
    person = services.create_person(name="王五", phone="13812345678", region=first_village(WUZHEN), actor=None)
    client = staff.client()
    expected = 200 if MAY_SEE[role] else 404
    assert client.get(f"/api/v1/persons/{person.pk}").status_code == expected
    assert client.get(f"/workbench/people/{person.pk}/").status_code == expected
    assert rules.can_see_person_records(staff.user) is MAY_SEE[role]


def test_another_membership_does_not_widen_what_a_person_role_covers(tongxiang):
    """A mediator of a 崇福镇 village who is also a bank officer over the county sees no 乌镇镇 person."""
    from tests.conftest import CHONGFU
    from xiangzhi.core import services

    village = first_village(CHONGFU)
    staff = make_staff("two_hats", Role.MEDIATOR, village.code, {"region": village, "kind": "village_committee"})
    make_staff("two_hats", Role.BANK_OFFICER, COUNTY, {"kind": "bank"})
    wuzhen = services.create_person(name="王五", phone="13812345678", region=first_village(WUZHEN), actor=None)
    chongfu = services.create_person(name="陆六", phone="13712345678", region=village, actor=None)
    client = staff.client()
    assert client.get(f"/api/v1/persons/{wuzhen.pk}").status_code == 404
    assert client.get(f"/api/v1/persons/{chongfu.pk}").status_code == 200
