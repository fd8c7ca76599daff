"""The demo builder: a burst of questions through the robot fires a 求助, the demo lawyer claims it and answers
with a generated WAV, published and pushed; a second run creates nothing."""

from __future__ import annotations

import random

import pytest

from tests.consultation.conftest import kb, seeded_guidance, subset_engine, subset_gz  # noqa: F401 - fixtures
from tests.outreach.test_answers import _media_dir  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_the_demo_fires_claims_answers_and_pushes(kb, tongxiang, lawyer):  # noqa: F811
    from xiangzhi.core import services
    from xiangzhi.core.demo import DemoContext
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.outreach import demo
    from xiangzhi.outreach.enums import AlertState, DeliveryState
    from xiangzhi.outreach.models import Alert

    admin = services.create_staff_user(username="admin", password="Demo-Pass-2026-x", display_name="管理员", actor=None)
    services.add_membership(admin, role="county_admin", region=Region.objects.get(code="330483"),
                            organisation=Organisation.objects.filter(kind="justice_bureau").first(), actor=None)
    said: list[str] = []
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = said.append
    demo.build(ctx)
    alert = Alert.objects.get()
    assert alert.state == AlertState.PUBLISHED and alert.claimed_by.username == "lawyer", said
    assert alert.answer.content_type == "audio/wav" and alert.answer.duration == 4.0
    assert alert.deliveries.count() >= 8
    assert alert.deliveries.filter(state=DeliveryState.QUEUED).count() == 3  # the three who left a phone
    demo.build(ctx)
    assert Alert.objects.count() == 1


def test_the_demo_library_and_last_years_top_ten(tongxiang, county_admin, villager_a, villager_b, outreach_media,
                                                 town_staff, centre_staff):
    from django.utils import timezone

    from xiangzhi.core.demo import DemoContext
    from xiangzhi.outreach import demo
    from xiangzhi.outreach.enums import Audience, ItemState
    from xiangzhi.outreach.models import LibraryItem, Vote
    from xiangzhi.outreach.services import topten

    county_admin.user.username = "admin"
    county_admin.user.save(update_fields=["username"])
    for persona, name in ((town_staff, "wuzhen_sfs"), (centre_staff, "centre")):
        persona.user.username = name
        persona.user.save(update_fields=["username"])
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = lambda _m: None
    demo._build_library(ctx)
    published = LibraryItem.objects.filter(state=ItemState.PUBLISHED)
    assert {a for item in published for a in item.audiences} == set(Audience.values)
    year = timezone.now().year - 1
    ranked = topten.top_ten(year)
    assert len(ranked) == 10
    from xiangzhi.outreach.models import JuryScore

    assert all(JuryScore.objects.filter(nomination=r.nomination).count() == 2 for r in ranked)  # two jurors, once
    assert LibraryItem.objects.get(title="乌镇民宿经营者的法律清单").region.code == "330483100"
    assert Vote.objects.count() >= 30  # every demo villager voted at least once
    from xiangzhi.outreach.models import ItemRead
    from xiangzhi.outreach.services import feed

    reader = ItemRead.objects.exclude(citizen=None).first()
    assert ItemRead.objects.values("citizen").distinct().count() == 30 and reader.town_code  # each read from a town
    assert any(e.read for e in feed.feed_for(feed.Viewer(citizen=reader.citizen)))
    n = LibraryItem.objects.count()
    demo._build_library(ctx)
    assert LibraryItem.objects.count() == n
