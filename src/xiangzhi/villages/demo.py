"""民主法治村 demo, through the services. The bureau's checklists for the four levels (the county standard's five
areas, with 一票否决 items); the titles the county held when it described the programme, registered as 存量命名 on the
ladder — every one of the 217 villages and communities at county level, 140 of them at Jiaxing level, 48 of those
provincial, 3 of those national (屠甸镇汇丰村, named in March 2015, and 高桥越丰村, where 三治融合 began, among them);
then live creations in 乌镇镇 at every stage that does not change those figures (培育 under way, applied and waiting for
the assessors, failed on a veto item, passed and waiting for naming), an improvement plan and a review.
Idempotent: titles are registered only where missing; the live part is skipped once an application exists."""

from __future__ import annotations

import datetime as dt
import random
import struct
import zlib

from xiangzhi.core.demo import DemoContext

# The county's figures (Tongxiang Justice Bureau, Dec 2020; all villages at county level).
FIGURES = {"national": 3, "province": 48, "city": 140}
NATIONAL = [("屠甸镇", "汇丰村", dt.date(2015, 3, 20)), ("高桥街道", "越丰村", dt.date(2018, 12, 10))]
# Dates of the naming batches of each level (the registration keeps the ladder's order).
BATCHES = {"county": [dt.date(2013, 12, 20), dt.date(2014, 12, 18), dt.date(2016, 1, 8)],
           "city": [dt.date(2016, 12, 26), dt.date(2017, 12, 22)],
           "province": [dt.date(2018, 6, 15), dt.date(2019, 11, 5)],
           "national": [dt.date(2020, 11, 30)]}
EARLY = {"county": dt.date(2011, 12, 1), "city": dt.date(2012, 12, 1), "province": dt.date(2014, 1, 10)}

AREAS = [
    ("村级组织健全完善", "村党组织书记通过法定程序担任村委会主任，村“两委”班子健全", 20),
    ("基层民主规范有序", "村委会、村务监督委员会按期换届，人民调解委员会同步产生", 15),
    ("基层民主规范有序", "落实“四议两公开”，村级重大事项决策程序完整、记录齐全", 15),
    ("基层民主规范有序", "村民代表会议每季度至少召开一次，到会人数达三分之二以上", 10),
    ("法治建设扎实推进", "村规民约依法制定并公示，法治宣传阵地和法律明白人队伍健全", 15),
    ("法治建设扎实推进", "征地拆迁等涉及群众利益事项依法协商，档案完整", 10),
    ("经济社会和谐发展", "矛盾纠纷排查调处及时，无因调处不当引发的民转刑案件", 10),
    ("组织保障坚强有力", "创建工作有规划、有台账、有经费保障", 5),
]
VETOES = [
    ("一票否决", "村“两委”成员有刑事犯罪记录或存在村霸、涉黑涉恶问题"),
    ("一票否决", "发生重大刑事案件、重大安全事故或群体性事件"),
    ("一票否决", "村级组织违反法律法规，侵犯公民、法人和其他组织合法权益，造成不良社会影响"),
]
PASS_MARKS = {"county": 80, "city": 85, "province": 88, "national": 90}


def _png() -> bytes:
    """A small one-colour PNG (a photo placeholder for the demo's evidence)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xc8\x32\x32" * 32 for _ in range(24))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 24, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def build(ctx: DemoContext) -> None:
    from xiangzhi.core.models import User

    admin = User.objects.filter(username="admin").first()
    if admin is None:
        ctx.say("民主法治村：缺少演示管理员账号，跳过。")
        return
    _build_standards(ctx, admin)
    _build_titles(ctx, admin)
    _build_live(ctx, admin)


def _build_standards(ctx: DemoContext, admin) -> None:  # noqa: ANN001
    from .enums import TitleLevel
    from .models import Standard
    from .services.standards import IndicatorIn, save_standard

    made = 0
    for level in TitleLevel.values:
        if Standard.objects.filter(level=level, is_active=True).exists():
            continue
        save_standard(actor=admin, name=f"桐乡市{TitleLevel(level).label}民主法治村（社区）考核标准",
                      level=level, pass_mark=PASS_MARKS[level],
                      indicators=[IndicatorIn(a, t, s) for a, t, s in AREAS]
                      + [IndicatorIn(a, t, 0, True) for a, t in VETOES])
        made += 1
    if made:
        ctx.say(f"民主法治村：考核标准 {made} 套")


def _targets() -> dict[str, str]:
    """The highest title of each village: the county's figures, drawn once with a fixed seed (not the demo's), so a
    second run with another seed asks for the same titles."""
    from xiangzhi.core.models import Region

    villages = list(Region.objects.filter(level="village", code__startswith="330483").order_by("code")
                    .values_list("code", "short_name", "parent__short_name", "parent__name"))
    fixed = {next(c for c, short, town_short, town in villages if short == v and t in (town_short, town))
             for t, v, _ in NATIONAL}
    rng = random.Random("villages-titles")
    rest = [c for c, *_ in villages if c not in fixed]
    rng.shuffle(rest)
    national = sorted(fixed) + rest[: FIGURES["national"] - len(fixed)]
    rest = rest[FIGURES["national"] - len(fixed):]
    province = rest[: FIGURES["province"] - FIGURES["national"]]
    city = rest[len(province): len(province) + FIGURES["city"] - FIGURES["province"]]
    highest = {c: "county" for c, *_ in villages}
    highest.update(dict.fromkeys(city, "city"))
    highest.update(dict.fromkeys(province, "province"))
    highest.update(dict.fromkeys(national, "national"))
    return highest


def _build_titles(ctx: DemoContext, admin) -> None:  # noqa: ANN001
    from django.db import transaction

    from xiangzhi.core.models import Region
    from xiangzhi.ledger import services as ledger

    from .enums import LADDER
    from .models import Title
    from .services import titles
    from .services.records import record_of

    highest = _targets()
    # every title ever registered (held, or ended by a review) counts as done: a rerun never re-registers one
    held = set(Title.objects.values_list("record__region__code", "level"))
    national_dates = {(t, v): d for t, v, d in NATIONAL}
    regions = {r.code: r for r in Region.objects.filter(code__in=highest).select_related("parent")}
    made = 0
    with transaction.atomic(), ledger.appending():
        for i, (code, top) in enumerate(sorted(highest.items())):
            village = regions[code]
            levels = LADDER[: LADDER.index(top) + 1]
            if all((code, lv) in held for lv in levels):
                continue
            rec = record_of(village)
            fixed = national_dates.get((village.parent.display_name, village.display_name))
            for lv in levels:
                if (code, lv) in held:
                    continue
                if top == "national":
                    on = fixed if lv == "national" and fixed else (EARLY.get(lv) or BATCHES["national"][0])
                else:
                    on = BATCHES[lv][i % len(BATCHES[lv])]
                titles.register_title(rec, actor=admin, level=lv, named_on=on,
                                      document_no=f"{_issuer(lv)}〔{on.year}〕{10 + i % 40}号")
                made += 1
    if made:
        ctx.say(f"民主法治村：登记存量命名 {made} 个")


def _issuer(level: str) -> str:
    return {"county": "桐司", "city": "嘉司", "province": "浙司", "national": "司发"}[level]


def _build_live(ctx: DemoContext, admin) -> None:  # noqa: ANN001
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from xiangzhi.core.models import User

    from .models import Application, CreationRecord
    from .services import assessment, cultivation, titles
    from .services.assessment import LineIn

    if Application.objects.exists():
        ctx.say("民主法治村：已有申报，跳过演示流程。")
        return
    office = User.objects.filter(username="wuzhen_sfs").first() or admin
    assessors = list(User.objects.filter(username__in=["lawyer", "centre"]).order_by("username")) or [admin]
    wuzhen = list(CreationRecord.objects.filter(region__code__startswith="330483100", highest_level="county")
                  .select_related("region").order_by("region__code")[:4])
    if len(wuzhen) < 4:
        ctx.say("民主法治村：乌镇镇村（社区）不足，跳过演示流程。")
        return
    today = timezone.localdate()

    def cultivated(rec, *, done: bool = True):  # noqa: ANN001, ANN202
        plan = cultivation.create_plan(rec, actor=office, target_level="city", year_from=today.year,
                                       year_to=today.year + 2,
                                       targets=["修订村规民约并张榜公示", "村民代表会议按季召开、记录完整",
                                                "建成法治文化广场，培育法律明白人 10 名"])
        task = cultivation.add_task(plan, actor=office, title="修订村规民约并公示", indicator=None,
                                    due_on=today + dt.timedelta(days=60))
        cultivation.add_evidence(task, ContentFile(_png(), name="村规民约公示栏.png"), actor=office)
        if done:
            cultivation.complete_task(task, actor=office)
        cultivation.add_task(plan, actor=office, title="每季度召开村民代表会议", due_on=today + dt.timedelta(days=90))
        return rec

    def sheet(app, *, veto: bool = False, ratio: float = 0.95) -> dict:  # noqa: ANN001
        return {ind.pk: LineIn(veto_hit=veto and ind.position == len(AREAS) + 1) if ind.is_veto
                else LineIn(score=round(float(ind.max_score) * ratio, 1))
                for ind in app.standard.indicators.all()}

    growing, waiting, vetoed, passed = wuzhen
    cultivated(growing, done=False)
    app = assessment.apply(cultivated(waiting), actor=office, level="city", summary="培育任务已完成，申报嘉兴市级。")
    assessment.assign_assessors(app, assessors, actor=admin)
    app = assessment.apply(cultivated(vetoed), actor=office, level="city")
    assessment.assign_assessors(app, assessors[:1], actor=admin)
    assessment.score(app, actor=assessors[0], lines=sheet(app, veto=True), note="村委会一名成员因寻衅滋事被判刑。")
    app = assessment.apply(cultivated(passed), actor=office, level="city")
    assessment.assign_assessors(app, assessors, actor=admin)
    for a in assessors:
        assessment.score(app, actor=a, lines=sheet(app, ratio=0.92), note="台账完整，民主议事规范。")
    provincial = CreationRecord.objects.filter(highest_level="province").order_by("region__code").first()
    if provincial is not None:
        cultivation.plan_improvement(provincial, actor=admin, measures="对照全国民主法治示范村标准，完善村务监督和法治文化阵地。",
                                     due_on=today + dt.timedelta(days=365))
    national = CreationRecord.objects.filter(highest_level="national").order_by("region__code").first()
    if national is not None:
        title = national.titles.get(level="national", state="held")
        titles.review(title, actor=admin, outcome="keep", reviewed_on=today, note="两年一次复核：实地抽查、书面审查，保留。")
    ctx.say("民主法治村：演示创建流程 4 个（培育中、待考核、一票否决未通过、考核通过待命名），提升计划与复核各 1 个")
