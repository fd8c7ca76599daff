"""时间银行 tables: volunteers and their accounts, the activities organisations record (verified by a second person),
the transfers between accounts (double entry: one row holds both sides), the movements derived from them (a database
view), the catalogue organisations maintain and the redemptions made from it.

What the database itself guarantees (migration 0001, on SQLite and PostgreSQL alike):
- a transfer moves a positive whole number of minutes between two different accounts (CHECK constraints);
- its two movements (−amount on the payer, +amount on the payee) are the two halves of a view over the transfer
  row, so neither can exist without the other and Σ of all movements is 0;
- posted transfers are never updated or deleted (triggers); a correction is a reversing transfer that mirrors the
  one it reverses (trigger), at most one per transfer (unique);
- each account's cached balance moves with every transfer (trigger) and never goes below its minimum (CHECK).
No workflow logic here (see services/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import (
    AccountKind,
    ActivityKind,
    ActivitySource,
    ActivityState,
    CatalogueCategory,
    TransferKind,
    VolunteerKind,
)


class Account(models.Model):
    """A time account. ``balance`` is a cache of Σ of its movements kept by a database trigger and checked by
    ``xiangzhi timebank verify``; ``min_balance`` null means no minimum (the county's issuance account)."""

    kind = models.CharField(_("类型"), max_length=10, choices=AccountKind.choices, default=AccountKind.MEMBER)
    label = models.CharField(_("名称"), max_length=80)
    min_balance = models.IntegerField(_("最低余额（分钟）"), null=True, blank=True, default=0)
    balance = models.BigIntegerField(_("余额（分钟）"), default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("时间账户")
        verbose_name_plural = _("时间账户")
        constraints = [
            models.CheckConstraint(condition=Q(min_balance__isnull=True) | Q(balance__gte=F("min_balance")),
                                   name="timebank_account_not_below_minimum"),
            models.CheckConstraint(condition=Q(kind=AccountKind.ISSUANCE) | Q(min_balance__isnull=False),
                                   name="timebank_member_account_has_minimum"),
            models.UniqueConstraint(fields=["kind"], condition=Q(kind=AccountKind.ISSUANCE),
                                    name="timebank_one_issuance_account"),
        ]

    def __str__(self) -> str:
        return self.label


class Volunteer(models.Model):
    """A registered legal volunteer. Personal data lives in core's Person (phone encrypted, masked by default);
    ``organisation`` registered them and only its staff see their (masked) contact details."""

    person = models.OneToOneField("core.Person", models.PROTECT, related_name="+")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                related_name="timebank_volunteer")
    kind = models.CharField(_("身份"), max_length=20, choices=VolunteerKind.choices)
    organisation = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+",
                                     verbose_name=_("登记组织"))
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("所在区划"))
    skills = models.CharField(_("服务专长"), max_length=200, blank=True)
    public_consent = models.BooleanField(_("同意在排行榜公开"), default=False)
    account = models.OneToOneField(Account, models.PROTECT, related_name="volunteer")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                      related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("法律志愿者")
        verbose_name_plural = _("法律志愿者")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.person.masked_name


class Transfer(models.Model):
    """One posted transfer: ``amount`` minutes from ``from_account`` to ``to_account``. Append-only (triggers)."""

    kind = models.CharField(_("类型"), max_length=12, choices=TransferKind.choices)
    from_account = models.ForeignKey(Account, models.PROTECT, related_name="+")
    to_account = models.ForeignKey(Account, models.PROTECT, related_name="+")
    amount = models.BigIntegerField(_("分钟数"))
    reverses = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="reversed_by")
    memo = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("转账")
        verbose_name_plural = _("转账")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="timebank_transfer_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=F("to_account")),
                                   name="timebank_transfer_two_accounts"),
            models.CheckConstraint(condition=Q(kind=TransferKind.REVERSAL, reverses__isnull=False)
                                   | (~Q(kind=TransferKind.REVERSAL) & Q(reverses__isnull=True)),
                                   name="timebank_transfer_reversal_links"),
        ]
        indexes = [models.Index(fields=["from_account", "id"], name="timebank_tr_from_idx"),
                   models.Index(fields=["to_account", "id"], name="timebank_tr_to_idx"),
                   models.Index(fields=["kind", "created_at", "to_account", "amount"], name="timebank_tr_earned_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount}′"


class Movement(models.Model):
    """One side of a transfer, read from the database view ``timebank_movement`` (never written)."""

    id = models.BigIntegerField(primary_key=True)
    transfer = models.ForeignKey(Transfer, models.DO_NOTHING, related_name="movements", db_constraint=False)
    account = models.ForeignKey(Account, models.DO_NOTHING, related_name="movements", db_constraint=False)
    amount = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "timebank_movement"
        ordering = ["id"]


class Activity(models.Model):
    """A service a volunteer gave. Recorded by an organisation (or proposed by the platform, ``source_key`` naming
    what was done, e.g. ``disputes.case:123``), verified by a second person, then credited by ``transfer``."""

    volunteer = models.ForeignKey(Volunteer, models.PROTECT, related_name="activities")
    organisation = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+",
                                     verbose_name=_("组织单位"))
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+")
    kind = models.CharField(_("服务类型"), max_length=20, choices=ActivityKind.choices)
    source = models.CharField(_("来源"), max_length=10, choices=ActivitySource.choices, default=ActivitySource.MANUAL)
    title = models.CharField(_("服务内容"), max_length=200)
    occurred_on = models.DateField(_("服务日期"))
    minutes = models.PositiveIntegerField(_("服务时长（分钟）"))
    source_key = models.CharField(_("平台来源"), max_length=80, null=True, blank=True, unique=True)
    link = models.CharField(_("相关链接"), max_length=300, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=ActivityState.choices, default=ActivityState.PROPOSED)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    transfer = models.OneToOneField(Transfer, models.PROTECT, null=True, blank=True, related_name="activity")

    class Meta:
        verbose_name = _("志愿服务记录")
        verbose_name_plural = _("志愿服务记录")
        ordering = ["-occurred_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gt=0), name="timebank_activity_minutes_positive"),
            models.CheckConstraint(condition=Q(verified_by__isnull=True) | Q(recorded_by__isnull=True)
                                   | ~Q(verified_by=F("recorded_by")),
                                   name="timebank_activity_second_person_verifies"),
            models.CheckConstraint(condition=~Q(state=ActivityState.VERIFIED)
                                   | Q(transfer__isnull=False, verified_by__isnull=False),
                                   name="timebank_activity_verified_is_credited"),
        ]
        indexes = [models.Index(fields=["state", "region"], name="timebank_act_state_idx")]

    def __str__(self) -> str:
        return self.title


class CatalogueItem(models.Model):
    """What minutes can buy, maintained by an organisation for its region."""

    organisation = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+",
                                     verbose_name=_("提供单位"))
    region = models.ForeignKey("core.Region", models.PROTECT, related_name="+", verbose_name=_("适用区划"))
    category = models.CharField(_("类别"), max_length=20, choices=CatalogueCategory.choices)
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    cost_minutes = models.PositiveIntegerField(_("所需分钟"))
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("兑换目录")
        verbose_name_plural = _("兑换目录")
        ordering = ["category", "cost_minutes", "pk"]
        constraints = [models.CheckConstraint(condition=Q(cost_minutes__gt=0), name="timebank_item_cost_positive")]

    def __str__(self) -> str:
        return self.name


class Redemption(models.Model):
    """A volunteer spent minutes on a catalogue item (the debit is ``transfer``)."""

    volunteer = models.ForeignKey(Volunteer, models.PROTECT, related_name="redemptions")
    item = models.ForeignKey(CatalogueItem, models.PROTECT, related_name="redemptions")
    minutes = models.PositiveIntegerField()
    transfer = models.OneToOneField(Transfer, models.PROTECT, related_name="redemption")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-created_at", "-pk"]
