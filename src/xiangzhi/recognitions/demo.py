"""法律明白人 / 法治带头人 / 学法用法示范户 and e法贷 demo, through the services: this year's selection in the villages
of 乌镇镇 at every step (nominated, reviewed, in public notice — one with a villager's objection answered — rejected,
registered holders with certificates and training records, one revocation proposed), and two banks, each checking a
holder with the holder's consent code and recording a loan. Names and 身份证号 are generated; the 身份证号 and phones
are encrypted by core's Person. Idempotent: skipped once a recognition exists."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.demo import DemoContext, demo_password

SURNAMES = "沈钱朱陆张王李徐吴周姚费屠"
GIVEN = ["建华", "美芳", "国强", "丽萍", "志明", "秀英", "海峰", "雪梅", "金林", "晓燕", "伟东", "春花", "永康", "桂芬"]
SECOND_BANK = "中国农业银行桐乡支行"
# (title, how far it goes, village index): "registered" holders get a certificate.
PLAN = [
    ("understander", "registered", 0), ("understander", "registered", 0), ("understander", "registered", 0),
    ("leader", "registered", 0), ("household", "registered", 1), ("understander", "registered", 1),
    ("understander", "in_notice", 1), ("leader", "in_notice", 2), ("household", "in_notice", 2),
    ("understander", "town_reviewed", 2), ("understander", "nominated", 3), ("household", "rejected", 3),
    ("understander", "revocation_proposed", 3),
]


def _id_number(ctx: DemoContext, village_code: str) -> str:
    from xiangzhi.core.personal import id_check_digit

    birth = dt.date(1960, 1, 1) + dt.timedelta(days=ctx.rng.randrange(0, 365 * 40))
    first17 = f"{village_code[:6]}{birth:%Y%m%d}{ctx.rng.randrange(0, 1000):03d}"
    return first17 + id_check_digit(first17)


def build(ctx: DemoContext) -> None:
    from django.utils import timezone

    from xiangzhi.core import services as core
    from xiangzhi.core.enums import OrgKind, RegionLevel, Role
    from xiangzhi.core.models import Region, User

    from .models import Recognition
    from .services import efadai, selection

    if Recognition.objects.exists():
        ctx.say("法治荣誉：已有记录，跳过。")
        return
    admin, town, bank = (User.objects.filter(username=u).first() for u in ("admin", "wuzhen_sfs", "bank"))
    wuzhen = Region.objects.filter(level=RegionLevel.TOWN, short_name="乌镇镇").first()
    if admin is None or town is None or bank is None or wuzhen is None:
        ctx.say("法治荣誉：缺少演示账号或区划，跳过。")
        return
    villages = list(Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=wuzhen.code).order_by("code")[:4])
    year = timezone.localdate().year
    now = timezone.now()
    holders = []
    for i, (title, goal, v) in enumerate(PLAN):
        village = villages[v % len(villages)]
        phone = f"1350000{3000 + i}" if i in (0, 3) else ""  # two holders who will ask their banks for e法贷
        nominee = selection.Nominee(name=SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)],
                                    id_number=_id_number(ctx, village.code), phone=phone)
        rec = selection.nominate(nominee, title=title, year=year, region=village, actor=town,
                                 reason="熟悉民法典和村规民约，多次参与调解邻里纠纷，在村民中有威信。")
        if phone:
            core.citizen_account(phone)  # the holder signs in on their phone with this number
        if goal == "nominated":
            continue
        if goal == "rejected":
            selection.transition(rec, "rejected", actor=town, reason="近三年有违反村规民约的记录。")
            continue
        selection.transition(rec, "town_reviewed", actor=town)
        if goal == "town_reviewed":
            continue
        rec = selection.transition(rec, "in_notice", actor=town)
        if goal == "in_notice":
            continue
        # The demo's notice ran last week: its dates are moved back before the county decides (the guard then checks
        # the real end of the notice, as it would a week later).
        Recognition.objects.filter(pk=rec.pk).update(notice_starts=now - dt.timedelta(days=9),
                                                     notice_ends=now - dt.timedelta(days=2))
        selection.transition(rec, "approved", actor=admin)
        rec = selection.transition(rec, "registered", actor=admin)
        selection.add_training(rec, kind="training", on=timezone.localdate() - dt.timedelta(days=20),
                               topic="民法典与人民调解任前培训", hours="8", actor=town)
        selection.add_training(rec, kind="assessment", on=timezone.localdate() - dt.timedelta(days=19),
                               topic="任前考试", score=ctx.rng.randint(80, 98), passed=True, actor=town)
        if goal == "revocation_proposed":
            selection.transition(rec, "revocation_proposed", actor=town, reason="村民举报其参与非法集资，待核实。")
        holders.append(rec)

    in_notice = Recognition.objects.filter(state="in_notice").order_by("pk").first()
    objector = core.citizen_account("13500004000")
    objection = selection.raise_objection(in_notice, text="听说此人和邻居有纠纷没有处理好，请核实。", actor=objector)
    selection.answer_objection(objection, answer="经司法所和村委会核实，该纠纷已于去年调解结案，协议已履行。", actor=town)

    second = core.create_organisation(name=SECOND_BANK, kind=OrgKind.BANK, region=Region.objects.get(code="330483"),
                                      actor=None)
    bank2 = User.objects.filter(username="bank2").first() or core.create_staff_user(
        username="bank2", password=demo_password("bank2", ctx.seed), display_name="农业银行 陈经理", actor=None)
    core.add_membership(bank2, role=Role.BANK_OFFICER, region=second.region, organisation=second, actor=None)
    ctx.accounts.append(("bank2", demo_password("bank2", ctx.seed), f"{Role.BANK_OFFICER.label} · {SECOND_BANK}"))
    loans = 0
    for officer, phone, amount, discount in ((bank, "13500003000", "300000", "1.20"),
                                             (bank2, "13500003003", "150000", "0.80")):
        code, _consent = efadai.create_consent(actor=core.citizen_account(phone))
        check = efadai.check_eligibility(code, actor=officer)
        if check.eligible:
            efadai.record_loan(check, amount=amount, rate_discount=discount, granted_on=timezone.localdate(),
                               actor=officer)
            loans += 1
    ctx.say(f"法治荣誉：{year}年度提名 {len(PLAN)} 人，登记发证 {len(holders)} 人，公示中 "
            f"{Recognition.objects.filter(state='in_notice').count()} 人（1 条异议已答复）；两家银行核验并放款 {loans} 笔。")
