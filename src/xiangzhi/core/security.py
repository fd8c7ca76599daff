"""Staff sign-in security (等保 2.0 level 3): password character classes, lock-out, TOTP second factor."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .enums import UserKind
from .models import User


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


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses locked accounts and citizens, and counts failures toward the lock-out."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # noqa: ANN001, ANN003
        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle for usernames
            return None
        if user.kind == UserKind.CITIZEN or is_locked(user):
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            record_successful_login(user)
            return user
        record_failed_login(user)
        return None


# TOTP ---------------------------------------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="乡治")


def verify_totp(secret: str, code: str) -> bool:
    if not secret or not code:
        return False
    return pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)
