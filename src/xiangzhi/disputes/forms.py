"""Page forms of 桐解码: they only parse; the rules are in services.check_intake."""

from __future__ import annotations

from django import forms

from xiangzhi.core.models import Organisation
from xiangzhi.core.selectors import public_village_groups

from . import selectors
from .enums import (
    CaseSource,
    CaseStage,
    ConsentMethod,
    NotAcceptedGround,
    OtherProceeding,
    PartyKind,
    ReportMethod,
    ReportRecipient,
    RiskLevel,
    Sex,
    TerminationReason,
)
from .models import DisputeType
from .services import transitions
from .services.deadlines import ExtensionConsentIn, RiskReportIn
from .services.intake import IntakeIn, PartyIn
from .services.uploads import Upload

ID_MAX = 2**63 - 1  # the largest id a row can have; beyond it a number typed is no id


def village_choices() -> list:
    return [("", "请选择村（社区）"), *public_village_groups()]


def type_choices(blank: str = "不清楚，由工作人员判断") -> list:
    return [("", blank)] + [(t.code, t.name) for t in DisputeType.objects.filter(is_active=True)]


class IntakeForm(forms.Form):
    applicant_name = forms.CharField(label="您的姓名", max_length=60, required=False)
    applicant_phone = forms.CharField(label="手机号", max_length=20, required=False)
    applicant_id_number = forms.CharField(label="身份证号（选填）", max_length=20, required=False)
    respondent_kind = forms.ChoiceField(label="对方是", choices=PartyKind.choices, initial=PartyKind.PERSON,
                                        required=False)
    respondent_name = forms.CharField(label="对方姓名或单位名称", max_length=120, required=False)
    respondent_id_number = forms.CharField(label="对方身份证号（选填）", max_length=20, required=False)
    respondent_phone = forms.CharField(label="对方手机号（选填）", max_length=20, required=False)
    respondent_region_code = forms.ChoiceField(
        label="对方住在哪个村（社区）（选填）", choices=(), required=False,
        help_text="双方不在同一个村（社区）的，由共同的上一级调解委员会调处")
    region_code = forms.ChoiceField(label="纠纷发生在哪个村（社区）", choices=(), required=False)
    place = forms.CharField(label="具体地点（选填）", max_length=120, required=False)
    type_code = forms.ChoiceField(label="纠纷类型", choices=(), required=False)
    description = forms.CharField(label="发生了什么", widget=forms.Textarea(attrs={"rows": 4}), required=False)
    request = forms.CharField(label="您希望怎么解决", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    preferred_mediator = forms.CharField(label="希望由哪位调解员调解（选填）", max_length=60, required=False,
                                         help_text="您可以点名熟悉、信任的调解员，工作人员会尽量安排")
    other_proceeding = forms.ChoiceField(
        label="是否已起诉、申请仲裁或由行政、公安机关受理", choices=OtherProceeding.choices,
        initial=OtherProceeding.NONE, required=False, widget=forms.RadioSelect)
    consent = forms.BooleanField(label="我自愿申请人民调解，知道调解不收费、不影响依法通过仲裁、行政、司法途径解决",
                                 required=False)

    def __init__(self, *args, grid_codes: list[tuple[str, str]] | None = None, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["region_code"].choices = grid_codes or village_choices()
        self.fields["respondent_region_code"].choices = [("", "不清楚或与我同村"), *public_village_groups()]
        self.fields["type_code"].choices = type_choices()

    def to_intake(self, files, **extra) -> IntakeIn:  # noqa: ANN001, ANN003
        d = self.cleaned_data
        kind = d.get("respondent_kind") or PartyKind.PERSON
        return IntakeIn(
            applicant=PartyIn(name=d.get("applicant_name", ""), phone=d.get("applicant_phone", ""),
                              id_number=d.get("applicant_id_number", ""), **self.particulars("applicant")),
            respondents=[PartyIn(kind=kind, name=d.get("respondent_name", ""),
                                 org_name=d.get("respondent_name", "") if kind == PartyKind.ORGANISATION else "",
                                 id_number=d.get("respondent_id_number", ""), phone=d.get("respondent_phone", ""),
                                 region_code=d.get("respondent_region_code", ""),
                                 **(self.particulars("respondent") if kind == PartyKind.PERSON else {}))],
            region_code=d.get("region_code", ""), place=d.get("place", ""), type_code=d.get("type_code", ""),
            description=d.get("description", ""), request=d.get("request", ""), consent=bool(d.get("consent")),
            preferred_mediator=d.get("preferred_mediator", ""),
            other_proceeding=d.get("other_proceeding") or OtherProceeding.NONE,
            files=[Upload.from_django(f) for f in files], **self.channel_fields(), **extra,
        )

    def channel_fields(self) -> dict:
        """The IntakeIn fields of this channel's own part of the form."""
        return {}

    def particulars(self, who: str) -> dict:  # noqa: ARG002 - the window's form asks for them
        """A person's particulars (sex, ethnicity, occupation) where this form asks for them; ``who``: the field
        prefix, ``applicant`` or ``respondent``."""
        return {}


class StaffIntakeForm(IntakeForm):
    """The form a grid worker or the window fills in for the applicant: its labels name the applicant, not "您"."""

    STAFF_LABELS = {"applicant_name": "申请人姓名", "applicant_phone": "申请人手机号",
                    "applicant_id_number": "申请人身份证号（选填）", "request": "申请人希望怎么解决"}

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        for name, label in self.STAFF_LABELS.items():
            self.fields[name].label = label
        choices = self.fields["respondent_region_code"].choices
        self.fields["respondent_region_code"].choices = [("", "不清楚或与申请人同村"), *choices[1:]]


class GridIntakeForm(StaffIntakeForm):
    on_spot = forms.BooleanField(label="已当场化解（一米调解）", required=False)
    on_spot_agreement = forms.CharField(label="当场达成的内容", widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def channel_fields(self) -> dict:
        d = self.cleaned_data  # the text counts only when "resolved on the spot" is ticked; the service checks it
        on_spot = bool(d.get("on_spot"))
        return {"resolved_on_spot": on_spot, "on_spot_agreement": d.get("on_spot_agreement", "") if on_spot else ""}


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class WindowIntakeForm(StaffIntakeForm):
    source = forms.ChoiceField(label="案件来源", choices=CaseSource.choices, initial=CaseSource.APPLICATION)
    referral_org = DepartmentChoiceField(
        label="移送单位", required=False, empty_label="（非移送案件）",
        queryset=selectors.referral_departments(),
        error_messages={"invalid_choice": "移送单位无效，请从列表中选择。"})
    risk_level = forms.ChoiceField(label="风险等级", choices=RiskLevel.choices, initial=RiskLevel.NORMAL)
    # 人民调解法 第29条: the written agreement states each party's sex, age, ethnicity, occupation or workplace and
    # address; at the window they are asked once, with the application (optional, encrypted at rest)
    applicant_sex = forms.ChoiceField(label="申请人性别", choices=[("", "未记录"), *Sex.choices], required=False)
    applicant_ethnicity = forms.CharField(label="申请人民族", max_length=20, required=False)
    applicant_occupation = forms.CharField(label="申请人职业或工作单位", max_length=120, required=False)
    respondent_sex = forms.ChoiceField(label="对方性别", choices=[("", "未记录"), *Sex.choices], required=False)
    respondent_ethnicity = forms.CharField(label="对方民族", max_length=20, required=False)
    respondent_occupation = forms.CharField(label="对方职业或工作单位", max_length=120, required=False)

    def channel_fields(self) -> dict:
        d = self.cleaned_data
        return {"source": d["source"], "risk_level": d["risk_level"], "referral_org": d.get("referral_org")}

    def particulars(self, who: str) -> dict:
        d = self.cleaned_data
        return {"sex": d.get(f"{who}_sex", ""), "ethnicity": d.get(f"{who}_ethnicity", ""),
                "occupation": d.get(f"{who}_occupation", "")}


class NotAcceptedForm(forms.Form):
    ground = forms.ChoiceField(choices=NotAcceptedGround.choices)


class TerminateForm(forms.Form):
    termination_reason = forms.ChoiceField(choices=TerminationReason.choices)


# The case page's typed actions: the forms only parse (a number or a time typed wrong is a Chinese message, never a
# server error); the rules stay in the services.
class TransitionActionForm(forms.Form):
    """阶段变更: the target and the fields of its typed input (transitions.DETAILS); the service resolves the
    mediator and checks every field against the target."""
    to = forms.ChoiceField(label="目标阶段", choices=CaseStage.choices)
    reason = forms.CharField(label="理由", required=False)
    mediator = forms.IntegerField(label="调解员", required=False, min_value=1, max_value=ID_MAX)
    chosen_by_party = forms.BooleanField(label="由当事人选定", required=False)
    ground = forms.ChoiceField(label="不予受理事由", choices=[("", ""), *NotAcceptedGround.choices], required=False)
    redirect_to = forms.CharField(label="告知当事人去向", required=False)
    agreement_text = forms.CharField(label="协议内容", required=False)
    agreement_amount = forms.DecimalField(label="协议金额", required=False, min_value=0, max_digits=14,
                                          decimal_places=2)
    termination_reason = forms.ChoiceField(label="终止事由", choices=[("", ""), *TerminationReason.choices],
                                           required=False)
    agreement_facts = forms.CharField(label="纠纷主要事实和争议事项", required=False)
    agreement_responsibilities = forms.CharField(label="各方当事人的责任", required=False)
    agreement_performance = forms.CharField(label="履行方式和地点", required=False)
    agreement_due = forms.DateField(label="履行期限", required=False)

    def details(self) -> transitions.Details | None:
        d = self.cleaned_data
        return transitions.details_for(
            d["to"], ground=d["ground"], redirect_to=d["redirect_to"], mediator_id=d["mediator"],
            chosen_by_party=d["chosen_by_party"], agreement_text=d["agreement_text"],
            agreement_amount=d["agreement_amount"], termination_reason=d["termination_reason"],
            agreement_facts=d["agreement_facts"], agreement_responsibilities=d["agreement_responsibilities"],
            agreement_performance=d["agreement_performance"], agreement_due=d["agreement_due"])


class AgreementForm(forms.Form):
    """修改书面协议: what is agreed and its particulars (人民调解法 第29条), parsed; the service checks them."""
    agreement_text = forms.CharField(label="协议内容", required=False)
    agreement_amount = forms.DecimalField(label="协议金额", required=False, min_value=0, max_digits=14,
                                          decimal_places=2)
    agreement_facts = forms.CharField(label="纠纷主要事实和争议事项", required=False)
    agreement_responsibilities = forms.CharField(label="各方当事人的责任", required=False)
    agreement_performance = forms.CharField(label="履行方式和地点", required=False)
    agreement_due = forms.DateField(label="履行期限", required=False)

    def agreed(self) -> transitions.Agree:
        d = self.cleaned_data
        return transitions.Agree(text=d["agreement_text"], amount=d["agreement_amount"], facts=d["agreement_facts"],
                                 responsibilities=d["agreement_responsibilities"],
                                 performance=d["agreement_performance"], due=d["agreement_due"])


class InvestigationForm(forms.Form):
    """调查笔录: the time parsed here; the service requires it and the texts."""
    held_at = forms.DateTimeField(label="调查时间", required=False)


class PartyDetailsForm(forms.Form):
    party = forms.IntegerField(label="当事人", min_value=1, max_value=ID_MAX)


class SessionForm(forms.Form):
    """调解记录: the time parsed here (a time typed wrong is a message); the service requires it and the texts."""
    held_at = forms.DateTimeField(label="调解时间", required=False)


class SignActionForm(forms.Form):
    signer = forms.CharField(label="签名人", required=False)

    def clean_signer(self) -> str | int | None:
        raw = (self.cleaned_data.get("signer") or "").strip()
        if raw in ("", "mediator"):
            return raw or None
        if not raw.isdigit():
            raise forms.ValidationError("请选择签名的当事人。")
        return int(raw)


class ExtendForm(forms.Form):
    """延长调解期限: every party's consent — how and when each gave it (required; never defaulted). One pair of fields
    per party of the case: ``consent_<party id>_at`` and ``consent_<party id>_method``."""
    reason = forms.CharField(label="延长理由", required=False)

    def __init__(self, data=None, *, parties=()) -> None:  # noqa: ANN001
        super().__init__(data)
        self.parties = list(parties)
        for p in self.parties:
            who = f"{p.get_role_display()}{p.masked_name}"
            self.fields[f"consent_{p.pk}_at"] = forms.DateTimeField(
                label=f"{who}同意时间", error_messages={"required": f"请填写{who}同意的时间。"})
            self.fields[f"consent_{p.pk}_method"] = forms.ChoiceField(
                label=f"{who}同意方式", choices=[(m, ConsentMethod(m).label) for m in EXTENSION_CONSENT_METHODS],
                error_messages={"required": f"请选择{who}同意的方式。"})

    def consents(self) -> list[ExtensionConsentIn]:
        d = self.cleaned_data
        return [ExtensionConsentIn(party_id=p.pk, method=d[f"consent_{p.pk}_method"],
                                   consented_at=d[f"consent_{p.pk}_at"]) for p in self.parties]


# the ways a consent to extend is given to staff, in the order the page offers them
EXTENSION_CONSENT_METHODS = [ConsentMethod.IN_PERSON, ConsentMethod.PHONE, ConsentMethod.WRITTEN]


class RiskReportForm(forms.Form):
    """人民调解法 第25条: the report to the police or the competent department (required when raising to 重大)."""
    recipient = forms.ChoiceField(label="报告对象", choices=[("", "—")] + list(ReportRecipient.choices), required=False)
    reported_to = forms.CharField(label="接收单位及人员", required=False, max_length=120)
    method = forms.ChoiceField(label="报告方式", choices=[("", "—")] + list(ReportMethod.choices), required=False)
    reported_at = forms.DateTimeField(label="报告时间", required=False)
    reference = forms.CharField(label="接报编号或回执", required=False, max_length=60)
    note = forms.CharField(label="报告内容摘要", required=False, max_length=300)


def risk_report(d: dict) -> RiskReportIn | None:
    """The report as typed in a ``RiskReportForm``, or None when nothing of it was filled in (the service then says
    what a 重大 case needs)."""
    if not any(d.get(k) for k in ("recipient", "reported_to", "method", "reported_at")):
        return None
    return RiskReportIn(recipient=d["recipient"], reported_to=d["reported_to"], method=d["method"],
                        reported_at=d["reported_at"], reference=d["reference"], note=d["note"])


class InviteForm(forms.Form):
    organisation = forms.IntegerField(label="协办单位", error_messages={"required": "请选择协办单位。"})
    due_at = forms.DateTimeField(label="办理期限", required=False)


class JudicialApplyForm(forms.Form):
    court = forms.CharField(label="受理法院", required=False)
    applied_at = forms.DateTimeField(label="申请时间", required=False)


class JudicialStepForm(forms.Form):
    at = forms.DateTimeField(label="时间", required=False)


class VisitForm(forms.Form):
    performed = forms.TypedChoiceField(label="履行", choices=[("1", "已履行"), ("0", "未履行")], required=False,
                                       coerce=lambda v: v == "1", empty_value=False)
    satisfaction = forms.IntegerField(label="满意度", required=False)
    visited_at = forms.DateTimeField(label="回访时间", required=False)


class RateForm(forms.Form):
    """当事人评价: the stars as a number; the service checks 1–5 and who may rate."""
    rating = forms.IntegerField(label="满意度", required=False)


class PartyActionForm(forms.Form):
    """The case page's per-party records (consent given to staff, notice by a recorded means, the rights notice):
    the party and the time parsed here; the services check the rest (method, who, when)."""
    party = forms.IntegerField(label="当事人", required=False)
    at = forms.DateTimeField(label="时间", required=False)
    agree = forms.TypedChoiceField(label="答复", choices=[("1", "同意调解"), ("0", "明确拒绝调解")], required=False,
                                   coerce=lambda v: v == "1", empty_value=None)


class RecusalDecisionForm(forms.Form):
    grant = forms.TypedChoiceField(label="决定", choices=[("1", "准许更换"), ("0", "不予更换")], required=False,
                                   coerce=lambda v: v == "1", empty_value=None)
    mediator = forms.IntegerField(label="改派调解员", required=False)
