"""The repeat-dispute link names the earlier case only to a viewer who may see it (page, API, timeline)."""

from __future__ import annotations

import pytest

from tests.conftest import first_village
from tests.disputes.conftest import CHONGFU, new_case, valid_id_number

pytestmark = pytest.mark.django_db

RESPONDENT_ID = valid_id_number("33048319700303789")


@pytest.fixture
def repeat_pair(mediator):
    """An earlier case in 崇福镇 and a repeat of it (same applicant, same respondent) in 乌镇镇."""
    earlier = new_case(region_code=first_village(CHONGFU).code, respondent_id=RESPONDENT_ID)
    later = new_case(respondent_id=RESPONDENT_ID)
    assert later.repeat_of_id == earlier.pk
    return earlier, later


def test_a_viewer_who_may_not_see_the_earlier_case_learns_only_that_one_exists(repeat_pair, mediator):
    earlier, later = repeat_pair
    client = mediator.client()
    page = client.get(f"/cases/workbench/{later.pk}/").content.decode()
    assert earlier.number not in page and "与其他辖区的一宗" in page
    body = client.get(f"/api/v1/cases/{later.pk}").json()
    assert body["repeat_of"] is None and body["repeat_elsewhere"] is True
    assert earlier.number not in str(body)
    assert any(e["kind"] == "repeat" and "其他辖区" in e["text"] for e in body["timeline"])


def test_a_viewer_who_may_see_the_earlier_case_gets_its_number_and_link(repeat_pair, county_admin):
    earlier, later = repeat_pair
    client = county_admin.client()
    page = client.get(f"/cases/workbench/{later.pk}/").content.decode()
    assert earlier.number in page and f"/cases/workbench/{earlier.pk}/" in page
    body = client.get(f"/api/v1/cases/{later.pk}").json()
    assert body["repeat_of"] == earlier.number and body["repeat_elsewhere"] is False
