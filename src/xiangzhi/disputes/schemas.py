"""API schemas of 桐解码. Personal data leaves only masked."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import Label, Strict

from .enums import CaseStage


class PartySchemaIn(Strict):
    kind: str = Field("person", description="person 自然人 / organisation 单位")
    name: str = ""
    id_number: str = Field("", description="身份证号（被申请人可不填）")
    phone: str = ""
    org_name: str = ""


class IntakeSchemaIn(Strict):
    applicant: PartySchemaIn
    respondents: list[PartySchemaIn]
    region_code: str = Field(..., description="纠纷发生地村（社区）或网格的区划代码")
    description: str
    request: str = ""
    type_code: str = Field("", description="纠纷类型代码；留空由系统建议")
    place: str = ""
    consent: bool = False
    source: str = Field("application", description="application / initiative / referral_police / referral_court / referral_government")
    risk_level: str = "normal"
    on_spot_agreement: str = Field("", description="一米调解：网格员当场化解时达成的内容（仅 channel=grid）")
    preferred_mediator: str = Field("", description="申请人希望的调解员姓名（人民调解法第23条，选填）")
    channel: str = Field("window", description="工作人员：window 窗口 / grid 网格员代办；群众提交时忽略")


class ReferralIn(Strict):
    applicant: PartySchemaIn
    respondents: list[PartySchemaIn]
    region_code: str
    description: str
    request: str = ""
    type_code: str = ""
    risk_level: str = "normal"
    referral_ref: str = Field("", description="移送单位的文书编号")


class TransitionIn(Strict):
    to: CaseStage = Field(..., description="目标阶段")
    reason: str = ""
    ground: str = ""
    redirect_to: str = ""
    mediator_id: int | None = None
    chosen_by_party: bool = False
    agreement_text: str = ""
    agreement_amount: Decimal | None = None
    termination_reason: str = ""


class SessionIn(Strict):
    held_at: dt.datetime
    place: str
    attendees: str
    summary: str


class SignatureIn(Strict):
    party_id: int | None = None
    as_mediator: bool = False
    method: str = "handwritten"


class PartySignIn(Strict):
    agreement_sha256: str = Field(..., description="所阅读协议文本的 SHA-256（见 GET …/agreement），防止签署已变更的协议")
    confirm: bool = Field(..., description="当事人确认已阅读协议全文并同意")


class RetriageIn(Strict):
    type_code: str
    risk_level: str | None = None
    reroute: bool = True
    reason: str = ""


class CaseListOut(Schema):
    id: int
    number: str
    archive_number: str
    stage: str
    stage_label: Label
    colour: str = Field(..., description="五色管理：red / orange / yellow / blue / green")
    colour_label: Label = Field(..., description="颜色文字（红色、橙色……），与倒计时一起显示，不单靠颜色")
    due_at: dt.datetime | None = Field(None, description="本阶段期限")
    countdown: str = Field("", description="倒计时，如“剩 2 天 14 小时”“已超期 2 天 3 小时”；无期限时为空")
    dispute_type: str
    region_code: str
    region_name: str
    organisation: str | None
    created_at: dt.datetime


class CasePage(Schema):
    items: list[CaseListOut]
    next_after: int | None = Field(None, description="下一页：把它作为 after 参数传回")


class PartyOut(Schema):
    id: int
    role: str
    kind: str
    name: str = Field(..., description="脱敏姓名或单位名称")
    consent: str


class EventOut(Schema):
    at: dt.datetime
    kind: str
    actor: str
    stage_from: str
    stage_to: str
    text: str


class CaseDetailOut(CaseListOut):
    public_url: str
    source: str
    channel: str
    risk_level: str
    level: str
    mediator: str | None
    mediator_confirmed: bool
    preferred_mediator: str = Field("", description="申请人登记时希望的调解员")
    confirm_due: dt.datetime | None
    description: str
    request: str
    repeat_of: str | None
    agreement_text: str
    agreement_effective_at: dt.datetime | None
    outcome_note: str
    parties: list[PartyOut]
    timeline: list[EventOut]
    allowed_transitions: list[str]


class AttachmentOut(Schema):
    id: int
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
    method: str
    signed_at: dt.datetime
    agreement_effective: bool


class PublicCaseOut(Schema):
    stage: str
    stage_label: Label


class SignerOut(Schema):
    role: str
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
