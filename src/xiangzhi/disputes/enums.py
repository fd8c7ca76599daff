"""States, channels and other choices of 桐解码, and the one table of allowed stage transitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStage(models.TextChoices):
    REPORTED = "reported", _("已申报")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    ASSIGNED = "assigned", _("已指派调解员")
    NOTICE_SERVED = "notice_served", _("已告知权利义务")
    IN_MEDIATION = "in_mediation", _("调解中")
    AGREEMENT_WRITTEN = "agreement_written", _("达成协议（书面）")
    AGREEMENT_ORAL = "agreement_oral", _("达成协议（口头）")
    TERMINATED = "terminated", _("调解终止")
    ESCALATED = "escalated", _("已上报上级")
    FOLLOW_UP = "follow_up", _("回访中")
    CLOSED = "closed", _("已结案")
    ARCHIVED = "archived", _("已归档")
    REOPENED = "reopened", _("重新启动")


S = CaseStage

# The only place that says which stage may follow which. Guards (who, and under what conditions) live inside
# ``services.transition``; permissions (role AND stage) in ``rules.py``.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.REPORTED: frozenset({S.ACCEPTED, S.NOT_ACCEPTED, S.ESCALATED, S.TERMINATED, S.AGREEMENT_ORAL}),
    S.ACCEPTED: frozenset({S.ASSIGNED, S.ESCALATED, S.TERMINATED}),
    S.REOPENED: frozenset({S.ASSIGNED, S.ESCALATED, S.TERMINATED}),
    S.NOT_ACCEPTED: frozenset({S.REOPENED}),
    S.ASSIGNED: frozenset({S.NOTICE_SERVED, S.ACCEPTED, S.ESCALATED, S.TERMINATED}),
    # back to ACCEPTED from these two: only the system, when the mediator is recused (回避; SYSTEM_MOVES)
    S.NOTICE_SERVED: frozenset({S.IN_MEDIATION, S.ESCALATED, S.TERMINATED, S.ACCEPTED}),
    S.IN_MEDIATION: frozenset({S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL, S.TERMINATED, S.ESCALATED, S.ACCEPTED}),
    S.AGREEMENT_WRITTEN: frozenset({S.FOLLOW_UP, S.TERMINATED}),
    S.AGREEMENT_ORAL: frozenset({S.FOLLOW_UP, S.CLOSED}),
    S.TERMINATED: frozenset({S.CLOSED}),
    S.ESCALATED: frozenset({S.ACCEPTED, S.NOT_ACCEPTED}),
    S.FOLLOW_UP: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.ARCHIVED, S.REOPENED}),
    S.ARCHIVED: frozenset(),
}

OPEN_STAGES = frozenset({S.REPORTED, S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION,
                         S.AGREEMENT_WRITTEN, S.ESCALATED})
FINISHED_STAGES = frozenset({S.NOT_ACCEPTED, S.TERMINATED, S.CLOSED, S.ARCHIVED})
# A party may withdraw while mediation has not produced an agreement.
WITHDRAWABLE_STAGES = frozenset({S.REPORTED, S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION})


class SystemMove(models.TextChoices):
    """A move the system makes itself (``actor=None``), and why."""
    CONFIRMATION_EXPIRED = "confirmation_expired", _("调解员未在期限内确认接案")
    NOT_PERFORMED = "not_performed", _("当事人反映协议未履行")
    PARTY_REFUSED = "party_refused", _("当事人明确拒绝调解")
    MEDIATOR_RECUSED = "mediator_recused", _("调解员回避")
    FILED = "filed", _("立卷归档")


class PartyMove(models.TextChoices):
    """A move a party makes on their own case."""
    WITHDRAW = "withdraw", _("申请人撤回申请")


# A party's clear refusal ends mediation (人民调解法 第17条): before acceptance the case is not accepted, after it
# mediation is terminated. A recused mediator (回避) is taken off: the case goes back to be assigned again.
REFUSAL_ENDS: dict[str, str] = {S.REPORTED: S.NOT_ACCEPTED, S.ESCALATED: S.NOT_ACCEPTED,
                                **dict.fromkeys((S.ACCEPTED, S.REOPENED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION), S.TERMINATED)}
RECUSAL_STAGES = frozenset({S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION})

# Who may make a move: staff by their roles (rules.can_transition) along ALLOWED_TRANSITIONS; the system and the
# parties only along these rows, each naming the reasons for which they may.
SYSTEM_MOVES: dict[tuple[str, str], frozenset[SystemMove]] = {
    (S.ASSIGNED, S.ACCEPTED): frozenset({SystemMove.CONFIRMATION_EXPIRED, SystemMove.MEDIATOR_RECUSED}),
    (S.NOTICE_SERVED, S.ACCEPTED): frozenset({SystemMove.MEDIATOR_RECUSED}),
    (S.IN_MEDIATION, S.ACCEPTED): frozenset({SystemMove.MEDIATOR_RECUSED}),
    (S.CLOSED, S.REOPENED): frozenset({SystemMove.NOT_PERFORMED}),
    (S.CLOSED, S.ARCHIVED): frozenset({SystemMove.FILED}),  # a case is archived by filing it (立卷归档), only so
    (S.REOPENED, S.ASSIGNED): frozenset({SystemMove.NOT_PERFORMED}),
    **{(before, to): frozenset({SystemMove.PARTY_REFUSED}) for before, to in REFUSAL_ENDS.items()},
}
PARTY_MOVES: dict[tuple[str, str], PartyMove] = {(s, S.TERMINATED): PartyMove.WITHDRAW for s in WITHDRAWABLE_STAGES}


class Entry(models.TextChoices):
    """How a case comes into being."""
    INTAKE = "intake", _("登记")
    HISTORICAL_IMPORT = "historical_import", _("历史案件导入")


# The stages a case may be created in, by how it enters.
ENTRY_STAGES: dict[str, frozenset[str]] = {
    Entry.INTAKE: frozenset({S.REPORTED}),
    Entry.HISTORICAL_IMPORT: frozenset({S.CLOSED, S.TERMINATED, S.NOT_ACCEPTED}),
}

# Stages in which a party may still add materials.
MATERIAL_STAGES = OPEN_STAGES | {S.AGREEMENT_ORAL, S.FOLLOW_UP}

# What a party is told comes next (status page), with the working-day allowance where one applies.
NEXT_STEP = {
    S.REPORTED: ("调解组织审查是否受理", 3),
    S.ACCEPTED: ("指派调解员", 3),
    S.REOPENED: ("指派调解员", 3),
    S.ASSIGNED: ("调解员确认接案并告知权利义务", 3),
    S.NOTICE_SERVED: ("开始调解，调解员将联系各方当事人", 5),
    S.IN_MEDIATION: ("调解一般在一个月内结束", 22),
    S.AGREEMENT_WRITTEN: ("各方当事人、调解员签名并加盖调解委员会印章后协议生效", 5),
    S.AGREEMENT_ORAL: ("调解员将回访协议履行情况", 10),
    S.ESCALATED: ("上级调解组织审查受理", 3),
    S.FOLLOW_UP: ("回访协议履行情况后结案", 10),
    S.TERMINATED: ("可依法申请仲裁、行政处理或向人民法院起诉", None),
    S.NOT_ACCEPTED: ("请按告知的途径办理", None),
    S.CLOSED: ("案件已办结", None),
    S.ARCHIVED: ("案件已归档", None),
}


class Channel(models.TextChoices):
    ONLINE = "online", _("群众扫码/网上申请")
    GRID = "grid", _("网格员扫码代办")
    WINDOW = "window", _("窗口无差别受理")
    API = "api", _("部门接口移送")


class CaseSource(models.TextChoices):
    """人民调解统计口径: 申请调解 / 主动调解 / 接受委托移送调解."""

    APPLICATION = "application", _("当事人申请")
    INITIATIVE = "initiative", _("调委会主动调解")
    REFERRAL_POLICE = "referral_police", _("公安机关移送")
    REFERRAL_COURT = "referral_court", _("人民法院委托移送")
    REFERRAL_GOVERNMENT = "referral_government", _("政府部门移送")


REFERRAL_SOURCES = frozenset({CaseSource.REFERRAL_POLICE, CaseSource.REFERRAL_COURT, CaseSource.REFERRAL_GOVERNMENT})


class RiskLevel(models.TextChoices):
    NORMAL = "normal", _("一般")
    ELEVATED = "elevated", _("较大")
    MAJOR = "major", _("重大")


class Level(models.TextChoices):
    GRID = "grid", _("网格")
    VILLAGE = "village", _("村（社区）")
    TOWN = "town", _("乡镇（街道）")
    COUNTY = "county", _("县级")


LEVEL_ORDER = [Level.GRID, Level.VILLAGE, Level.TOWN, Level.COUNTY]


class CrossArea(models.TextChoices):
    """Parties living in different places (人民调解工作若干规定 第21条): the common higher level's committee handles
    the dispute."""
    NONE = "", _("否")
    VILLAGES = "villages", _("跨村（社区）纠纷，由乡镇（街道）人民调解委员会调处")
    TOWNS = "towns", _("跨乡镇（街道）纠纷，由县级矛盾纠纷调处化解中心调处")


class OtherProceeding(models.TextChoices):
    """Whether the matter is already before another body, asked at intake (人民调解工作若干规定 第22条)."""
    NONE = "none", _("没有")
    COURT = "court", _("人民法院")
    ARBITRATION = "arbitration", _("仲裁机构")
    ADMINISTRATIVE = "administrative", _("行政机关")
    PUBLIC_SECURITY = "public_security", _("公安机关")


# Where the parties turn instead when the matter is already before another body (人民调解工作若干规定 第22条), and
# the referral source by which that same body sends a dispute here (then no proposal not to accept).
PROCEEDING_REDIRECT = {
    OtherProceeding.COURT: "本纠纷已由人民法院受理，请向受理的人民法院了解办理进度；需要调解的，可以向人民法院申请委派调解。",
    OtherProceeding.ARBITRATION: "本纠纷已申请仲裁，请向受理的仲裁机构了解办理进度，依仲裁程序解决。",
    OtherProceeding.ADMINISTRATIVE: "本纠纷已由行政机关受理，请向受理的行政机关了解办理进度。",
    OtherProceeding.PUBLIC_SECURITY: "本纠纷已由公安机关受理，请向受理的公安机关（派出所）了解办理进度。",
}
PROCEEDING_REFERRAL = {
    OtherProceeding.COURT: CaseSource.REFERRAL_COURT,
    OtherProceeding.PUBLIC_SECURITY: CaseSource.REFERRAL_POLICE,
    OtherProceeding.ADMINISTRATIVE: CaseSource.REFERRAL_GOVERNMENT,
}


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD = "third", _("第三人")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class AttachmentCategory(models.TextChoices):
    """Where a material goes in the case file (卷内目录, domain.md 2.5)."""
    IDENTITY = "identity", _("身份证明")
    PROXY = "proxy", _("授权委托书")
    EVIDENCE = "evidence", _("证据材料")
    PERFORMANCE = "performance", _("履行凭证")


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位")


class Consent(models.TextChoices):
    PENDING = "pending", _("未答复")
    AGREED = "agreed", _("同意调解")
    REFUSED = "refused", _("明确拒绝调解")


class ConsentMethod(models.TextChoices):
    """How a party's answer to "do you agree to mediation?" was given (人民调解法 第17条, 第23条)."""
    ONLINE = "online", _("本人网上答复")
    IN_PERSON = "in_person", _("当面表示")
    PHONE = "phone", _("电话表示")
    WRITTEN = "written", _("书面表示")


# The ways staff record an answer given to them (the party's own online answer is ``answer_consent``'s).
STAFF_CONSENT_METHODS = frozenset({ConsentMethod.IN_PERSON, ConsentMethod.PHONE, ConsentMethod.WRITTEN})


class NoticeMethod(models.TextChoices):
    """How a party was told of the application when an SMS cannot reach them (no phone): a recorded means."""
    LETTER = "letter", _("书面通知（邮寄或留置）")
    VILLAGE_COMMITTEE = "village_committee", _("村（居）委会当面告知")
    GRID_WORKER = "grid_worker", _("网格员当面告知")
    RELATIVE = "relative", _("由其亲属转告")
    PHONE = "phone", _("电话告知（其他号码）")
    IN_PERSON = "in_person", _("调解员当面告知")


class RightsMethod(models.TextChoices):
    """How the 权利义务告知书 was served on a party (人民调解法 第23、24条; 若干规定 第30条)."""
    IN_PERSON = "in_person", _("当面送达书面告知书")
    ORAL = "oral", _("口头告知并记录在案")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达（短信链接）")


class RecusalStatus(models.TextChoices):
    PENDING = "pending", _("待决定")
    GRANTED = "granted", _("同意更换")
    REFUSED = "refused", _("不予更换")


class NotAcceptedGround(models.TextChoices):
    """人民调解工作若干规定 第二十二条 and 人民调解法 第十七条, with where to go instead."""

    SPECIALISED_AUTHORITY = "specialised_authority", _("法律、法规规定只能由专门机关管辖处理，或禁止采用民间调解方式解决（若干规定第22条第1项）")
    ALREADY_HANDLED = "already_handled", _("人民法院、公安机关或其他行政机关已经受理或解决（若干规定第22条第2项）")
    PARTY_REFUSES = "party_refuses", _("一方当事人明确拒绝调解（人民调解法第17条）")
    NOT_CIVIL = "not_civil", _("不属于民间纠纷（涉嫌违法犯罪等）（若干规定第20条）")
    OTHER = "other", _("其他")


GROUND_REDIRECT = {
    NotAcceptedGround.SPECIALISED_AUTHORITY: "请向有管辖权的专门机关申请处理。",
    NotAcceptedGround.ALREADY_HANDLED: "请向已受理的人民法院、公安机关或行政机关了解办理进度。",
    NotAcceptedGround.PARTY_REFUSES: "可依法申请仲裁、行政处理或向人民法院起诉。",
    NotAcceptedGround.NOT_CIVIL: "涉嫌违法犯罪的，请向公安机关报案。",
    NotAcceptedGround.OTHER: "",
}


class TerminationReason(models.TextChoices):
    """Grounds for ending mediation (人民调解法 第26条; 人民法院在线调解规则)."""

    PARTY_REFUSES = "party_refuses", _("当事人拒绝继续调解")
    WITHDRAWN = "withdrawn", _("申请人撤回申请")
    NO_AGREEMENT = "no_agreement", _("分歧较大，调解不成")
    UNREACHABLE = "unreachable", _("当事人无法联系")
    TIMEOUT = "timeout", _("超过调解期限")
    REFUSES_TO_SIGN = "refuses_to_sign", _("当事人拒绝签署协议")
    OTHER = "other", _("其他")


ROUTES_NOTICE = "调解不成的，当事人可以依法通过仲裁、行政、司法等途径维护自己的权利。"


class SignatureMethod(models.TextChoices):
    HANDWRITTEN = "handwritten", _("签名")
    FINGERPRINT = "fingerprint", _("按指印")
    SEAL = "seal", _("盖章")
    ELECTRONIC = "electronic", _("电子签名")


class EventKind(models.TextChoices):
    CREATED = "created", _("案件登记")
    TRANSITION = "transition", _("阶段变更")
    ATTACHMENT = "attachment", _("提交材料")
    SIGNATURE = "signature", _("签名")
    SEAL = "seal", _("加盖印章")
    SESSION = "session", _("调解记录")
    CONSENT = "consent", _("当事人答复")
    ASSIGNMENT_CONFIRMED = "assignment_confirmed", _("调解员确认接案")
    RETRIAGE = "retriage", _("更正类型/改派")
    REPEAT = "repeat", _("关联重复纠纷")
    AGREEMENT_EFFECTIVE = "agreement_effective", _("协议生效")
    DOCUMENT = "document", _("生成文书")
    RISK_RAISED = "risk_raised", _("风险升级")
    RISK_REPORTED = "risk_reported", _("报告公安机关或有关部门")
    EXTENSION = "extension", _("延长调解期限")
    JOINT = "joint", _("联动联办")
    HANDOVER = "handover", _("移交/接收")
    FEEDBACK = "feedback", _("当事人评价")
    VISIT = "visit", _("回访")
    NOT_PERFORMED = "not_performed", _("反映未履行")
    JUDICIAL = "judicial", _("司法确认")
    INVESTIGATION = "investigation", _("调查笔录")
    AGREEMENT_REVISED = "agreement_revised", _("修改协议内容")
    FILED = "filed", _("立卷归档")
    PARTY_DETAILS = "party_details", _("当事人基本情况")
    NOTICE = "notice", _("通知当事人")
    RIGHTS_SERVED = "rights_served", _("送达权利义务告知书")
    CONFLICT_DECLARED = "conflict_declared", _("调解员申明回避")
    RECUSAL_REQUESTED = "recusal_requested", _("申请更换调解员")
    RECUSAL_DECIDED = "recusal_decided", _("更换调解员申请的决定")


class ReportRecipient(models.TextChoices):
    """Whom a dispute that may become a public-order or criminal case is reported to (人民调解法 第25条)."""
    POLICE = "police", _("公安机关")
    DEPARTMENT = "department", _("其他有关部门")


class ReportMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    IN_PERSON = "in_person", _("当面")
    WRITTEN = "written", _("书面")
    PLATFORM = "platform", _("平台推送")


class Colour(models.TextChoices):
    RED = "red", _("红色")
    ORANGE = "orange", _("橙色")
    YELLOW = "yellow", _("黄色")
    BLUE = "blue", _("蓝色")
    GREEN = "green", _("绿色")


class JointStatus(models.TextChoices):
    OPEN = "open", _("待办理")
    ANSWERED = "answered", _("已答复")
    RETURNED = "returned", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


class HandoverDirection(models.TextChoices):
    IN = "in", _("移入（转入调解）")
    OUT = "out", _("移出（诉调对接/移交）")


class JudicialStatus(models.TextChoices):
    APPLIED = "applied", _("已申请")
    ACCEPTED = "accepted", _("法院已受理")
    CONFIRMED = "confirmed", _("裁定确认有效")
    REJECTED = "rejected", _("裁定驳回")
    NOT_ACCEPTED = "not_accepted", _("法院不予受理")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队等待")
    VALIDATING = "validating", _("正在校验")
    IMPORTING = "importing", _("正在写入")
    DONE = "done", _("已完成")
    REFUSED = "refused", _("未导入（有错误）")
    FAILED = "failed", _("失败")
