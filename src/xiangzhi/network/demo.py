"""Public legal service network demo, through the services: service points at the county (inside the dispute-
resolution centre), every town and every village; 44 advisers (lawyers of the county's law firms, each serving about
five villages) so that all 217 villages are covered; 100 三官一师 legal service teams (county, towns, 88 villages) with
two weeks of duty rosters for the county and town teams; a service log entry per village; 82 terminals (the 24-hour
法超市, a smart terminal per town, 70 village all-in-one machines) with a year of daily visits (30,000+ in all).
Idempotent (each part is skipped once it exists); no plaintext personal data (advisers' mobiles are encrypted)."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.demo import DemoContext

SURNAMES = "沈钱孙李周吴郑王冯陈褚卫蒋韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章云苏潘葛范彭郎鲁"
GIVEN = ["志明", "晓燕", "建华", "丽娟", "国庆", "海峰", "雪梅", "文杰", "春燕", "立新", "慧敏", "永强", "佳琪", "宏伟"]
ADVISERS = 44
VILLAGE_TEAMS = 88
VILLAGE_TERMINALS = 70
SERVICES_COUNTY = ["consultation", "mediation", "legal_aid", "notary", "documents", "education", "self_service"]
SERVICES_TOWN = ["consultation", "mediation", "legal_aid", "documents", "education"]
SERVICES_VILLAGE = ["consultation", "mediation", "education"]


def build(ctx: DemoContext) -> None:
    from xiangzhi.core.models import Region

    if not Region.objects.filter(code="330483").exists():
        ctx.say("公共法律服务网络：没有区划，跳过。")
        return
    _build_sites(ctx)
    _build_advisers(ctx)
    _build_teams(ctx)
    _build_service_logs(ctx)
    _build_terminals(ctx)


def _regions():
    from xiangzhi.core.models import Region

    county = Region.objects.get(code="330483")
    towns = list(Region.objects.filter(level="town", is_active=True).order_by("code"))
    villages = list(Region.objects.filter(level="village", is_active=True).order_by("code"))
    return county, towns, villages


def _build_sites(ctx: DemoContext) -> None:
    from .models import Site
    from .services import directory

    if Site.objects.exists():
        ctx.say("公共法律服务网络：已有服务点，跳过。")
        return
    county, towns, villages = _regions()
    directory.create_site(county, name="桐乡市公共法律服务中心", address="桐乡市社会矛盾纠纷调处化解中心一楼",
                          hours="工作日 8:30–17:00；24小时法超市全天开放", services=SERVICES_COUNTY,
                          phone="0573-88012348", actor=None)
    for n, town in enumerate(towns):
        directory.create_site(town, name=f"{town.display_name}公共法律服务工作站", address=f"{town.display_name}司法所",
                              hours="工作日 8:30–17:00", services=SERVICES_TOWN, phone=f"0573-8861{n:04d}",
                              actor=None)
    for village in villages:
        directory.create_site(village, name=f"{village.display_name}公共法律服务室",
                              address=f"{village.display_name}党群服务中心", hours="每周五 9:00–11:30（顾问坐班）",
                              services=SERVICES_VILLAGE, actor=None)
    ctx.say(f"公共法律服务网络：服务点 {1 + len(towns) + len(villages)} 个。")


def _build_advisers(ctx: DemoContext) -> None:
    from xiangzhi.core.models import Organisation, User

    from .models import Adviser
    from .services import directory

    if Adviser.objects.exists():
        ctx.say("公共法律服务网络：已有法律顾问，跳过。")
        return
    _county, _towns, villages = _regions()
    firms = list(Organisation.objects.filter(kind="law_firm", is_active=True).order_by("pk"))
    demo_lawyer = User.objects.filter(username="lawyer").first()
    advisers = []
    for n in range(ADVISERS):
        name = f"{SURNAMES[n % len(SURNAMES)]}{GIVEN[(n * 5) % len(GIVEN)]}"
        mobile = f"13{ctx.rng.randrange(5, 10)}{ctx.rng.randrange(10**8):08d}"
        advisers.append(directory.create_adviser(
            name=name, firm=firms[n % len(firms)] if firms else None, work_phone=f"0573-8890{n:04d}", mobile=mobile,
            user=demo_lawyer if n == 0 else None, actor=None))
    # neighbouring villages share an adviser: blocks of about five villages in code order
    per = -(-len(villages) // ADVISERS)
    for i, village in enumerate(villages):
        directory.assign_adviser(village, advisers[min(i // per, ADVISERS - 1)], actor=None)
    ctx.say(f"公共法律服务网络：法律顾问 {ADVISERS} 名，覆盖 {len(villages)} 个村（社区）。")


def _build_teams(ctx: DemoContext) -> None:
    from django.utils import timezone

    from .models import Assignment, Team
    from .services import directory

    if Team.objects.exists():
        ctx.say("公共法律服务网络：已有法律服务团，跳过。")
        return
    county, towns, villages = _regions()
    advisers = {a.village_id: a.adviser.name for a in Assignment.objects.select_related("adviser")}

    def members(place: str, lawyer: str) -> list[tuple[str, str, str]]:
        pick = ctx.rng.choice
        return [("judge", f"{pick(SURNAMES)}{pick(GIVEN)}", "桐乡市人民法院"),
                ("prosecutor", f"{pick(SURNAMES)}{pick(GIVEN)}", "桐乡市人民检察院"),
                ("police", f"{pick(SURNAMES)}{pick(GIVEN)}", f"{place}派出所"),
                ("lawyer", lawyer, "律师事务所"),
                ("justice", f"{pick(SURNAMES)}{pick(GIVEN)}", f"{place}司法所")]

    duty_teams = [directory.create_team(county, name="桐乡市法律服务团", members=members("桐乡市", "周律"),
                                        actor=None)]
    for town in towns:
        duty_teams.append(directory.create_team(town, name=f"{town.display_name}法律服务团",
                                                members=members(town.display_name, ctx.rng.choice(
                                                    list(advisers.values()))), actor=None))
    step = max(1, len(villages) // VILLAGE_TEAMS)
    for village in villages[::step][:VILLAGE_TEAMS]:
        directory.create_team(village, name=f"{village.display_name}法律服务团",
                              members=members(village.parent.display_name, advisers.get(village.pk, "")), actor=None)
    today = timezone.localdate()
    for team in duty_teams:
        crew = list(team.members.order_by("kind", "pk"))
        for d in range(14):
            day = today + dt.timedelta(days=d)
            if day.weekday() < 5:
                directory.set_duty(team, crew[d % len(crew)], day, actor=None)
    ctx.say(f"公共法律服务网络：法律服务团 {len(duty_teams) + min(VILLAGE_TEAMS, len(villages[::step]))} 个。")


def _build_service_logs(ctx: DemoContext) -> None:
    from django.utils import timezone

    from .enums import ServiceKind
    from .models import Assignment, ServiceLog
    from .services import directory

    if ServiceLog.objects.exists():
        return
    now = timezone.now()
    texts = {"visit": "驻村走访，了解村民法律需求", "talk": "开展法治讲座（民法典婚姻家庭编）",
             "consultation": "解答村民关于土地承包经营权流转的咨询", "review": "审查村集体厂房租赁合同",
             "mediation": "参与邻里宅基地纠纷调解"}
    for a in Assignment.objects.select_related("village", "adviser").order_by("village__code"):
        kind = ctx.rng.choice(ServiceKind.values)
        directory.log_service(a.adviser, a.village, kind=kind, minutes=ctx.rng.choice([30, 45, 60, 90, 120]),
                              summary=texts[kind], occurred_at=now - dt.timedelta(days=ctx.rng.randrange(1, 28),
                                                                                   hours=ctx.rng.randrange(0, 8)),
                              actor=None)
    ctx.say("公共法律服务网络：顾问服务日志已写入。")


def _build_terminals(ctx: DemoContext) -> None:
    from django.utils import timezone

    from .models import Site, Terminal
    from .services import terminals

    if Terminal.objects.exists():
        ctx.say("公共法律服务网络：已有智能终端，跳过。")
        return
    county, towns, villages = _regions()
    sites = {s.region_id: s for s in Site.objects.all()}
    made = [terminals.register_terminal(county, code="T-000", name="24小时法超市", kind="law_supermarket",
                                        site=sites.get(county.pk), actor=None)[0]]
    for n, town in enumerate(towns, start=1):
        made.append(terminals.register_terminal(town, code=f"T-{n:03d}", name=f"{town.display_name}可视化智能终端",
                                                kind="smart_terminal", site=sites.get(town.pk), actor=None)[0])
    step = max(1, len(villages) // VILLAGE_TERMINALS)
    for n, village in enumerate(villages[::step][:VILLAGE_TERMINALS], start=len(made)):
        made.append(terminals.register_terminal(village, code=f"T-{n:03d}", name=f"{village.display_name}一体机",
                                                kind="all_in_one", site=sites.get(village.pk), actor=None)[0])
    today = timezone.localdate()
    mean = {"law_supermarket": 9.0, "smart_terminal": 1.6, "all_in_one": 0.9}
    total = 0
    for terminal in made:
        counts = {}
        for d in range(1, 366):
            day = today - dt.timedelta(days=d)
            rate = mean[terminal.kind] * (1.4 if day.weekday() >= 5 else 1.0)
            counts[day] = max(0, round(ctx.rng.gauss(rate, rate / 2)))
        terminals.import_visit_counts(terminal, counts, actor=None)
        total += sum(counts.values())
    ctx.say(f"公共法律服务网络：智能终端 {len(made)} 台，一年访问 {total} 次（终端令牌请在工作台“更换令牌”签发）。")
