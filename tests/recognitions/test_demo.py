"""The demo builder: this year's selection at every step, holders with certificates, an objection answered, two
banks with a loan each; through the services, and a second run creates nothing."""

from __future__ import annotations

import random

import pytest

pytestmark = pytest.mark.django_db


def _account(username, role, region_code, org_filter):  # noqa: ANN001
    from tests.conftest import make_staff

    return make_staff(username, role, region_code, org_filter)


def test_the_demo_builds_every_step_and_is_idempotent(tongxiang):
    from tests.conftest import COUNTY, WUZHEN
    from xiangzhi.core.demo import DemoContext
    from xiangzhi.core.models import Person, Region
    from xiangzhi.recognitions import certificates, demo
    from xiangzhi.recognitions.models import BankCheck, Loan, Objection, Recognition

    Region.objects.filter(code=WUZHEN).update(short_name="乌镇镇")
    _account("admin", "county_admin", COUNTY, {"kind": "justice_bureau"})
    _account("wuzhen_sfs", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    _account("bank", "bank_officer", COUNTY, {"kind": "bank"})
    said: list[str] = []
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = said.append
    demo.build(ctx)
    states = set(Recognition.objects.values_list("state", flat=True))
    assert {"nominated", "town_reviewed", "in_notice", "registered", "rejected", "revocation_proposed"} <= states, said
    holders = Recognition.objects.filter(state="registered")
    assert holders.count() == 6
    for rec in holders:
        assert certificates.verify_token(certificates.token_of(rec)).status == "valid"
    objection = Objection.objects.get()
    assert objection.answered_at is not None and objection.recognition.state == "in_notice"
    assert BankCheck.objects.filter(eligible=True).count() == 2
    assert sorted(Loan.objects.values_list("bank__name", flat=True)) == sorted(
        [BankCheck.objects.order_by("pk").first().bank.name, demo.SECOND_BANK])
    assert all(p.id_number for p in Person.objects.filter(pk__in=Recognition.objects.values("person")))
    counts = (Recognition.objects.count(), Loan.objects.count())
    demo.build(ctx)
    assert (Recognition.objects.count(), Loan.objects.count()) == counts
