"""API authentication: session (staff and citizens in the browser, with CSRF) and bearer tokens (machines)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .services import authenticate_token

PUBLIC = {"x-public": True}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xz_<prefix>_<secret>`` for banks, departments and other machine clients."""

    def authenticate(self, request: HttpRequest, token: str):  # noqa: ANN201
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


class UserSessionAuth(SessionAuth):
    """A signed-in browser session; ninja checks the CSRF token on unsafe methods."""

    def authenticate(self, request: HttpRequest, key):  # noqa: ANN001, ANN201
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None


def default_auth() -> list:
    return [TokenAuth(), UserSessionAuth()]
