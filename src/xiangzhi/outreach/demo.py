"""精准普法 demo, through the services: a burst of villagers' questions on one topic (asked to the robot, then dated
into the last hours), the bureau's rule, ``evaluate`` run past its pending period so the 求助 fires, the demo lawyer
claims it and answers with a short audio file the platform generates (a 16-bit PCM WAV, which Android's browser
plays), and the answer is published and pushed to everyone who asked. Idempotent: skipped once any 求助 exists."""

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
