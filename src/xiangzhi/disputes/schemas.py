"""API schemas of 桐解码. Personal data leaves only masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import (
    Bool,
    Int,
    IsoDate,
    IsoDateTime,
    Label,
    OptionalIdNumber,
    OptionalPhone,
    RegionCode,
    Strict,
)

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
    NotAcceptedGround,
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
    TerminationReason,
)
from .services.deadlines import RiskReportIn
from .services.importing import MODES as IMPORT_MODES

TypeCode = Field("", max_length=30, pattern=r"^[-a-zA-Z0-9_]*$", description="纠纷类型代码；留空由系统建议")


class PartySchemaIn(Strict):
    kind: PartyKind = Field(PartyKind.PERSON, description="person 自然人 / organisation 单位")
    name: str = Field("", max_length=60, examples=["张三"])
    id_number: OptionalIdNumber = Field("", description="身份证号（被申请人可不填）")
    phone: OptionalPhone = ""
    org_name: str = Field("", max_length=120)
    region_code: RegionCode | Literal[""] = Field(
        "", description="当事人居住的村（社区）区划代码（被申请人选填；与申请人不在同一村或乡镇的，由共同的上一级调解委员会调处）")
    sex: Sex | Literal[""] = Field("", description="性别（协议书载明的当事人基本情况，选填）")
    ethnicity: str = Field("", max_length=20, description="民族（选填，加密保存）")
    occupation: str = Field("", max_length=120, description="职业或工作单位（选填，加密保存）")


OtherProceedingField = Field(OtherProceeding.NONE, description=(
    "本纠纷是否已由其他机关受理（人民调解工作若干规定第22条）：none 没有 / court 人民法院 / arbitration 仲裁机构 / "
    "administrative 行政机关 / public_security 公安机关；已受理的登记后建议不予受理"))


class IntakeSchemaIn(Strict):
    applicant: PartySchemaIn
    respondents: list[PartySchemaIn] = Field(..., min_length=1, max_length=50)
    region_code: RegionCode = Field(..., description="纠纷发生地村（社区）或网格的区划代码")
    description: str = Field(..., min_length=1, max_length=5000, examples=["隔壁邻居把围墙砌到我家院子里来了，占了一米多"])
    request: str = ""
    type_code: str = TypeCode
    place: str = Field("", max_length=120)
    consent: Bool = False
    source: CaseSource = Field(CaseSource.APPLICATION, description="案件来源")
    risk_level: RiskLevel = RiskLevel.NORMAL
    on_spot_agreement: str = Field("", description="一米调解：网格员当场化解时达成的内容（仅 channel=grid）")
    preferred_mediator: str = Field("", max_length=60, description="申请人希望的调解员姓名（人民调解法第23条，选填）")
    other_proceeding: OtherProceeding = OtherProceedingField
    channel: str = Field("window", max_length=10, json_schema_extra={"enum": ["window", "grid"]},
                         description="工作人员：window 窗口 / grid 网格员代办；群众提交时忽略（不合法的渠道 422）")


class ReferralIn(Strict):
    applicant: PartySchemaIn
    respondents: list[PartySchemaIn] = Field(..., min_length=1, max_length=50)
    region_code: RegionCode
    description: str = Field(..., min_length=1, max_length=5000)
    request: str = ""
    type_code: str = TypeCode
    risk_level: RiskLevel = RiskLevel.NORMAL
    referral_ref: str = Field("", max_length=60, description="移送单位的文书编号")
    other_proceeding: OtherProceeding = OtherProceedingField


class TransitionIn(Strict):
    to: CaseStage = Field(..., description="目标阶段")
    reason: str = ""
    ground: NotAcceptedGround | Literal[""] = Field("", description="不予受理事由（转为 not_accepted 时）")
    redirect_to: str = ""
    mediator_id: Int | None = None
    chosen_by_party: Bool = False
    agreement_text: str = ""
    agreement_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    termination_reason: TerminationReason | Literal[""] = Field("", description="终止事由（转为 terminated 时）")
    agreement_facts: str = Field("", max_length=5000, description="书面协议：纠纷主要事实和争议事项（调解员中立表述）")
    agreement_responsibilities: str = Field("", max_length=5000, description="书面协议：各方当事人的责任")
    agreement_performance: str = Field("", max_length=2000, description="书面协议：履行方式和地点")
    agreement_due: IsoDate | None = Field(None, description="书面协议：履行期限")


class AgreementIn(Strict):
    """修改尚未生效的书面协议（人民调解法第29条）：保存为新版本，已有签名和印章须重新进行。"""
    agreement_text: str = Field(..., min_length=4, max_length=5000)
    agreement_amount: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)
    agreement_facts: str = Field("", max_length=5000)
    agreement_responsibilities: str = Field("", max_length=5000)
    agreement_performance: str = Field("", max_length=2000)
    agreement_due: IsoDate | None = None
    reason: str = Field("", max_length=200)


class InvestigationIn(Strict):
    """调查笔录：被调查人、时间、地点、调查人、内容。"""
    heard: str = Field(..., min_length=1, max_length=120)
    held_at: IsoDateTime
    place: str = Field(..., min_length=1, max_length=120)
    investigators: str = Field(..., min_length=1, max_length=120)
    content: str = Field(..., min_length=4)


class InvestigationOut(Schema):
    id: int
    heard: str
    held_at: dt.datetime
    place: str
    investigators: str
    content: str


class PartyDetailsIn(Strict):
    """当事人基本情况（协议书载明；民族、职业、住址加密保存）。"""
    sex: Sex | Literal[""] = ""
    ethnicity: str = Field("", max_length=20)
    occupation: str = Field("", max_length=120)
    address: str = Field("", max_length=200)


class FileIn(Strict):
    remarks: str = Field("", max_length=500, description="卷内备考表的备考")


class CaseFileOut(Schema):
    number: str = Field(..., description="本调解委员会的卷宗号（按委员会、年度编号）")
    organisation: str
    year: int
    retention: str = Field(..., description="保管期限")
    item_count: int = Field(..., description="卷内材料件数")
    remarks: str
    filed_by: str
    filed_at: dt.datetime


class DocumentOfferOut(Schema):
    kind: str
    title: str
    full_data: bool = Field(..., description="须载明当事人完整个人信息（签发须有权限并填写 reason）")
    issuable: bool = Field(..., description="您可以签发")


class SessionIn(Strict):
    held_at: IsoDateTime
    place: str = Field(..., min_length=1, max_length=120)
    attendees: str = Field(..., min_length=1, max_length=300)
    summary: str = Field(..., min_length=4)


class SignatureIn(Strict):
    party_id: Int | None = None
    as_mediator: Bool = False
    method: SignatureMethod = SignatureMethod.HANDWRITTEN


class PartySignIn(Strict):
    agreement_sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$",
                                  description="所阅读协议文本的 SHA-256（见 GET …/agreement），防止签署已变更的协议")
    confirm: Bool = Field(..., description="当事人确认已阅读协议全文并同意")


class RetriageIn(Strict):
    type_code: str = Field(..., max_length=30, pattern=r"^[-a-zA-Z0-9_]*$")
    risk_level: RiskLevel | None = None
    reroute: Bool = True
    reason: str = ""


class CaseListOut(Schema):
    id: int
    number: str
    archive_number: str
    stage: CaseStage
    stage_label: Label
    colour: Colour = Field(..., description="五色管理：red / orange / yellow / blue / green")
    colour_label: Label = Field(..., description="颜色文字（红色、橙色……），与倒计时一起显示，不单靠颜色")
    due_at: dt.datetime | None = Field(None, description="本阶段期限")
    countdown: str = Field("", description="倒计时，如“剩 2 天 14 小时”“已超期 2 天 3 小时”；无期限时为空")
    dispute_type: str
    region_code: str
    region_name: str
    organisation: str | None
    created_at: dt.datetime


class CasePage(Schema):
    """The case list is keyset-paginated (no count): follow ``next`` (or pass ``next_after`` as ``after``)."""

    items: list[CaseListOut]
    count: int | None = Field(None, description="游标分页不计总数，恒为 null")
    next: str | None = Field(None, description="下一页的地址；没有下一页时为 null")
    next_after: int | None = Field(None, description="下一页：把它作为 after 参数传回")


class PartyOut(Schema):
    id: int
    role: PartyRole
    kind: PartyKind
    name: str = Field(..., description="脱敏姓名或单位名称")
    consent: Consent
    consent_method: ConsentMethod | Literal[""] = Field("", description="答复方式（本人网上答复，或当面、电话、书面向工作人员表示）")
    consent_at: dt.datetime | None = None
    notice_method: NoticeMethod | Literal[""] = Field("", description="无手机号的当事人以何种方式被告知申请")
    notice_at: dt.datetime | None = None
    needs_notice: bool = Field(False, description="没有手机号、尚未以记录在案的方式通知")
    rights_method: RightsMethod | Literal[""] = Field("", description="权利义务告知书送达方式")
    rights_served_at: dt.datetime | None = None


class EventOut(Schema):
    at: dt.datetime
    kind: str = Field(..., description="EventKind 之一，或期限、联动、回访等模块的事件（risk_raised、extension、joint、"
                                        "handover、feedback、visit、not_performed、judicial）",
                      examples=[EventKind.TRANSITION])
    actor: str
    stage_from: str
    stage_to: str
    text: str


class NotAcceptanceProposalOut(Schema):
    ground: NotAcceptedGround
    redirect_to: str


class CaseDetailOut(CaseListOut):
    public_url: str
    source: CaseSource
    channel: Channel
    risk_level: RiskLevel
    level: Level
    mediator: str | None
    mediator_confirmed: bool
    preferred_mediator: str = Field("", description="申请人登记时希望的调解员")
    confirm_due: dt.datetime | None
    description: str
    request: str
    repeat_of: str | None = Field(None, description="此前关联案件的编号（仅当您可查看该案）")
    repeat_elsewhere: bool = Field(False, description="关联的此前案件在您的查看范围之外")
    agreement_text: str
    agreement_facts: str = ""
    agreement_responsibilities: str = ""
    agreement_performance: str = ""
    agreement_due: dt.date | None = None
    agreement_effective_at: dt.datetime | None
    outcome_note: str
    parties: list[PartyOut]
    timeline: list[EventOut]
    allowed_transitions: list[CaseStage]
    cross_area: CrossArea = Field(CrossArea.NONE, description="跨村（villages）或跨乡镇（towns）纠纷，由共同的上一级调解委员会调处")
    other_proceeding: OtherProceeding = Field(OtherProceeding.NONE, description="登记时告知的其他机关受理情况")
    proposed_non_acceptance: NotAcceptanceProposalOut | None = Field(
        None, description="建议不予受理（已由其他机关受理，若干规定第22条）：事由和告知当事人的去向；由调解委员会决定")


class AttachmentOut(Schema):
    id: int
    category: AttachmentCategory = AttachmentCategory.EVIDENCE
    original_name: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class SessionOut(Schema):
    id: int
    held_at: dt.datetime
    place: str
    attendees: str
    summary: str


class SignatureOut(Schema):
    id: int
    party_id: int | None
    mediator: bool
    method: SignatureMethod
    signed_at: dt.datetime
    agreement_effective: bool


class PublicCaseOut(Schema):
    stage: CaseStage
    stage_label: Label


class SignerOut(Schema):
    role: Label = Field(..., description="身份（申请人、被申请人……）")
    name: str = Field(..., description="脱敏姓名或单位名称")
    signed_at: dt.datetime | None


class PartyAgreementOut(Schema):
    number: str
    text: str
    amount: Decimal | None
    agreement_sha256: str
    signers: list[SignerOut]
    mediator_signed: bool
    sealed: bool
    signed_at: dt.datetime | None = Field(None, description="本人签名时间；未签名为空")


class TextNumbersRevealIn(Strict):
    reason: str = Field(..., min_length=2, max_length=200, description="查看事由（记入审计日志）")


class TextNumberOut(Schema):
    field: str = Field(..., description="所在字段：description / request / place / preferred_mediator / agreement_text")
    kind: str = Field(..., description="id_number 身份证号 / phone 手机号")
    masked: str = Field(..., description="文中显示的脱敏号码")
    value: str = Field(..., description="完整号码")


# --- deadline and colour, risk, joint handling, judicial confirmation, documents, import jobs --------------------
class ClockOut(Schema):
    colour: Colour
    colour_label: Label
    due_at: dt.datetime | None
    deadline_status: str
    countdown: str


class RiskReportBody(Strict):
    """人民调解法 第25条: the report to the police or the competent department."""
    recipient: ReportRecipient
    reported_to: str = Field(..., min_length=2, max_length=120, examples=["乌镇派出所 王警官"])
    method: ReportMethod
    reported_at: IsoDateTime
    reference: str = Field("", max_length=60)
    note: str = Field("", max_length=300)

    def as_input(self) -> RiskReportIn:
        return RiskReportIn(recipient=self.recipient, reported_to=self.reported_to, method=self.method,
                            reported_at=self.reported_at, reference=self.reference, note=self.note)


class RiskIn(Strict):
    level: RiskLevel
    reason: str = Field(..., min_length=2, examples=["双方情绪激动，有肢体冲突苗头"])
    report: RiskReportBody | None = Field(None, description="提高为重大风险时必填：向公安机关或有关部门报告的情况")


class RiskReportOut(Schema):
    id: int
    recipient: str
    reported_to: str
    method: str
    reported_at: dt.datetime
    reference: str
    note: str


class JointIn(Strict):
    organisation_id: Int
    task: str = Field(..., min_length=4, max_length=500, examples=["核实出警记录"])
    due_at: IsoDateTime = Field(..., description="办理期限（须晚于现在）")
    contact_name: str = Field(..., min_length=1, max_length=40)
    contact_phone: OptionalPhone = ""


class JointOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    task: str
    due_at: dt.datetime
    status: JointStatus
    late: bool
    replies: int


class ReplyIn(Strict):
    text: str = Field(..., min_length=2, examples=["已核实，出警记录附后"])


class JudicialIn(Strict):
    court: str = Field(..., min_length=1, max_length=80, examples=["桐乡市人民法院"])
    applied_at: IsoDateTime | None = Field(None, description="申请时间（不填为现在；不得晚于现在，不得早于协议生效）")


class ExtensionConsentSchemaIn(Strict):
    party_id: Int
    method: Literal["in_person", "phone", "written"] = Field(..., description="当面 / 电话 / 书面")
    consented_at: IsoDateTime = Field(..., description="该当事人同意延长的时间（不得晚于现在，不得早于调解开始）")


class ExtensionIn(Strict):
    consents: list[ExtensionConsentSchemaIn] = Field(..., max_length=60, description="每一位当事人的同意，缺一不可")
    reason: str = Field("", max_length=200)


class ExtensionConsentOut(Schema):
    party_id: int
    role: PartyRole
    method: str
    consented_at: dt.datetime


class ExtensionOut(Schema):
    months: int
    reason: str
    granted_at: dt.datetime
    consents: list[ExtensionConsentOut]


class JudicialOut(Schema):
    status: JudicialStatus
    court: str
    applied_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    window_closes: dt.datetime | None


class DocumentIn(Strict):
    reason: str = Field("", max_length=200, description="签发协议书、司法确认申请书时查看完整个人信息的理由")
    party_id: Int | None = Field(None, description="权利义务告知书：按当事人生成（该当事人的 id）")


class ImportErrorOut(Schema):
    row: int
    column: str
    problem: str


class ImportJobOut(Schema):
    id: int
    file_name: str
    mode: Literal[IMPORT_MODES]
    status: ImportStatus
    status_label: Label
    percent: int
    expected_rows: int
    total_rows: int
    processed_rows: int
    valid_rows: int
    imported_rows: int
    error_count: int
    errors: list[ImportErrorOut]
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    updated_at: dt.datetime | None
    finished_at: dt.datetime | None


# --- the workbench's to-do view, and what the case page does that the API did not -----------------------------
class TodoGroupOut(Schema):
    key: str
    label: str
    hint: str
    count: int
    items: list[CaseListOut]


class TodoOut(Schema):
    groups: list[TodoGroupOut]


class ContactOut(Schema):
    party_id: int
    role: PartyRole
    name: str
    phone: str


class HandoverIn(Strict):
    direction: HandoverDirection
    counterpart: str = Field(..., min_length=1, max_length=120, examples=["桐乡市人民法院"])
    reference: str = Field("", max_length=60)
    note: str = Field("", max_length=300)


class HandoverOut(Schema):
    id: int
    direction: HandoverDirection
    counterpart: str
    reference: str
    note: str
    at: dt.datetime


class JudicialStepIn(Strict):
    status: JudicialStatus
    at: IsoDateTime | None = Field(None, description="法院作出该步骤的时间；留空为现在")
    court_case_number: str = Field("", max_length=60)
    note: str = Field("", max_length=300)


class VisitIn(Strict):
    performed: Bool
    satisfaction: Int | None = Field(None, ge=1, le=5)
    note: str = Field("", max_length=500)
    visited_at: IsoDateTime | None = Field(None, description="回访时间；留空为现在")


class VisitOut(Schema):
    id: int
    performed: bool
    satisfaction: int | None
    note: str
    visited_at: dt.datetime


class HandBackIn(Strict):
    reason: str = Field(..., min_length=2, max_length=300, examples=["不属于本部门职责，建议转交住建部门"])


class JointTaskOut(JointOut):
    case_id: int
    case_number: str
    contact_name: str
    replies_text: list[str] = []


class SlipOut(Schema):
    number: str
    archive_number: str
    public_url: str
    qr_svg_url: str
    qr_png_url: str


class LookupOut(Schema):
    number: str
    stage: CaseStage
    stage_label: str
    token: str | None = Field(None, description="当事人本人（手机验证登录）查询时给出案件二维码令牌")


class PartyReasonIn(Strict):
    reason: str = Field("", max_length=200)


class ConsentIn(Strict):
    agree: Bool = Field(..., description="true 同意调解；false 明确拒绝调解")


class StaffConsentIn(Strict):
    party_id: Int
    agree: Bool = Field(..., description="true 同意调解；false 明确拒绝调解（拒绝即依法不予受理或终止调解）")
    method: Literal["in_person", "phone", "written"] = Field(..., description="当面、电话或书面表示")
    at: IsoDateTime = Field(..., description="当事人表示意见的时间（不得晚于现在，不得早于案件登记）")
    note: str = Field("", max_length=200)


class NoticeIn(Strict):
    party_id: Int
    method: NoticeMethod
    by: str = Field(..., min_length=1, max_length=60, description="通知人，如“村委会王主任”")
    at: IsoDateTime = Field(..., description="通知时间（不得晚于现在，不得早于案件登记）")


class RightsNoticeIn(Strict):
    party_ids: list[Int] = Field(..., min_length=1, max_length=60, description="送达的当事人")
    method: RightsMethod
    at: IsoDateTime = Field(..., description="送达时间（不得晚于现在，不得早于案件登记）")


class ConflictIn(Strict):
    reason: str = Field(..., min_length=4, max_length=300, description="回避事由：本人是当事人或与当事人有利害关系等")


class RecusalRequestIn(Strict):
    party_id: Int
    reason: str = Field(..., min_length=4, max_length=300)


class PartyRecusalIn(Strict):
    reason: str = Field(..., min_length=4, max_length=300, description="申请更换调解员的理由")


class RecusalDecisionIn(Strict):
    grant: Bool = Field(..., description="true 准许更换；false 不予更换（须说明理由）")
    note: str = Field("", max_length=300)
    mediator_id: Int | None = Field(None, description="准许时改派的调解员（留空则退回待指派）")


class RecusalOut(Schema):
    id: int
    party_id: int
    reason: str
    requested_at: dt.datetime
    status: RecusalStatus
    decision_note: str
    decided_at: dt.datetime | None


class RatingIn(Strict):
    rating: Int = Field(..., ge=1, le=5)
    comment: str = Field("", max_length=500)


class NotPerformedIn(Strict):
    note: str = Field("", max_length=500)


class PartyStatusOut(Schema):
    number: str
    stage: CaseStage
    stage_label: str
    consent: Consent
