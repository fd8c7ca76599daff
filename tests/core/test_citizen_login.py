"""Citizens sign in with a phone number and a one-time SMS code (no password)."""

import datetime as dt
import inspect
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from xiangzhi.core import services
from xiangzhi.core.errors import RateLimited, ValidationFailed
from xiangzhi.core.models import OneTimeCode, User
from xiangzhi.core.sms import LocmemBackend

pytestmark = pytest.mark.django_db


def _code(outbox):
    return re.search(r"验证码为(\d{6})", outbox[-1]["text"]).group(1)


def _deliver():
    services.deliver_notifications()


def test_a_villager_signs_in_with_the_code_sent_by_sms(sms_outbox):
    client = Client()
    response = client.post(reverse("web:citizen_login"), {"step": "phone", "phone": "138 0000 1111"})
    assert response.status_code == 200 and "验证码已发送" in response.content.decode()
    _deliver()
    assert sms_outbox[-1]["to"] == "13800001111"
    response = client.post(reverse("web:citizen_login"),
                           {"step": "code", "phone": "13800001111", "code": _code(sms_outbox)})
    assert response.status_code == 302
    user = User.objects.get(kind="citizen")
    assert user.phone == "13800001111" and not user.has_usable_password()
    assert client.get(reverse("web:citizen_home")).status_code == 200


def test_a_wrong_code_is_refused_and_five_wrong_codes_burn_it(sms_outbox):
    services.request_login_code("13800001111")
    _deliver()
    good = _code(sms_outbox)
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationFailed) as exc:
            services.verify_login_code("13800001111", wrong)
        assert exc.value.code == "CODE_WRONG"
    with pytest.raises(ValidationFailed) as exc:
        services.verify_login_code("13800001111", good)
    assert exc.value.code == "CODE_EXPIRED"


def test_an_expired_code_is_refused(sms_outbox):
    services.request_login_code("13800001111")
    _deliver()
    OneTimeCode.objects.update(expires_at=OneTimeCode.objects.get().created_at - dt.timedelta(seconds=1))
    with pytest.raises(ValidationFailed):
        services.verify_login_code("13800001111", _code(sms_outbox))


def test_codes_are_rate_limited_per_phone(settings):
    for _ in range(settings.XIANGZHI_RATE_LIMIT_OTP_PER_HOUR):
        services.request_login_code("13800001111")
    with pytest.raises(RateLimited):
        services.request_login_code("13800001111")


def test_the_api_flow_and_its_errors(sms_outbox):
    client = Client()
    bad = client.post("/api/v1/auth/code", {"phone": "12345"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "INVALID_INPUT"  # the schema's phone pattern
    assert bad.json()["detail"][0]["loc"][-1] == "phone"
    assert client.post("/api/v1/auth/code", {"phone": "13800001111"}, content_type="application/json").status_code == 200
    _deliver()
    response = client.post("/api/v1/auth/verify", {"phone": "13800001111", "code": _code(sms_outbox)},
                           content_type="application/json")
    assert response.status_code == 200 and response.json()["phone"] == "138****1111"
    assert client.get("/api/v1/me").json()["kind"] == "citizen"


def test_only_the_hash_of_a_code_is_stored(sms_outbox):
    services.request_login_code("13800001111")
    _deliver()
    assert _code(sms_outbox) not in OneTimeCode.objects.get().code_hash


def _code_by_api(client, phone="13800001111"):
    assert client.post("/api/v1/auth/code", {"phone": phone}, content_type="application/json").status_code == 200
    _deliver()
    return _code(LocmemBackend.outbox)


def test_a_cross_site_text_plain_sign_in_is_refused_before_the_code_is_spent(sms_outbox):
    client = Client()
    code = _code_by_api(client)
    body = json.dumps({"phone": "13800001111", "code": code})
    response = client.post("/api/v1/auth/verify", body, content_type="text/plain",
                           headers={"Origin": "https://attacker.example"})
    assert response.status_code == 415 and set(response.json()) == {"code", "message", "detail"}
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE" and "application/json" in response.json()["message"]
    response = client.post("/api/v1/auth/verify", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert client.get("/api/v1/me").status_code == 401
    response = client.post("/api/v1/auth/verify", body, content_type="application/json",
                           headers={"Origin": "https://attacker.example"})
    assert response.status_code == 403 and response.json()["code"] == "CROSS_SITE_REFUSED"
    assert "本站" in response.json()["message"]
    response = client.post("/api/v1/auth/verify", body, content_type="application/json",
                           headers={"Referer": "https://attacker.example/page"})
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 401
    response = client.post("/api/v1/auth/verify", body, content_type="application/json",
                           headers={"Origin": "http://testserver"})
    assert response.status_code == 200 and client.get("/api/v1/me").json()["kind"] == "citizen"


def test_a_trusted_origin_may_sign_in(sms_outbox, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.tx.gov.cn"]
    client = Client()
    body = {"phone": "13800001111", "code": _code_by_api(client)}
    response = client.post("/api/v1/auth/verify", body, content_type="application/json",
                           headers={"Origin": "https://evil-tx.gov.cn"})
    assert response.status_code == 403
    response = client.post("/api/v1/auth/verify", body, content_type="application/json",
                           headers={"Origin": "https://xz.tx.gov.cn"})
    assert response.status_code == 200


def test_every_api_operation_that_starts_a_session_carries_the_cross_site_guard():
    from xiangzhi.api import api
    from xiangzhi.core.api_auth import _refuse_cross_site_sign_in

    starting = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                source = inspect.getsource(operation.view_func)
                if re.search(r"\b(login|sign_in)\(", source):
                    starting.append(operation.view_func.__name__)
                    assert _refuse_cross_site_sign_in in getattr(operation, "_run_decorators", []), \
                        operation.view_func.__name__
    assert "verify_code" in starting


def _stored_notification_columns() -> str:
    """Every column of every stored notification, as the database holds it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM core_notification")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def _sms_codes() -> list[str]:
    return [m.group(1) for m in (re.search(r"验证码为(\d{6})", x["text"]) for x in LocmemBackend.outbox) if m]


def test_a_sign_in_code_is_never_stored_readable_and_is_gone_once_sent(sms_outbox):
    from xiangzhi.core.models import Notification

    services.request_login_code("13800001111")
    note = Notification.objects.get()
    assert re.search(r"验证码为\*{6}", note.body) and not re.search(r"\d{6}", note.body)
    _deliver()
    code = _code(sms_outbox)
    assert sms_outbox[-1]["text"].startswith(f"【乡治】您的登录验证码为{code}，")
    assert code not in _stored_notification_columns()
    note.refresh_from_db()
    assert note.status == "sent" and note.sealed_body == "" and code not in note.body
    assert services.verify_login_code("13800001111", code).kind == "citizen"


def test_a_sign_in_code_given_up_after_failures_is_gone_too(sms_outbox, settings):
    from xiangzhi.core.models import Notification

    settings.XIANGZHI_NOTIFY_MAX_ATTEMPTS = 2
    LocmemBackend.fail_next = 1
    services.request_login_code("13800001111")
    _deliver()
    note = Notification.objects.get()
    assert note.status == "queued" and note.sealed_body  # kept, encrypted, for the retry
    LocmemBackend.fail_next = 1
    Notification.objects.update(next_attempt_at=note.created_at)
    _deliver()
    note.refresh_from_db()
    assert note.status == "failed" and note.sealed_body == ""
    assert _raw_column("sealed_body") == [""] and not re.search(r"\d{6}", note.body)


def _raw_column(name: str) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {name} FROM core_notification")  # noqa: S608 - a column name of this test
        return [row[0] for row in cursor.fetchall()]
