"""The terminal registry: smart terminals, village all-in-one machines and 24-hour 法超市, each with its own token
(``xzt_<prefix>_<secret>``, shown once; only the SHA-256 of the secret is stored), and their daily visit counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed
from xiangzhi.core.models import Region, User
from xiangzhi.core.text import clean_text

from ..enums import TerminalKind
from ..models import Site, Terminal, TerminalVisit
from .directory import check_manager
from .records import record

TOKEN_PREFIX = "xzt"  # noqa: S105 - the public first part of every terminal token


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_token() -> tuple[str, str, str]:
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, _digest(secret)


@transaction.atomic
def register_terminal(region: Region, *, code: str, name: str, kind: str, site: Site | None = None,
                      actor: User | None) -> tuple[Terminal, str]:
    """Register a terminal of ``region`` and issue its token. Returns the terminal and the raw token, which is
    shown once and never stored. Guards: the actor manages ``region``. Side effects: the terminal, an audit row
    (without the token)."""
    check_manager(actor, region)
    if kind not in TerminalKind.values:
        raise ValidationFailed("UNKNOWN_KIND", "终端类型不在清单内。", {"kind": kind})
    code = clean_text(code or "").strip()
    if not code or len(code) > 20:
        raise ValidationFailed("BAD_CODE", "终端编号须为 1–20 个字符。", {"field": "code"})
    if Terminal.objects.filter(code=code).exists():
        raise Conflict("DUPLICATE", "终端编号已存在。", {"code": code})
    if site is not None and not site.region.code.startswith(region.code[:9]):
        raise ValidationFailed("SITE_ELSEWHERE", "终端所在服务点须在同一镇（街道）。", {"site": site.pk})
    raw, prefix, digest = _new_token()
    terminal = Terminal.objects.create(code=code, name=clean_text(name or "").strip()[:120] or code, kind=kind,
                                       region=region, site=site, token_prefix=prefix, token_hash=digest)
    record(terminal, "network.terminal_registered", {"code": code, "kind": kind, "prefix": prefix}, actor=actor,
           region_code=region.code)
    return terminal, raw


@transaction.atomic
def rotate_token(terminal: Terminal, *, actor: User | None) -> str:
    """A new token for ``terminal``; the old one stops working at once. Side effects: the hash replaced, an audit
    row."""
    check_manager(actor, terminal.region)
    terminal = Terminal.objects.select_for_update().get(pk=terminal.pk)
    raw, prefix, digest = _new_token()
    old = terminal.token_prefix
    terminal.token_prefix, terminal.token_hash = prefix, digest
    terminal.save(update_fields=["token_prefix", "token_hash"])
    record(terminal, "network.terminal_token_rotated", {"code": terminal.code, "previous": old, "prefix": prefix},
           actor=actor, region_code=terminal.region.code)
    return raw


def terminal_for(raw: str) -> Terminal | None:
    """The active terminal of a raw token, or None for a malformed, unknown, wrong or disabled one (compared in
    constant time)."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    terminal = Terminal.objects.select_related("region", "site").filter(token_prefix=parts[1]).first()
    if terminal is None or not terminal.is_active:
        return None
    if not hmac.compare_digest(terminal.token_hash, _digest(parts[2])):
        return None
    return terminal


# Attempts to bind a kiosk with a token, per address and hour.
BIND_ATTEMPTS_PER_HOUR = 20


def bind_kiosk(raw: str, *, ip: str | None) -> Terminal | None:
    """The terminal a kiosk is being set up for (``terminal_for``), rate-limited per address (RateLimited)."""
    core.check_rate(f"network.kiosk_bind:{ip or '-'}", limit=BIND_ATTEMPTS_PER_HOUR, window_seconds=3600)
    return terminal_for(raw)


def count_visit(terminal: Terminal, *, at: dt.datetime | None = None) -> None:
    """One visit of ``terminal`` (a villager opened its kiosk page): the day's counter grows by one and the
    terminal is seen now. A counter, not a record: no audit row."""
    at = at or timezone.now()
    day = timezone.localdate(at)
    with transaction.atomic():
        if not TerminalVisit.objects.filter(terminal=terminal, day=day).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    TerminalVisit.objects.create(terminal=terminal, day=day, count=1)
            except IntegrityError:
                TerminalVisit.objects.filter(terminal=terminal, day=day).update(count=F("count") + 1)
        Terminal.objects.filter(pk=terminal.pk).update(last_seen_at=at)


@transaction.atomic
def import_visit_counts(terminal: Terminal, counts: Mapping[dt.date, int], *, actor: User | None) -> int:
    """Load daily visit counts reported by a terminal's own log (days already counted are left alone). Returns the
    number of days added. Side effects: the counters, one audit row."""
    if any(n < 0 for n in counts.values()):
        raise ValidationFailed("NEGATIVE_COUNT", "访问次数不能为负。", {})
    known = set(TerminalVisit.objects.filter(terminal=terminal, day__in=list(counts)).values_list("day", flat=True))
    rows = [TerminalVisit(terminal=terminal, day=day, count=n) for day, n in sorted(counts.items())
            if day not in known and n > 0]
    TerminalVisit.objects.bulk_create(rows, batch_size=500)
    if rows:
        record(terminal, "network.visits_imported", {"code": terminal.code, "days": len(rows),
                                                     "visits": sum(r.count for r in rows)},
               actor=actor, region_code=terminal.region.code)
    return len(rows)
