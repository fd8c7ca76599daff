"""The handling mediator sees the parties' full names and phones on the case page, because they must phone them;
each view writes a personal-data access-log row with the reason. Everyone else sees them masked, and nothing is
logged."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.disputes.conftest import new_case, walk
from xiangzhi.core.models import PersonalDataAccess
from xiangzhi.disputes import rules
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.models import Case
from xiangzhi.disputes.services import mediation, transitions

pytestmark = pytest.mark.django_db
PHONE = "13800000001"  # the applicant's (tests.disputes.conftest.intake_data)


@pytest.fixture
def handled(mediator):
    return walk(new_case(), S.IN_MEDIATION, mediator.user)


def test_the_handling_mediator_sees_the_full_phone_and_each_view_is_logged(handled, mediator):
    c = mediator.client()
    html = c.get(f"/cases/workbench/{handled.pk}/").content.decode()
    assert f'href="tel:{PHONE}"' in html and "张三" in html
    rows = PersonalDataAccess.objects.filter(viewer=mediator.user)
    applicant = handled.parties.get(role="applicant").person
    assert rows.filter(person=applicant, reason=rules.HANDLING_CONTACT_REASON, fields="name,phone").count() == 1
    c.get(f"/cases/workbench/{handled.pk}/")
    assert rows.filter(person=applicant).count() == 2  # every view


@pytest.mark.parametrize("persona", ["town_staff", "county_admin", "auditor"])
def test_everyone_else_sees_the_phone_masked_and_nothing_is_logged(handled, request, persona):
    viewer = request.getfixturevalue(persona)
    r = viewer.client().get(f"/cases/workbench/{handled.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert PHONE not in html and "138****0001" in html
    assert not PersonalDataAccess.objects.filter(viewer=viewer.user).exists()


def test_another_mediator_of_the_same_committee_sees_it_masked(handled, mediator):
    from tests.conftest import make_staff

    colleague = make_staff("mediator_wz2", "mediator", mediator.region.code, {"pk": mediator.organisation.pk})
    html = colleague.client().get(f"/cases/workbench/{handled.pk}/").content.decode()
    assert PHONE not in html
    assert not PersonalDataAccess.objects.filter(viewer=colleague.user).exists()


def test_only_while_handling(mediator, town_staff):
    """Not before the mediator confirmed an assignment, not once the case is closed."""
    case = walk(new_case(), S.ACCEPTED, mediator.user)
    case = transitions.transition(case, S.ASSIGNED, actor=town_staff.user, reason="指派",
                                      details=transitions.Assign(mediator.user.pk))
    assert mediation.party_contacts(case, actor=mediator.user) == {}
    case.mediator_confirmed_at = timezone.now()
    assert set(mediation.party_contacts(case, actor=mediator.user)) == {p.pk for p in case.parties.all()}
    Case.objects.filter(pk=case.pk).update(stage=S.CLOSED)
    case.refresh_from_db()
    assert mediation.party_contacts(case, actor=mediator.user) == {}
    assert not rules.is_handling_mediator(town_staff.user, case)
