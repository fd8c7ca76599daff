"""Demo cases for 桐解码, built through the services (STYLE.md practice 10): every case obeys the rules.

``ctx.options["cases"]`` sets how many (default 30); idempotent: a second run tops up to that number and creates
nothing if it is already reached. Cases in the first villages of 乌镇镇 and 崇福镇 (where the demo mediators work) are
taken through mediation to every later stage; elsewhere the county centre accepts, declines or escalates them.
"""

from __future__ import annotations

from django.utils import timezone

from xiangzhi.core.demo import DemoContext
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Region, User

from . import rules, triage
from .demo_year import before_mediation
from .enums import CaseStage as S
from .models import Case
from .services import agreement, archive, intake, mediation, routing, transitions

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡沈钱沈陆顾姚费屠"
GIVEN = ["建国", "秀英", "国强", "美华", "志明", "小芳", "金荣", "月娥", "根宝", "丽萍", "伟东", "阿三", "桂英", "海峰"]
# The path each demo case follows in a mediators' village (the last stage is where it stops).
MEDIATED_PATHS = [
    [S.ACCEPTED, S.ASSIGNED],
    [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION],
    [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_WRITTEN, "sign", S.FOLLOW_UP, S.CLOSED],
    [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_ORAL, S.CLOSED, "file"],
    [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.TERMINATED],
    [S.ACCEPTED, S.ESCALATED],
    [],
]
ELSEWHERE_PATHS = [[], [S.ACCEPTED], [S.NOT_ACCEPTED], [S.ESCALATED], []]


def _name(rng) -> str:  # noqa: ANN001
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def build(ctx: DemoContext) -> None:
    routing.ensure_reference_data()
    target = int(ctx.options.get("cases") or 30)
    existing = Case.objects.count()
    if existing >= target:
        ctx.say(f"纠纷案件：已有 {existing} 件，未新增")
        return
    centre = User.objects.filter(username="centre").first()
    mediators = {code: User.objects.filter(username=u).first() for code, u in
                 (("330483100", "wuzhen_mediator"), ("330483107", "chongfu_mediator"))}
    mediator_villages = {}
    for town, user in mediators.items():
        village = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town).order_by("code").first()
        if user is not None and village is not None:
            mediator_villages[village.code] = user
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True).order_by("code"))
    examples = triage.load_examples()
    rng = ctx.rng
    made = 0
    for i in range(existing, target):
        example = examples[rng.randrange(len(examples))]
        if i % 3 == 0 and mediator_villages:
            code = sorted(mediator_villages)[(i // 3) % len(mediator_villages)]
            village = next(v for v in villages if v.code == code)
        else:
            village = rng.choice(villages)
        data = intake.IntakeIn(
            applicant=intake.PartyIn(name=_name(rng), phone=f"137{i:08d}"),
            respondents=[intake.PartyIn(name=_name(rng))], region_code=village.code,
            description=example["text"], request="请求依法调解处理", consent=True,
        )
        case = intake.create_case(data, actor=None, channel="online")
        mediator = mediator_villages.get(village.code)
        path = MEDIATED_PATHS[i % len(MEDIATED_PATHS)] if mediator else ELSEWHERE_PATHS[i % len(ELSEWHERE_PATHS)]
        actor = mediator or centre
        try:
            for step in path:
                case = _step(case, step, actor=actor, centre=centre)
        except XiangzhiError as exc:
            ctx.say(f"  {case.number} 停在 {case.get_stage_display()}：{exc.message}")
        made += 1
    ctx.say(f"纠纷案件：新增 {made} 件（共 {Case.objects.count()} 件）")


def _step(case: Case, step: str, *, actor: User, centre: User | None) -> Case:
    if step == "file":  # 立卷归档: the committee's own file number
        archive.file_case(case, actor=actor if rules.can_file(actor, case, filed=False) else centre)
        return case
    if step == "sign":
        for party in case.parties.all():
            agreement.sign_agreement(case, actor=actor, party=party)
        agreement.sign_agreement(case, actor=actor, as_mediator=True)
        agreement.apply_seal(case, actor=actor)
        return Case.objects.get(pk=case.pk)
    details = {
        S.NOT_ACCEPTED: transitions.NotAccept("already_handled"),
        S.AGREEMENT_WRITTEN: transitions.Agree("双方自愿达成如下协议：被申请人于十五日内履行，申请人不再追究。"),
        S.AGREEMENT_ORAL: transitions.Agree("双方当场和解，互相道歉。"),
        S.TERMINATED: transitions.Terminate("no_agreement"),
    }.get(step)
    reason = {S.NOT_ACCEPTED: "已由人民法院立案受理", S.TERMINATED: "双方分歧较大", S.ESCALATED: "跨村纠纷，提交镇调委会"}.get(
        step, "")
    terminate = details.reason_code if isinstance(details, transitions.Terminate) else ""
    if rules.session_required(case.stage, step, terminate):  # 人民调解法 第27条: the record comes first
        mediation.record_session(case, actor=actor, held_at=timezone.now(), place="村调解室",
                                 attendees="双方当事人、调解员", summary="调解员听取双方陈述，释法说理，组织双方协商。")
    who = actor
    if centre is not None and (step == S.NOT_ACCEPTED or not rules.can_transition(actor, case, step)):
        who = centre  # e.g. a case routed to a professional committee: the county centre accepts and assigns
    if step == S.NOTICE_SERVED:  # the respondent told, their consent and every party's rights notice recorded
        before_mediation(case, who, timezone.now())
    if step == S.ASSIGNED:
        case = transitions.transition(case, step, actor=who, details=transitions.Assign(actor.pk))
        if who is not actor:
            case = mediation.confirm_assignment(case, actor=actor)
        return case
    return transitions.transition(case, step, actor=who, reason=reason, details=details)
