"""API authentication: session (staff and citizens in the browser, with CSRF) and bearer tokens (machines); the
guard of every operation that starts a browser session (``creates_session``).

A token acts with its user's rights, narrowed by its scopes: each router is mounted (xiangzhi/api.py) with the auth
of its app, and a request needs ``<app>:read`` (GET, HEAD, OPTIONS) or ``<app>:write`` (anything else)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja.decorators import decorate_view
from ninja.security import HttpBearer, SessionAuth

from .errors import Forbidden, XiangzhiError
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


# Operations that start a session ---------------------------------------------------------------------------------
def _request_origin(request: HttpRequest) -> str | None:
    """The origin the browser says the request comes from: ``Origin``, else the one of ``Referer``."""
    origin = request.headers.get("Origin")
    if origin is None and request.headers.get("Referer"):
        parts = urlsplit(request.headers["Referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    return origin


def _trusted(origin: str, request: HttpRequest) -> bool:
    if origin == f"{request.scheme}://{request.get_host()}":
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, host = trusted.partition("://")
        if origin == trusted or (host.startswith("*.") and origin.startswith(f"{scheme}://")
                                 and origin.partition("://")[2].endswith(host[1:])):
            return True
    return False


def session_creation_refusal(request: HttpRequest) -> XiangzhiError | None:
    """Why a request may not start a session, or None. Login CSRF: a cross-site page can send a form or a
    ``text/plain`` body without the browser asking first, but not JSON; and a browser names the page it comes from,
    which must be this site (or one of CSRF_TRUSTED_ORIGINS). A client without Origin and Referer is not a browser
    sent by another site."""
    if request.content_type != "application/json":
        return XiangzhiError("UNSUPPORTED_MEDIA_TYPE", "请以 application/json 格式提交。",
                             {"content_type": request.content_type}, status=415)
    origin = _request_origin(request)
    if origin is not None and not _trusted(origin, request):
        return Forbidden("CROSS_SITE_REFUSED", "登录请求须来自本站页面。", {"origin": origin})
    return None


def _refuse_cross_site_sign_in(run):  # noqa: ANN001, ANN202
    @wraps(run)
    def guarded(request: HttpRequest, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        refusal = session_creation_refusal(request)
        if refusal is not None:
            return JsonResponse(refusal.as_dict(), status=refusal.status)
        return run(request, *args, **kwargs)

    return guarded


def creates_session(operation):  # noqa: ANN001, ANN201
    """Mark an API operation that signs a browser in: before its body is even read, it refuses what is not JSON
    (415) and what another site's page sent (403), in the error envelope."""
    return decorate_view(_refuse_cross_site_sign_in)(operation)
