"""Fixtures for 研判: many cases written straight into the table (the report and dashboards only read it), spread
over 乌镇镇 and 崇福镇, every stage, level, type, source and flag, with reproducible randomness."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
SUCCESS_STAGES = {"agreement_oral", "follow_up", "closed", "archived"}


def bulk_cases(n: int, *, seed: int = 1, year: int = 2026, towns=("330483100", "330483107"), months=range(1, 13)):
    from xiangzhi.core.enums import OrgKind, RegionLevel
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.disputes.enums import CaseSource, CaseStage, Level, RiskLevel
    from xiangzhi.disputes.models import Case, CaseCounter, DisputeType
    from xiangzhi.disputes.services.intake import format_archive_number, format_number
    from xiangzhi.insights.models import CaseFlags

    rng = random.Random(seed)
    villages = []
    for town in towns:
        villages += list(Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town).order_by("code")[:4])
    orgs = {}
    for v in villages:
        orgs[(v.code, "village")] = Organisation.objects.filter(region=v, kind=OrgKind.VILLAGE_COMMITTEE).first()
        orgs[(v.code, "town")] = Organisation.objects.filter(region__code=v.code[:9], kind=OrgKind.TOWN_COMMITTEE).first()
    county = Organisation.objects.filter(kind=OrgKind.COUNTY_CENTRE).first()
    prof = Organisation.objects.filter(kind=OrgKind.PROFESSIONAL_COMMITTEE).first()
    types = list(DisputeType.objects.all())
    counter, _ = CaseCounter.objects.get_or_create(year=year)
    start = counter.last
    rows, flags = [], []
    for i in range(n):
        seq = start + i + 1
        v = rng.choice(villages)
        stage = rng.choice(CaseStage.values)
        level = rng.choice(Level.values)
        org = {"grid": orgs[(v.code, "village")], "village": orgs[(v.code, "village")],
               "town": rng.choice([orgs[(v.code, "town")], prof]), "county": county}[level]
        if rng.random() < 0.05:
            org = None
        created = dt.datetime(year, rng.choice(list(months)), rng.randint(1, 28), rng.randint(0, 23), tzinfo=TZ)
        success = stage in SUCCESS_STAGES or (stage == "agreement_written" and rng.random() < 0.5)
        closed = created + dt.timedelta(days=rng.randint(0, 70), hours=rng.randint(0, 20)) if stage in (
            "closed", "archived", "not_accepted") else None
        rows.append(Case(
            year=year, seq=seq, number=format_number(year, seq), archive_number=format_archive_number(year, seq),
            token=secrets.token_urlsafe(24), stage=stage, channel="window", source=rng.choice(CaseSource.values),
            dispute_type=rng.choice(types), risk_level=rng.choice(RiskLevel.values), region=v, region_code=v.code,
            place=rng.choice(["", "", "村口桥边"]), level=level, organisation=org, description="测试纠纷，邻里之间",
            agreement_amount=Decimal(rng.randint(0, 50000)) if success and rng.random() < 0.7 else None,
            agreement_effective_at=created + dt.timedelta(days=3) if success else None,
            created_at=created, closed_at=closed, stage_changed_at=created,
        ))
    counter.last = start + n
    counter.save()
    created_rows = Case.objects.bulk_create(rows)
    for c in created_rows:
        if rng.random() < 0.3:
            crim, pet = rng.random() < 0.3, rng.random() < 0.3
            flags.append(CaseFlags(case=c, found_by_screening=rng.random() < 0.5, prevented_criminal=crim,
                                   prevented_criminal_people=rng.randint(1, 5) if crim else 0, prevented_petition=pet,
                                   prevented_petition_people=rng.randint(3, 30) if pet else 0,
                                   agreement_performed=rng.random() < 0.6))
    CaseFlags.objects.bulk_create(flags)
    # repeats: link a few cases to an earlier one
    ids = [c.pk for c in created_rows]
    for a, b in zip(ids[::7], ids[1::7], strict=False):
        Case.objects.filter(pk=b).update(repeat_of_id=a)
    return created_rows


@pytest.fixture
def cases_2026(tongxiang):
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    return bulk_cases(160, seed=7)
