"""A realistic demo year of 桐解码 (the county's 5,334 successful mediations, about 6,000 disputes over Tongxiang's
villages), built through the services so that routing, the stage rules, the audit log, the ledger and the
notifications all apply (STYLE.md practice 10).

Called from ``xiangzhi.insights.demo`` (the 研判 dashboards need a year of data), which passes ``on_cases``: what it
adds to the cases (its report flags, from ``Plan.flags``); this app does not import it. Reproducible from the seed;
the whole year is planned first (``plan_year``), then each case is registered and taken through its stages with the
service functions at historical times (``now=``). Idempotent: an audit row ``demo.year`` marks a built year.

What the plan holds, by the county's own figures and published category shares (domain.md A and 2.6):
- types: family, neighbour, house/homestead, contracts/debts, labour and traffic most common;
- places: every village, some much busier than others; seasonality (more around the Spring Festival and summer);
- outcomes: most cases mediated to an agreement (oral, then closed), some terminated, a few not accepted; cases of
  the last weeks still open (some past their deadline);
- the county's headline: 5,334 successful mediations (an agreement in effect, ``selectors.successful_q``), exactly
  70.83% of them (3,778) by town and village organisations (a grid's on-the-spot settlement counts as the village's),
  the rest escalated to or routed at county level; the other accepted cases end at county level in the same
  proportion.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from xiangzhi.core import services as core
from xiangzhi.core.enums import OrgKind, RegionLevel, Role, Specialty
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import AuditLog, Organisation, Region, User

from . import rules
from .enums import CaseSource, CaseStage, Consent, ConsentMethod, Level, NoticeMethod, RightsMethod, RiskLevel
from .models import Case
from .services import intake, mediation, records, routing, transitions

S = CaseStage
TZ = ZoneInfo("Asia/Shanghai")
# The first cases of the year go through the services one case at a time (with their SMS outbox); the rest through
# ``bulk_year``, the batch forms of the same services, which write the same case, party, timeline and audit rows and
# ledger leaves (tests/insights/test_demo_year.py proves it on a sample) a chunk at a time, without notifications.
SERVICE_CASES = 5
# The county's report: "全市各调解组织成功调处矛盾纠纷5334件，其中镇、村调解组织调处纠纷占比70.83%" (domain.md A)
SUCCESSFUL_MEDIATIONS = 5334
LOCAL_SHARE = 0.7083
SUCCESS_OUTCOMES = frozenset({"spot", "success"})  # the plans that end in an agreement in effect
# Dispute types and their shares (县级人民调解统计: family, neighbour, housing, contracts lead).
TYPE_SHARES = [
    ("neighbour", 18), ("family", 16), ("contract", 13), ("housing", 10), ("labour", 9), ("traffic", 9),
    ("damages", 6), ("land", 5), ("business", 4), ("property", 4), ("consumer", 2), ("expropriation", 1.5),
    ("medical", 1), ("pollution", 0.5), ("other", 1),
]
MONTH_WEIGHTS = [1.25, 1.35, 0.9, 0.9, 0.95, 1.0, 1.1, 1.1, 0.95, 0.9, 0.95, 1.05]
DESCRIPTIONS = {
    "neighbour": "邻居在两家之间砌墙，挡住通道和采光，多次协商不成", "family": "夫妻因子女抚养和家庭财产分配发生争执",
    "contract": "对方借款到期后拒不归还，催讨多次未果", "housing": "宅基地界址不清，两家为建房边界发生争执",
    "labour": "在厂里做工三个月，老板拖欠工资不发", "traffic": "电动车与小轿车相撞受伤，赔偿金额谈不拢",
    "damages": "邻居家的狗咬伤孩子，医药费赔偿有争议", "land": "承包地流转费用和期限有争议",
    "business": "合伙开店散伙，账目和分红有争议", "property": "小区物业费和停车管理引发争执",
    "consumer": "网购家具质量问题，商家拒绝退换", "expropriation": "征地补偿款分配有争议",
    "medical": "在诊所打针后出现不良反应，要求赔偿", "pollution": "附近作坊排放废水影响鱼塘",
    "other": "因琐事发生口角，双方互不相让",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡沈钱陆顾姚费屠沈蒋"
GIVEN = ["建国", "秀英", "国强", "美华", "志明", "小芳", "金荣", "月娥", "根宝", "丽萍", "伟东", "桂英", "海峰", "雪芬"]


@dataclass
class Plan:
    """Everything about one demo case, decided before anything is written."""

    index: int
    created_at: dt.datetime
    type_code: str
    village_code: str
    source: str
    risk: str
    outcome: str  # spot | success | terminated | not_accepted | open_<stage>
    to_county: bool
    days: int  # from registration to the last step
    amount: Decimal | None
    applicant: str
    respondent: str
    phone: str
    flags: dict = field(default_factory=dict)  # the 研判 report flags, for ``on_cases`` (see CasesHook)


def _weighted(rng: random.Random, items: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


# What a higher app adds to the demo's cases (the 研判 app: its report flags, from ``Plan.flags``): called with the
# (plan, case) pairs once their rows are written — one pair per case on the service path, once per chunk on the bulk
# path, in that chunk's transaction.
CasesHook = Callable[[list[tuple[Plan, Case]]], None]


def _successes(plans: list[Plan]) -> list[Plan]:
    return [p for p in plans if p.outcome in SUCCESS_OUTCOMES]


def plan_year(n: int | None, *, seed: int, year: int, villages: list[str], until: dt.datetime,
              successes: int | None = None) -> list[Plan]:
    """The reproducible plan of the cases registered in ``year`` before ``until``: ``n`` cases, or (``n`` None) as
    many as it takes for exactly ``successes`` of them to end in a successful mediation (``SUCCESS_OUTCOMES``)."""
    if n is None and successes is None:
        raise ValueError("plan_year needs the number of cases or of successful mediations")
    rng = random.Random(f"demo-year:{seed}:{year}")
    start = dt.datetime(year, 1, 1, tzinfo=TZ)
    end = min(dt.datetime(year + 1, 1, 1, tzinfo=TZ), until)
    span_days = max(1, (end - start).days)
    busy = {v: rng.lognormvariate(0, 0.6) for v in villages}
    village_items = sorted(busy.items())
    day_numbers, cum_weights, total = list(range(span_days)), [], 0.0
    for d in day_numbers:
        day = start + dt.timedelta(days=d)
        total += MONTH_WEIGHTS[day.month - 1] * (0.6 if day.weekday() >= 5 else 1.0)
        cum_weights.append(total)
    plans: list[Plan] = []
    succeeded = 0
    while (len(plans) < n) if n is not None else (succeeded < successes):
        created = start + dt.timedelta(days=rng.choices(day_numbers, cum_weights=cum_weights)[0],
                                       minutes=rng.randint(8 * 60, 18 * 60))
        type_code = _weighted(rng, TYPE_SHARES)
        village = _weighted(rng, village_items)
        risk = _weighted(rng, [(RiskLevel.NORMAL, 90), (RiskLevel.ELEVATED, 8), (RiskLevel.MAJOR, 2)])
        age = (end - created).days
        if age < 45 and rng.random() < min(0.9, 12 / (age + 3)):
            outcome = "open_" + _weighted(rng, [(S.REPORTED, 1), (S.ACCEPTED, 2), (S.ASSIGNED, 2),
                                                 (S.IN_MEDIATION, 6)])
        else:
            outcome = _weighted(rng, [("spot", 12), ("success", 80), ("terminated", 5), ("not_accepted", 1.5),
                                      ("open_" + S.IN_MEDIATION, 1.5)])
        succeeded += outcome in SUCCESS_OUTCOMES
        days = 0 if outcome == "spot" else min(max(1, int(rng.expovariate(1 / 12))), 60, max(1, age - 1))
        amount = None
        if outcome in ("success", "spot") and type_code in ("contract", "labour", "traffic", "damages", "medical",
                                                            "business", "land", "expropriation", "property"):
            amount = Decimal(rng.choice([500, 1000, 2000, 3000, 5000, 8000, 12000, 20000, 50000])) + Decimal(
                rng.randint(0, 99) * 10)
        source = _weighted(rng, [(CaseSource.APPLICATION, 70), (CaseSource.INITIATIVE, 20),
                                 (CaseSource.REFERRAL_POLICE, 10)])
        if outcome == "spot":
            source = CaseSource.INITIATIVE
        flags = {}
        if rng.random() < 0.08:
            flags["found_by_screening"] = True
        if type_code in ("neighbour", "family", "housing", "land") and rng.random() < 0.03:
            flags.update(prevented_criminal=True, prevented_criminal_people=rng.randint(2, 4))
        if type_code in ("labour", "expropriation") and rng.random() < 0.06:
            flags.update(prevented_petition=True, prevented_petition_people=rng.randint(5, 30))
        if outcome in ("success", "spot") and rng.random() < 0.9:
            flags["agreement_performed"] = True
        plans.append(Plan(0, created, type_code, village, source, risk, outcome, False, days, amount,
                          rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice(SURNAMES) + rng.choice(GIVEN),
                          f"158{rng.randint(10**7, 10**8 - 1):08d}", flags))
    plans.sort(key=lambda p: p.created_at)  # stable: cases registered at the same minute keep their drawing order
    for i, p in enumerate(plans):
        p.index = i
    # some applicants come back within two months in the same village (repeat disputes, 重复纠纷)
    last_in_village: dict[str, Plan] = {}
    for p in plans:
        prev = last_in_village.get(p.village_code)
        if prev is not None and rng.random() < 0.06 and (p.created_at - prev.created_at).days <= 60:
            p.phone, p.applicant = prev.phone, prev.applicant
        last_in_village[p.village_code] = p
    # without the routing table at hand: major risks and medical disputes go to the county (the default rules)
    choose_county(plans, lambda p: p.risk == RiskLevel.MAJOR or p.type_code == "medical", rng=rng)
    return plans


def choose_county(plans: list[Plan], routed_to_county: Callable[[Plan], bool], *, rng: random.Random,
                  existing: tuple[int, int] = (0, 0)) -> None:
    """Decide which planned cases end at county level (``Plan.to_county``: escalated village → town → county, unless
    routing already sends them there) so that exactly LOCAL_SHARE of the year's successful mediations are the town's
    and the village's (the county report's 镇、村调解组织调处纠纷占比; ``disputes.selectors.local_q``), counting the
    ``existing`` (successful, of which local) mediations of the year written before the plan. The other accepted
    cases end at county level in the same proportion. An on-the-spot settlement stays in the grid."""
    done_before, local_before = existing
    successes = _successes(plans)
    county_successes = (len(successes) + done_before) - round((len(successes) + done_before) * LOCAL_SHARE)
    county_successes -= done_before - local_before
    others = [p for p in plans if p.outcome not in SUCCESS_OUTCOMES
              and p.outcome not in ("not_accepted", "open_" + S.REPORTED)]
    for group, target in ((successes, county_successes), (others, round(len(others) * (1 - LOCAL_SHARE)))):
        at_county = [p for p in group if p.outcome != "spot" and routed_to_county(p)]
        candidates = [p for p in group if p.outcome != "spot" and not routed_to_county(p)]
        for p in group:
            p.to_county = False
        rng.shuffle(candidates)
        for p in candidates[: max(0, target - len(at_county))]:
            p.to_county = True


def _demo_users(seed: int) -> tuple[User, dict[str, User], dict[str, User]]:
    """The county centre supervisor, one mediator per town (and the county), one grid worker per town."""
    from xiangzhi.core.demo import demo_password

    county = Region.objects.get(level=RegionLevel.COUNTY)

    def staff(username: str, display: str, role: str, region: Region, org: Organisation | None) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = core.create_staff_user(username=username, password=demo_password(username, seed),
                                          display_name=display, actor=None)
        core.add_membership(user, role=role, region=region, organisation=org, actor=None)
        return user

    centre_org = Organisation.objects.filter(kind=OrgKind.COUNTY_CENTRE).order_by("id").first()
    supervisor = staff("year_centre", "矛调中心 值班", Role.CENTRE_STAFF, county, centre_org)
    mediators = {county.code: staff("year_mediator_county", "县调解员 许平", Role.MEDIATOR, county, centre_org)}
    grid_workers = {}
    for i, town in enumerate(Region.objects.filter(level=RegionLevel.TOWN).order_by("code"), start=1):
        org = Organisation.objects.filter(region=town, kind=OrgKind.TOWN_COMMITTEE).order_by("id").first()
        mediators[town.code] = staff(f"year_mediator_{i:02d}", f"{town.display_name}调解员", Role.MEDIATOR, town, org)
        for village_org in Organisation.objects.filter(region__parent=town, kind=OrgKind.VILLAGE_COMMITTEE):
            core.add_membership(mediators[town.code], role=Role.MEDIATOR, region=village_org.region,
                                organisation=village_org, actor=None)
        grid_workers[town.code] = staff(f"year_grid_{i:02d}", f"{town.display_name}网格员", Role.GRID_WORKER, town,
                                        org)
    return supervisor, mediators, grid_workers


class Router:
    """``routing.route`` for many cases: asked once per type × risk × town; a case routed to a village committee
    goes to its own village's committee (what ``route`` answers for each village of Tongxiang, where every village
    has one; otherwise ``route`` itself is asked)."""

    def __init__(self) -> None:
        from .models import DisputeType

        self.types = {t.code: t for t in DisputeType.objects.all()}
        self.regions = {r.code: r for r in Region.objects.filter(level=RegionLevel.VILLAGE)}
        self.village_orgs = {}
        for org in Organisation.objects.filter(kind=OrgKind.VILLAGE_COMMITTEE, is_active=True).select_related(
                "region").order_by("-id"):
            self.village_orgs[org.region.code] = org  # the lowest id wins, as in _find_org
        self.memo: dict[tuple, tuple] = {}

    def __call__(self, type_code: str, village_code: str, risk: str) -> tuple[Organisation | None, str]:
        key = (type_code, village_code[:9], risk)
        if key not in self.memo:
            self.memo[key] = routing.route(self.types[type_code], self.regions[village_code], risk)
        org, level = self.memo[key]
        if org is not None and org.kind == OrgKind.VILLAGE_COMMITTEE and level == Level.VILLAGE:
            own = self.village_orgs.get(village_code)
            if own is None:
                return routing.route(self.types[type_code], self.regions[village_code], risk)
            return own, level
        return org, level


def balance_levels(plans: list[Plan], *, seed: int, router: Router | None = None,
                   existing: tuple[int, int] = (0, 0)) -> None:
    """``choose_county`` knowing where routing sends each case; ``existing``: the year's successful mediations
    written before the plan, and how many of them were local."""
    router = router or Router()
    choose_county(plans, lambda p: router(p.type_code, p.village_code, p.risk)[1] == Level.COUNTY,
                  rng=random.Random(f"demo-year-levels:{seed}"), existing=existing)


def year_successes(year: int) -> tuple[int, int]:
    """The successful mediations of cases registered in ``year`` (``selectors.successful_q``), and how many of them
    town and village organisations handled (``selectors.local_q``)."""
    from . import selectors

    done = Case.objects.filter(selectors.successful_q(), created_at__gte=dt.datetime(year, 1, 1, tzinfo=TZ),
                               created_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=TZ))
    return done.count(), done.filter(selectors.local_q()).count()


def police_by_town() -> dict[str, Organisation]:
    return {o.region.code: o for o in Organisation.objects.filter(kind=OrgKind.DEPARTMENT,
                                                                  specialty=Specialty.POLICE).select_related("region")}


def build_year(*, seed: int, year: int | None = None, cases: int | None = None, until: dt.datetime | None = None,
               say=print, service_cases: int = SERVICE_CASES, on_cases: CasesHook | None = None,  # noqa: ANN001
               successes: int = SUCCESSFUL_MEDIATIONS) -> int:
    """Build the demo year through the services. Returns the number of cases made (0 when the year exists).
    ``cases``: the number of cases of the year (for load); by default, as many as it takes for the year to hold
    ``successes`` successful mediations (the county's 5,334), LOCAL_SHARE of them by town and village organisations,
    counting the cases of the year already written. ``on_cases``: see :data:`CasesHook`."""
    now = until or timezone.now()
    year = year or timezone.localtime(now, TZ).year
    if AuditLog.objects.filter(action="demo.year", object_id=str(year)).exists():
        say(f"演示年度 {year}：已存在，未新增")
        return 0
    routing.ensure_reference_data()
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True).order_by("code")
                    .values_list("code", flat=True))
    existing = Case.objects.filter(created_at__gte=dt.datetime(year, 1, 1, tzinfo=TZ),
                                   created_at__lt=dt.datetime(year + 1, 1, 1, tzinfo=TZ)).count()
    done_before = year_successes(year)
    if cases is not None:
        plans = plan_year(max(0, cases - existing), seed=seed, year=year, villages=villages, until=now)
    else:
        plans = plan_year(None, successes=max(0, successes - done_before[0]), seed=seed, year=year,
                          villages=villages, until=now)
    router = Router()
    balance_levels(plans, seed=seed, router=router, existing=done_before)
    supervisor, mediators, grid_workers = _demo_users(seed)
    police = police_by_town()
    made = 0
    for p in plans[:service_cases]:
        try:
            run_plan(p, supervisor=supervisor, mediators=mediators, grid_workers=grid_workers, police=police,
                     on_cases=on_cases)
        except XiangzhiError as exc:  # a rule refused a step: the case stays where it is, as in real life
            say(f"  演示案件 {p.index} 停止：{exc.message}")
        made += 1
    if plans[service_cases:]:
        made += bulk_year(plans[service_cases:], supervisor=supervisor, mediators=mediators,
                          grid_workers=grid_workers, police=police, router=router, on_cases=on_cases)
    core.audit("demo.year", actor=None, object_type="demo.year", object_id=str(year), after={"cases": made})
    say(f"演示年度 {year}：新增 {made} 件纠纷案件")
    return made


def run_plan(p: Plan, *, supervisor: User, mediators: dict[str, User], grid_workers: dict[str, User],
             police: dict[str, Organisation], on_cases: CasesHook | None = None) -> Case:
    """Register one planned case and take it through its stages with the service functions, then ``on_cases``."""
    town = p.village_code[:9]
    at = p.created_at
    spot = p.outcome == "spot"
    data = _intake(p, police)
    actor = grid_workers[town] if spot else supervisor
    case = intake.create_case(data, actor=actor, channel="grid" if spot else "window", now=at)
    if spot:
        if on_cases is not None:
            on_cases([(p, case)])
        return case
    steps = _steps(p, case.level)
    end = at + dt.timedelta(days=p.days)
    for k, step in enumerate(steps, start=1):
        when = at + (end - at) * k / max(1, len(steps))
        case = _step(case, step, when=when, supervisor=supervisor, mediators=mediators, plan=p)
    if on_cases is not None:
        on_cases([(p, case)])
    return case


STEP_REASONS = {S.NOT_ACCEPTED: "已由人民法院立案受理", S.TERMINATED: "双方分歧较大，调解不成",
                S.ESCALATED: "疑难复杂，提请上级调解组织调处"}


def _step_details(step: str, plan: Plan | None) -> transitions.Details | None:
    """What a planned step takes besides the reason (the mediator aside)."""
    return {
        S.NOT_ACCEPTED: transitions.NotAccept("already_handled"),
        S.AGREEMENT_ORAL: transitions.Agree("双方自愿达成协议，按约定期限履行。", plan.amount if plan else None),
        S.TERMINATED: transitions.Terminate("no_agreement"),
    }.get(step)


# The mediation record (人民调解法 第27条) each case has before its agreement or its termination.
SESSION = {"place": "调解室", "attendees": "双方当事人、调解员", "summary": "调解员听取双方陈述，释法说理，组织协商。"}


def _needs_session(case: Case, step: str) -> bool:
    details = _step_details(step, None)
    reason = details.reason_code if isinstance(details, transitions.Terminate) else ""
    return rules.session_required(case.stage, step, reason)


def before_mediation(case: Case, mediator: User, when: dt.datetime, batch: records.Batch | None = None) -> None:
    """What the mediator records before the rights notice stage (人民调解法 第17、23、24条): a respondent without a
    phone told of the application by the village committee, their consent given in person, the rights notice served
    on every party — through the same services as the case page, in ``batch`` for a case not saved yet."""
    parties = batch.parties_of(case) if case.pk is None else list(case.parties.select_related("person"))
    for p in parties:
        if p.consent == Consent.PENDING and not (p.person and p.person.phone):
            mediation.record_notice(case, p, actor=mediator, method=NoticeMethod.VILLAGE_COMMITTEE, by="村委会调解主任",
                                    at=when, now=when, batch=batch)
    answers = [mediation.ConsentIn(p, True, ConsentMethod.IN_PERSON, when) for p in parties
               if p.consent == Consent.PENDING]
    if answers:
        mediation.record_consents(case, answers, actor=mediator, now=when, batch=batch)
    unserved = [p for p in parties if p.rights_served_at is None]
    if unserved:
        mediation.serve_rights(case, unserved, actor=mediator, method=RightsMethod.IN_PERSON, at=when, now=when,
                               batch=batch)


def _step(case: Case, step: str, *, when: dt.datetime, supervisor: User, mediators: dict[str, User],
          plan: Plan) -> Case:
    if step == S.NOTICE_SERVED:
        before_mediation(case, case.mediator, when)
    if step == S.ASSIGNED:
        mediator = mediators.get(case.region_code[:9]) if case.level != Level.COUNTY else None
        mediator = mediator or mediators[case.region_code[:6]]
        case = transitions.transition(case, S.ASSIGNED, actor=supervisor, details=transitions.Assign(mediator.pk),
                                      now=when)
        return mediation.confirm_assignment(case, actor=mediator, now=when)
    if _needs_session(case, step):
        mediation.record_sessions([case], actor=case.mediator, held_at=when, now=when, **SESSION)
    return transitions.transition(case, step, actor=supervisor, reason=STEP_REASONS.get(step, ""), now=when,
                                  details=_step_details(step, plan))


# ----------------------------------------------------------------------------------------------------------------
# The bulk path: the same rows as ``run_plan`` would write, in batches
# ----------------------------------------------------------------------------------------------------------------
def _intake(p: Plan, police: dict[str, Organisation]) -> intake.IntakeIn:
    town = p.village_code[:9]
    spot = p.outcome == "spot"
    referral = police.get(town) if p.source == CaseSource.REFERRAL_POLICE else None
    source = p.source if (referral or p.source != CaseSource.REFERRAL_POLICE) else CaseSource.APPLICATION
    return intake.IntakeIn(
        applicant=intake.PartyIn(name=p.applicant, phone=p.phone),
        respondents=[intake.PartyIn(name=p.respondent)], region_code=p.village_code,
        description=DESCRIPTIONS[p.type_code], request="请求调解处理", type_code=p.type_code, consent=True,
        source=CaseSource.INITIATIVE if spot else source, risk_level=p.risk,
        referral_org=referral if not spot else None, referral_ref=f"{p.created_at:%Y}-{p.index}" if referral else "",
        on_spot_agreement="双方当场和解，互相谅解。" if spot else "",
    )


def _steps(p: Plan, level: str) -> list[str]:
    if p.outcome == "not_accepted":
        return [S.NOT_ACCEPTED]
    if p.outcome == f"open_{S.REPORTED}":
        return []
    steps: list[str] = []
    if p.to_county:
        hops = {Level.VILLAGE: 2, Level.TOWN: 1}.get(level, 0)
        steps += [S.ACCEPTED, S.ESCALATED] + [S.ACCEPTED, S.ESCALATED] * (hops - 1)
    return steps + {
        f"open_{S.ACCEPTED}": [S.ACCEPTED], f"open_{S.ASSIGNED}": [S.ACCEPTED, S.ASSIGNED],
        f"open_{S.IN_MEDIATION}": [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION],
        "terminated": [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.TERMINATED, S.CLOSED],
        "success": [S.ACCEPTED, S.ASSIGNED, S.NOTICE_SERVED, S.IN_MEDIATION, S.AGREEMENT_ORAL, S.CLOSED],
    }[p.outcome]


def bulk_year(plans: list[Plan], *, supervisor: User, mediators: dict[str, User], grid_workers: dict[str, User],
              police: dict[str, Organisation], batch: int = 500, router: Router | None = None,
              on_cases: CasesHook | None = None) -> int:
    """Write ``plans`` in chunks of ``batch`` through the batch forms of the services ``run_plan`` calls one case at
    a time: ``intake.create_cases`` registers a chunk's cases and ``transitions.advance`` /
    ``mediation.confirm_assignments`` take each through its stages in memory, all recorded in one ``records.Batch``
    (same routing, escalation, assignment, texts, times, audit rows and ledger leaves in the same order; one INSERT
    per table and one Merkle append per chunk) — then ``on_cases`` per chunk. Not written: the notifications (SMS to
    the parties, notices to mediators) of cases that happened in the past. For load (``--cases N``) and the bulk of
    the default demo year; tests/insights/test_demo_year.py compares the two paths."""
    from django.db import transaction

    from xiangzhi.core import crypto

    from .enums import PartyRole
    from .models import Party

    router = router or Router()
    memo: dict = {}  # the guards' reads, kept across the batch (transitions.plan_move)

    last_case_of: dict[str, tuple] = {}  # phone index → newest case (Case, village, created)
    for pk, phone_index, code, created, number in Party.objects.filter(
            role=PartyRole.APPLICANT, person__isnull=False).values_list(
            "case_id", "person__phone_index", "case__region_code", "case__created_at", "case__number").order_by("case_id"):
        last_case_of[phone_index] = (Case(pk=pk, number=number), code, created)
    made = 0
    for start in range(0, len(plans), batch):
        chunk = plans[start:start + batch]
        with transaction.atomic():
            recorded = records.Batch()
            items: list[intake.CaseIn] = []
            later: dict[int, list[int]] = {}  # item → the later items of the chunk that repeat its case
            for k, p in enumerate(chunk):
                spot = p.outcome == "spot"
                org, level = router(p.type_code, p.village_code, p.risk)
                phone_index = crypto.blind_index(p.phone, purpose="person.phone")
                prev = last_case_of.get(phone_index)
                repeat = prev is not None and prev[1][:12] == p.village_code and p.created_at - prev[2] <= dt.timedelta(
                    days=intake.REPEAT_WINDOW_DAYS)
                items.append(intake.CaseIn(
                    _intake(p, police), channel="grid" if spot else "window",
                    actor=grid_workers[p.village_code[:9]] if spot else supervisor, at=p.created_at,
                    region=router.regions[p.village_code], dispute_type=router.types[p.type_code], organisation=org,
                    level=level, repeat_of=prev[0] if repeat and isinstance(prev[0], Case) else None))
                if repeat and isinstance(prev[0], int):  # a case of this chunk, made when its turn comes
                    later.setdefault(prev[0], []).append(k)
                last_case_of[phone_index] = (k, p.village_code, p.created_at)
            cases: list[Case] = []

            def take_further(case: Case, chunk: list[Plan] = chunk, items: list = items, later: dict = later,
                             recorded: records.Batch = recorded, cases: list = cases) -> None:
                """Each new case's stages, in memory, as ``run_plan`` takes them one by one."""
                k = len(cases)
                cases.append(case)
                for j in later.get(k, ()):
                    items[j].repeat_of = case
                p = chunk[k]
                if p.outcome != "spot":
                    _advance(case, p, supervisor=supervisor, mediators=mediators, batch=recorded, memo=memo)

            intake.create_cases(items, batch=recorded, then=take_further, memo=memo)
            for k, case in enumerate(cases):
                phone_index = crypto.blind_index(chunk[k].phone, purpose="person.phone")
                if last_case_of[phone_index][0] == k:
                    last_case_of[phone_index] = (case, *last_case_of[phone_index][1:])
            recorded.write(notify=False)
            if on_cases is not None:
                on_cases(list(zip(chunk, cases, strict=True)))
        made += len(chunk)
    return made


def _advance(case: Case, p: Plan, *, supervisor: User, mediators: dict[str, User], batch: records.Batch,
             memo: dict) -> None:
    """``run_plan``'s steps of a new case not saved yet, in memory, recorded in ``batch``."""
    steps = _steps(p, case.level)
    end = p.created_at + dt.timedelta(days=p.days)
    for n, step in enumerate(steps, start=1):
        when = p.created_at + (end - p.created_at) * n / max(1, len(steps))
        if step == S.ASSIGNED:
            mediator = mediators.get(case.region_code[:9]) if case.level != Level.COUNTY else None
            mediator = mediator or mediators[case.region_code[:6]]
            transitions.advance([case], S.ASSIGNED, actor=supervisor, details=transitions.Assign(mediator.pk),
                                now=when, batch=batch, memo=memo)
            mediation.confirm_assignments([case], actor=mediator, now=when, batch=batch)
            continue
        if step == S.NOTICE_SERVED:
            before_mediation(case, case.mediator, when, batch)
        if _needs_session(case, step):
            mediation.record_sessions([case], actor=case.mediator, held_at=when, now=when, batch=batch, **SESSION)
        transitions.advance([case], step, actor=supervisor, reason=STEP_REASONS.get(step, ""), now=when,
                            batch=batch, memo=memo, details=_step_details(step, p))
