"""有法码: the printable QR code of a village or a site, which opens its public page; scans counted; the adviser's
mobile shown in full only by a deliberate, rate-limited and logged tap."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import NotFound
from xiangzhi.core.models import Region, User

from ..enums import CodeTarget
from ..models import Adviser, CodeScan, PhoneReveal, Site
from .records import record

# The query parameter the printed code carries, so that only scans (not every visit of the page) are counted.
SCAN_PARAM = "src"
SCAN_VALUE = "qr"
# Taps on 显示完整号码 allowed per address and hour.
REVEALS_PER_HOUR = 10


def village_url(village: Region) -> str:
    return f"{settings.XIANGZHI_PUBLIC_URL}{reverse('network:village', args=[village.code])}?{SCAN_PARAM}={SCAN_VALUE}"


def site_url(site: Site) -> str:
    return f"{settings.XIANGZHI_PUBLIC_URL}{reverse('network:site', args=[site.pk])}?{SCAN_PARAM}={SCAN_VALUE}"


def code_target(code: str) -> tuple[str, str]:
    """The 有法码 of a region code: a village's own page, or (for a town or the county) the page of its service
    point. Raises NotFound for anything else."""
    region = Region.objects.filter(code=code, is_active=True).first()
    if region is None:
        raise NotFound("没有这个区划代码。")
    if region.level == RegionLevel.VILLAGE:
        return f"{region.display_name}有法码", village_url(region)
    site = Site.objects.filter(region=region, is_active=True).order_by("pk").first()
    if site is None:
        raise NotFound("该区划没有公共法律服务点，无法生成有法码。")
    return f"{site.name}有法码", site_url(site)


def site_target(pk: int) -> tuple[str, str]:
    """The 有法码 of one service point. Raises NotFound for an unknown or closed one."""
    site = Site.objects.filter(pk=pk, is_active=True).first()
    if site is None:
        raise NotFound("没有这个服务点。")
    return f"{site.name}有法码", site_url(site)


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """The QR code of ``url`` as PNG bytes (error correction M, a quiet zone of four modules, for print)."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def count_scan(target: str, key: str, region: Region) -> None:
    """One scan of a 有法码 (a GET of the page it opens with ``?src=qr``): the day's counter grows by one."""
    if target not in CodeTarget.values:
        raise ValueError(target)
    day = timezone.localdate()
    with transaction.atomic():
        if not CodeScan.objects.filter(target=target, key=key, day=day).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    CodeScan.objects.create(target=target, key=key, region=region, day=day, count=1)
            except IntegrityError:
                CodeScan.objects.filter(target=target, key=key, day=day).update(count=F("count") + 1)


def reveal_mobile(adviser: Adviser, village: Region, *, viewer: User | None, ip: str | None) -> str:
    """The adviser's mobile in full, for a villager who tapped 显示完整号码 on the village page. Rate-limited per
    address (the hit counted even when refused); side effects: a PhoneReveal row and an audit row."""
    core.check_rate(f"network.reveal:{ip or '-'}", limit=REVEALS_PER_HOUR, window_seconds=3600)
    if not adviser.mobile or not adviser.assignments.filter(village=village).exists():
        raise NotFound()
    viewer = viewer if viewer is not None and getattr(viewer, "pk", None) else None
    with transaction.atomic():
        PhoneReveal.objects.create(adviser=adviser, village=village, viewer=viewer, ip=ip)
        record(adviser, "network.adviser_mobile_revealed", {"village": village.code}, actor=viewer,
               region_code=village.code)
    return adviser.mobile
