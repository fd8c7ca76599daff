"""合法性审查 demo, through the services: a year of reviews for the 11 towns of 桐乡 — each town's justice office (the
demo 乌镇 司法所 account for 乌镇镇, the bureau's administrator for the others) submits its normative documents, major
decisions, agreements and enforcement decisions and a village's 村规民约 or major contract, assigns the demo lawyer
with the default period, the lawyer gives an opinion citing articles of the law base (some late; some 修改后合法,
revised and passed on the second version), and passed documents are issued; the last weeks' submissions are still
under review, some of them overdue; one major enforcement decision is refused (不合法). Idempotent: skipped once a
submission exists."""

from __future__ import annotations

import datetime as dt

from xiangzhi.core.demo import DemoContext

# Articles a reviewer of a town document typically cites (used when the law base has them).
CITES = {
    "normative": ["行政处罚法-16", "行政许可法-17", "重大行政决策程序暂行条例-25"],
    "major_decision": ["重大行政决策程序暂行条例-25", "重大行政决策程序暂行条例-26", "重大行政决策程序暂行条例-27"],
    "agreement": ["民法典-143", "民法典-153", "民法典-509"],
    "enforcement": ["行政处罚法-44", "行政处罚法-63", "行政强制法-35"],
    "village_rules": ["村民委员会组织法-27", "村民委员会组织法-24"],
    "village_contract": ["农村土地承包法-36", "民法典-143", "村民委员会组织法-24"],
    "village_decision": ["村民委员会组织法-24", "村民委员会组织法-27"],
}
TITLES = {
    "normative": ["{t}农村生活垃圾分类管理办法", "{t}农村宅基地建房管理实施细则", "{t}困难群众临时救助实施办法"],
    "major_decision": ["{t}老旧小区综合改造实施方案", "{t}美丽乡村精品线建设方案", "{t}集镇停车设施建设方案"],
    "agreement": ["{t}招商引资项目投资协议", "{t}国有土地房屋征收补偿协议（范本）", "{t}污水处理设施委托运营协议"],
    "enforcement": ["{t}违法建筑强制拆除决定", "{t}责令停产整顿决定"],
    "village_rules": ["{v}村规民约（修订稿）"],
    "village_contract": ["{v}集体土地经营权流转合同", "{v}集体厂房租赁合同"],
}
REASONS = {
    "lawful": "制定主体适格，未超越法定权限；程序符合规定，已公开征求意见并经风险评估；内容与上位法不抵触，未违法减损"
              "公民、法人和其他组织合法权益或者增加其义务。同意提交集体审议并印发。",
    "lawful_if_revised": "总体合法，但第五条设定的罚款超出上位法规定的种类和幅度，第八条的生效日期未给相对人留出合理准备期，"
                         "修改后可提交集体审议。",
    "unlawful": "该决定认定事实的证据不足，未告知当事人陈述、申辩和要求听证的权利，强制执行前未依法催告，程序违法，"
                "不得作出。建议补正程序后重新报送。",
}


def _text(title: str, version: int) -> str:
    body = (f"{title}\n第一条 为规范相关工作，依据有关法律、法规和规章，结合本镇实际，制定本文件。\n"
            "第二条 本文件适用于本镇行政区域内的相关活动。\n第三条 镇人民政府负责组织实施，各村（社区）予以配合。\n")
    if version > 1:
        body += f"第四条 根据合法性审查意见修改（第 {version} 稿）。\n"
    return body + "第五条 本文件自印发之日起施行。"


def build(ctx: DemoContext) -> None:
    from django.utils import timezone

    from xiangzhi.consultation.models import Article
    from xiangzhi.core.enums import RegionLevel
    from xiangzhi.core.models import Region, User

    from .models import Submission

    if Submission.objects.exists():
        ctx.say("合法性审查：已有审查事项，跳过。")
        return
    admin, lawyer = User.objects.filter(username="admin").first(), User.objects.filter(username="lawyer").first()
    wuzhen_sfs = User.objects.filter(username="wuzhen_sfs").first()
    known = set(Article.objects.filter(key__in=[k for v in CITES.values() for k in v], is_current=True)
                .values_list("key", flat=True))
    cites = {kind: [k for k in keys if k in known] for kind, keys in CITES.items()}
    towns = list(Region.objects.filter(level=RegionLevel.TOWN).order_by("code"))
    if admin is None or lawyer is None or not towns or not all(cites[k] for k in TITLES):
        ctx.say("合法性审查：缺少演示账号、法规库或区划，跳过。")
        return
    now = timezone.now()
    counts = {"submitted": 0, "revised": 0, "issued": 0, "refused": 0, "open": 0}
    for t_index, town in enumerate(towns):
        actor = wuzhen_sfs if wuzhen_sfs is not None and town.short_name == "乌镇镇" else admin
        village = Region.objects.filter(level=RegionLevel.VILLAGE, code__startswith=town.code).order_by("code").first()
        kinds = ["normative", "major_decision", "village_rules" if t_index % 2 else "village_contract", "enforcement",
                 "normative", "agreement", "agreement"]
        for k_index, kind in enumerate(kinds):
            # spread over the year: the town's items every ~8 weeks, the last one in the last two weeks
            days_ago = 360 - k_index * 55 - ctx.rng.randint(0, 20) if k_index < len(kinds) - 1 else ctx.rng.randint(1, 16)
            refuse = t_index == 0 and kind == "enforcement"
            stall = t_index == 1 and k_index == len(kinds) - 1  # one review left lying: overdue
            if stall:
                days_ago = 20
            _one(ctx, kind=kind, town=town, village=village, actor=actor, lawyer=lawyer, cites=cites[kind],
                 start=now - dt.timedelta(days=days_ago, hours=ctx.rng.randint(0, 6)), now=now, refuse=refuse,
                 stall=stall, counts=counts, seq=k_index)
    from .services.review import flag_overdue

    flagged = flag_overdue(now=now)
    ctx.say(f"合法性审查：{len(towns)} 个乡镇（街道）报送 {counts['submitted']} 件，修改后重审 {counts['revised']} 件，"
            f"印发 {counts['issued']} 件，不合法 {counts['refused']} 件，审查中 {counts['open']} 件（超期 {flagged} 件）。")


def _one(ctx: DemoContext, *, kind: str, town, village, actor, lawyer, cites: list[str], start: dt.datetime,  # noqa: ANN001, PLR0913
         now: dt.datetime, refuse: bool, stall: bool, counts: dict, seq: int) -> None:
    from .services import review, submissions
    from .services.submissions import digest_of

    place = village if kind.startswith("village") else town
    titles = TITLES[kind]
    title = titles[seq % len(titles)].format(t=town.short_name or town.name, v=place.name)
    text = _text(title, 1)
    sub = submissions.submit(region=place, kind=kind, title=title, text=text, actor=actor, now=start)
    counts["submitted"] += 1
    t = start + dt.timedelta(hours=3)
    sub = review.assign(sub, reviewers=[lawyer], actor=actor, now=t)
    took = dt.timedelta(days=ctx.rng.choice([2, 3, 5, 6, 8, 13]), hours=ctx.rng.randint(1, 8))
    if stall or t + took >= now:  # the last weeks: still under review (overdue ones are flagged by the periodic job)
        counts["open"] += 1
        return
    conclusion = "unlawful" if refuse else ("lawful_if_revised" if ctx.rng.random() < 0.3 else "lawful")
    t += took
    review.give_opinion(sub, conclusion=conclusion, reasons=REASONS[conclusion], citations=cites[:2],
                        digest=digest_of(text), actor=lawyer, now=t)
    if conclusion == "unlawful":
        counts["refused"] += 1
        return
    if conclusion == "lawful_if_revised":
        text = _text(title, 2)
        t += dt.timedelta(days=ctx.rng.randint(2, 6))
        if t + dt.timedelta(days=4) >= now:
            counts["open"] += 1
            return
        submissions.revise(sub, text=text, note="按审查意见修改", actor=actor, now=t)
        counts["revised"] += 1
        t += dt.timedelta(days=ctx.rng.randint(1, 3))
        review.give_opinion(sub, conclusion="lawful", reasons=REASONS["lawful"], citations=cites[:2],
                            digest=digest_of(text), actor=lawyer, now=t)
    t += dt.timedelta(days=ctx.rng.randint(1, 5))
    if t < now:
        submissions.issue(sub, digest=digest_of(text), actor=actor, now=t)
        counts["issued"] += 1
