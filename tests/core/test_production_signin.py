"""Signing in under production settings: the Django admin, the workbench and the API all sit behind the platform's
own sign-in (password, lock-out, TOTP second factor, audit), and an administrator without a second factor reaches
only enrolment and sign-out.

The settings are the ones ``XIANGZHI_ENV=production`` gives: the real settings module is loaded a second time with a
production environment and its security settings are applied to this test process (the database, keys and apps stay
the test ones). Requests are HTTPS, as behind the production proxy, and CSRF is enforced as in a browser.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
import time

import pyotp
import pytest
from django.test import Client

from tests.conftest import PASSWORD, run_in_threads
from xiangzhi import settings as settings_module
from xiangzhi.core import security
from xiangzhi.core.models import AuditLog, User

# The settings production chooses differently from development that decide who gets in and how.
PRODUCTION_SECURITY_SETTINGS = (
    "DEBUG", "XIANGZHI_REQUIRE_ADMIN_TOTP", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_AGE",
    "XIANGZHI_IDLE_TIMEOUT_SECONDS", "XIANGZHI_LOCKOUT_ATTEMPTS", "XIANGZHI_LOCKOUT_MINUTES", "MIDDLEWARE",
    "AUTHENTICATION_BACKENDS", "LOGIN_URL",
)
_OUR_ENV = ("XIANGZHI_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "CSRF_", "SESSION_", "SECURE_")


def _production_settings_module(monkeypatch, tmp_path, live):  # noqa: ANN001, ANN202
    for name in list(os.environ):
        if name.startswith(_OUR_ENV):
            monkeypatch.delenv(name)
    env = {
        "XIANGZHI_ENV": "production", "ALLOWED_HOSTS": "testserver", "XIANGZHI_DATA_DIR": str(tmp_path),
        "SECRET_KEY": live.SECRET_KEY, "XIANGZHI_ENCRYPTION_KEYS": live.XIANGZHI_ENCRYPTION_KEYS,
        "XIANGZHI_BLIND_INDEX_KEY": live.XIANGZHI_BLIND_INDEX_KEY, "XIANGZHI_SIGNING_KEY": live.XIANGZHI_SIGNING_KEY,
        "XIANGZHI_NODE_MODULES": str(live.NODE_MODULES),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("xiangzhi_production_settings", settings_module.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def production(settings, monkeypatch, tmp_path):
    """This test runs with the security settings of ``XIANGZHI_ENV=production``."""
    module = _production_settings_module(monkeypatch, tmp_path, settings)
    assert module.PRODUCTION and not module.DEBUG and module.XIANGZHI_REQUIRE_ADMIN_TOTP
    for name in PRODUCTION_SECURITY_SETTINGS:
        setattr(settings, name, getattr(module, name))
    return settings


class Browser(Client):
    """An HTTPS browser that sends the CSRF token the way a form does."""

    def __init__(self) -> None:
        super().__init__(enforce_csrf_checks=True, HTTP_REFERER="https://testserver/")

    def generic(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return super().generic(*args, **{**kwargs, "secure": True})

    def submit(self, path: str, data: dict | None = None, **extra):  # noqa: ANN003, ANN201
        """POST a form as the page at ``path`` would (fetching it first for the CSRF cookie)."""
        if "csrftoken" not in self.cookies:
            self.get("/login/")
        return self.post(path, {**(data or {}), "csrfmiddlewaretoken": self.cookies["csrftoken"].value}, **extra)


@pytest.fixture
def system_admin(county_admin):
    """The county administrator who also runs the Django admin (superuser)."""
    user = county_admin.user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def _enrol(browser: Browser, user: User) -> str:
    """Sign in with the password and enrol a TOTP authenticator; returns the secret."""
    assert browser.submit("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert browser.get("/account/totp/").status_code == 200
    secret = browser.session["xz_totp_secret"]
    assert browser.submit("/account/totp/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    return secret


def _next_code(secret: str) -> str:
    """The code of the next 30-second step: accepted once (clock drift), and different from the current one."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def _signed_in_to_workbench_admin_and_api(browser: Browser) -> dict[str, bool]:
    return {
        "admin": browser.get("/admin/").status_code == 200,
        "workbench": browser.get("/workbench/").status_code == 200,
        "api": browser.get("/api/v1/me").status_code == 200,
    }


def test_production_settings_require_totp_for_administrators(production, system_admin):
    from xiangzhi.core import rules

    assert rules.must_use_totp(system_admin)


def test_the_admin_login_form_with_a_password_alone_opens_nothing(production, system_admin):
    browser = Browser()
    browser.get("/admin/login/")
    response = browser.submit("/admin/login/", {"username": system_admin.username, "password": PASSWORD,
                                                "next": "/admin/"})
    assert response.status_code == 302
    assert _signed_in_to_workbench_admin_and_api(browser) == {"admin": False, "workbench": False, "api": False}


def test_the_admin_login_page_is_the_platforms_sign_in(production, system_admin):
    response = Browser().get("/admin/login/?next=/admin/core/user/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert "/admin/core/user/" in response["Location"]
    response = Browser().get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_not_enrolled_administrator_reaches_only_enrolment_and_sign_out(production, system_admin):
    browser = Browser()
    response = browser.submit("/login/", {"username": system_admin.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/totp/"
    for page in ("/workbench/", "/workbench/regions/", "/workbench/audit/", "/account/password/", "/cases/workbench/",
                 "/insights/", "/cases/apply/"):
        response = browser.get(page)
        assert response.status_code == 302 and response["Location"] == "/account/totp/", page
    assert browser.get("/admin/").status_code == 302
    assert browser.get("/admin/core/user/").status_code == 302
    for path in ("/api/v1/me", "/api/v1/regions", "/api/v1/audit"):
        response = browser.get(path)
        body = response.json()
        assert response.status_code == 403 and body["code"] == "SECOND_FACTOR_REQUIRED", path
        assert set(body) == {"code", "message", "detail"} and "双因素认证" in body["message"]
    assert browser.get("/account/totp/").status_code == 200
    assert browser.submit("/logout/").status_code == 302
    assert "_auth_user_id" not in browser.session
    assert browser.get("/workbench/").status_code == 302 and "/login/" in browser.get("/workbench/")["Location"]


def test_enrolment_opens_the_session_and_later_sign_ins_need_the_code(production, system_admin):
    browser = Browser()
    secret = _enrol(browser, system_admin)
    assert _signed_in_to_workbench_admin_and_api(browser) == {"admin": True, "workbench": True, "api": True}

    fresh = Browser()
    response = fresh.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/?next=")
    response = fresh.submit("/login/?next=/admin/", {"username": system_admin.username, "password": PASSWORD,
                                                     "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/login/totp/"
    assert _signed_in_to_workbench_admin_and_api(fresh) == {"admin": False, "workbench": False, "api": False}
    response = fresh.submit("/login/totp/", {"code": _next_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert _signed_in_to_workbench_admin_and_api(fresh) == {"admin": True, "workbench": True, "api": True}


def test_a_replayed_totp_code_is_refused(production, system_admin):
    secret = _enrol(Browser(), system_admin)
    code = _next_code(secret)
    first = Browser()
    first.submit("/login/", {"username": system_admin.username, "password": PASSWORD})
    assert first.submit("/login/totp/", {"code": code}).status_code == 302
    replay = Browser()
    replay.submit("/login/", {"username": system_admin.username, "password": PASSWORD})
    response = replay.submit("/login/totp/", {"code": code})
    assert response.status_code == 200 and "动态验证码不正确" in response.content.decode()
    assert _signed_in_to_workbench_admin_and_api(replay) == {"admin": False, "workbench": False, "api": False}
    # the enrolment code itself cannot be used again either, nor an older step
    system_admin.refresh_from_db()
    assert not security.use_totp_code(system_admin, pyotp.TOTP(secret).now())
    assert not security.use_totp_code(system_admin, code)


def test_the_check_and_store_of_a_totp_step_lets_one_use_through(production, system_admin):
    secret = _enrol(Browser(), system_admin)
    code = _next_code(secret)
    system_admin.refresh_from_db()
    other = User.objects.get(pk=system_admin.pk)  # a second request holding the same row
    assert security.use_totp_code(system_admin, code)
    assert not security.use_totp_code(other, code)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_code_sent_by_many_requests_at_once_passes_once():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for truly concurrent requests")
    secret = pyotp.random_base32()
    user = User.objects.create(username="totp_race", totp_secret=secret, totp_enabled=True)
    code = pyotp.TOTP(secret).now()
    barrier = threading.Barrier(6)
    accepted = []

    def request():
        same_user = User.objects.get(pk=user.pk)
        barrier.wait()
        accepted.append(security.use_totp_code(same_user, code))

    run_in_threads(request, 6)
    assert sorted(accepted) == [False] * 5 + [True]


def test_a_session_without_the_second_factor_is_refused_by_the_admin_on_every_request(production, system_admin, rf):
    from django.contrib import admin

    browser = Browser()
    _enrol(browser, system_admin)
    assert browser.get("/admin/").status_code == 200
    session = browser.session
    del session[security.SECOND_FACTOR_SESSION_KEY]
    session.save()
    assert browser.get("/admin/").status_code == 302
    assert browser.get("/api/v1/me").status_code == 401
    # the admin site's own check, whatever the middleware in front of it does
    request = rf.get("/admin/")
    request.user = system_admin
    request.session = browser.session
    assert not admin.site.has_permission(request)
    request.session[security.SECOND_FACTOR_SESSION_KEY] = system_admin.pk
    assert admin.site.has_permission(request)


def test_changing_the_password_keeps_the_verified_session(production, system_admin):
    browser = Browser()
    _enrol(browser, system_admin)
    response = browser.submit("/account/password/", {"old_password": PASSWORD, "new_password": "New-Admin-Pass-2026"})
    assert response.status_code == 302
    assert _signed_in_to_workbench_admin_and_api(browser) == {"admin": True, "workbench": True, "api": True}


def test_a_session_made_by_force_login_of_an_enrolled_user_is_signed_out(production, system_admin):
    system_admin.totp_enabled = True
    system_admin.totp_secret = pyotp.random_base32()
    system_admin.save(update_fields=["totp_enabled", "totp_secret"])
    browser = Browser()
    browser.force_login(system_admin)
    response = browser.get("/workbench/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "_auth_user_id" not in browser.session


SIGN_IN_ACTIONS = {"user.login", "user.login_failed", "user.locked", "user.totp_enabled"}


def test_every_sign_in_on_the_admin_path_is_audited(production, system_admin):
    browser = Browser()
    secret = _enrol(browser, system_admin)
    fresh = Browser()
    fresh.submit("/login/?next=/admin/", {"username": system_admin.username, "password": "Wrong-Pass-2026",
                                          "next": "/admin/"})
    fresh.submit("/login/?next=/admin/", {"username": system_admin.username, "password": PASSWORD,
                                          "next": "/admin/"})
    fresh.submit("/login/totp/", {"code": "000000" if _next_code(secret) != "000000" else "111111"})
    fresh.submit("/login/totp/", {"code": _next_code(secret)})
    assert fresh.get("/admin/").status_code == 200
    rows = AuditLog.objects.filter(object_type="core.user", object_id=str(system_admin.pk)).order_by("pk")
    actions = [(r.action, r.note) for r in rows if r.action in SIGN_IN_ACTIONS]
    assert actions == [
        ("user.login", "密码"),  # the enrolment session
        ("user.totp_enabled", ""),
        ("user.login_failed", "密码错误"),
        ("user.login_failed", "动态验证码错误"),
        ("user.login", "密码+动态验证码"),
    ]
    assert all(r.ip for r in rows if r.action.startswith("user.login"))


def test_the_lock_out_applies_on_the_admin_path(production, system_admin):
    browser = Browser()
    for _ in range(production.XIANGZHI_LOCKOUT_ATTEMPTS):
        browser.submit("/login/?next=/admin/", {"username": system_admin.username, "password": "Wrong-Pass-2026"})
    response = browser.submit("/login/?next=/admin/", {"username": system_admin.username, "password": PASSWORD})
    assert response.status_code == 400
    assert re.search(r"用户名或密码不正确", response.content.decode())
    assert browser.get("/admin/").status_code == 302
