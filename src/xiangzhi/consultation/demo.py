"""智能咨询 demo data: the whole law corpus shipped with the platform (``data/laws``, 73,477 articles of 1,763 laws),
loaded and indexed through the same services as ``xiangzhi load_laws``, and eight weeks of villagers' visits.

Idempotent: skipped once every law of the bundled corpus is loaded and an index is published (laws already loaded,
e.g. by an older demo, are skipped by ``load_laws`` itself).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from xiangzhi.core.demo import DemoContext

# The laws of everyday rural disputes: the demo's visits are real questions citing only these.
DEMO_LAWS = {
    "民法典", "劳动合同法", "劳动法", "劳动争议调解仲裁法", "道路交通安全法", "农村土地承包法", "农村土地承包经营纠纷调解仲裁法",
    "土地管理法", "人民调解法", "消费者权益保护法", "治安管理处罚法", "妇女权益保障法", "未成年人保护法", "老年人权益保障法",
    "反家庭暴力法", "村民委员会组织法", "物业管理条例", "医疗纠纷预防和处理条例", "社会保险法", "工伤保险条例",
}


def shared_file(relative: str) -> Path | None:
    """A file of the shared reference data: under ``SHARED_DIR``, else ``../shared`` beside the cwd."""
    for candidate in (settings.SHARED_DIR / relative, Path.cwd().parent / "shared" / relative):
        if candidate.exists():
            return candidate
    return None


def build(ctx: DemoContext) -> None:
    from . import services
    from .models import Law, RetrievalIndex

    source = services.bundled_corpus()
    with (source.parent / "laws.jsonl").open(encoding="utf-8") as fh:
        titles = {json.loads(line)["law"] for line in fh if line.strip()}
    loaded = Law.objects.filter(title__in=titles).values("title").distinct().count()
    if loaded == len(titles) and RetrievalIndex.objects.exists():
        ctx.say("法律法规库：已载入。")
        build_visits(ctx)
        return
    stats = services.load_laws(source, actor=None)
    engine = services.build_index()
    ctx.say(f"法律法规库：载入 {stats.laws_created} 部法律、{stats.articles_created} 条，"
            f"检索索引 {len(engine.ids)} 条。")
    build_visits(ctx)


DEMO_VISITS = 260
DEMO_WEEKS = 8
# Replies of the demo lawyer to handed-off questions, by topic (the rest get the general one).
DEMO_REPLIES = {
    "劳动争议": "您好。用人单位应当按时足额支付劳动报酬。建议先保留好考勤、工资条、聊天记录等证据，与单位协商；协商不成，"
                "可以向劳动保障监察部门投诉，或者向劳动人事争议仲裁委员会申请仲裁，也可以到镇（街道）司法所申请调解。",
    "婚姻家庭": "您好。离婚时子女抚养、财产分割可以协商；协商不成的，可以申请人民调解或者向人民法院起诉。"
                "建议带上结婚证、户口簿和财产材料，到所在镇（街道）司法所或公共法律服务站面谈。",
    "邻里": "您好。相邻各方应当按照有利生产、方便生活、团结互助、公平合理的原则处理相邻关系。"
            "建议先与邻居沟通，必要时请村（社区）人民调解委员会调解。",
}
GENERAL_REPLY = ("您好，您的问题已收到。根据相关法律规定，建议您带上相关材料到所在镇（街道）司法所或公共法律服务站面谈，"
                 "我们会为您进一步解答；如已发生纠纷，也可以在“桐解码”申请调解。")


def _stard_questions(rng) -> list[str]:  # noqa: ANN001
    """Real lay questions (STARD, MIT licence) whose cited articles are all in the demo's laws."""
    path = shared_file("data/stard/train.jsonl")
    if path is None:
        return []
    picked = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("relevant") and all(k.rsplit("-", 1)[0] in DEMO_LAWS for k in row["relevant"]):
                picked.append(row["question"])
    rng.shuffle(picked)
    return picked[:DEMO_VISITS]


def build_visits(ctx: DemoContext) -> None:
    """Eight weeks of villagers' visits to the robot, asked through the services (real answers, topics, events),
    then dated back over the weeks (more wage questions lately, as before the Spring Festival); ratings, hand-offs,
    most of them answered by the demo lawyer, the newest left in the queue. Idempotent: skipped once any exists."""
    import datetime as dt

    from django.utils import timezone

    from xiangzhi.core.models import Region, User

    from . import services
    from .models import Channel, Event, Handoff, Question

    if Question.objects.exists():
        return
    questions = _stard_questions(ctx.rng)
    villages = list(Region.objects.filter(level="village").order_by("code"))
    lawyer = User.objects.filter(username="lawyer").first()
    if not questions or not villages:
        ctx.say("法律咨询：未找到 shared/data/stard，跳过演示咨询记录。")
        return
    now = timezone.now()
    handoffs = []
    for i, text in enumerate(questions):
        visitor = services.Visitor(visitor_id=f"demo-{ctx.seed}-{i}", region=ctx.rng.choice(villages))
        channel = Channel.TERMINAL if ctx.rng.random() < 0.2 else Channel.PHONE
        reply = services.ask(text, visitor=visitor, channel=channel)
        q = reply.question
        recent = reply.topic == "劳动争议" and ctx.rng.random() < 0.5
        when = now - dt.timedelta(days=ctx.rng.uniform(0, 7 if recent else 7 * DEMO_WEEKS))
        when = timezone.localtime(when).replace(hour=ctx.rng.randint(7, 21), minute=ctx.rng.randrange(60))
        when = min(when, now)
        if ctx.rng.random() < 0.55:
            services.rate_answer(q, useful=ctx.rng.random() < (0.8 if reply.kind == Question.Kind.ANSWER else 0.35))
        if reply.handoff or ctx.rng.random() < 0.05:
            handoffs.append((services.request_handoff(q), when))
        Question.objects.filter(pk=q.pk).update(created_at=when)
        Event.objects.filter(question=q).update(at=when)
    handoffs.sort(key=lambda pair: pair[1])
    answered = 0
    for handoff, when in handoffs[:-3] if lawyer is not None else []:
        services.claim_handoff(handoff, actor=lawyer)
        services.reply_handoff(Handoff.objects.get(pk=handoff.pk),
                               text=DEMO_REPLIES.get(handoff.topic, GENERAL_REPLY), actor=lawyer)
        answered += 1
        later = when + dt.timedelta(hours=ctx.rng.randint(1, 20))
        Handoff.objects.filter(pk=handoff.pk).update(created_at=when, claimed_at=later, replied_at=later)
        Event.objects.filter(question_id=handoff.question_id, kind=Event.Kind.REPLY).update(at=later)
    for handoff, when in handoffs[-3:]:
        Handoff.objects.filter(pk=handoff.pk).update(created_at=when)
    ctx.say(f"法律咨询：演示 {len(questions)} 次提问（近 {DEMO_WEEKS} 周），转人工 {len(handoffs)} 件、已答复 {answered} 件。")
