"""Shared set-up of the disputes benchmarks: a fresh SQLite database in a temporary data dir, Tongxiang's regions
and organisations, and a few staff users. Not a benchmark itself (``make bench`` runs it as a no-op)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup(label: str, database_url: str | None = None) -> dict:
    """``database_url``: an empty PostgreSQL database to use instead of the temporary SQLite file."""
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    # tmpfs when there is one: the figures are about queries and CPU, not this machine's disk
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    data_dir = tempfile.mkdtemp(prefix=f"xz-bench-{label}-", dir=shm)
    import atexit
    import shutil

    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
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


if __name__ == "__main__":
    print("helper module for bench/disputes_intake.py and bench/disputes_workbench.py")
