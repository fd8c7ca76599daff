"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium) against a live server.

Skipped, with a message saying how to enable them, where chromium is missing. CI (.ci/run) installs chromium and a
CJK font so that they always run there. Screenshots go to ``test-artifacts/screenshots/`` for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("XIANGZHI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]

# Playwright's sync API runs an event loop in this thread; Django must allow ORM calls from tests around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    if Path(CHROMIUM).exists() or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(
        reason="chromium not found: install Debian's chromium and fonts-wqy-microhei "
        "(apt-get install chromium fonts-wqy-microhei) or set XIANGZHI_CHROMIUM to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    # The browser's own strings (date fields, the file picker) in Chinese, as on a villager's phone: chromium takes
    # them from the environment's language (Debian's chromium-l10n holds the translations; without it: English).
    env = {**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN"}
    browser = _playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=env)
    yield browser
    browser.close()


def phone_context(browser):
    """A new 360 × 740 phone (a cheap Android phone): its browser context and a page — for a second person."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    return context, context.new_page()


@pytest.fixture
def phone_page(browser):
    context, page = phone_context(browser)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    """An office screen (1366 × 900) taking downloads; the page's script errors collect in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits_width(page) -> None:
    """Nothing on the page is wider than the viewport (no horizontal scrolling at 360 px)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the viewport"


def sms_code() -> str:
    """The sign-in code as the villager receives it: the outbox is delivered and the last code SMS read (the stored
    notification keeps the code masked)."""
    from xiangzhi.core.services import deliver_notifications
    from xiangzhi.core.sms import LocmemBackend

    deliver_notifications()
    text = next(m["text"] for m in reversed(LocmemBackend.outbox) if "验证码" in m["text"])
    return re.search(r"(\d{6})", text).group(1)


def login_staff(page, live_server_url: str, username: str, password: str) -> None:
    page.goto(f"{live_server_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/workbench/**")
