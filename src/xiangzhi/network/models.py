"""Tables of the public legal service network: service points (sites), legal advisers and the villages they serve,
three-level service teams with duty rosters, adviser service logs, terminals and their visits, 有法码 scans.

No workflow logic lives here; every write goes through ``services/``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core import personal
from xiangzhi.core.fields import EncryptedTextField
from xiangzhi.core.models import AppendOnlyModel, Organisation, Region, User

from .enums import MemberKind, ServiceKind, TerminalKind


class Site(models.Model):
    """A public legal service point (公共法律服务中心/工作站/室) at county, town or village level."""

    name = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey(Region, models.PROTECT, related_name="legal_sites", verbose_name=_("所在区划"))
    address = models.CharField(_("地址"), max_length=200)
    hours = models.CharField(_("开放时间"), max_length=120)
    services = models.JSONField(_("服务项目"), default=list)  # enums.SiteService values
    phone = models.CharField(_("办公电话"), max_length=30, blank=True)  # an office line, public by design
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("公共法律服务点")
        verbose_name_plural = _("公共法律服务点")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="network_site_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.region.level


class Adviser(models.Model):
    """A village legal adviser (村（社区）法律顾问), a lawyer of a law firm.

    How villagers reach them: ``work_phone`` is the adviser's service line (the firm's or a duty number) and is
    public by design, printed on the village notice board and on the 有法码 page; ``mobile`` is personal data,
    encrypted at rest and masked on every page; a villager sees it in full only by a deliberate tap on the village
    page, which is rate-limited and logged (:class:`PhoneReveal`)."""

    user = models.OneToOneField(User, models.PROTECT, null=True, blank=True, related_name="legal_adviser")
    name = models.CharField(_("姓名"), max_length=60)
    firm = models.ForeignKey(Organisation, models.PROTECT, null=True, blank=True, related_name="advisers",
                             verbose_name=_("律师事务所"))
    work_phone = models.CharField(_("工作电话（公开）"), max_length=30, blank=True)
    mobile = EncryptedTextField(_("手机号"), blank=True, default="")
    is_active = models.BooleanField(_("在任"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("法律顾问")
        verbose_name_plural = _("法律顾问")

    def __str__(self) -> str:
        return self.name

    @property
    def masked_mobile(self) -> str:
        return personal.mask_phone(self.mobile)


class Assignment(models.Model):
    """一村一法律顾问: the adviser of one village (at most one per village; an adviser may serve several)."""

    village = models.OneToOneField(Region, models.PROTECT, related_name="legal_adviser_assignment",
                                   verbose_name=_("村（社区）"))
    adviser = models.ForeignKey(Adviser, models.PROTECT, related_name="assignments", verbose_name=_("法律顾问"))
    since = models.DateField(_("起始日期"), default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["village__code"]
        verbose_name = _("村法律顾问聘任")
        verbose_name_plural = _("村法律顾问聘任")

    def __str__(self) -> str:
        return f"{self.village} · {self.adviser}"


class Team(models.Model):
    """A legal service team (法律服务团, 三官一师) of the county, a town or a village."""

    name = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey(Region, models.PROTECT, related_name="legal_teams", verbose_name=_("服务区划"))
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region__code", "name"]
        verbose_name = _("法律服务团")
        verbose_name_plural = _("法律服务团")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="network_team_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.region.level


class TeamMember(models.Model):
    team = models.ForeignKey(Team, models.CASCADE, related_name="members")
    kind = models.CharField(_("身份"), max_length=12, choices=MemberKind.choices)
    name = models.CharField(_("姓名"), max_length=60)
    unit = models.CharField(_("工作单位"), max_length=120, blank=True)
    user = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["team", "kind", "pk"]
        verbose_name = _("服务团成员")
        verbose_name_plural = _("服务团成员")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class DutyShift(models.Model):
    """One day of a team's duty roster (值班表): who is on duty."""

    team = models.ForeignKey(Team, models.CASCADE, related_name="shifts")
    member = models.ForeignKey(TeamMember, models.CASCADE, related_name="shifts")
    day = models.DateField(_("值班日期"))
    note = models.CharField(_("备注"), max_length=120, blank=True)

    class Meta:
        ordering = ["day", "team", "member"]
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="network_shift_member_day")]


class ServiceLog(AppendOnlyModel):
    """One entry of an adviser's service log (一事一记): a visit, a talk, a consultation in a village or its grid.

    ``minutes`` is the time given; the service proposes them to the time bank when the adviser is a registered
    volunteer (``services.directory.log_service``). Corrections are new entries."""

    adviser = models.ForeignKey(Adviser, models.PROTECT, related_name="service_logs")
    village = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("村（社区）"))
    grid = models.ForeignKey(Region, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("网格"))
    kind = models.CharField(_("服务类型"), max_length=14, choices=ServiceKind.choices)
    occurred_at = models.DateTimeField(_("服务时间"))
    minutes = models.PositiveIntegerField(_("时长（分钟）"))
    summary = models.CharField(_("摘要"), max_length=500)  # numbers typed in it are masked by the service
    recorded_by = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("顾问服务日志")
        verbose_name_plural = _("顾问服务日志")
        indexes = [models.Index(fields=["adviser", "occurred_at"], name="network_log_adviser_time")]


class Terminal(models.Model):
    """A smart legal-service terminal, a village all-in-one machine or a 24-hour 法超市. It signs in with its token,
    of which only the SHA-256 of the secret part is stored (the prefix finds the row)."""

    code = models.CharField(_("终端编号"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=TerminalKind.choices)
    region = models.ForeignKey(Region, models.PROTECT, related_name="legal_terminals", verbose_name=_("所在区划"))
    site = models.ForeignKey(Site, models.SET_NULL, null=True, blank=True, related_name="terminals",
                             verbose_name=_("所在服务点"))
    token_prefix = models.CharField(max_length=12, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("启用"), default=True)
    last_seen_at = models.DateTimeField(_("最近在线"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("智能终端")
        verbose_name_plural = _("智能终端")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TerminalVisit(models.Model):
    """Visits of one terminal on one day (a counter, one row per terminal and day)."""

    terminal = models.ForeignKey(Terminal, models.CASCADE, related_name="visits")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["terminal", "day"]
        constraints = [models.UniqueConstraint(fields=["terminal", "day"], name="network_visit_terminal_day")]


class CodeScan(models.Model):
    """Scans of one 有法码 (of a village or of a site) on one day."""

    target = models.CharField(max_length=10)  # enums.CodeTarget
    key = models.CharField(max_length=20)  # the village's region code, or the site's id
    region = models.ForeignKey(Region, models.PROTECT, related_name="+")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["target", "key", "day"]
        constraints = [models.UniqueConstraint(fields=["target", "key", "day"], name="network_scan_target_day")]


class PhoneReveal(AppendOnlyModel):
    """A villager tapped 显示完整号码 on a village page: the adviser's mobile was shown in full."""

    adviser = models.ForeignKey(Adviser, models.PROTECT, related_name="+")
    village = models.ForeignKey(Region, models.PROTECT, related_name="+")
    viewer = models.ForeignKey(User, models.PROTECT, null=True, blank=True, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("顾问号码查看记录")
        verbose_name_plural = _("顾问号码查看记录")


__all__ = ["Adviser", "Assignment", "CodeScan", "DutyShift", "PhoneReveal", "ServiceKind", "ServiceLog", "Site",
           "Team", "TeamMember", "Terminal", "TerminalKind", "TerminalVisit"]
