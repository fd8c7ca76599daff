"""API authentication: session (staff and citizens in the browser, with CSRF) and bearer tokens (machines).

A token acts with its user's rights, narrowed by its scopes: each router is mounted (xiangzhi/api.py) with the auth
of its app, and a request needs ``<app>:read`` (GET, HEAD, OPTIONS) or ``<app>:write`` (anything else)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .models import ApiToken
from .services import check_token_scope, token_for

PUBLIC = {"x-public": True}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_token(request: HttpRequest) -> ApiToken | None:
    """The live API token of the request's ``Authorization: Bearer`` header, looked up once per request."""
    if not hasattr(request, "_xz_api_token"):
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        request._xz_api_token = token_for(raw) if scheme.lower() == "bearer" and raw else None
    return request._xz_api_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xz_<prefix>_<secret>`` for banks, departments and other machine clients."""

    def __init__(self, app: str = "core") -> None:
        super().__init__()
        self.app = app

    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201, ARG002
        api_token = request_token(request)
        if api_token is None:
            return None
        check_token_scope(api_token, app=self.app, access="read" if request.method in SAFE_METHODS else "write")
        request.user = api_token.user
        return api_token.user


class UserSessionAuth(SessionAuth):
    """A signed-in browser session; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request: HttpRequest, key):  # noqa: ANN001, ANN201
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None


def default_auth(app: str = "core") -> list:
    """Token or session; a token needs a scope of ``app`` (enums.TOKEN_APPS)."""
    return [TokenAuth(app), UserSessionAuth()]
