"""时间银行 demo, through the services: the county and town catalogues, about two dozen legal volunteers in four
towns (the demo lawyer and the 乌镇 mediator among them, and one villager whose phone the console shows), a year of
their services recorded by the town's 司法所 (or the county centre) and verified by the county administrator, a few
left to verify, one rejected, redemptions, donations and one correction by a reversing transfer. Idempotent: skipped
once a volunteer exists. Names are invented; phones are encrypted by core's Person."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.demo import DemoContext

TOWNS = ["330483100", "330483107", "330483001", "330483101"]  # 乌镇镇, 崇福镇, 梧桐街道, 濮院镇
SURNAMES = "沈朱钱陆吴徐张王李周顾蔡姚屠"
GIVEN = ["建国", "丽华", "志强", "秀英", "国平", "海燕", "伟明", "晓东", "美娟", "雪芳", "永良", "春林"]
KINDS = ["legal_literate", "legal_literate", "resident", "mediator", "lawyer"]
SERVICES = {
    "mediation": ["协助调解邻里纠纷", "协助调解宅基地纠纷", "协助调解婚姻家庭纠纷"],
    "talk": ["村民法治讲座", "三治茶座普法宣讲", "法治小院以案释法"],
    "consultation": ["村法律服务点咨询值班", "有法码线上咨询值班"],
    "legal_aid": ["法律援助工作站值班"],
    "alert_answer": ["答复普法求助（音频）"],
}
CATALOGUE = [
    ("330483", "legal_service", "优先法律咨询（律师面谈一次）", 60, "到县公共法律服务中心优先安排律师面谈"),
    ("330483", "legal_service", "法律文书代写一份", 120, "起诉状、答辩状、协议书等"),
    ("330483", "recognition", "法律明白人评选积分 10 分", 600, "计入年度法律明白人、法治带头人评选"),
    ("330483100", "community", "家电上门维修一次", 90, "乌镇镇志愿服务站提供"),
    ("330483100", "community", "老年人理发一次", 30, "乌镇镇志愿服务站提供"),
    ("330483107", "community", "爱心超市兑换券（10元）", 60, "崇福镇爱心超市"),
]
DEMO_PHONE = "13900001234"


def build(ctx: DemoContext) -> None:
    from django.db import transaction

    from xiangzhi.ledger import services as ledger

    with transaction.atomic(), ledger.appending():  # one ledger append for the whole demo year
        _build(ctx)


def _build(ctx: DemoContext) -> None:
    from django.utils import timezone

    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.core.models import Organisation, Region, User

    from .enums import ActivityKind
    from .models import CatalogueItem, Volunteer
    from .services import activities, books, exchange, volunteers

    if Volunteer.objects.exists():
        ctx.say("时间银行：已有志愿者，跳过。")
        return
    admin, centre, sfs = (User.objects.filter(username=u).first() for u in ("admin", "centre", "wuzhen_sfs"))
    if admin is None or centre is None or sfs is None:
        ctx.say("时间银行：缺少演示账号，跳过。")
        return
    rng, today = ctx.rng, timezone.localdate()
    bureau = Organisation.objects.filter(kind="justice_bureau").order_by("pk").first()
    items = []
    for code, category, name, cost, description in CATALOGUE:
        region = Region.objects.get(code=code)
        org = Organisation.objects.filter(region=region, kind="justice_office").first() or bureau
        items.append(exchange.save_item(organisation=org, region=region, category=category, name=name,
                                        cost_minutes=cost, description=description, actor=admin))

    people: list = []
    staff_volunteers = [("lawyer", "lawyer", "330483100"), ("wuzhen_mediator", "mediator", "330483100")]
    for username, kind, town in staff_volunteers:
        user = User.objects.filter(username=username).first()
        if user is not None:
            people.append((user.display_name or username, kind, town, user, ""))
    for i in range(22):
        town = TOWNS[i % len(TOWNS)]
        phone = DEMO_PHONE if i == 0 else f"137{rng.randrange(10**7, 10**8):08d}"
        people.append((rng.choice(SURNAMES) + rng.choice(GIVEN), KINDS[i % len(KINDS)], town, None, phone))
    vols = []
    for name, kind, town, user, phone in people:
        villages = list(Region.objects.filter(level="village", code__startswith=town).order_by("code")[:6])
        region = rng.choice(villages) if villages else Region.objects.get(code=town)
        org = Organisation.objects.filter(region__code=town, kind="justice_office").first() or bureau
        vols.append(volunteers.register_volunteer(name=name, kind=kind, organisation=org, region=region,
                                                  phone=phone, user=user, public_consent=rng.random() < 0.8,
                                                  actor=sfs if town == "330483100" else centre))

    kinds = list(SERVICES)
    verified = pending = 0
    for v in vols:
        recorder = sfs if v.region.code.startswith("330483100") else centre
        for _ in range(rng.randint(6, 14)):
            kind = rng.choice(kinds)
            if kind == ActivityKind.ALERT_ANSWER and v.kind != "lawyer":
                kind = ActivityKind.TALK
            a = activities.record_activity(
                v, kind=kind, title=rng.choice(SERVICES[kind]), minutes=rng.choice([30, 60, 60, 90, 120, 180]),
                occurred_on=today - dt.timedelta(days=rng.randint(0, 364)), organisation=v.organisation,
                actor=recorder)
            roll = rng.random()
            if roll < 0.08:
                pending += 1
            elif roll < 0.1:
                activities.reject_activity(a, actor=admin, reason="签到记录与服务时长不符")
            else:
                activities.verify_activity(a, actor=admin)
                verified += 1

    redeemed = 0
    for v in vols:
        v.account.refresh_from_db()
        for item in rng.sample(items, k=3):
            if (item.region.code == "330483" or v.region.code.startswith(item.region.code)) and \
                    v.account.balance - item.cost_minutes >= 0 and rng.random() < 0.6:
                exchange.redeem(v, item, actor=sfs if v.region.code.startswith("330483100") else centre)
                redeemed += 1
    donors = [v for v in vols if v.user is not None]
    for donor in donors:
        donor.account.refresh_from_db()
        if donor.account.balance >= 60:
            exchange.donate(donor, rng.choice([v for v in vols if v.pk != donor.pk]), minutes=60, actor=donor.user,
                            memo="转赠给同村志愿者")
    first_credit = vols[-1].activities.filter(transfer__isnull=False).order_by("pk").first()
    if first_credit is not None:
        try:
            books.reverse_transfer(first_credit.transfer, actor=admin, reason="重复录入，冲正")
        except XiangzhiError as exc:  # already spent: the books refuse the overdraw
            ctx.say(f"时间银行：冲正未执行（{exc.message}）")
    report = books.verify_books()
    ctx.say(f"时间银行：志愿者 {len(vols)} 名，兑换项目 {CatalogueItem.objects.count()} 个，已核验服务 {verified} 条、"
            f"待核验 {pending} 条，兑换 {redeemed} 次；账目核对{'无误' if report.ok else '有误'}。"
            f"志愿者本人页面 /timebank/me/（群众登录手机号 {DEMO_PHONE}）")
