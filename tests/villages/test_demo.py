"""The demo reproduces the county's figures — 3 national, 48 provincial, 140 Jiaxing-level titles and every one of
the 217 villages and communities at county level — on the ladder, with live creations at every stage; a second run
creates nothing."""

from __future__ import annotations

import random

import pytest

pytestmark = pytest.mark.django_db


def test_the_demo_reproduces_the_countys_figures_and_is_idempotent(tongxiang, lawyer, centre_staff):
    from xiangzhi.core import services
    from xiangzhi.core.demo import DemoContext
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.villages import demo, selectors
    from xiangzhi.villages.models import Application, CreationEvent, Title

    admin = services.create_staff_user(username="admin", password="Demo-Pass-2026-x", display_name="管理员", actor=None)
    services.add_membership(admin, role="county_admin", region=Region.objects.get(code="330483"),
                            organisation=Organisation.objects.filter(kind="justice_bureau").first(), actor=None)
    said: list[str] = []
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = said.append
    demo.build(ctx)
    d = selectors.dashboard(admin)
    assert d.by_level == {"county": 217, "city": 140, "province": 48, "national": 3}, said
    assert d.villages == 217 and d.coverage == 100.0
    assert all(t.coverage == 100.0 for t in d.towns) and len(d.towns) == 11
    held = Title.objects.filter(state="held")
    for level in ("county", "city", "province", "national"):  # the figures are direct counts, too
        assert held.filter(level=level).count() == d.by_level[level]
    huifeng = Region.objects.get(short_name="汇丰村", parent__short_name="屠甸镇")
    assert [t.level for t in selectors.titles_of(huifeng.code)] == ["county", "city", "province", "national"]
    # the ladder holds: every provincial village is also Jiaxing-level, every national one provincial
    codes = {lv: set(held.filter(level=lv).values_list("record__region__code", flat=True))
             for lv in ("county", "city", "province", "national")}
    assert codes["national"] <= codes["province"] <= codes["city"] <= codes["county"]
    states = sorted(Application.objects.values_list("state", flat=True))
    assert states == ["failed", "passed", "submitted"]
    events, titles = CreationEvent.objects.count(), Title.objects.count()
    demo.build(DemoContext(seed=7, rng=random.Random(7)))
    assert (CreationEvent.objects.count(), Title.objects.count()) == (events, titles)
    assert Application.objects.count() == 3
