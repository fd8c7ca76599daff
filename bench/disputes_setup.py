"""Shared set-up of the disputes benchmarks: a fresh SQLite database in a temporary data dir, Tongxiang's regions
and organisations, and a few staff users. Not a benchmark itself (``make bench`` runs it as a no-op)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _django(label: str, database_url: str | None) -> str:
    """Django set up on a fresh, migrated database: SQLite in a new data dir (tmpfs when there is one: the figures
    are about queries and CPU, not this machine's disk), or ``database_url`` (an empty PostgreSQL database).
    Returns the data dir."""
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    data_dir = tempfile.mkdtemp(prefix=f"xz-bench-{label}-", dir=shm)
    os.environ["XIANGZHI_DATA_DIR"] = data_dir
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("XIANGZHI_ENV", "test")
    os.environ.setdefault("XIANGZHI_SMS_BACKEND", "xiangzhi.core.sms.LocmemBackend")
    os.environ["DJANGO_SETTINGS_MODULE"] = "xiangzhi.settings"
    os.environ["XIANGZHI_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    return data_dir


def setup(label: str, database_url: str | None = None) -> dict:
    """``database_url``: an empty PostgreSQL database to use instead of the temporary SQLite file."""
    import atexit
    import shutil

    data_dir = _django(label, database_url)
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    import json
    import random

    from xiangzhi.core import services
    from xiangzhi.core.demo import DIVISIONS, DemoContext, build_organisations
    from xiangzhi.core.models import Organisation, Region, User

    services.load_regions(json.loads(DIVISIONS.read_text(encoding="utf-8")), actor=None, source="bench")
    build_organisations(DemoContext(seed=1, rng=random.Random(1)))
    village = Region.objects.filter(level="village", code__startswith="330483100").order_by("code").first()
    org = Organisation.objects.get(region=village, kind="village_committee")

    def staff(username: str, role: str, region, organisation=None) -> User:  # noqa: ANN001
        user = services.create_staff_user(username=username, password="Bench-Pass-2026", display_name=username,
                                          actor=None)
        services.add_membership(user, role=role, region=region, organisation=organisation, actor=None)
        return user

    return {
        "data_dir": data_dir, "village": village, "org": org,
        "mediator": staff("bench_mediator", "mediator", village, org),
        "town_staff": staff("bench_town", "town_staff", Region.objects.get(code="330483100"),
                            Organisation.objects.get(region__code="330483100", kind="justice_office")),
        "centre": staff("bench_centre", "centre_staff", Region.objects.get(code="330483"),
                        Organisation.objects.get(kind="county_centre")),
    }


def fresh_database(label: str) -> None:
    """A fresh database (SQLite in tmpfs by default, or DATABASE_URL when BENCH_DATABASE_URL is given) with Tongxiang's
    regions and organisations and the dispute types, for the import and colour benchmarks. The data dir is kept, so a
    child process can use the same database."""
    import json
    import random

    _django(label, os.environ.get("BENCH_DATABASE_URL"))
    from xiangzhi.core import services
    from xiangzhi.core.demo import DIVISIONS, DemoContext, build_organisations
    from xiangzhi.core.models import Region
    from xiangzhi.disputes.services.routing import ensure_reference_data

    if not Region.objects.exists():
        services.load_regions(json.loads(DIVISIONS.read_text(encoding="utf-8")), actor=None, source="bench")
        build_organisations(DemoContext(seed=1, rng=random.Random(1)))
    ensure_reference_data()


def staff_for_reminders(mediators: int = 50) -> list[int]:
    """The people the colour pass reminds: a justice-office supervisor in every town, one at the county centre, and
    ``mediators`` village mediators (ids returned, to assign to cases). Created through the core services."""
    from xiangzhi.core import services
    from xiangzhi.core.models import Organisation, Region, User

    def staff(username: str, role: str, region, organisation=None) -> User:  # noqa: ANN001
        user = User.objects.filter(username=username).first() or services.create_staff_user(
            username=username, password="Bench-Pass-2026", display_name=username, actor=None)
        services.add_membership(user, role=role, region=region, organisation=organisation, actor=None)
        return user

    for town in Region.objects.filter(level="town").order_by("code"):
        staff(f"sfs_{town.code}", "town_staff", town, Organisation.objects.filter(region=town).first())
    staff("centre", "centre_staff", Region.objects.get(code="330483"),
          Organisation.objects.filter(kind="county_centre").first())
    villages = list(Region.objects.filter(level="village").order_by("code")[:mediators])
    return [staff(f"med_{v.code}", "mediator", v, Organisation.objects.filter(region=v).first()).pk for v in villages]


if __name__ == "__main__":
    print("helper module of the disputes benchmarks; run bench/disputes_intake.py, disputes_workbench.py, disputes_import.py or disputes_colours.py")
