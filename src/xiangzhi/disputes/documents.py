"""Case documents as .docx (python-docx), each headed by the case number, the archive number and the case's QR code:
受理登记表, 不予受理告知书, 权利义务告知书, 调解记录, 人民调解协议书 (人民调解法 第29条: parties, facts and
responsibilities, terms, manner/place/deadline of performance), 口头协议登记表, 终止调解告知书, 司法确认申请书,
回访记录, 调查笔录, 结案报告表. Official forms print the parties' names in full, as the paper forms do.

The other personal data (身份证号, phones, address, ethnicity, occupation) appear masked or left out in every
document. The agreement and the judicial application, which the parties sign and the court needs, carry them in full
only when given a ``Disclosure`` made under the rule of the personal-data reveal (``services.documents.disclose``). Without that, they come out masked and say so on
their face: a draft for checking the text, not a copy to sign or file. ``render`` writes nothing; who gets which
document, and what is recorded, is ``services.documents``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone
from docx.shared import Cm, Pt

from xiangzhi.core import word

from . import qr
from .enums import ROUTES_NOTICE, CaseSource, CaseStage, NotAcceptedGround, PartyRole, TerminationReason
from .models import Case

S = CaseStage
KINDS: dict[str, str] = {
    "register": "受理登记表",
    "not_accepted": "不予受理告知书",
    "rights": "权利义务告知书",
    "record": "调解记录",
    "agreement": "人民调解协议书",
    "oral": "口头协议登记表",
    "termination": "终止调解告知书",
    "judicial": "司法确认申请书",
    "visit": "回访记录",
    "risk": "纠纷激化风险报告记录",
    "investigation": "调查笔录",
    "closing": "结案报告表",
}
# The case file's own sheets (一案一卷, domain.md 2.5), built by ``casefile`` around the documents above.
FILE_SHEETS: dict[str, str] = {"cover": "卷宗封面", "contents": "卷内目录", "notes": "卷内备考表"}
# Documents that carry the parties' personal data in full when it is disclosed (人民调解法 第29条; the court's form).
FULL_DATA_KINDS = frozenset({"agreement", "judicial"})
MASKED_NOTICE = "（本文书中当事人个人信息已脱敏，仅供核对文字，不能作为签署或提交的正式文书。）"
RIGHTS_TEXT = [
    "一、人民调解遵循自愿、平等、合法、不收费的原则，当事人可以选择或者接受调解员，可以接受调解、拒绝调解或者要求终止调解。",
    "二、当事人可以要求调解公开进行或者不公开进行，可以自主表达意愿、自愿达成调解协议。",
    "三、当事人应当如实陈述纠纷事实，遵守调解现场秩序，尊重调解员，尊重对方当事人行使权利。",
    "四、经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行（人民调解法第三十一条）。",
    "五、达成调解协议后，双方当事人认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。",
]


def _fmt(moment) -> str:  # noqa: ANN001
    return timezone.localtime(moment).strftime("%Y年%m月%d日 %H:%M") if moment else "—"


@dataclass(frozen=True)
class Disclosure:
    """The parties' personal data a document may carry in full, by person id, as ``reveal_personal_data`` returned
    it (so each one is logged). Empty: everything masked."""

    people: dict[int, dict[str, str]] = field(default_factory=dict)
    reason: str = ""

    @property
    def full(self) -> bool:
        """Disclosed to an authorised actor with a reason (``disclose`` sets the reason only then)."""
        return bool(self.reason)


MASKED = Disclosure()


def _party_name(p) -> str:  # noqa: ANN001
    """A party's name in full, as the signature lines of the paper forms print it."""
    return p.person.name if p.person_id else p.org_name


def _party_lines(case: Case, disclosure: Disclosure = MASKED, *, detailed: bool = False) -> list[str]:
    """One line per party, the name in full as the paper forms print it (the name is not the sensitive part).
    ``detailed`` (the agreement, the judicial application): the basic details of 人民调解法 第29条 — sex, date of
    birth, ethnicity, occupation or work unit, address, 身份证号 and phone — the personal ones in full only for the
    disclosed (the reveal's rule), masked or left out for everyone else."""
    lines = []
    for p in case.parties.select_related("person").order_by("order", "id"):
        if p.kind == "organisation":
            lines.append(f"{PartyRole(p.role).label}：{p.org_name}")
            continue
        person = p.person
        name = person.name if person is not None else ""
        shown = disclosure.people.get(p.person_id) if person is not None else None
        if detailed:
            lines.append(f"{PartyRole(p.role).label}：{name}，" + "，".join(_basic_details(p, shown)))
        elif shown:
            lines.append(f"{PartyRole(p.role).label}：{name}（电话 {shown['phone'] or '未提供'}）")
        else:
            lines.append(f"{PartyRole(p.role).label}：{name}（电话 {person.masked_phone if person else '—'}）")
    return lines


def _basic_details(p, shown: dict | None) -> list[str]:  # noqa: ANN001
    """当事人基本情况 as the agreement states it; ``shown``: the party's disclosed data, or None (masked)."""
    person = p.person
    out = [f"性别：{p.get_sex_display() or _sex_from_id(shown['id_number'] if shown else '') or '未记录'}"]
    if shown:
        birth = _birth_from_id(shown["id_number"])
        out.append(f"出生日期：{birth or '未记录'}")
        if p.ethnicity:
            out.append(f"民族：{p.ethnicity}")
        out.append(f"职业或工作单位：{p.occupation or '未记录'}")
        out.append(f"住址：{shown.get('address') or (person.region.display_name if person.region_id else '未记录')}")
        out += [f"身份证号：{shown['id_number'] or '未提供'}", f"电话：{shown['phone'] or '未提供'}"]
    else:
        out += [f"身份证号：{person.masked_id_number or '未提供'}", f"电话：{person.masked_phone or '未提供'}"]
    return out


def _birth_from_id(id_number: str) -> str:
    """The date of birth a mainland 18-digit 身份证号 carries."""
    if len(id_number or "") == 18 and id_number[6:14].isdigit():
        return f"{id_number[6:10]}年{int(id_number[10:12])}月{int(id_number[12:14])}日"
    return ""


def _sex_from_id(id_number: str) -> str:
    """The sex a mainland 18-digit 身份证号 carries (the 17th digit: odd male, even female)."""
    if len(id_number or "") == 18 and id_number[16].isdigit():
        return "男" if int(id_number[16]) % 2 else "女"
    return ""


def _header(doc, case: Case, title: str) -> None:  # noqa: ANN001
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    doc.add_heading(title, level=1)
    table = doc.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.text = f"案件编号：{case.number}\n卷宗号：{case.archive_number}\n承办组织：{case.organisation.name if case.organisation_id else '—'}"
    right.paragraphs[0].add_run().add_picture(io.BytesIO(qr.png_bytes(case.public_url, scale=4)), width=Cm(2.8))


def _kv(doc, rows: list[tuple[str, str]]) -> None:  # noqa: ANN001
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for k, v in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = k, v or "—"


def _signatures(doc, names: list[str]) -> None:  # noqa: ANN001
    doc.add_paragraph("")
    for name in names:
        doc.add_paragraph(f"{name}（签名/按指印）：____________    日期：______年____月____日")


def _register(doc, case: Case) -> None:  # noqa: ANN001
    rows = [("纠纷类型", case.dispute_type.name), ("案件来源", CaseSource(case.source).label),
            ("受理时间", _fmt(case.created_at)), ("纠纷发生地", f"{case.region.display_name} {case.place}"),
            ("当事人", "\n".join(_party_lines(case))), ("纠纷简要情况", case.description),
            ("申请事项", case.request)]
    if case.cross_area:  # 人民调解工作若干规定 第21条: parties in different places
        rows.append(("跨地区纠纷", case.get_cross_area_display()))
    if case.other_proceeding:  # 第22条: the applicant's answer at intake (none for cases registered before it was asked)
        rows.append(("是否已由其他机关受理", case.get_other_proceeding_display()))
    _kv(doc, rows)
    _signatures(doc, ["申请人", "登记人"])
    doc.add_paragraph("人民调解委员会（印章）")


def _not_accepted(doc, case: Case) -> None:  # noqa: ANN001
    ground = NotAcceptedGround(case.outcome_reason).label if case.outcome_reason in NotAcceptedGround.values else ""
    doc.add_paragraph("\n".join(_party_lines(case)))
    doc.add_paragraph(f"你（单位）申请调解的纠纷，经审查不予受理。理由：{ground or case.outcome_note}")
    doc.add_paragraph(f"告知：{case.outcome_note}")
    doc.add_paragraph(f"人民调解委员会（印章）    {_fmt(timezone.now())}")


def _rights(doc, case: Case, party=None) -> None:  # noqa: ANN001
    """权利义务告知书, addressed to one party when ``party`` is given (served on each party: 人民调解法 第23、24条),
    with how and when it was served when that is recorded."""
    if party is not None:
        doc.add_paragraph(f"{PartyRole(party.role).label}：{party.org_name if party.kind == 'organisation' else party.masked_name}")
    doc.add_paragraph("根据《中华人民共和国人民调解法》第二十三条、第二十四条，在调解前告知当事人调解的性质、原则和效力，以及当事人的权利和义务：")
    for line in RIGHTS_TEXT:
        doc.add_paragraph(line)
    if party is not None and party.rights_served_at is not None:
        doc.add_paragraph(f"送达方式：{party.get_rights_method_display()}    送达时间：{_fmt(party.rights_served_at)}")
    _signatures(doc, ["当事人（签收）" if party is not None else "当事人", "调解员"])


def _record(doc, case: Case) -> None:  # noqa: ANN001
    sessions = list(case.sessions.all())
    if not sessions:
        doc.add_paragraph("（尚无调解记录）")
    for s in sessions:
        _kv(doc, [("时间", _fmt(s.held_at)), ("地点", s.place), ("参加人员", s.attendees), ("调解情况", s.summary)])
        doc.add_paragraph("")
    extension = getattr(case, "extension", None) if hasattr(case, "extension") else None
    if extension is not None:  # 延长调解期限: each party's consent, as recorded
        _kv(doc, [("延长调解期限", f"{extension.months}个月（{_fmt(extension.granted_at)}）；{extension.reason}")] + [
            (f"当事人{c.party.masked_name}同意", f"{_fmt(c.consented_at)} {c.get_method_display() if c.method else ''}".strip())
            for c in extension.consents.select_related("party__person")])
        doc.add_paragraph("")
    _signatures(doc, ["记录人", "调解员"])


def _agreement(doc, case: Case, disclosure: Disclosure) -> None:  # noqa: ANN001
    """人民调解协议书 (人民调解法 第29条): the parties' basic details, the main facts and issues (the mediator's
    neutral statement), each party's responsibilities, what is agreed, how, where and by when it is performed."""
    doc.add_paragraph("当事人基本情况：")
    for line in _party_lines(case, disclosure, detailed=True):
        doc.add_paragraph(line)
    doc.add_paragraph("纠纷主要事实、争议事项：")
    doc.add_paragraph(case.agreement_facts or case.description)
    doc.add_paragraph("各方当事人的责任：")
    doc.add_paragraph(case.agreement_responsibilities or "（未载明）")
    doc.add_paragraph("经人民调解委员会调解，各方当事人自愿达成如下协议（当事人的权利义务）：")
    doc.add_paragraph(case.agreement_text or "（协议内容待填写）")
    if case.agreement_amount is not None:
        doc.add_paragraph(f"协议金额：人民币{case.agreement_amount}元")
    due = f"{case.agreement_due:%Y年%m月%d日}前" if case.agreement_due else "按协议约定的日期"
    doc.add_paragraph(f"履行方式、地点：{case.agreement_performance or '按上述协议条款约定履行；履行地点：' + (case.place or case.region.display_name)}")
    doc.add_paragraph(f"履行期限：{due}")
    doc.add_paragraph("本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起生效。"
                      "本协议一式" + str(case.parties.count() + 1) + "份，当事人各执一份，人民调解委员会留存一份。")
    _signatures(doc, [f"当事人 {_party_name(p)}" for p in case.parties.select_related("person")]
                + ["人民调解员"])
    doc.add_paragraph("人民调解委员会（印章）")
    doc.add_paragraph(f"协议生效时间：{_fmt(case.agreement_effective_at)}")


def _oral(doc, case: Case) -> None:  # noqa: ANN001
    _kv(doc, [("当事人", "\n".join(_party_lines(case))), ("纠纷主要事实", case.description),
              ("达成协议内容", case.agreement_text), ("履行方式、时限", "按协议内容即时或约定期限履行"),
              ("登记时间", _fmt(case.agreement_effective_at))])
    _signatures(doc, ["人民调解员"])


def _termination(doc, case: Case) -> None:  # noqa: ANN001
    reason = TerminationReason(case.outcome_reason).label if case.outcome_reason in TerminationReason.values else ""
    doc.add_paragraph("\n".join(_party_lines(case)))
    doc.add_paragraph(f"你们之间的纠纷，因{reason or '调解不成'}，本委员会决定终止调解。")
    doc.add_paragraph(case.outcome_note)
    doc.add_paragraph(ROUTES_NOTICE)
    doc.add_paragraph(f"人民调解委员会（印章）    {_fmt(timezone.now())}")


def _judicial(doc, case: Case, disclosure: Disclosure) -> None:  # noqa: ANN001
    jc = getattr(case, "judicial", None) if hasattr(case, "judicial") else None
    doc.add_paragraph("申请人（双方当事人）：")
    for line in _party_lines(case, disclosure, detailed=True):
        doc.add_paragraph(line)
    doc.add_paragraph(f"请求事项：请求人民法院依法确认申请人于{_fmt(case.agreement_effective_at)}经"
                      f"{case.organisation.name if case.organisation_id else '人民调解委员会'}主持调解达成的调解协议有效。")
    doc.add_paragraph("事实和理由：申请人之间的纠纷，经人民调解委员会调解，双方自愿达成调解协议，协议内容如下：")
    doc.add_paragraph(case.agreement_text)
    doc.add_paragraph("申请人承诺：出于解决纠纷的目的自愿达成协议，没有恶意串通、规避法律的行为；如因虚假陈述等原因导致"
                      "调解协议被确认无效，愿承担相应的法律责任。")
    doc.add_paragraph(f"此致\n{jc.court if jc else '__________人民法院'}")
    doc.add_paragraph("附：调解协议书、当事人身份证明、调解组织主持调解的证明及相关证据材料。")
    _signatures(doc, [f"申请人 {_party_name(p)}" for p in case.parties.select_related("person")])


def _visit(doc, case: Case) -> None:  # noqa: ANN001
    visits = list(case.visits.select_related("visitor"))
    rows = [("当事人", "\n".join(_party_lines(case))), ("协议编号", case.archive_number)]
    for v in visits:
        rows += [("回访时间", _fmt(v.visited_at)), ("回访人", v.visitor.display_name or v.visitor.username),
                 ("履行情况", "已履行" if v.performed else "未履行"),
                 ("满意度", f"{v.satisfaction} 星" if v.satisfaction else "—"), ("回访情况", v.note)]
    if not visits:
        rows.append(("回访情况", "（尚未回访）"))
    _kv(doc, rows)


def _risk(doc, case: Case) -> None:  # noqa: ANN001
    """人民调解法 第25条: the reports to the police or the competent department, as recorded."""
    reports = list(case.risk_reports.select_related("recorded_by"))
    rows = [("当事人", "\n".join(_party_lines(case))), ("风险等级", case.get_risk_level_display())]
    for r in reports:
        rows += [("报告时间", _fmt(r.reported_at)), ("报告对象", f"{r.get_recipient_display()}：{r.reported_to}"),
                 ("报告方式", r.get_method_display()), ("接报编号或回执", r.reference or "—"),
                 ("报告内容摘要", r.note or "—"), ("记录人", r.recorded_by.display_name or r.recorded_by.username)]
    if not reports:
        rows.append(("报告情况", "（尚未记录报告）"))
    _kv(doc, rows)


def _investigation(doc, case: Case) -> None:  # noqa: ANN001
    """调查笔录: each hearing — who was heard, when, where, by whom, what was said."""
    rows = list(case.investigations.all())
    for r in rows:
        _kv(doc, [("被调查人", r.heard), ("调查时间", _fmt(r.held_at)), ("调查地点", r.place),
                  ("调查人", r.investigators), ("调查内容", r.content)])
        doc.add_paragraph("")
    if not rows:
        doc.add_paragraph("（尚无调查笔录）")
    _signatures(doc, ["被调查人", "调查人"])


def _closing(doc, case: Case) -> None:  # noqa: ANN001
    _kv(doc, [("卷宗号", case.archive_number), ("承办调解委员会", case.organisation.name if case.organisation_id else ""),
              ("调解员", (case.mediator.display_name or case.mediator.username) if case.mediator_id else ""),
              ("受案时间", _fmt(case.created_at)), ("结案时间", _fmt(case.closed_at)),
              ("当事人", "\n".join(_party_lines(case))), ("案件来源", CaseSource(case.source).label),
              ("纠纷类型", case.dispute_type.name), ("纠纷事实", case.description),
              ("调解结果", CaseStage(case.stage).label + ("；" + case.agreement_text if case.agreement_text else "")),
              ("协议金额", str(case.agreement_amount) if case.agreement_amount is not None else "")])


BUILDERS: dict[str, Callable] = {
    "register": _register, "not_accepted": _not_accepted, "rights": _rights, "record": _record,
    "agreement": _agreement, "oral": _oral, "termination": _termination, "judicial": _judicial, "visit": _visit,
    "risk": _risk, "investigation": _investigation,
    "closing": _closing,
}


# The kinds made out to one party (``render(..., party=)``): the rights notice, served on each party.
PER_PARTY_KINDS = frozenset({"rights"})


def render(case: Case, kind: str, disclosure: Disclosure = MASKED, *, party=None) -> bytes:  # noqa: ANN001
    """The document ``kind`` of ``case`` as .docx bytes; personal data in full only as far as ``disclosure`` holds
    (see ``disclose``); ``party``: the party a per-party kind is made out to. Writes nothing."""
    if kind not in BUILDERS:
        raise KeyError(kind)
    doc = word.document()  # text always XML-safe: a control character in a stored row cannot break it
    _header(doc, case, KINDS[kind])
    if kind in FULL_DATA_KINDS:
        if not disclosure.full:
            doc.add_paragraph(MASKED_NOTICE)
        BUILDERS[kind](doc, case, disclosure)
    elif kind in PER_PARTY_KINDS:
        BUILDERS[kind](doc, case, party)
    else:
        BUILDERS[kind](doc, case)
    doc.add_paragraph(f"生成时间：{_fmt(timezone.now())}  案件编号：{case.number}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def filename(case: Case, kind: str, party=None) -> str:  # noqa: ANN001
    addressed = f"-{PartyRole(party.role).label}{party.order + 1}" if party is not None else ""
    return f"{case.year}-{case.seq:05d}-{KINDS[kind]}{addressed}.docx"
