"""Worker processes for the concurrency test (spawned: each imports Django afresh and opens its own connection)."""

from __future__ import annotations

import os


def append_worker(db_name: str, worker: int, count: int, barrier) -> None:  # noqa: ANN001
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.settings")
    import django

    django.setup()
    from django.db import connections

    connections["default"].settings_dict["NAME"] = db_name  # the test database, not the configured one
    from xiangzhi.ledger import services

    barrier.wait(timeout=60)
    for i in range(count):
        services.append_leaf("test.concurrent", {"worker": worker, "i": i}, ref_type="test.worker",
                             ref_id=f"{worker}-{i}")
    connections.close_all()
