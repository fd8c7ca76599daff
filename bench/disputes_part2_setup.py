"""Set-up shared by the part-2 disputes benchmarks: a fresh database (SQLite in tmpfs by default, or DATABASE_URL
when BENCH_DATABASE_URL is given), Tongxiang's regions and organisations, the dispute types. Not a benchmark."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(label: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    os.environ["XIANGZHI_DATA_DIR"] = tempfile.mkdtemp(prefix=f"xz-bench-{label}-", dir=shm)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("XIANGZHI_ENV", "test")
    os.environ.setdefault("XIANGZHI_SMS_BACKEND", "xiangzhi.core.sms.LocmemBackend")
    os.environ["DJANGO_SETTINGS_MODULE"] = "xiangzhi.settings"
    os.environ["XIANGZHI_TASK_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    import django

    django.setup()
    import json
    import random

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from xiangzhi.core import services
    from xiangzhi.core.demo import DIVISIONS, DemoContext, build_organisations
    from xiangzhi.core.models import Region
    from xiangzhi.disputes.services import ensure_reference_data

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
    print("set-up module of the part-2 disputes benchmarks; run bench/disputes_import.py or disputes_colours.py")
