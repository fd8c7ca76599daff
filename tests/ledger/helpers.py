"""Shared helpers for the Django-level ledger tests."""

from __future__ import annotations

import io

from django.core.management import call_command


def run_ledger(*args: str) -> tuple[int, str, str]:
    """Run ``xiangzhi ledger …`` in-process; return (exit status, stdout, stderr)."""
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode or 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()
