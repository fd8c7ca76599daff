"""Sign-in pages: staff (password + TOTP, lock-out), citizens (phone + SMS code)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from xiangzhi.core import rules, security, services
from xiangzhi.core.access import (
    authenticated,
    citizen_required,
    open_before_second_factor,
    public,
    staff_required,
)
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.middleware import client_ip
from xiangzhi.core.models import User
from xiangzhi.core.security import BACKEND

from ..forms import PasswordChangeForm, PhoneCodeForm, PhoneForm, StaffLoginForm, TotpForm


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


@public
@open_before_second_factor
@require_http_methods(["GET", "POST"])
def staff_login(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    error = ""
    if request.method == "POST":
        try:
            services.check_rate(f"login-ip:{client_ip(request)}", limit=30, window_seconds=300)
        except XiangzhiError as exc:
            error = exc.message
        if not error and form.is_valid():
            user = authenticate(request, username=form.cleaned_data["username"],
                                password=form.cleaned_data["password"])
            if user is None:
                error = security.sign_in_refused_message()
            elif user.totp_enabled:
                request.session["xz_pending_user"] = user.pk
                request.session["xz_pending_next"] = _next(request, "web:workbench")
                return redirect("web:login_totp")
            else:
                security.sign_in(request, user, second_factor=False)
                if rules.must_use_totp(user):
                    messages.warning(request, "管理员账号须先启用双因素认证。")
                    return redirect("web:totp_setup")
                return redirect(_next(request, "web:workbench"))
    return render(request, "web/login.html", {"form": form, "error": error, "next": request.GET.get("next", "")},
                  status=200 if not error else 400)


@public
@open_before_second_factor
@require_http_methods(["GET", "POST"])
def totp_step(request: HttpRequest) -> HttpResponse:
    pk = request.session.get("xz_pending_user")
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        return redirect("web:login")
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if security.is_locked(user):
            error = "该账号已被锁定，请稍后再试。"
        elif security.use_totp_code(user, form.cleaned_data["code"]):
            target = request.session.pop("xz_pending_next", reverse("web:workbench"))
            request.session.pop("xz_pending_user", None)
            security.record_successful_login(user)
            security.sign_in(request, user, second_factor=True)
            return redirect(target)
        else:
            security.record_second_factor_failure(user)
            error = "动态验证码不正确（每个验证码只能使用一次）。"
    return render(request, "web/login_totp.html", {"form": form, "error": error})


@public
@open_before_second_factor
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
        messages.info(request, "您已退出登录。")
    return redirect("web:home")


@staff_required()
@open_before_second_factor
@require_http_methods(["GET", "POST"])
def totp_setup(request: HttpRequest) -> HttpResponse:
    import segno

    user = request.user
    secret = request.session.get("xz_totp_secret") or security.new_totp_secret()
    request.session["xz_totp_secret"] = secret
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.enable_totp(user, secret=secret, code=form.cleaned_data["code"], actor=user)
        except XiangzhiError as exc:
            error = exc.message
        else:
            request.session.pop("xz_totp_secret", None)
            security.mark_second_factor_verified(request)
            messages.success(request, "双因素认证已启用。")
            return redirect("web:workbench")
    uri = security.totp_uri(user, secret)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=4, light="#ffffff")
    return render(request, "web/totp_setup.html", {"form": form, "error": error, "secret": secret, "qr_svg": qr_svg,
                                                   "enabled": user.totp_enabled})


@authenticated
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["old_password"]):
            error = "原密码不正确。"
        else:
            try:
                services.change_password(request.user, new_password=form.cleaned_data["new_password"],
                                         actor=request.user)
            except XiangzhiError as exc:
                error = exc.message
            else:
                update_session_auth_hash(request, request.user)  # same session, second factor kept
                messages.success(request, "密码已修改。")
                return redirect("web:workbench")
    return render(request, "web/password_change.html", {"form": form, "error": error})


@public
@require_http_methods(["GET", "POST"])
def citizen_login(request: HttpRequest) -> HttpResponse:
    """Two steps on one page: send a code to the phone, then enter it."""
    step = request.POST.get("step", "phone")
    error = ""
    phone_form = PhoneForm(request.POST if step == "phone" and request.method == "POST" else None)
    code_form = PhoneCodeForm(request.POST if step == "code" else None)
    sent = False
    if request.method == "POST":
        try:
            if step == "phone" and phone_form.is_valid():
                services.request_login_code(phone_form.cleaned_data["phone"], client_ip=client_ip(request))
                sent = True
                code_form = PhoneCodeForm(initial={"phone": phone_form.cleaned_data["phone"]})
            elif step == "code" and code_form.is_valid():
                user = services.verify_login_code(code_form.cleaned_data["phone"], code_form.cleaned_data["code"],
                                                  client_ip=client_ip(request))
                login(request, user, backend=BACKEND)
                return redirect(_next(request, "web:citizen_home"))
            elif step == "code":
                sent = True
        except XiangzhiError as exc:
            error = exc.message
            sent = step == "code"
    return render(request, "web/citizen_login.html", {
        "phone_form": phone_form, "code_form": code_form, "sent": sent, "error": error,
        "next": request.GET.get("next", request.POST.get("next", "")),
        "console_sms": settings.XIANGZHI_SMS_BACKEND.endswith("ConsoleBackend"),
    }, status=400 if error else 200)


@citizen_required
def citizen_home(request: HttpRequest) -> HttpResponse:
    """A villager's own page: their disputes (to the page behind each case's code), their consultations with the
    robot (and whether a legal worker has replied), and their messages."""
    from xiangzhi.consultation.selectors import consultations_of_citizen
    from xiangzhi.core.selectors import notifications_for
    from xiangzhi.disputes.selectors import cases_of_citizen

    return render(request, "web/citizen_home.html", {
        "notes": notifications_for(request.user)[:20],
        "cases": list(cases_of_citizen(request.user).select_related("dispute_type")[:20]),
        "consultations": consultations_of_citizen(request.user),
    })
