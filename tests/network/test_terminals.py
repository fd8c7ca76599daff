"""Terminals: a token per terminal, stored hashed; the kiosk is bound by it and a wrong token is refused; visits are
counted per terminal and day; the justice office registers terminals and rotates tokens."""

import datetime as dt
import hashlib

import pytest
from django.test import Client

from tests.conftest import CHONGFU, WUZHEN
from tests.network.conftest import make_terminal, villages_of

pytestmark = pytest.mark.django_db


def test_the_token_is_stored_hashed_and_finds_its_terminal(tongxiang):
    from xiangzhi.network.services import terminals

    terminal, raw = make_terminal(villages_of(CHONGFU)[0].code)
    prefix, secret = raw.split("_", 2)[1:]
    assert terminal.token_prefix == prefix and secret not in terminal.token_hash
    assert terminal.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert terminals.terminal_for(raw) == terminal
    for wrong in (raw[:-1] + ("A" if raw[-1] != "A" else "B"), f"xzt_{prefix}_", "xzt_nope_secret", "", "garbage",
                  raw.replace("xzt_", "xz_")):
        assert terminals.terminal_for(wrong) is None, wrong


def test_a_kiosk_is_bound_by_its_token_and_a_wrong_token_is_refused(tongxiang):
    from xiangzhi.network.models import TerminalVisit

    _terminal, raw = make_terminal(villages_of(CHONGFU)[0].code)
    kiosk = Client()
    setup = kiosk.get("/network/kiosk/")
    assert setup.status_code == 200 and "终端令牌" in setup.content.decode()
    refused = kiosk.post("/network/kiosk/", {"token": raw + "x"})
    assert refused.status_code == 403 and "无效" in refused.content.decode()
    assert "xz_terminal" not in refused.cookies
    bound = kiosk.post("/network/kiosk/", {"token": raw})
    assert bound.status_code == 302 and bound.cookies["xz_terminal"]["httponly"]
    page = kiosk.get("/network/kiosk/").content.decode()
    for label in ("问法律机器人", "申请调解", "找法律顾问"):
        assert label in page
    assert TerminalVisit.objects.get().count == 1
    # a forged cookie is refused and cleared
    forged = Client()
    forged.cookies["xz_terminal"] = raw[:-2] + "zz"
    response = forged.get("/network/kiosk/")
    assert response.status_code == 403 and "问法律机器人" not in response.content.decode()


def test_a_disabled_terminal_or_a_rotated_token_stops_working(tongxiang):
    from xiangzhi.network.models import Terminal
    from xiangzhi.network.services import terminals

    terminal, raw = make_terminal(villages_of(CHONGFU)[0].code)
    new = terminals.rotate_token(terminal, actor=None)
    assert terminals.terminal_for(raw) is None and terminals.terminal_for(new) == terminal
    Terminal.objects.filter(pk=terminal.pk).update(is_active=False)
    assert terminals.terminal_for(new) is None


def test_visits_are_counted_per_terminal_and_day(county_admin):
    from django.utils import timezone

    from xiangzhi.network.models import TerminalVisit
    from xiangzhi.network.services import terminals

    a, _ = make_terminal(villages_of(CHONGFU)[0].code, "T-A")
    b, _ = make_terminal(villages_of(WUZHEN)[0].code, "T-B")
    for _ in range(3):
        terminals.count_visit(a)
    terminals.count_visit(b)
    yesterday = timezone.now() - dt.timedelta(days=1)
    terminals.count_visit(a, at=yesterday)
    assert TerminalVisit.objects.filter(terminal=a).count() == 2
    today = timezone.localdate()
    assert terminals.import_visit_counts(a, {today: 99, today - dt.timedelta(days=5): 7}, actor=None) == 1
    assert terminals.import_visit_counts(a, {today - dt.timedelta(days=40): 50}, actor=None) == 1
    items = county_admin.client().get("/api/v1/network/terminals").json()["items"]
    assert {t["code"]: t["visits"] for t in items} == {"T-A": 3 + 1 + 7 + 50, "T-B": 1}
    assert {t["code"]: t["visits_last_30_days"] for t in items} == {"T-A": 3 + 1 + 7, "T-B": 1}


def test_the_justice_office_registers_a_terminal_and_sees_its_token_once(town_staff, mediator):
    from xiangzhi.network.models import Terminal
    from xiangzhi.network.services import terminals

    village = villages_of(WUZHEN)[1]
    c = town_staff.client()
    page = c.post("/network/staff/terminals/", {"code": "T-WZ-9", "name": "村一体机", "kind": "all_in_one",
                                                "region": village.code}).content.decode()
    terminal = Terminal.objects.get(code="T-WZ-9")
    token = page.split('id="new-token">')[1].split("<")[0]
    assert terminals.terminal_for(token) == terminal
    assert token not in c.get("/network/staff/terminals/").content.decode()
    # a mediator sees the registry but cannot register, nor rotate
    m = mediator.client()
    m.post("/network/staff/terminals/", {"code": "T-WZ-10", "kind": "all_in_one", "region": village.code})
    assert not Terminal.objects.filter(code="T-WZ-10").exists()
    assert m.post(f"/network/staff/terminals/{terminal.pk}/rotate/").status_code == 404
    assert c.post(f"/network/staff/terminals/{terminal.pk}/rotate/").status_code == 302
    assert terminals.terminal_for(token) is None


def test_a_town_cannot_register_a_terminal_in_another_town(town_staff):
    from xiangzhi.network.models import Terminal

    town_staff.client().post("/network/staff/terminals/", {"code": "T-X", "kind": "all_in_one",
                                                          "region": villages_of(CHONGFU)[0].code})
    assert not Terminal.objects.filter(code="T-X").exists()


def test_kiosk_binding_attempts_are_rate_limited(tongxiang):
    from xiangzhi.network.services.terminals import BIND_ATTEMPTS_PER_HOUR

    _terminal, raw = make_terminal(villages_of(CHONGFU)[0].code)
    kiosk = Client()
    for _ in range(BIND_ATTEMPTS_PER_HOUR):
        assert kiosk.post("/network/kiosk/", {"token": "xzt_guess_wrong"}).status_code == 403
    assert kiosk.post("/network/kiosk/", {"token": raw}).status_code == 429


def test_terminals_are_registered_and_rotated_by_the_managers_of_their_region_only(tongxiang):
    """The service itself refuses a town office (also a county lawyer) registering or re-keying a terminal of
    another town."""
    from tests.conftest import CHONGFU, COUNTY, WUZHEN, make_staff
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.core.models import Region
    from xiangzhi.network.services import terminals

    make_staff("gzls_wz", "town_staff", WUZHEN, {"region__code": WUZHEN, "kind": "justice_office"})
    both = make_staff("gzls_wz", "lawyer", COUNTY, {"kind": "law_firm"}).user
    cf = Region.objects.get(code=CHONGFU)
    with pytest.raises(XiangzhiError):
        terminals.register_terminal(cf, code="T-CF-X", name="外镇", kind="all_in_one", actor=both)
    terminal, _ = terminals.register_terminal(cf, code="T-CF-Y", name="崇福", kind="all_in_one", actor=None)
    with pytest.raises(XiangzhiError):
        terminals.rotate_token(terminal, actor=both)
    own, _ = terminals.register_terminal(Region.objects.get(code=WUZHEN), code="T-WZ-Y", name="乌镇",
                                         kind="all_in_one", actor=both)
    assert own.region.code == WUZHEN
