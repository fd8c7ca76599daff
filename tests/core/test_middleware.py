"""Request-wide rules at the boundary: the client address behind reverse proxies, rate-limited pages, clean input."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from xiangzhi.core.middleware import client_ip
from xiangzhi.core.models import AuditLog


def _request(forwarded: str | None, remote: str = "10.0.0.5"):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(("count", "forwarded", "client"), [
    (0, "6.6.6.6", "10.0.0.5"),                      # no trusted proxy: the header is whatever the client wrote
    (1, None, "10.0.0.5"),
    (1, "203.0.113.7", "203.0.113.7"),                # the proxy appended the address it saw
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),       # a forged left part is ignored
    (1, "6.6.6.6,1.1.1.1,  203.0.113.7", "203.0.113.7"),
    (2, "6.6.6.6, 203.0.113.7, 198.51.100.2", "203.0.113.7"),  # CDN then nginx
    (2, "203.0.113.7", "203.0.113.7"),                # fewer entries than proxies: the first a proxy wrote
    (1, "6.6.6.6, not-an-address", "10.0.0.5"),       # garbage from a proxy: fall back to the peer
    (1, "6.6.6.6, 2001:db8::1", "2001:db8::1"),
])
def test_the_client_is_the_nth_address_from_the_right(settings, count, forwarded, client):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.XIANGZHI_TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(forwarded)) == client


def test_a_rotating_forged_header_does_not_escape_the_per_address_limit(db, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.XIANGZHI_TRUSTED_PROXY_COUNT = 1
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 3
    client = Client()
    codes = [client.post("/api/v1/auth/code", {"phone": "1"}, content_type="application/json",
                         HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, 203.0.113.7").status_code for i in range(5)]
    assert codes[:3] == [422, 422, 422] and codes[3:] == [429, 429]


def test_the_audit_log_records_the_address_the_proxy_saw(settings, mediator):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.XIANGZHI_TRUSTED_PROXY_COUNT = 1
    r = Client().post("/login/", {"username": mediator.user.username, "password": mediator.password},
                      HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert r.status_code == 302
    assert list(AuditLog.objects.filter(action="user.login").values_list("ip", flat=True)) == ["203.0.113.7"]


def test_a_rate_limited_case_lookup_answers_429_with_retry_after(db):
    client = Client()
    codes = [client.get("/cases/lookup/", {"number": "（2026）桐解字第00001号"}).status_code for _ in range(30)]
    assert set(codes) == {200}
    r = client.get("/cases/lookup/", {"number": "（2026）桐解字第00001号"})
    assert r.status_code == 429 and "操作过于频繁" in r.content.decode()
    assert 1 <= int(r["Retry-After"]) <= 60


def test_a_limit_reached_in_an_api_operation_answers_429_with_retry_after(db):
    client = Client()
    codes = [client.post("/api/v1/auth/code", {"phone": f"138000000{i:02d}"}, content_type="application/json")
             .status_code for i in range(20)]  # 20 codes an hour from one address (to 20 phones)
    assert set(codes) == {200}
    r = client.post("/api/v1/auth/code", {"phone": "13800000099"}, content_type="application/json")
    assert r.status_code == 429 and r.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(r["Retry-After"]) <= 3600
