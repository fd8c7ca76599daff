"""等保 2.0 level 3 baseline: password policy, lock-out, idle time-out, TOTP, CSRF, headers, rate limits."""

import re
import time

import pyotp
import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from xiangzhi.core import services
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.models import User


@pytest.mark.parametrize("weak", ["short1A!", "alllowercaseletters", "ALLUPPER123456", "1234567890123"])
@pytest.mark.django_db
def test_weak_staff_passwords_are_refused_in_chinese(weak):
    with pytest.raises(ValidationFailed) as exc:
        services.create_staff_user(username="u1", password=weak, display_name="x", actor=None)
    assert exc.value.code == "WEAK_PASSWORD" and "密码" in exc.value.message
    assert not User.objects.filter(username="u1").exists()


def _login(client, username, password):
    return client.post(reverse("web:login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(mediator):
    client = Client()
    for _ in range(5):
        assert _login(client, mediator.user.username, "wrong-Password-1").status_code == 400
    response = _login(client, mediator.user.username, PASSWORD)
    assert response.status_code == 400 and "锁定" in response.content.decode()
    mediator.user.refresh_from_db()
    assert mediator.user.locked_until is not None
    from xiangzhi.core.models import AuditLog

    assert AuditLog.objects.filter(action="user.locked", object_id=str(mediator.user.pk)).exists()


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many password hashes a request computes (the cost an attacker can time)."""

    calls = 0

    def encode(self, password, salt):  # noqa: ANN001, ANN201
        CountingHasher.calls += 1
        return super().encode(password, salt)


def test_a_locked_account_a_wrong_password_and_an_unknown_user_look_alike(mediator, town_staff, settings):
    from xiangzhi.core.models import AuditLog

    settings.PASSWORD_HASHERS = ["tests.core.test_security.CountingHasher"]
    for _ in range(settings.XIANGZHI_LOCKOUT_ATTEMPTS):
        _login(Client(), mediator.user.username, "wrong-Password-1")
    answers = {}
    for case, username, password in [("locked, right password", mediator.user.username, PASSWORD),
                                     ("wrong password", town_staff.user.username, "wrong-Password-1"),
                                     ("unknown user", "no_such_user", PASSWORD)]:
        CountingHasher.calls = 0
        response = _login(Client(), username, password)
        error = re.search(r'<p class="error" role="alert">(.*?)</p>', response.content.decode()).group(1)
        answers[case] = (response.status_code, error, CountingHasher.calls)
    assert len(set(answers.values())) == 1, answers
    assert answers["unknown user"][:2] == (400, "用户名或密码不正确（连续输错5次，账号将锁定30分钟）。")
    notes = list(AuditLog.objects.filter(action="user.login_failed").order_by("-pk").values_list("note", flat=True)[:3])
    assert notes == ["用户名不存在", "密码错误", "账号已锁定"]  # the audit log keeps the truth


def test_a_right_password_resets_the_failure_count(mediator):
    client = Client()
    for _ in range(4):
        _login(client, mediator.user.username, "wrong-Password-1")
    assert _login(client, mediator.user.username, PASSWORD).status_code == 302
    mediator.user.refresh_from_db()
    assert mediator.user.failed_logins == 0


def test_an_idle_session_is_signed_out_after_thirty_minutes(mediator, settings):
    client = Client()
    assert _login(client, mediator.user.username, PASSWORD).status_code == 302
    assert client.get(reverse("web:workbench")).status_code == 200
    session = client.session
    session["xz_last_seen"] = int(time.time()) - settings.XIANGZHI_IDLE_TIMEOUT_SECONDS - 5
    session.save()
    response = client.get(reverse("web:workbench"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("web:workbench")).status_code == 302


def test_totp_second_factor_is_asked_once_enabled(mediator):
    client = Client()
    _login(client, mediator.user.username, PASSWORD)
    client.get(reverse("web:totp_setup"))
    secret = client.session["xz_totp_secret"]
    assert client.post(reverse("web:totp_setup"), {"code": "000000"}).status_code == 200
    assert client.post(reverse("web:totp_setup"), {"code": pyotp.TOTP(secret).now()}).status_code == 302
    mediator.user.refresh_from_db()
    assert mediator.user.totp_enabled
    stored = User.objects.filter(pk=mediator.user.pk).values_list("totp_secret", flat=True)
    assert list(stored) == [secret]  # decrypted by the field; the column itself is ciphertext:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM core_user WHERE id = %s", [mediator.user.pk])
        assert cursor.fetchone()[0].startswith("v1:")

    fresh = Client()
    response = _login(fresh, mediator.user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:login_totp")
    assert fresh.get(reverse("web:workbench")).status_code == 302  # not signed in yet
    assert fresh.post(reverse("web:login_totp"), {"code": "123456"}).status_code == 200
    # the code used at enrolment is spent; the authenticator's next one (accepted for clock drift) is not
    assert fresh.post(reverse("web:login_totp"), {"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert fresh.post(reverse("web:login_totp"), {"code": pyotp.TOTP(secret).at(time.time() + 30)}).status_code == 302
    assert fresh.get(reverse("web:workbench")).status_code == 200


def test_administrators_are_sent_to_set_up_totp(county_admin, settings):
    settings.XIANGZHI_REQUIRE_ADMIN_TOTP = True
    client = Client()
    response = _login(client, county_admin.user.username, PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("web:totp_setup")


def test_csrf_is_enforced_on_session_api_writes(mediator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mediator.user)
    response = client.post("/api/v1/persons", {"name": "张三"}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_secure_headers_are_set(client, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_staff_login_is_rate_limited_per_address(db):
    client = Client()
    statuses = [_login(client, "nobody", "x").status_code for _ in range(32)]
    last = client.post(reverse("web:login"), {"username": "nobody", "password": "x"})
    assert "操作过于频繁" in last.content.decode()
    assert statuses[0] == 400


def test_api_tokens_authenticate_machines_and_can_be_wrong(bank_officer):
    token = services.issue_api_token(bank_officer.user, name="银行接口", actor=None)
    client = Client()
    ok = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and ok.json()["username"] == bank_officer.user.username
    bad = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token[:-2]}xx")
    assert bad.status_code == 401 and bad.json()["code"] == "UNAUTHENTICATED"


def test_the_admin_shows_phones_masked_and_audit_rows_read_only(county_admin, mediator):
    from django.core import management

    user = county_admin.user
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    services.create_person(name="赵六", phone="13812345678", actor=None)
    from xiangzhi.core.models import AuditLog

    client = county_admin.client()
    page = client.get(f"/admin/core/user/{mediator.user.pk}/change/")
    assert page.status_code == 200
    row = AuditLog.objects.first()
    assert client.post(f"/admin/core/auditlog/{row.pk}/delete/").status_code == 403
    assert mediator.client().get("/admin/").status_code == 302  # not an admin: sent to the admin login
    import io

    out = io.StringIO()
    management.call_command("issue_token", mediator.user.username, "--name", "测试接口", stdout=out)
    assert out.getvalue().startswith("xz_")


def test_anonymous_writes_are_rate_limited_per_address(db, settings):
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 3
    client = Client()
    codes = [client.post("/api/v1/auth/code", {"phone": "1"}, content_type="application/json").status_code
             for _ in range(4)]
    assert codes[:3] == [422, 422, 422] and codes[3] == 429
    last = client.post("/api/v1/auth/code", {"phone": "1"}, content_type="application/json")
    assert last.json()["code"] == "RATE_LIMITED" and "Retry-After" in last
    page = client.post(reverse("web:login"), {"username": "x", "password": "y"})
    assert page.status_code == 429 and "操作过于频繁" in page.content.decode()
