"""Helpers of the network tests: an adviser (a lawyer of a Tongxiang law firm) serving villages, sites, teams,
terminals — all made through the services."""

from __future__ import annotations

import pytest

ADVISER_MOBILE = "13912345678"
WORK_PHONE = "0573-88012348"


def law_firm():
    from xiangzhi.core.models import Organisation

    return Organisation.objects.filter(kind="law_firm").order_by("pk").first()


def make_adviser(name: str = "沈律师", *, mobile: str = ADVISER_MOBILE, work_phone: str = WORK_PHONE, user=None):
    from xiangzhi.network.services import directory

    return directory.create_adviser(name=name, firm=law_firm(), work_phone=work_phone, mobile=mobile, user=user,
                                    actor=None)


def villages_of(town_code: str):
    from xiangzhi.core.models import Region

    return list(Region.objects.filter(level="village", code__startswith=town_code, is_active=True).order_by("code"))


def make_site(region_code: str, name: str | None = None):
    from xiangzhi.core.models import Region
    from xiangzhi.network.services import directory

    region = Region.objects.get(code=region_code)
    return directory.create_site(region, name=name or f"{region.display_name}公共法律服务站",
                                 address=f"{region.display_name}便民服务中心一楼", hours="工作日 8:30–17:00",
                                 services=["consultation", "mediation"], phone="0573-88000000", actor=None)


def make_terminal(region_code: str, code: str = "T-CF-001", kind: str = "all_in_one"):
    from xiangzhi.core.models import Region
    from xiangzhi.network.services import terminals

    return terminals.register_terminal(Region.objects.get(code=region_code), code=code, name=f"终端{code}", kind=kind,
                                       actor=None)


@pytest.fixture
def adviser(tongxiang):
    return make_adviser()
