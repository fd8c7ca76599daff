"""Request-wide rules: idle time-out, the second factor, deny-by-default access rules, security headers, the client
address."""

from __future__ import annotations

import ipaddress
import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

from . import security
from .errors import Forbidden, RateLimited
from .services import current_ip
from .text import clean_text

logger = logging.getLogger(__name__)

# URL namespaces whose views enforce access themselves: Django admin (admin_view) and the API (ninja auth, checked
# for every operation by tests/core/test_access_rules.py).
SELF_GUARDED_NAMESPACES = {"admin", "api-1.0.0"}


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, for per-address limits and the audit log. Behind XIANGZHI_TRUSTED_PROXY_COUNT
    reverse proxies, each appends the address it saw to ``X-Forwarded-For``, so the client is the N-th address from
    the right; whatever stands further left was written by the client and is not believed. Without trusted proxies
    (the default), the header is ignored."""
    remote = request.META.get("REMOTE_ADDR")
    count = settings.XIANGZHI_TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if count <= 0 or not forwarded:
        return remote
    candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class IdleTimeoutMiddleware:
    """Sign a user out after XIANGZHI_IDLE_TIMEOUT_SECONDS without a request (等保: idle session timeout)."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            if request.user.is_authenticated:
                now = int(time.time())
                last = request.session.get("xz_last_seen")
                if last is not None and now - int(last) > settings.XIANGZHI_IDLE_TIMEOUT_SECONDS:
                    logout(request)
                    if not request.path.startswith("/api/"):
                        messages.info(request, "您已长时间未操作，请重新登录。")
                        return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
                elif last is None or now - int(last) > 30:
                    request.session["xz_last_seen"] = now
            return self.get_response(request)
        finally:
            current_ip.reset(token)


class SecondFactorMiddleware:
    """Until a TOTP code is verified in it, the session of a user who has or must have one reaches only the views
    marked ``open_before_second_factor`` (enrolment, sign-in, sign-out): pages send it to enrolment, the API answers
    403 in the error envelope, the admin is closed. A session of an enrolled user without a verified code cannot come
    from the platform's sign-in, so it is ended."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.totp_enabled and not security.session_is_complete(request):
            logout(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):  # noqa: ANN001, ARG002
        if not request.user.is_authenticated or security.session_is_complete(request):
            return None
        if getattr(view_func, "open_before_second_factor", False):
            return None
        if request.path.startswith("/api/"):
            refusal = Forbidden("SECOND_FACTOR_REQUIRED", "您的账号须先启用双因素认证（动态验证码）并完成验证，才能使用本系统。")
            return JsonResponse(refusal.as_dict(), status=refusal.status)
        messages.warning(request, "您的账号须先启用双因素认证，并输入一次动态验证码。")
        return redirect(settings.XIANGZHI_TOTP_SETUP_URL)


def _cleaned(data: QueryDict) -> QueryDict:
    """``data`` with control characters taken out of every value (the same object when there is none)."""
    lists = [(key, [clean_text(v) for v in values]) for key, values in data.lists()]
    if all(values == data.getlist(key) for key, values in lists):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in lists:
        cleaned.setlist(key, values)
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    """Text typed into a page is cleaned once, at the boundary, before any form or view reads it: the query string
    and the form fields lose their control characters (``core.text.clean_text``). The API cleans its bodies in its
    schemas (``core.schemas.TextIn``)."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):  # noqa: ANN001, ARG002
        if request.path.startswith("/api/"):
            return None
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in {"application/x-www-form-urlencoded",
                                                                 "multipart/form-data"}:
            request.POST = _cleaned(request.POST)
        return None


class AccessRuleMiddleware:
    """Deny by default: a view without an ``access_rule`` answers 404 and logs an error."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):  # noqa: ANN001, ARG002
        match = request.resolver_match
        if match and set(match.namespaces) & SELF_GUARDED_NAMESPACES:
            return None
        if getattr(view_func, "access_rule", None):
            return None
        view_class = getattr(view_func, "view_class", None)
        if view_class is not None and getattr(view_class, "access_rule", None):
            return None
        logger.error("view %s has no access rule; refusing", getattr(view_func, "__qualname__", view_func))
        raise Http404


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline scripts, nothing from outside) and a Permissions-Policy."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'; object-src 'none'"
    )

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.CSP)
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(self)")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def rate_limited_response(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    """429 with ``Retry-After``: the error envelope for the API, the 429 page for a page."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(exc.as_dict(), status=429)
    else:
        response = render(request, "429.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


class PublicRateLimitMiddleware:
    """Anonymous writes (applications, questions, sign-in codes) are limited per client address, across processes;
    an API client with a valid token has its own per-token budget for every request instead. A limit reached
    anywhere in a page view (``RateLimited``) is answered the same way: 429 with ``Retry-After``."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .api_auth import request_token

        token = request_token(request) if request.path.startswith("/api/") else None
        if token is not None:
            budget = (f"api-token:{token.pk}", settings.XIANGZHI_RATE_LIMIT_TOKEN_PER_MINUTE)
        elif request.method in {"POST", "PUT", "PATCH", "DELETE"} and not request.user.is_authenticated:
            budget = (f"anon-write:{client_ip(request)}", settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE)
        else:
            budget = None
        if budget is not None:
            from .services import check_rate

            try:
                check_rate(budget[0], limit=budget[1], window_seconds=60)
            except RateLimited as exc:
                return rate_limited_response(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return rate_limited_response(request, exception)
        return None
