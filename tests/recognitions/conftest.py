"""Recognition fixtures: nominees with valid 身份证号, the workflow run through the services (the town of 乌镇 reviews
and runs the notice, the county approves and registers), time moved past the notice, two banks with an officer
each."""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from tests.conftest import COUNTY, WUZHEN, first_village, make_staff


def id_number(n: int) -> str:
    from xiangzhi.core.personal import id_check_digit

    first17 = f"33048319850101{n:03d}"
    return first17 + id_check_digit(first17)


@contextlib.contextmanager
def days_later(days: float = 8):
    """Run the block as if ``days`` had passed (past a 7-day public notice)."""
    then = timezone.now() + dt.timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield then


def nominate(actor, *, n: int = 1, name: str = "张小明", title: str = "understander", village=None,  # noqa: ANN001
             phone: str = ""):
    from xiangzhi.recognitions.services import selection

    return selection.nominate(selection.Nominee(name=name, id_number=id_number(n), phone=phone), title=title,
                              year=timezone.localdate().year, region=village or first_village(WUZHEN),
                              reason="长期参与村里的矛盾纠纷调解，熟悉民法典。", actor=actor)


def to_notice(rec, town):  # noqa: ANN001
    from xiangzhi.recognitions.services import selection

    selection.transition(rec, "town_reviewed", actor=town.user)
    return selection.transition(rec, "in_notice", actor=town.user)


def register(rec, town, county):  # noqa: ANN001
    """Review → notice → (8 days later) approval → registration."""
    from xiangzhi.recognitions.services import selection

    to_notice(rec, town)
    with days_later():
        selection.transition(rec, "approved", actor=county.user)
    return selection.transition(rec, "registered", actor=county.user)


def revoke(rec, town, county):  # noqa: ANN001
    from xiangzhi.recognitions.services import selection

    selection.transition(rec, "revocation_proposed", actor=town.user, reason="因违法行为被行政处罚")
    selection.transition(rec, "revocation_reviewed", actor=town.user)
    selection.transition(rec, "revocation_notice", actor=town.user)
    with days_later(16):
        return selection.transition(rec, "revoked", actor=county.user)


@pytest.fixture
def holder(mediator, town_staff, county_admin):
    return register(nominate(mediator.user), town_staff, county_admin)


@pytest.fixture
def bank_a(tongxiang):
    return make_staff("bank_a", "bank_officer", COUNTY, {"kind": "bank"})


@pytest.fixture
def bank_b(tongxiang):
    from xiangzhi.core import services
    from xiangzhi.core.enums import OrgKind
    from xiangzhi.core.models import Region

    services.create_organisation(name="桐乡测试银行", kind=OrgKind.BANK, region=Region.objects.get(code=COUNTY),
                                 actor=None)
    return make_staff("bank_b", "bank_officer", COUNTY, {"kind": "bank", "name": "桐乡测试银行"})
