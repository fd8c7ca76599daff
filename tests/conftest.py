"""Shared fixtures: Tongxiang's regions and organisations, and the named personas of STYLE.md practice 7.

Personas: villager_a / villager_b (citizens), mediator (乌镇镇, village committee), other_mediator (崇福镇),
town_staff (乌镇镇 司法所 — the town supervisor), centre_staff and county_admin (county), liaison (乌镇 police
station), bank_officer, auditor, lawyer, grid_worker; anonymous is the plain ``client``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _sms_outbox():
    from xiangzhi.core.sms import LocmemBackend

    LocmemBackend.outbox.clear()
    LocmemBackend.fail_next = 0
    yield LocmemBackend.outbox
    LocmemBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _forget_reference_data():
    """The dispute types and routing table are cached per process; a test's rolled-back rows send no signal."""
    yield
    from xiangzhi.disputes.services.routing import forget_reference_data

    forget_reference_data()


@pytest.fixture
def sms_outbox(_sms_outbox):
    return _sms_outbox


def _load_tongxiang() -> None:
    from xiangzhi.core import services
    from xiangzhi.core.demo import DemoContext, build_organisations
    from xiangzhi.core.enums import RegionLevel
    from xiangzhi.core.models import Region

    if Region.objects.filter(code="330483").exists():
        return
    ctx = DemoContext(seed=1, rng=random.Random(1))
    tree = json.loads((REPO / "src/xiangzhi/core/data/tongxiang.json").read_text(encoding="utf-8"))
    services.load_regions(tree, actor=None, source="test")
    # one grid in each of the first villages of 乌镇镇 and 崇福镇 is enough for tests
    for town in ("330483100", "330483107"):
        village = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town).order_by("code").first()
        services.add_grid(village, name=f"{village.display_name}第1网格", actor=None, sequence=1)
    build_organisations(ctx)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, pytestconfig):
    """Load Tongxiang once per test database; each test's transaction rolls back to this state. At the end, before
    pytest-django drops the PostgreSQL test database, every connection of this process is closed and any session
    still attached (a connection a finished thread never closed) is listed and ended, so that the drop cannot fail."""
    with django_db_blocker.unblock():
        _load_tongxiang()
    yield
    with django_db_blocker.unblock():
        _end_leftover_sessions(pytestconfig.pluginmanager.get_plugin("terminalreporter"))


def _end_leftover_sessions(reporter) -> None:  # noqa: ANN001 - pytest's TerminalReporter
    from django.db import connection, connections

    connections.close_all()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid, application_name, state, left(query, 200), pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        leftover = cur.fetchall()
    connection.close()
    for pid, application, state, query, _ in leftover:
        if reporter is not None:
            reporter.write_line(f"ended a database session left open by the tests: pid {pid} {application!r} {state} "
                                f"{query!r}", yellow=True)


@pytest.fixture
def tongxiang(db):
    """Tongxiang's 229 regions and 392 organisations (355 mediation organisations).

    Loaded once per session; reloaded only after a transactional test has flushed the tables.
    """
    _load_tongxiang()


@dataclass
class Persona:
    user: object
    password: str
    region: object
    organisation: object

    def client(self) -> Client:
        c = Client()
        c.force_login(self.user, backend="xiangzhi.core.security.LockoutBackend")
        return c


PASSWORD = "Persona-Pass-2026"


def make_staff(username: str, role: str, region_code: str, org_filter: dict | None = None) -> Persona:
    from xiangzhi.core import services
    from xiangzhi.core.models import Organisation, Region, User

    region = Region.objects.get(code=region_code)
    org = Organisation.objects.filter(**org_filter).first() if org_filter else None
    user = User.objects.filter(username=username).first() or services.create_staff_user(
        username=username, password=PASSWORD, display_name=username, actor=None
    )
    services.add_membership(user, role=role, region=region, organisation=org, actor=None)
    return Persona(user=user, password=PASSWORD, region=region, organisation=org)


def first_village(town_code: str):
    from xiangzhi.core.enums import RegionLevel
    from xiangzhi.core.models import Region

    return Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town_code).order_by("code").first()


WUZHEN = "330483100"
CHONGFU = "330483107"
COUNTY = "330483"


@pytest.fixture
def mediator(tongxiang):
    village = first_village(WUZHEN)
    return make_staff("mediator_wz", "mediator", village.code, {"region": village, "kind": "village_committee"})


@pytest.fixture
def other_mediator(tongxiang):
    village = first_village(CHONGFU)
    return make_staff("mediator_cf", "mediator", village.code, {"region": village, "kind": "village_committee"})


@pytest.fixture
def town_staff(tongxiang):
    return make_staff("sfs_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})


@pytest.fixture
def other_town_staff(tongxiang):
    return make_staff("sfs_cf", "town_staff", CHONGFU, {"region__code": CHONGFU, "kind": "justice_office"})


@pytest.fixture
def county_admin(tongxiang):
    return make_staff("county_admin", "county_admin", COUNTY, {"kind": "justice_bureau"})


@pytest.fixture
def centre_staff(tongxiang):
    return make_staff("centre", "centre_staff", COUNTY, {"kind": "county_centre"})


@pytest.fixture
def auditor(tongxiang):
    return make_staff("auditor", "auditor", COUNTY, {"kind": "justice_bureau"})


@pytest.fixture
def liaison(tongxiang):
    return make_staff("liaison_wz", "liaison", WUZHEN, {"region__code": WUZHEN, "specialty": "police"})


@pytest.fixture
def bank_officer(tongxiang):
    return make_staff("bank", "bank_officer", COUNTY, {"kind": "bank"})


@pytest.fixture
def lawyer(tongxiang):
    return make_staff("lawyer", "lawyer", COUNTY, {"kind": "law_firm"})


@pytest.fixture
def grid_worker(tongxiang):
    grid = first_village(WUZHEN).children.order_by("code").first()
    return make_staff("grid_wz", "grid_worker", grid.code, {"region": grid.parent, "kind": "village_committee"})


def make_citizen(phone: str):
    from xiangzhi.core import crypto
    from xiangzhi.core.models import User

    index = crypto.blind_index(phone, purpose="user.phone")
    user = User.objects.filter(phone_index=index).first()
    if user is None:
        user = User(username=f"c_{index[:16]}", kind="citizen", phone=phone, phone_index=index)
        user.set_unusable_password()
        user.save()
    c = Client()
    c.force_login(user, backend="xiangzhi.core.security.LockoutBackend")
    return user, c


@pytest.fixture
def villager_a(db):
    return make_citizen("13800000001")


@pytest.fixture
def villager_b(db):
    return make_citizen("13900000002")


def run_in_threads(work, n: int) -> None:
    """Run ``work()`` in ``n`` threads at once and wait for all; each thread closes its own database connection
    (PostgreSQL concurrency tests: every thread is a separate client)."""
    import threading

    from django.db import connection

    def run() -> None:
        try:
            work()
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def valid_id_number(prefix17: str) -> str:
    from xiangzhi.core.personal import id_check_digit

    return prefix17 + id_check_digit(prefix17)
