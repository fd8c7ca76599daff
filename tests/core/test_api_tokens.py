"""API tokens for machine clients: scopes (which apps, read or write), expiry and revocation, enforced once in the
API's authentication; issued and revoked by the county administrator in the workbench or with ``issue_token``."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import management
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from tests.conftest import WUZHEN, first_village
from xiangzhi.core import services
from xiangzhi.core.enums import TOKEN_SCOPES
from xiangzhi.core.models import ApiToken, AuditLog


def _get(token, path):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def _post(token, path, body):
    return Client().post(path, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def _intake():
    return {"applicant": {"name": "张三", "phone": "13800000001"}, "respondents": [{"name": "李四"}],
            "region_code": first_village(WUZHEN).code, "description": "隔壁邻居把围墙砌到我家院子里来了",
            "channel": "window"}


def test_a_token_without_write_cannot_post_and_gets_a_403_envelope(mediator):
    token = services.issue_api_token(mediator.user, name="只读", actor=None, scopes=["cases:read"])
    assert _get(token, "/api/v1/cases/").status_code == 200
    r = _post(token, "/api/v1/cases/", _intake())
    assert r.status_code == 403
    body = r.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == "TOKEN_SCOPE"
    assert "cases:write" in body["message"]


def test_a_token_for_one_app_cannot_read_another(mediator):
    token = services.issue_api_token(mediator.user, name="存证", actor=None, scopes=["ledger:read"])
    r = _get(token, "/api/v1/cases/")
    assert r.status_code == 403 and r.json()["code"] == "TOKEN_SCOPE"
    assert _get(token, "/api/v1/me").status_code == 403  # core:read is another app
    assert _get(token, "/api/v1/ledger/checkpoint").status_code != 403


def test_write_includes_read_of_the_same_app_and_a_scope_never_widens_the_users_rights(mediator, bank_officer):
    token = services.issue_api_token(mediator.user, name="登记", actor=None, scopes=["cases:write"])
    assert _post(token, "/api/v1/cases/", _intake()).status_code == 201
    assert _get(token, "/api/v1/cases/").status_code == 200
    bank = services.issue_api_token(bank_officer.user, name="银行", actor=None, scopes=["cases:write"])
    r = _post(bank, "/api/v1/cases/", _intake())  # a bank officer may not register cases, whatever the token says
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"


def test_without_scopes_a_token_has_the_users_own_rights(mediator):
    token = services.issue_api_token(mediator.user, name="全部", actor=None)
    assert sorted(ApiToken.objects.get().scopes) == sorted(TOKEN_SCOPES)
    assert _get(token, "/api/v1/me").status_code == 200
    assert _post(token, "/api/v1/cases/", _intake()).status_code == 201


def test_an_unknown_scope_is_refused_in_chinese(mediator):
    from xiangzhi.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.issue_api_token(mediator.user, name="x", actor=None, scopes=["cases:delete"])
    assert "cases:delete" in exc.value.message and ApiToken.objects.count() == 0


def test_an_expired_or_revoked_token_gets_a_401_envelope(mediator, county_admin):
    expired = services.issue_api_token(mediator.user, name="旧", actor=None,
                                       expires_at=timezone.now() + dt.timedelta(days=1))
    assert _get(expired, "/api/v1/me").status_code == 200
    ApiToken.objects.filter(name="旧").update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = _get(expired, "/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHENTICATED"

    revoked = services.issue_api_token(mediator.user, name="撤", actor=None)
    services.revoke_api_token(ApiToken.objects.get(name="撤"), actor=county_admin.user)
    r = _get(revoked, "/api/v1/me")
    assert r.status_code == 401 and set(r.json()) == {"code", "message", "detail"}
    assert AuditLog.objects.filter(action="api_token.revoked", actor=county_admin.user).exists()


def test_issue_token_narrows_with_scope_and_sets_the_expiry(mediator):
    out = io.StringIO()
    management.call_command("issue_token", mediator.user.username, "--name", "全部权限", stdout=out)
    assert sorted(ApiToken.objects.get(name="全部权限").scopes) == sorted(TOKEN_SCOPES)
    assert ApiToken.objects.get(name="全部权限").expires_at is None
    out = io.StringIO()
    management.call_command("issue_token", mediator.user.username, "--name", "只读", "--scope", "cases:read,ledger:read",
                            "--scope", "core:read", "--expires-days", "30", stdout=out)
    token = ApiToken.objects.get(name="只读")
    assert sorted(token.scopes) == ["cases:read", "core:read", "ledger:read"]
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert _post(out.getvalue().strip(), "/api/v1/cases/", _intake()).status_code == 403
    with pytest.raises(CommandError):
        management.call_command("issue_token", mediator.user.username, "--name", "坏", "--scope", "everything",
                                stdout=io.StringIO())


# --- the workbench page ---------------------------------------------------------------------------------------------
def test_the_county_admin_issues_a_token_sees_the_secret_once_and_revokes_it(county_admin, liaison):
    c = county_admin.client()
    page = c.get("/workbench/tokens/")
    assert page.status_code == 200 and "接口令牌" in page.content.decode()
    r = c.post("/workbench/tokens/", {"name": "乌镇派出所移送", "user": liaison.user.pk,
                                      "scopes": ["cases:read", "cases:write"], "expires_days": "90"})
    assert r.status_code == 200
    html = r.content.decode()
    token = ApiToken.objects.get(name="乌镇派出所移送")
    assert sorted(token.scopes) == ["cases:read", "cases:write"] and token.created_by == county_admin.user
    secret = next(w for w in html.replace('"', " ").replace("<", " ").replace(">", " ").split() if w.startswith("xz_"))
    assert _get(secret, "/api/v1/cases/").status_code in (200, 404)  # authenticated: the liaison's own rights apply
    assert secret not in c.get("/workbench/tokens/").content.decode()  # shown once
    assert AuditLog.objects.filter(action="api_token.issued", actor=county_admin.user).exists()

    r = c.post(f"/workbench/tokens/{token.pk}/revoke/")
    assert r.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert _get(secret, "/api/v1/me").status_code == 401


def test_the_token_page_is_for_county_administrators_of_their_own_county_only(
        county_admin, mediator, town_staff, auditor, client):
    mine = services.issue_api_token(mediator.user, name="调解员令牌", actor=None)
    assert mine
    assert mediator.client().get("/workbench/tokens/").status_code == 404
    assert town_staff.client().get("/workbench/tokens/").status_code == 404
    assert auditor.client().get("/workbench/tokens/").status_code == 404
    assert client.get("/workbench/tokens/").status_code == 302  # anonymous: to the sign-in page
    assert "调解员令牌" in county_admin.client().get("/workbench/tokens/").content.decode()
    token = ApiToken.objects.get(name="调解员令牌")
    assert town_staff.client().post(f"/workbench/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_a_county_admin_cannot_issue_for_a_user_outside_the_county_or_see_its_tokens(county_admin, tongxiang):
    from xiangzhi.core.models import Region, User

    other_county = Region.objects.filter(level="county").exclude(code="330483").first()
    stranger = User.objects.create(username="stranger", kind="staff")
    if other_county is not None:
        services.add_membership(stranger, role="mediator", region=other_county, actor=None)
    services.issue_api_token(stranger, name="外县令牌", actor=None)
    c = county_admin.client()
    assert "外县令牌" not in c.get("/workbench/tokens/").content.decode()
    r = c.post("/workbench/tokens/", {"name": "越权", "user": stranger.pk, "scopes": ["cases:read"],
                                      "expires_days": "30"})
    assert r.status_code == 200 and not ApiToken.objects.filter(name="越权").exists()
    token = ApiToken.objects.get(name="外县令牌")
    assert c.post(f"/workbench/tokens/{token.pk}/revoke/").status_code == 404
