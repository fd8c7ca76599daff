"""Citizens sign in with a phone number and a one-time SMS code (no password)."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from xiangzhi.core import services
from xiangzhi.core.errors import RateLimited, ValidationFailed
from xiangzhi.core.models import OneTimeCode, User

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
