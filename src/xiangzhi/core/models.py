"""Core tables: regions, organisations, accounts and roles, people (personal data), audit, notifications.

No workflow logic lives here; every write goes through ``services.py``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import personal
from .enums import NotificationStatus, OrgKind, RegionKind, RegionLevel, Role, Specialty, UserKind
from .fields import EncryptedTextField


class AppendOnlyError(Exception):
    """An append-only row was about to be updated or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")

    _raw_delete = delete


class AppendOnlyModel(models.Model):
    """Rows are inserted once and never changed; database triggers enforce the same (see core migration 0002)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):  # noqa: ANN002, ANN003
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


# ----------------------------------------------------------------------------------------------------------------
# Regions
# ----------------------------------------------------------------------------------------------------------------
class Region(models.Model):
    """A unit of the administrative tree. The national statistical code is hierarchical: prefix = containment."""

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=60, blank=True)
    level = models.CharField(_("层级"), max_length=10, choices=RegionLevel.choices)
    kind = models.CharField(_("类型"), max_length=12, choices=RegionKind.choices)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    merged_into = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="merged_from", verbose_name=_("并入")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    def contains(self, other_code: str) -> bool:
        return other_code.startswith(self.code)


class RegionChange(AppendOnlyModel):
    """History of the division tree: created, renamed, merged, deactivated."""

    class Kind(models.TextChoices):
        CREATED = "created", _("新增")
        RENAMED = "renamed", _("更名")
        MERGED = "merged", _("合并")
        DEACTIVATED = "deactivated", _("撤销")
        REACTIVATED = "reactivated", _("恢复")

    region = models.ForeignKey(Region, models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    old_name = models.CharField(max_length=100, blank=True)
    new_name = models.CharField(max_length=100, blank=True)
    target = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(_("来源"), max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


# ----------------------------------------------------------------------------------------------------------------
# Organisations
# ----------------------------------------------------------------------------------------------------------------
class Organisation(models.Model):
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=30, choices=OrgKind.choices)
    specialty = models.CharField(_("专业领域"), max_length=30, choices=Specialty.choices, blank=True, default="")
    region = models.ForeignKey(Region, models.PROTECT, related_name="organisations", verbose_name=_("所在区划"))
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region__code", "kind", "name"]
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        constraints = [models.UniqueConstraint(fields=["region", "kind", "name"], name="org_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.region.level


# ----------------------------------------------------------------------------------------------------------------
# Accounts
# ----------------------------------------------------------------------------------------------------------------
class User(AbstractUser):
    """Staff sign in with a password (and TOTP); citizens with phone + one-time code; services with API tokens."""

    kind = models.CharField(_("账号类型"), max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    totp_secret = EncryptedTextField(blank=True, default="", editable=False)
    totp_enabled = models.BooleanField(_("已启用双因素认证"), default=False)
    # The TOTP time-step of the last code accepted: a code of this step or an earlier one is refused (no replay).
    totp_last_step = models.BigIntegerField(null=True, blank=True, editable=False)
    password_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def masked_phone(self) -> str:
        return personal.mask_phone(self.phone)

    @property
    def is_citizen(self) -> bool:
        return self.kind == UserKind.CITIZEN


class Membership(models.Model):
    """One role a staff user holds, in an organisation, over a region (the jurisdiction)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="memberships", null=True, blank=True)
    region = models.ForeignKey(Region, models.PROTECT, related_name="memberships", verbose_name=_("管辖区划"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("角色任职")
        verbose_name_plural = _("角色任职")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "organisation", "region"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region}"


class ApiToken(models.Model):
    """A bearer token for a machine client (a bank, a department). Only the SHA-256 of the secret is stored."""

    name = models.CharField(_("名称"), max_length=100)
    user = models.ForeignKey(User, models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # what the token may do, within its user's own rights: a list of enums.TOKEN_SCOPES (``cases:read`` …)
    scopes = models.JSONField(_("权限范围"), default=list)
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("签发人"))

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class OneTimeCode(models.Model):
    """A short-lived SMS code for a citizen sign-in; only its hash is kept."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)


# ----------------------------------------------------------------------------------------------------------------
# People and personal data
# ----------------------------------------------------------------------------------------------------------------
class Person(models.Model):
    """A natural person who is a party, applicant or agent. 身份证号 and phone are encrypted at rest."""

    name = models.CharField(_("姓名"), max_length=60)
    id_number = EncryptedTextField(_("身份证号"), blank=True, default="")
    id_number_index = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField(_("手机号"), blank=True, default="")
    phone_index = models.CharField(max_length=64, null=True, blank=True, db_index=True, editable=False)
    address = EncryptedTextField(_("住址"), blank=True, default="")
    region = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="persons")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        return personal.mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return personal.mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return personal.mask_phone(self.phone)


class PersonalDataAccess(AppendOnlyModel):
    """Every unmasked view of personal data: who saw whose what, when and why."""

    viewer = models.ForeignKey(User, models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, models.PROTECT, related_name="accesses")
    fields = models.CharField(max_length=100)
    reason = models.CharField(_("查看事由"), max_length=200)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")


class TextNumber(models.Model):
    """A 身份证号 or mobile number someone typed into free text (a case's description or request, a consultation
    question). The text keeps only the masked form; the number is kept here, encrypted like a Person's, and shown in
    full only through ``services.reveal_text_numbers`` (a role with the personal-data right, a reason, logged)."""

    class Kind(models.TextChoices):
        ID_NUMBER = "id_number", _("身份证号")
        PHONE = "phone", _("手机号")

    object_type = models.CharField(max_length=60)  # the holder's app_label.model, e.g. "disputes.case"
    object_id = models.CharField(max_length=64)
    field = models.CharField(_("所在字段"), max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    value = EncryptedTextField(_("号码"))
    value_index = models.CharField(max_length=64, db_index=True, editable=False)
    masked = models.CharField(_("脱敏号码"), max_length=30)
    region_code = models.CharField(max_length=15, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["object_type", "object_id", "field", "position", "id"]
        verbose_name = _("文中个人号码")
        verbose_name_plural = _("文中个人号码")
        indexes = [models.Index(fields=["object_type", "object_id"], name="textnumber_object")]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.field} {self.masked}"


# ----------------------------------------------------------------------------------------------------------------
# Audit
# ----------------------------------------------------------------------------------------------------------------
class AuditLog(AppendOnlyModel):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    region_code = models.CharField(max_length=15, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


# ----------------------------------------------------------------------------------------------------------------
# Notifications (outbox)
# ----------------------------------------------------------------------------------------------------------------
class Notification(models.Model):
    """An outbox row: written in the same transaction as the change it reports, delivered by a task."""

    channel = models.CharField(max_length=10, default="sms")
    recipient_user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="notifications")
    recipient_phone = EncryptedTextField(blank=True, default="")
    subject = models.CharField(max_length=120, blank=True)
    body = models.TextField()
    # The text as sent when it holds a secret (a sign-in code): ``body`` keeps only the masked form, and this
    # encrypted copy is emptied once the message is sent or given up.
    sealed_body = EncryptedTextField(blank=True, default="")
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    @property
    def detail(self) -> str:
        """The text to show under the subject: ``body`` without the subject it repeats (a body is whole for the SMS,
        "新纠纷案件 X 待受理：邻里，东苑社区。"; under the subject it reads "邻里，东苑社区。")."""
        if self.subject and self.body.startswith(self.subject):
            return self.body[len(self.subject):].lstrip("：:，, ")
        return self.body


# ----------------------------------------------------------------------------------------------------------------
# Infrastructure tables: rate limits, periodic-job locks
# ----------------------------------------------------------------------------------------------------------------
class RateCounter(models.Model):
    """A fixed-window counter shared by every web process (no Redis needed)."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="ratecounter_key_window")]


class IdempotencyKey(models.Model):
    """A creating POST's ``Idempotency-Key`` from one client and the first response, replayed to a retry until it
    expires (``XIANGZHI_IDEMPOTENCY_KEY_HOURS``; expired rows are removed by runperiodic)."""

    client = models.CharField(max_length=80)  # token:<id>, user:<id> or anon:<keyed hash of the address>
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and the request's content
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotencykey_client_key")]


class PeriodicJob(models.Model):
    """One row per periodic job: when it last ran and who holds it now (a lease, so overlapping runs skip it)."""

    name = models.CharField(max_length=80, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=200, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=80, blank=True)


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a public holiday, or a weekend day made a working day."""

    date = models.DateField(primary_key=True)
    is_workday = models.BooleanField()
    note = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")


__all__ = [
    "ApiToken",
    "AppendOnlyError",
    "AuditLog",
    "CalendarDay",
    "IdempotencyKey",
    "Membership",
    "Notification",
    "OneTimeCode",
    "Organisation",
    "PeriodicJob",
    "Person",
    "PersonalDataAccess",
    "RateCounter",
    "Region",
    "RegionChange",
    "Role",
    "TextNumber",
    "User",
]
