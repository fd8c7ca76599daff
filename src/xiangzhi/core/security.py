"""Staff sign-in security (等保 2.0 level 3): password character classes, lock-out, TOTP second factor, the one
way a staff session starts (``sign_in``) and what makes a session complete (``session_is_complete``)."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import time

import pyotp
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from . import rules
from .enums import UserKind
from .models import User

BACKEND = "xiangzhi.core.security.LockoutBackend"
# The session holds the user's id under this key once a TOTP code was verified in it (at sign-in or enrolment).
SECOND_FACTOR_SESSION_KEY = "xz_second_factor"


class CharacterClassValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:  # noqa: ARG002
        classes = sum(
            bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
        )
        if classes < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少%(n)d类。") % {"n": self.min_classes}


def is_locked(user: User) -> bool:
    return bool(user.locked_until and user.locked_until > timezone.now())


def record_failed_login(user: User) -> bool:
    """Count a failed password; lock the account after N failures. Returns True when the account is now locked."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins", "locked_until"])
        if user.failed_logins >= settings.XIANGZHI_LOCKOUT_ATTEMPTS:
            until = timezone.now() + dt.timedelta(minutes=settings.XIANGZHI_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            from .services import audit

            audit("user.locked", actor=None, obj=user, note=f"{settings.XIANGZHI_LOCKOUT_ATTEMPTS}次密码错误")
            return True
    return False


def record_successful_login(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)


def sign_in_refused_message() -> str:
    """The one answer to a wrong password, an unknown user and a locked account alike (no account oracle)."""
    return _("用户名或密码不正确（连续输错%(n)d次，账号将锁定%(m)d分钟）。") % {
        "n": settings.XIANGZHI_LOCKOUT_ATTEMPTS, "m": settings.XIANGZHI_LOCKOUT_MINUTES}


def _audit_failure(user: User | None, note: str) -> None:
    from .services import audit

    if user is None:
        audit("user.login_failed", actor=None, object_type="core.user", note=note)
    else:
        audit("user.login_failed", actor=None, obj=user, note=note)


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses locked accounts and citizens, and counts failures toward the lock-out.

    An unknown user, a locked account and a wrong password cost the same password hash and give the same answer;
    only the audit log tells them apart.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):  # noqa: ANN001, ANN003
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None or user.kind == UserKind.CITIZEN or is_locked(user):
            make_password(password)  # same work as a real check: no timing oracle
            _audit_failure(user, "用户名不存在" if user is None else "账号已锁定" if is_locked(user) else "群众账号")
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            record_successful_login(user)
            return user
        record_failed_login(user)
        _audit_failure(user, "密码错误")
        return None


# Sessions ------------------------------------------------------------------------------------------------------
def needs_second_factor(user: User) -> bool:
    """Whether this user's sessions must hold a verified TOTP code: enrolled users and those the settings oblige."""
    return bool(getattr(user, "is_authenticated", False) and (user.totp_enabled or rules.must_use_totp(user)))


def second_factor_verified(request: HttpRequest) -> bool:
    return request.session.get(SECOND_FACTOR_SESSION_KEY) == request.user.pk


def session_is_complete(request: HttpRequest) -> bool:
    """A signed-in session that may be used: no second factor needed, or one verified in this session."""
    return request.user.is_authenticated and (not needs_second_factor(request.user) or second_factor_verified(request))


def mark_second_factor_verified(request: HttpRequest) -> None:
    request.session[SECOND_FACTOR_SESSION_KEY] = request.user.pk


def sign_in(request: HttpRequest, user: User, *, second_factor: bool) -> None:
    """Start a staff session: Django's login, the verified-second-factor mark, the ``user.login`` audit row."""
    from .services import audit

    login(request, user, backend=BACKEND)
    if second_factor:
        mark_second_factor_verified(request)
    audit("user.login", actor=user, obj=user, note="密码+动态验证码" if second_factor else "密码")


# TOTP ---------------------------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="乡治")


def matching_totp_step(secret: str, code: str) -> int | None:
    """The time-step (this one, or one either side for clock drift) whose code ``code`` is; None if none."""
    code = (code or "").strip().replace(" ", "")
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // totp.interval
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_totp_code(user: User, code: str, *, secret: str | None = None) -> bool:
    """Accept a TOTP code once: its time-step must be later than the last one this user used.

    ``secret`` is the one being enrolled (default: the user's). The check and the store are one guarded UPDATE, so
    two requests with the same code cannot both pass. Side effect: ``user.totp_last_step``.
    """
    step = matching_totp_step(user.totp_secret if secret is None else secret, code)
    if step is None:
        return False
    fresh = Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step)
    if not User.objects.filter(fresh, pk=user.pk).update(totp_last_step=step):
        return False
    user.totp_last_step = step
    return True


def record_second_factor_failure(user: User) -> None:
    """A wrong TOTP code counts toward the lock-out like a wrong password, and is audited."""
    record_failed_login(user)
    _audit_failure(user, "动态验证码错误")
