"""The county administrator issues an API token in the workbench, copies the secret shown once, and revokes it."""

import pytest

from tests.browser.conftest import login_staff, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_county_admin_issues_and_revokes_a_token(live_server, desktop_page, county_admin, liaison):
    from xiangzhi.core.models import ApiToken

    page = desktop_page
    login_staff(page, live_server.url, county_admin.user.username, PASSWORD)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="接口令牌").click()
    page.wait_for_url("**/workbench/tokens/")
    page.fill("#id_name", "乌镇派出所移送接口")
    page.select_option("#id_user", str(liaison.user.pk))
    page.check("input[name=scopes][value='cases:read']")
    page.check("input[name=scopes][value='cases:write']")
    page.fill("#id_expires_days", "90")
    page.get_by_role("button", name="签发").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("xz_")
    assert page.get_by_text("关闭本页后不会再显示").is_visible()
    screenshot(page, "workbench-api-token-issued")
    token = ApiToken.objects.get(name="乌镇派出所移送接口")
    assert token.scopes == ["cases:read", "cases:write"]

    page.goto(live_server.url + "/workbench/tokens/")
    assert page.locator("#new-token").count() == 0
    page.get_by_role("button", name="撤销").click()
    page.wait_for_selector("text=已撤销，使用它的请求将被拒绝")
    screenshot(page, "workbench-api-token-revoked")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert page.errors == []
