"""What several benchmarks share: Django set up on a scratch database and data dir, migrated (imported by the
benchmarks beside it; `make bench` runs only the files not starting with an underscore)."""

from __future__ import annotations

import os


def setup_scratch(database_url: str | None, data_dir: str) -> None:
    """Django on ``database_url`` (None: SQLite under ``data_dir``), development settings, migrated."""
    os.environ["XIANGZHI_DATA_DIR"] = data_dir
    os.environ["XIANGZHI_ENV"] = "development"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
