"""桐解码 tables: cases, parties, materials, the timeline, mediation records, signatures and seals; dispute types and
the routing table (both edited by administrators); the deadline clock of each case (五色管理), mediation extensions,
joint handling (联动联办), hand-overs (诉调对接), party feedback and follow-up visits (回访), judicial confirmation
(司法确认) and import jobs. No workflow logic here: every write is in the service modules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.enums import OrgKind, Specialty
from xiangzhi.core.fields import EncryptedTextField
from xiangzhi.core.models import AppendOnlyModel, Organisation, Person, Region

from .enums import (
    AttachmentCategory,
    CaseSource,
    CaseStage,
    Channel,
    Colour,
    Consent,
    ConsentMethod,
    CrossArea,
    EventKind,
    HandoverDirection,
    ImportStatus,
    JointStatus,
    JudicialStatus,
    Level,
    NoticeMethod,
    OtherProceeding,
    PartyKind,
    PartyRole,
    RecusalStatus,
    ReportMethod,
    ReportRecipient,
    RightsMethod,
    RiskLevel,
    Sex,
    SignatureMethod,
)


class DisputeType(models.Model):
    """A dispute category (人民调解统计口径); seeded by a data migration, editable by administrators."""

    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("纠纷类型")
        verbose_name_plural = _("纠纷类型")

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Type × region prefix × risk level → which organisation handles the case. The most specific rule wins."""

    dispute_type = models.ForeignKey(DisputeType, models.CASCADE, null=True, blank=True, verbose_name=_("纠纷类型"),
                                     help_text=_("留空表示任意类型"))
    region_prefix = models.CharField(_("区划代码前缀"), max_length=15, blank=True, help_text=_("留空表示全市"))
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices, blank=True)
    target_level = models.CharField(_("承办层级"), max_length=10, choices=Level.choices)
    org_kind = models.CharField(_("组织类型"), max_length=30, choices=OrgKind.choices)
    specialty = models.CharField(_("专业领域"), max_length=30, choices=Specialty.choices, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    note = models.CharField(_("说明"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("分流规则")
        verbose_name_plural = _("分流规则")
        ordering = ["dispute_type__order", "region_prefix", "risk_level"]

    def __str__(self) -> str:
        return f"{self.dispute_type or '任意类型'} · {self.region_prefix or '全市'} · {self.risk_level or '任意风险'}"

    @property
    def specificity(self) -> tuple[int, int, int]:
        return (1 if self.risk_level else 0, 1 if self.dispute_type_id else 0, len(self.region_prefix))


class CaseCounter(models.Model):
    """One row per year; locked with SELECT … FOR UPDATE to hand out case sequence numbers without gaps or races."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(models.Model):
    """One dispute, from the first report to the archive: one number and one code for its whole life (一案一码)."""

    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("案件编号"), max_length=40, unique=True)
    archive_number = models.CharField(_("卷宗号"), max_length=40, unique=True)
    token = models.CharField(max_length=48, unique=True, editable=False)

    stage = models.CharField(_("阶段"), max_length=20, choices=CaseStage.choices, default=CaseStage.REPORTED)
    stage_changed_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(_("受理渠道"), max_length=10, choices=Channel.choices)
    source = models.CharField(_("案件来源"), max_length=24, choices=CaseSource.choices)
    referral_org = models.ForeignKey(Organisation, models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("移送单位"))
    referral_ref = models.CharField(_("移送单位文号"), max_length=60, blank=True)

    dispute_type = models.ForeignKey(DisputeType, models.PROTECT, related_name="cases", verbose_name=_("纠纷类型"))
    suggested_type = models.ForeignKey(DisputeType, models.PROTECT, null=True, blank=True, related_name="+")
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.NORMAL)
    region = models.ForeignKey(Region, models.PROTECT, related_name="+", verbose_name=_("纠纷发生地"))
    region_code = models.CharField(max_length=15, editable=False)
    place = models.CharField(_("具体地点"), max_length=120, blank=True)
    level = models.CharField(_("承办层级"), max_length=10, choices=Level.choices, default=Level.VILLAGE)
    organisation = models.ForeignKey(Organisation, models.PROTECT, null=True, blank=True, related_name="cases",
                                     verbose_name=_("承办调解组织"))
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("调解员"))
    mediator_chosen_by_party = models.BooleanField(default=False)
    # 人民调解法 第23条: a party may choose the mediator; the applicant names one at intake, staff decide at assignment
    preferred_mediator = models.CharField(_("当事人希望的调解员"), max_length=60, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    confirm_due = models.DateTimeField(null=True, blank=True)
    mediator_confirmed_at = models.DateTimeField(null=True, blank=True)

    description = models.TextField(_("纠纷事实"))
    request = models.TextField(_("申请事项"), blank=True)
    consent_at = models.DateTimeField(_("申请人同意调解时间"), null=True, blank=True)
    repeat_of = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="repeats",
                                  verbose_name=_("重复纠纷"))
    resolved_on_spot = models.BooleanField(_("一米调解当场化解"), default=False)
    # 人民调解工作若干规定 第21条: parties living in different villages or towns, routed to the common higher level
    cross_area = models.CharField(_("跨地区纠纷"), max_length=10, choices=CrossArea.choices, blank=True, default="")
    # 人民调解工作若干规定 第22条: the matter is already before another body, as said at intake
    other_proceeding = models.CharField(_("是否已由其他机关受理"), max_length=16, choices=OtherProceeding.choices,
                                        default=OtherProceeding.NONE)

    agreement_text = models.TextField(_("协议内容"), blank=True)
    agreement_amount = models.DecimalField(_("协议金额"), max_digits=12, decimal_places=2, null=True, blank=True)
    # 人民调解法 第29条: the particulars of the written agreement besides what is agreed (``agreement_text``), part of
    # the version the signatures and the seal bind (selectors.agreement_digest)
    agreement_facts = models.TextField(_("纠纷主要事实和争议事项"), blank=True)
    agreement_responsibilities = models.TextField(_("各方当事人的责任"), blank=True)
    agreement_performance = models.TextField(_("履行方式和地点"), blank=True)
    agreement_due = models.DateField(_("履行期限"), null=True, blank=True)
    agreement_effective_at = models.DateTimeField(_("协议生效时间"), null=True, blank=True)
    outcome_reason = models.CharField(_("不予受理/终止事由"), max_length=40, blank=True)
    outcome_note = models.TextField(_("说明与告知"), blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("纠纷案件")
        verbose_name_plural = _("纠纷案件")
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="case_year_seq"),
            # a department's referral (移送) with its document number is one case, however often it is sent
            models.UniqueConstraint(fields=["referral_org", "referral_ref"], name="case_referral_once",
                                    condition=models.Q(referral_org__isnull=False) & ~models.Q(referral_ref="")),
        ]
        # Every workbench filter is an index that ends in id, so "newest first, after id X" is an index range scan.
        indexes = [
            models.Index(fields=["stage", "id"], name="case_stage_id"),
            models.Index(fields=["region_code", "id"], name="case_region_id"),
            models.Index(fields=["region_code"], name="case_region_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["organisation", "id"], name="case_org_id"),
            # partial: a query planner that only knows "rows per value" (SQLite's ANALYZE) would count every
            # unassigned case as one value and walk the table instead of reading one mediator's cases
            models.Index(fields=["mediator", "id"], name="case_mediator_set_id", condition=models.Q(mediator__isnull=False)),
            models.Index(fields=["referral_org", "id"], name="case_referral_set_id",
                         condition=models.Q(referral_org__isnull=False)),
            models.Index(fields=["dispute_type", "id"], name="case_type_id"),
            models.Index(fields=["created_at"], name="case_created"),
            models.Index(fields=["risk_level", "id"], name="case_risk_id"),
            models.Index(fields=["stage", "confirm_due"], name="case_confirm_due"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def public_path(self) -> str:
        return f"/cases/s/{self.token}/"

    @property
    def public_url(self) -> str:
        return settings.XIANGZHI_PUBLIC_URL + self.public_path

    @property
    def colour(self) -> str:
        from .colours import colour_of

        return colour_of(self)

    @property
    def agreement_effective(self) -> bool:
        return self.agreement_effective_at is not None


class Party(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices)
    kind = models.CharField(_("类型"), max_length=12, choices=PartyKind.choices, default=PartyKind.PERSON)
    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="case_parties")
    org_name = models.CharField(_("单位名称"), max_length=120, blank=True)
    consent = models.CharField(_("是否同意调解"), max_length=10, choices=Consent.choices, default=Consent.PENDING)
    consent_at = models.DateTimeField(null=True, blank=True)
    # how the answer was given and who recorded it (人民调解法 第17、23条); the timeline keeps every answer
    consent_method = models.CharField(_("答复方式"), max_length=12, choices=ConsentMethod.choices, blank=True)
    consent_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                            related_name="+")
    consent_note = models.CharField(_("答复说明"), max_length=200, blank=True)
    # a party an SMS cannot reach is told of the application by a recorded means: which, by whom, when
    notice_method = models.CharField(_("通知方式"), max_length=20, choices=NoticeMethod.choices, blank=True)
    notice_by = models.CharField(_("通知人"), max_length=60, blank=True)
    notice_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    notice_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                           related_name="+")
    # the 权利义务告知书 served on this party (人民调解法 第23、24条; 若干规定 第30条): how, when, recorded by whom
    rights_method = models.CharField(_("告知书送达方式"), max_length=12, choices=RightsMethod.choices, blank=True)
    rights_served_at = models.DateTimeField(_("告知书送达时间"), null=True, blank=True)
    rights_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                           related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    # 当事人基本情况 (人民调解法 第29条): what the written agreement names besides the person's name, ID and address;
    # ethnicity and occupation are personal, kept encrypted
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    ethnicity = EncryptedTextField(_("民族"), blank=True, default="")
    occupation = EncryptedTextField(_("职业或工作单位"), blank=True, default="")

    class Meta:
        ordering = ["case", "order", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        if self.kind == PartyKind.ORGANISATION:
            return self.org_name
        return self.person.masked_name if self.person_id else ""


class Attachment(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/", max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    party = models.ForeignKey(Party, models.SET_NULL, null=True, blank=True, related_name="+")
    # where it goes in the case file (卷内目录): evidence, a party's identity document (身份证明), …
    category = models.CharField(_("材料类别"), max_length=12, choices=AttachmentCategory.choices,
                                default=AttachmentCategory.EVIDENCE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")

    def __str__(self) -> str:
        return self.original_name


class TimelineEvent(AppendOnlyModel):
    """What happened to a case, in order. Append-only; the parties see the rows marked public."""

    case = models.ForeignKey(Case, models.PROTECT, related_name="timeline")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=100, blank=True)
    stage_from = models.CharField(max_length=20, blank=True)
    stage_to = models.CharField(max_length=20, blank=True)
    text = models.CharField(max_length=300, blank=True)
    public = models.BooleanField(default=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}"


class MediationSession(models.Model):
    """调解工作记录: one meeting — when, where, who attended, what was said."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=120)
    attendees = models.CharField(_("参加人员"), max_length=300)
    summary = models.TextField(_("调解情况"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")

    def __str__(self) -> str:
        return f"{self.held_at:%Y-%m-%d %H:%M} {self.place}"


class InvestigationRecord(AppendOnlyModel):
    """调查笔录: one hearing outside the mediation sessions — who was heard, when, where, by whom, what was said.
    Kept as written: a correction is a further record."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="investigations")
    heard = models.CharField(_("被调查人"), max_length=120)
    held_at = models.DateTimeField(_("调查时间"))
    place = models.CharField(_("调查地点"), max_length=120)
    investigators = models.CharField(_("调查人"), max_length=120)
    content = models.TextField(_("调查内容"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("调查笔录")
        verbose_name_plural = _("调查笔录")

    def __str__(self) -> str:
        return f"investigation {self.pk} of case {self.case_id}"


class FileCounter(models.Model):
    """One row per committee and year; locked with SELECT … FOR UPDATE to hand out the committee's own file numbers
    (卷宗号) without gaps or races."""

    organisation = models.ForeignKey(Organisation, models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="file_counter_org_year")]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last}"


class CaseFile(models.Model):
    """归档: the case's file (一案一卷, domain.md 2.5) as the committee filed it — its own file number (卷宗号, per
    committee and year), the retention period, who filed it, when, the number of items and the remarks of the closing
    note sheet (卷内备考表)."""

    case = models.OneToOneField(Case, models.PROTECT, related_name="casefile")
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="+", verbose_name=_("立卷单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("卷号"))
    number = models.CharField(_("卷宗号"), max_length=80)
    retention = models.CharField(_("保管期限"), max_length=10)
    items = models.PositiveSmallIntegerField(_("卷内材料件数"))
    remarks = models.CharField(_("备考"), max_length=500, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("立卷人"))
    filed_at = models.DateTimeField(_("立卷时间"), default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "year", "seq"], name="casefile_org_year_seq")]
        verbose_name = _("卷宗")
        verbose_name_plural = _("卷宗")

    def __str__(self) -> str:
        return self.number


class Signature(models.Model):
    """A signature on the written agreement: one per party and one by the mediator (人民调解法 第29条), each bound to the
    version of the text it signs (``agreement_sha256``, the SHA-256 of the agreement text): a new version of the
    agreement needs every signature again."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="signatures")
    party = models.ForeignKey(Party, models.PROTECT, null=True, blank=True, related_name="signatures")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    agreement_sha256 = models.CharField(max_length=64)
    method = models.CharField(max_length=12, choices=SignatureMethod.choices, default=SignatureMethod.HANDWRITTEN)
    signed_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "agreement_sha256", "party"], name="signature_one_per_party"),
            models.UniqueConstraint(fields=["case", "agreement_sha256", "mediator"],
                                    name="signature_one_per_mediator"),
            models.CheckConstraint(condition=models.Q(party__isnull=False) | models.Q(mediator__isnull=False),
                                   name="signature_has_signer"),
        ]

    def __str__(self) -> str:
        return f"signature {self.pk} of case {self.case_id}"


class Seal(models.Model):
    """The mediation committee's seal on the written agreement, bound like a signature to the version it seals."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="seals")
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="+")
    agreement_sha256 = models.CharField(max_length=64)
    applied_at = models.DateTimeField(default=timezone.now)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "agreement_sha256"], name="seal_one_per_version")]

    def __str__(self) -> str:
        return f"seal of case {self.case_id}"


class CaseClock(models.Model):
    """The current stage's deadline and colour of a case, maintained by the periodic colour pass (streamed in id
    chunks). ``stage``/``stage_changed_at`` say which stage the deadline was computed for, so a stale row is seen."""

    case = models.OneToOneField(Case, models.CASCADE, primary_key=True, related_name="clock")
    stage = models.CharField(max_length=20)
    stage_changed_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    colour = models.CharField(max_length=8, choices=Colour.choices)
    colour_since = models.DateTimeField(default=timezone.now)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["colour", "case"], name="clock_colour_case"),
                   models.Index(fields=["due_at"], name="clock_due")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.colour}"


class MediationExtension(models.Model):
    """延长调解期限: once per case, only with every party's consent (人民调解工作若干规定 第33条 and provincial
    rules), each recorded as an ``ExtensionConsent``."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="extension")
    months = models.PositiveSmallIntegerField(_("延长月数"), default=1)
    reason = models.CharField(_("理由"), max_length=200)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"extension of case {self.case_id}"


class ExtensionConsent(models.Model):
    """One party's consent to extending mediation: which party, how it was given, when, and who recorded it. An
    extension has one per party of the case. Rows migrated from the former two consent times carry no method."""

    extension = models.ForeignKey(MediationExtension, models.CASCADE, related_name="consents")
    party = models.ForeignKey(Party, models.PROTECT, related_name="+")
    method = models.CharField(_("同意方式"), max_length=12, choices=ConsentMethod.choices, blank=True)
    consented_at = models.DateTimeField(_("同意时间"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["extension", "party__order", "id"]
        constraints = [models.UniqueConstraint(fields=["extension", "party"], name="extension_consent_once")]

    def __str__(self) -> str:
        return f"consent of party {self.party_id} to extension {self.extension_id}"


class MediatorConflict(AppendOnlyModel):
    """A mediator's declaration that they are a party to a case or related to one (回避): recorded as made, and the
    mediator may not be assigned to the case again."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="conflicts")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    reason = models.CharField(_("回避事由"), max_length=300)
    declared_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["declared_at", "id"]

    def __str__(self) -> str:
        return f"conflict of mediator {self.mediator_id} in case {self.case_id}"


class RecusalRequest(models.Model):
    """A party's request for another mediator (人民调解法 第23条), with its reason; decided by the committee: granted
    (the mediator is taken off and the case reassigned) or refused (the reason recorded, the party told)."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="recusal_requests")
    party = models.ForeignKey(Party, models.PROTECT, related_name="+")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    reason = models.CharField(_("申请理由"), max_length=300)
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=RecusalStatus.choices, default=RecusalStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("决定理由"), max_length=300, blank=True)
    new_mediator = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                     related_name="+")

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending"),
                                               name="recusal_one_pending")]

    def __str__(self) -> str:
        return f"recusal request {self.pk} of case {self.case_id}"


class RiskReport(AppendOnlyModel):
    """A report to the police or another competent department of a dispute that may become a public-order or criminal
    case (人民调解法 第25条): to whom (the body and, if known, the person), how, when, with what reference. Kept as
    written: a correction is a further report."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="risk_reports")
    recipient = models.CharField(_("报告对象"), max_length=12, choices=ReportRecipient.choices)
    reported_to = models.CharField(_("接收单位及人员"), max_length=120)
    method = models.CharField(_("报告方式"), max_length=12, choices=ReportMethod.choices)
    reported_at = models.DateTimeField(_("报告时间"))
    reference = models.CharField(_("接报编号或回执"), max_length=60, blank=True)
    note = models.CharField(_("报告内容摘要"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["reported_at", "id"]

    def __str__(self) -> str:
        return f"risk report {self.pk} of case {self.case_id}"


class JointTask(models.Model):
    """联动联办: the lead organisation invites a department into a case with a task, a deadline and a contact."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="joint_tasks")
    organisation = models.ForeignKey(Organisation, models.PROTECT, related_name="joint_tasks",
                                     verbose_name=_("协办单位"))
    task = models.CharField(_("协办事项"), max_length=500)
    due_at = models.DateTimeField(_("办理期限"))
    contact_name = models.CharField(_("联系人"), max_length=40)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=JointStatus.choices, default=JointStatus.OPEN)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(_("退回理由"), max_length=300, blank=True)

    class Meta:
        ordering = ["invited_at", "id"]
        indexes = [models.Index(fields=["organisation", "case"], name="joint_org_case")]

    def __str__(self) -> str:
        return f"joint task {self.pk} of case {self.case_id}"


class JointReply(models.Model):
    task = models.ForeignKey(JointTask, models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    text = models.TextField(_("答复"))
    file = models.FileField(upload_to="joint/%Y/%m/", max_length=200, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk} to task {self.task_id}"


class Handover(models.Model):
    """诉调对接 and other referrals: a case received from, or handed over to, a court, police station or department."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="handovers")
    direction = models.CharField(max_length=4, choices=HandoverDirection.choices)
    counterpart = models.CharField(_("对方单位"), max_length=120)
    reference = models.CharField(_("文号/案号"), max_length=60, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.direction} {self.counterpart}"


class Feedback(models.Model):
    """A party's satisfaction rating (1–5) and comment after the case closed, given on the QR status page."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="feedback")
    party = models.ForeignKey(Party, models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(_("满意度"))
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    performed = models.BooleanField(_("协议已履行"), null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "party"], name="feedback_one_per_party"),
            models.CheckConstraint(condition=models.Q(rating__gte=1, rating__lte=5), name="feedback_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"feedback {self.rating} on case {self.case_id}"


class FollowUpVisit(models.Model):
    """回访记录: party, whether the agreement was performed, satisfaction, visitor and time."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="visits")
    party = models.ForeignKey(Party, models.SET_NULL, null=True, blank=True, related_name="+")
    performed = models.BooleanField(_("是否履行"))
    satisfaction = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    note = models.CharField(_("回访情况"), max_length=500, blank=True)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("回访时间"))

    class Meta:
        ordering = ["visited_at", "id"]

    def __str__(self) -> str:
        return f"visit {self.pk} of case {self.case_id}"


class JudicialConfirmation(models.Model):
    """司法确认: joint application within 30 days of the agreement taking effect (民事诉讼法 第205条)."""

    case = models.OneToOneField(Case, models.CASCADE, related_name="judicial")
    court = models.CharField(_("受理法院"), max_length=80)
    status = models.CharField(max_length=14, choices=JudicialStatus.choices, default=JudicialStatus.APPLIED)
    applied_at = models.DateTimeField(_("申请时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    court_case_number = models.CharField(_("法院案号"), max_length=60, blank=True)
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    decision_note = models.CharField(_("裁定说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"judicial confirmation of case {self.case_id}: {self.status}"


class ImportJob(models.Model):
    """One upload of historical cases, run by a background worker: the stored file, who claimed it, progress (rows
    validated / written of the total) and the per-row error report. Progress is written by the importer only."""

    file_name = models.CharField(max_length=200)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=200, blank=True)
    mode = models.CharField(max_length=12, default="all")  # all = all-or-nothing; valid = only the valid rows
    status = models.CharField(max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    expected_rows = models.PositiveIntegerField(default=0)  # estimate before validation (sheet dimension, csv lines)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)  # rows validated
    valid_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)  # rows written
    error_count = models.PositiveIntegerField(default=0)  # all problems found; ``errors`` keeps the first 1,000
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=100, blank=True)  # who claimed the job (host:pid), empty while queued
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # last progress write (a stalled worker shows here)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.pk} {self.status}"

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.VALIDATING, ImportStatus.IMPORTING)

    @property
    def percent(self) -> int:
        """Share of the work done: validation is the first half, writing the second."""
        total = self.total_rows or self.expected_rows
        if self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED):
            return 100
        if not total:
            return 0
        if self.status == ImportStatus.IMPORTING:
            return min(99, 50 + 50 * self.imported_rows // max(self.valid_rows or total, 1))
        return min(50, 50 * self.processed_rows // total)
