"""The Django admin site, behind the platform's own sign-in.

The admin has no login form of its own: its login page sends the browser to the platform's sign-in (password,
lock-out, TOTP, audit), and every request to it needs a session that is complete — with a second factor verified in
it whenever the user has one or the settings require one — besides Django's ``is_staff``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import security


class XiangzhiAdminSite(admin.AdminSite):
    site_header = "乡治 系统管理"
    site_title = "乡治"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and security.session_is_complete(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:  # noqa: ANN001, ARG002
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        return redirect_to_login(target, settings.LOGIN_URL)
