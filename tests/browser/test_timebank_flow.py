"""时间银行 in the browser: the 司法所 verifies a recorded service on the workbench (a second person: the recorder
sees no button), then the volunteer, a villager signed in on a 360-px phone, sees the minutes and redeems a service."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.browser.conftest import assert_fits_width, phone_context, screenshot
from tests.conftest import make_staff
from tests.timebank.conftest import clear_books_before_flush, county_item, register  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("clear_books_before_flush")]


def _signed_in(browser, live_server_url: str, user, *, phone: bool):  # noqa: ANN001
    """A browser context carrying the session of ``user`` (signed in the way the tests' client signs in)."""
    c = Client()
    c.force_login(user, backend="xiangzhi.core.security.LockoutBackend")
    cookie = c.cookies[django_settings.SESSION_COOKIE_NAME]
    if phone:
        context, page = phone_context(browser)
    else:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server_url}])
    return context, page


def test_verify_on_the_workbench_then_redeem_on_the_phone(live_server, browser, tongxiang, town_staff,
                                                         villager_a, county_item):  # noqa: F811
    from xiangzhi.timebank.models import Account, Activity, Redemption
    from xiangzhi.timebank.services.activities import record_activity

    second = make_staff("sfs_wz2", "town_staff", "330483100", {"region__code": "330483100", "kind": "justice_office"})
    volunteer = register(1, registrar=town_staff.user, phone="13800000001")
    record_activity(volunteer, kind="mediation", title="协助调解邻里纠纷", occurred_on=dt.date(2026, 11, 3),
                    minutes=120, organisation=volunteer.organisation, actor=town_staff.user)

    ctx, page = _signed_in(browser, live_server.url, town_staff.user, phone=False)
    page.goto(f"{live_server.url}/timebank/staff/")
    assert page.get_by_text("需由他人核验").count() == 1  # the recorder cannot verify
    ctx.close()
    ctx, page = _signed_in(browser, live_server.url, second.user, phone=False)
    page.goto(f"{live_server.url}/timebank/staff/")
    page.get_by_role("button", name="核验入账").click()
    page.wait_for_selector("text=已核验，120 分钟已入账")
    screenshot(page, "timebank-workbench")
    ctx.close()
    assert Activity.objects.get().state == "verified"

    ctx, phone = _signed_in(browser, live_server.url, villager_a[0], phone=True)
    phone.goto(f"{live_server.url}/timebank/me/")
    assert "120" in phone.inner_text("section.card")
    assert_fits_width(phone)
    phone.get_by_role("button", name="兑换").first.click()
    phone.wait_for_selector("text=已兑换")
    screenshot(phone, "timebank-me")
    assert_fits_width(phone)
    ctx.close()
    assert Redemption.objects.count() == 1 and Account.objects.get(pk=volunteer.account_id).balance == 60
