"""时间银行 fixtures: two 乌镇 司法所 staff (one records, the other verifies), volunteers of 乌镇 registered by the
司法所 (one of them villager A, signed in by phone), and a catalogue item of the county."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import COUNTY, WUZHEN, first_village, make_staff


@pytest.fixture
def second_town_staff(tongxiang):
    return make_staff("sfs_wz2", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})


def register(n: int, *, registrar=None, town: str = WUZHEN, phone: str = "", user=None, public: bool = True):  # noqa: ANN001
    from xiangzhi.core.models import Organisation
    from xiangzhi.timebank.services.volunteers import register_volunteer

    village = first_village(town)
    org = Organisation.objects.filter(region__code=town, kind="justice_office").first()
    return register_volunteer(name=f"志愿者{n}", kind="legal_literate", organisation=org, region=village,
                              phone=phone, user=user, public_consent=public, actor=registrar)


@pytest.fixture
def volunteer(town_staff, villager_a):
    return register(1, registrar=town_staff.user, phone="13800000001")


@pytest.fixture
def volunteer_b(town_staff):
    return register(2, registrar=town_staff.user, phone="13700000002")


def credit(volunteer, minutes: int, recorder, verifier, *, title: str = "协助调解邻里纠纷"):  # noqa: ANN001
    from xiangzhi.timebank.services.activities import record_activity, verify_activity

    a = record_activity(volunteer, kind="mediation", title=title, occurred_on=dt.date(2026, 11, 3), minutes=minutes,
                        organisation=volunteer.organisation, actor=recorder)
    return verify_activity(a, actor=verifier)


@pytest.fixture
def county_item(tongxiang):
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.timebank.models import CatalogueItem

    org = Organisation.objects.filter(kind="justice_bureau").first()
    return CatalogueItem.objects.create(organisation=org, region=Region.objects.get(code=COUNTY),
                                        category="legal_service", name="优先法律咨询一次", cost_minutes=60)


@pytest.fixture
def clear_books_before_flush():
    """A transactional test ends with a flush, which on SQLite is a DELETE per table — refused for posted transfers
    by the append-only trigger. Clear the time bank's rows first, with the DELETE trigger lifted only for that
    moment (PostgreSQL flushes with TRUNCATE, which fires no row trigger)."""
    yield
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    migration = importlib.import_module("xiangzhi.timebank.migrations.0001_transfers_movements_activities_catalogue")
    create = next(sql for sql in migration.SQLITE_FORWARD if "timebank_transfer_no_delete" in sql)
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER timebank_transfer_no_delete")
        for table in ("timebank_redemption", "timebank_activity", "timebank_transfer"):
            cur.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
        cur.execute(create)
