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


if __name__ == "__main__":
    print("set-up module of the part-2 disputes benchmarks; run bench/disputes_import.py or disputes_colours.py")
