"""The demo builder: volunteers with a year of verified services, redemptions and donations, books that verify;
a second run creates nothing; no phone in the clear in the volunteers' rows."""

from __future__ import annotations

import random

import pytest

from tests.conftest import COUNTY, WUZHEN, make_staff

pytestmark = pytest.mark.django_db


def test_the_demo_builds_a_year_of_the_time_bank_once(tongxiang):
    from django.db import connection

    from xiangzhi.core.demo import DemoContext
    from xiangzhi.timebank import demo
    from xiangzhi.timebank.models import Activity, Redemption, Transfer, Volunteer
    from xiangzhi.timebank.services.books import verify_books

    make_staff("admin", "county_admin", COUNTY, {"kind": "justice_bureau"})
    make_staff("centre", "centre_staff", COUNTY, {"kind": "county_centre"})
    make_staff("wuzhen_sfs", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    said: list[str] = []
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = said.append
    demo.build(ctx)
    assert Volunteer.objects.count() == 22 and Activity.objects.filter(state="verified").count() > 100
    assert Activity.objects.filter(state="proposed").exists() and Redemption.objects.exists()
    dates = Activity.objects.values_list("occurred_on", flat=True)
    assert (max(dates) - min(dates)).days > 300
    assert verify_books().ok and "账目核对无误" in said[-1]
    counts = (Volunteer.objects.count(), Transfer.objects.count())
    demo.build(ctx)
    assert (Volunteer.objects.count(), Transfer.objects.count()) == counts
    with connection.cursor() as cur:
        cur.execute("SELECT phone FROM core_person WHERE id IN (SELECT person_id FROM timebank_volunteer)")
        stored = [r[0] for r in cur.fetchall()]
    assert stored and not any(demo.DEMO_PHONE in (p or "") for p in stored)
