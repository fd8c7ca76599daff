"""精准普法 demo, through the services: a burst of villagers' questions on one topic (asked to the robot, then dated
into the last hours), the bureau's rule, ``evaluate`` run past its pending period so the 求助 fires, the demo lawyer
claims it and answers with a short audio file the platform generates (a 16-bit PCM WAV, which Android's browser
plays), and the answer is published and pushed to everyone who asked; then the 普法资源库 (a few items per audience)
and last year's 以案释法 Top 10 (twelve cases nominated, jury scores, the demo citizens' votes). Idempotent: each
part is skipped once a 求助 / a library item exists."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from xiangzhi.core.demo import DemoContext

BURST = [
    "我和丈夫感情破裂想离婚，他不同意怎么办？",
    "离婚后孩子的抚养权归谁？",
    "协议离婚需要带什么材料去民政局？",
    "离婚时夫妻共同财产怎么分割？",
    "丈夫长期家暴，我可以起诉离婚吗？",
    "离婚冷静期是多少天？",
    "离婚后对方不给抚养费怎么办？",
    "婚前买的房子离婚时要分吗？",
    "分居两年可以直接判离婚吗？",
    "离婚时彩礼要退还吗？",
    "离婚后孩子的探望权怎么约定？",
    "丈夫在外面欠的债，离婚后我要还吗？",
    "起诉离婚要去哪个法院？",
    "离婚协议签了还能反悔吗？",
]
ANSWER = ("您好，我是桐乡的律师。最近不少村民问到离婚的问题，统一答复如下：夫妻双方自愿离婚的，可以到婚姻登记机关协议离婚，"
          "有三十日的离婚冷静期；一方不同意的，可以请村（社区）人民调解委员会调解，也可以直接向人民法院起诉。"
          "子女抚养、财产分割先协商，协商不成由法院依法判决。有具体情况可以到镇（街道）司法所面谈。")
CITATIONS = ["民法典-1076", "民法典-1077", "民法典-1079", "民法典-1087"]


def build(ctx: DemoContext) -> None:
    _build_alert(ctx)
    _build_library(ctx)


def _build_alert(ctx: DemoContext) -> None:
    from django.utils import timezone

    from xiangzhi.consultation import services as consultation
    from xiangzhi.consultation.models import Article, Event, Question
    from xiangzhi.core.models import Region, User
    from xiangzhi.disputes.services.uploads import Upload

    from . import media
    from .models import Alert
    from .services import alerts, answers, claims

    if Alert.objects.exists():
        ctx.say("精准普法：已有求助，跳过。")
        return
    admin, lawyer = User.objects.filter(username="admin").first(), User.objects.filter(username="lawyer").first()
    cites = [k for k in CITATIONS if Article.objects.filter(key=k, is_current=True).exists()]
    villages = list(Region.objects.filter(level="village", code__startswith="330483100").order_by("code"))
    if admin is None or lawyer is None or not cites or not villages:
        ctx.say("精准普法：缺少演示账号、法规库或区划，跳过。")
        return
    now = timezone.now()
    asked = []
    for i, text in enumerate(BURST):
        visitor = consultation.Visitor(visitor_id=f"demo-outreach-{ctx.seed}-{i}", region=villages[i % len(villages)])
        reply = consultation.ask(text, visitor=visitor)
        when = now - dt.timedelta(minutes=60 + 20 * i)
        Question.objects.filter(pk=reply.question.pk).update(created_at=when)
        Event.objects.filter(question=reply.question).update(at=when)
        if i < 3:  # three of them left a phone for a lawyer to call back: they get the SMS link too
            consultation.request_handoff(reply.question, phone=f"1380000{1000 + i}")
        asked.append(reply.topic)
    topic = Counter(t for t in asked if t).most_common(1)[0][0]
    rule = alerts.save_rule(None, {
        "name": f"{topic}热点（全市）", "topic": topic, "per_town": False, "window_hours": 24, "threshold": 8,
        "release_level": 4, "baseline_days": 28, "burst_p": 0.001, "pending_minutes": 30, "keep_firing_minutes": 720,
        "claim_hours": 48, "needs_review": False, "is_active": True}, actor=admin)
    alerts.evaluate(now=now - dt.timedelta(minutes=rule.pending_minutes))
    alerts.evaluate(now=now)
    alert = Alert.objects.filter(topic=topic).first()
    if alert is None:
        ctx.say(f"精准普法：“{topic}”的提问未达到预警条件。")
        return
    claims.claim(alert, actor=lawyer)
    answers.submit_answer(alert, actor=lawyer, text=ANSWER, citations=cites,
                          upload=Upload(name="律师解答.wav", content=media.wav_tone(4.0, freq=523.25)))
    alert.refresh_from_db()
    ctx.say(f"精准普法：“{topic}”咨询 {alert.count} 条触发求助，律师抢单并录制音频解答，已推送给 "
            f"{alert.deliveries.count()} 位提问的群众。")


# (audience, kind, title, topics, body) — a few items per audience of the 清单式普法 lists.
LIBRARY = [
    ("farmers", "article", "宅基地能不能卖给城里人？", ["房屋宅基地"],
     "宅基地属于农民集体所有，村民只有使用权。农村村民一户只能拥有一处宅基地，出卖、出租住宅后再申请宅基地的，不予批准。"),
    ("farmers", "class", "土地承包经营权三节课", ["山林土地"], ""),
    ("migrants", "article", "被拖欠工资怎么办", ["劳动争议"],
     "先保留劳动合同、考勤、工资条、聊天记录等证据；可以向劳动保障监察部门投诉，或向劳动人事争议仲裁委员会申请仲裁，仲裁免费。"),
    ("migrants", "comic", "漫画：没签劳动合同的双倍工资", ["劳动争议"],
     "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"),
    ("enterprises", "article", "小微企业合同审查要点", ["合同", "生产经营"],
     "签约前核实对方主体资格，写清标的、数量、质量、价款、履行期限和违约责任，约定争议解决方式。"),
    ("elderly", "article", "警惕保健品和“养老投资”骗局", ["消费", "刑事"],
     "承诺高额回报、保本保息的“养老项目”多为非法集资；买保健品不能代替药品治病。遇到可疑情况请拨打 110 或咨询司法所。"),
    ("elderly", "article", "遗嘱怎么立才有效", ["继承"],
     "自书遗嘱由遗嘱人亲笔书写、签名，注明年、月、日；代书遗嘱应当有两个以上见证人在场见证。"),
    ("students", "article", "校园欺凌不是小事", ["刑事"],
     "遭遇欺凌要及时告诉老师和家长；情节严重的，施暴者可能承担治安管理处罚甚至刑事责任。"),
    ("women_children", "article", "反家庭暴力：人身安全保护令", ["婚姻家庭"],
     "遭受家庭暴力或者面临家庭暴力的现实危险，可以向人民法院申请人身安全保护令，法院应当在七十二小时内作出裁定。"),
]
LESSONS = [("第一课 承包期限", "耕地的承包期为三十年，到期后再延长三十年。"),
           ("第二课 流转方式", "承包方可以自主决定依法采取出租（转包）、入股或者其他方式向他人流转土地经营权。"),
           ("第三课 纠纷解决", "可以请村民委员会、乡（镇）人民政府调解，也可以向农村土地承包仲裁机构申请仲裁或起诉。")]
CASES = [
    ("邻里排水沟纠纷：相邻关系的边界", ["邻里"]), ("外嫁女土地征收补偿款分配案", ["征地拆迁"]),
    ("彩礼返还纠纷调解案", ["婚姻家庭"]), ("老人赡养纠纷：子女不能以放弃继承为由拒绝赡养", ["继承"]),
    ("农民工讨薪：包工头跑路谁来付工资", ["劳动争议"]), ("电动车追尾事故赔偿案", ["道路交通事故"]),
    ("网购假冒农资退一赔三案", ["消费"]), ("民间借贷无借条如何举证", ["借贷"]),
    ("养殖场污染河道公益诉讼案", ["环境污染"]), ("宅基地房屋买卖合同无效案", ["房屋宅基地"]),
    ("物业费拖欠纠纷调解案", ["物业"]), ("村务公开不到位引发的行政复议案", ["村务"]),
]


def _build_library(ctx: DemoContext) -> None:
    from django.utils import timezone

    from xiangzhi.core import services as core
    from xiangzhi.core.errors import XiangzhiError
    from xiangzhi.core.models import User
    from xiangzhi.disputes.services.uploads import Upload

    from . import media
    from .models import LibraryItem
    from .services import library, topten

    if LibraryItem.objects.exists():
        ctx.say("普法资源库：已有资源，跳过。")
        return
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        ctx.say("普法资源库：缺少演示账号，跳过。")
        return
    for audience, kind, title, topics, body in LIBRARY:
        item = library.create_item(library.ItemDraft(
            kind=kind, title=title, summary=body[:60], body=body, topics=topics, audiences=[audience],
            lessons=LESSONS if kind == "class" else []), actor=admin,
            images=[Upload(name=f"第{i}格.png", content=media.png_panel(rgb=(250, 236 - 20 * i, 200)))
                    for i in range(1, 4)] if kind == "comic" else None)
        library.set_published(item, actor=admin, published=True)
    sfs = User.objects.filter(username="wuzhen_sfs").first()  # 乌镇司法所: an item of its own town
    if sfs is not None:
        item = library.create_item(library.ItemDraft(
            kind="article", title="乌镇民宿经营者的法律清单", topics=["合同", "生产经营"], audiences=["enterprises"],
            summary="民宿登记、消防、食品安全和订房合同的要点", body="民宿经营者须依法办理登记，落实消防和食品安全要求；"
            "订房合同约定的退订规则应当事先明确告知游客。"), actor=sfs)
        library.set_published(item, actor=sfs, published=True)
    jury = [u for u in (admin, User.objects.filter(username="centre").first()) if u is not None]
    year = timezone.now().year - 1
    nominations = []
    for title, topics in CASES:
        item = library.create_item(library.ItemDraft(
            kind="case", title=title, summary=f"{year}年以案释法典型案例", topics=topics,
            audiences=["farmers", "migrants"], body=f"{title}。基本案情、调解（审理）经过和法官、调解员以案释法的要点。"),
            actor=admin)
        library.set_published(item, actor=admin, published=True)
        nomination = topten.nominate(item, year, actor=admin)
        for juror in jury:  # each jury member scores each case once
            nomination = topten.set_jury_score(nomination, ctx.rng.randint(60, 98), actor=juror)
        nominations.append(nomination)
    voters = [core.citizen_account(f"1370000{2000 + i}") for i in range(30)]  # villagers signed in by phone
    votes = 0
    for voter in voters:
        for nomination in ctx.rng.sample(nominations, k=ctx.rng.randint(1, 5)):
            try:
                topten.vote(nomination, voter=voter)
                votes += 1
            except XiangzhiError:
                break
    ctx.say(f"普法资源库：{len(LIBRARY)} 条资源（各人群清单）{'，乌镇司法所 1 条本镇资源' if sfs else ''}；{year}年以案释法 {len(CASES)} 个候选案例，{len(jury)} 位评审各打一次分，"
            f"{len(voters)} 位群众投票 {votes} 票，十佳已生成。")
    _build_reads(ctx, voters)


def _build_reads(ctx: DemoContext, readers: list) -> None:
    """The demo villagers read a few published items each, from their town, over the last month: the towns'
    popularity and each reader's own 为你推荐."""
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.core.selectors import public_towns

    from .enums import ItemState
    from .models import LibraryItem
    from .services import feed

    towns = list(public_towns().values_list("code", flat=True)) or [""]
    published = list(LibraryItem.objects.filter(state=ItemState.PUBLISHED).order_by("pk"))
    if not readers or not published:
        return
    now, reads = timezone.now(), 0
    for reader in readers:
        viewer = feed.Viewer(citizen=reader, town_code=ctx.rng.choice(towns))
        for item in ctx.rng.sample(published, k=min(len(published), ctx.rng.randint(1, 4))):
            reads += feed.record_read(item, viewer, now=now - dt.timedelta(hours=ctx.rng.randint(1, 30 * 24))) \
                is not None
    first = feed.feed_for(feed.Viewer(citizen=readers[0]))[:3]
    ctx.say(f"为你推荐：{len(readers)} 位群众阅读资源 {reads} 次；其中一位的推荐前三："
            + "、".join(f"《{e.title}》" for e in first) + "。")
