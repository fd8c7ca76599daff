"""The demo builder: a year of reviews for the 11 towns through the services — some revised, exactly one refused,
nothing issued without a passed review; a second run creates nothing."""

from __future__ import annotations

import random

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_articles(db):
    from xiangzhi.consultation.models import Article, Law
    from xiangzhi.legality.demo import CITES

    laws = {}
    for key in sorted({k for keys in CITES.values() for k in keys}):
        short, _, number = key.rpartition("-")
        law = laws.get(short) or Law.objects.create(title=short, short=short)
        laws[short] = law
        Article.objects.create(key=key, law=law, label=f"第{number}条", number=int(number), text=f"{short}第{number}条")


def test_the_demo_builds_a_year_of_reviews_for_every_town(tongxiang, county_admin, lawyer, town_staff, demo_articles):
    from xiangzhi.core.demo import DemoContext
    from xiangzhi.legality import demo, selectors
    from xiangzhi.legality.models import Opinion, Submission

    county_admin.user.username = "admin"
    county_admin.user.save(update_fields=["username"])
    town_staff.user.username = "wuzhen_sfs"
    town_staff.user.save(update_fields=["username"])
    said: list[str] = []
    ctx = DemoContext(seed=42, rng=random.Random(42))
    ctx.say = said.append
    demo.build(ctx)
    assert Submission.objects.values("town").distinct().count() == 11, said
    assert Submission.objects.filter(kind__startswith="village").count() == 11
    assert Opinion.objects.filter(conclusion="unlawful").count() == 1
    assert Submission.objects.filter(version__gt=1).exists()
    assert Submission.objects.filter(state="issued").count() > 30
    assert Submission.objects.filter(state="under_review").exists()
    assert Opinion.objects.filter(in_time=False).exists() and Opinion.objects.filter(in_time=True).exists()
    assert Submission.objects.filter(town__short_name="乌镇镇").exclude(submitted_by=town_staff.user).count() == 0
    span = Submission.objects.order_by("submitted_at")
    assert (span.last().submitted_at - span.first().submitted_at).days > 300
    _rows, total = selectors.dashboard(county_admin.user)
    assert total.issued_without_review == 0 and total.refused == 1 and total.overdue >= 1
    assert Submission.objects.filter(overdue_version__gt=0).exists()  # flagged by the overdue job
    n = Submission.objects.count()
    demo.build(ctx)
    assert Submission.objects.count() == n and "跳过" in said[-1]
