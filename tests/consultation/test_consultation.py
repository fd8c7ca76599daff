"""The consultation robot end to end: knowledge base, answers with citations, hand-off, events, bad input."""

from __future__ import annotations

import gzip
import json
import re

import pytest
from django.urls import reverse

from xiangzhi.consultation import selectors, services
from xiangzhi.consultation.models import Article, Event, FaqEntry, Handoff, Law, Question
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.services import deliver_notifications


def _visitor(vid="v1", region=None):
    return services.Visitor(visitor_id=vid, region=region)


def _gz(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def _rec(n, date, text):
    return {"id": f"测试法-{n}", "law": "中华人民共和国测试法", "short": "测试法", "category": "社会法", "province": None,
            "date": date, "number": n, "suffix": None, "label": f"第{n}条", "part": None, "chapter": "第一章 总则",
            "section": None, "text": text}


def test_load_laws_is_idempotent_and_versions_supersede(db, tmp_path):
    old = _gz(tmp_path / "a.jsonl.gz", [_rec(1, "2010-01-01", "旧条文一"), _rec(2, "2010-01-01", "旧条文二")])
    stats = services.load_laws(old, actor=None)
    assert (stats.laws_created, stats.articles_created) == (1, 2)
    again = services.load_laws(old, actor=None)
    assert (again.laws_created, again.laws_skipped, again.articles_created) == (0, 1, 0)
    assert Article.objects.count() == 2
    new = _gz(tmp_path / "b.jsonl.gz", [_rec(1, "2020-06-01", "新条文一")])
    assert services.load_laws(new, actor=None).laws_superseded == 1
    old_law, new_law = Law.objects.order_by("version_date")
    assert old_law.status == "amended" and old_law.superseded_by == new_law and not old_law.is_current
    assert list(Article.objects.filter(is_current=True).values_list("text", flat=True)) == ["新条文一"]
    assert Article.objects.filter(key="测试法-1").count() == 2  # the old version stays as history
    assert selectors.article_by_key("测试法-1").text == "新条文一"
    services.mark_law(new_law, status="repealed", actor=None)
    assert not Article.objects.filter(is_current=True).exists()


def test_every_answer_cites_existing_articles_and_says_it_is_not_legal_advice(kb):
    for q in ("邻居家的树根把我家院墙顶裂了怎么办", "老板拖欠工资三个月了怎么办", "我想离婚孩子归谁"):
        reply = services.ask(q, visitor=_visitor())
        assert reply.citations, q
        for c in reply.citations:
            assert Article.objects.filter(key=c["id"], is_current=True).exists()
            assert c["url"] == reverse("consultation:article", args=[c["id"]])
        assert services.DISCLAIMER in reply.answer


def test_a_vague_question_clarifies_then_offers_a_human(kb):
    first = services.ask("请问怎么办", visitor=_visitor("vague"))
    assert first.kind == Question.Kind.CLARIFY
    assert 2 <= len(first.clarify_topics) <= 3
    assert all(t in first.answer for t in first.clarify_topics)
    second = services.ask("请问这个怎么办呢", visitor=_visitor("vague"))
    assert second.kind in (Question.Kind.HANDOFF, Question.Kind.ANSWER)
    if second.kind == Question.Kind.HANDOFF:
        assert second.handoff


def test_events_record_topic_and_town(kb, tongxiang):
    from tests.conftest import CHONGFU, first_village

    village = first_village(CHONGFU)
    reply = services.ask("老板拖欠工资不给怎么办", visitor=_visitor("ev", village))
    kinds = set(Event.objects.filter(visitor_id="ev").values_list("kind", flat=True))
    assert {"question", "answer"} <= kinds
    ev = Event.objects.get(visitor_id="ev", kind="question")
    assert ev.town_code == CHONGFU and ev.village_code == village.code and ev.topic == reply.topic != ""
    services.rate_answer(reply.question, useful=True)
    assert Event.objects.filter(visitor_id="ev", kind="rating", value="useful").exists()


def test_personal_data_is_masked_before_it_is_stored(kb):
    reply = services.ask("我电话13812345678，身份证330483199001011239，借钱不还怎么办", visitor=_visitor())
    stored = Question.objects.get(pk=reply.question.pk).text
    assert "13812345678" not in stored and "199001011239" not in stored
    assert "138****5678" in stored


def test_a_rewrite_change_takes_effect_without_a_restart(kb, lawyer):
    question = "那个叫嘎嘎嘎的事怎么弄"
    before = services.get_engine().prepare(question)
    assert "劳动报酬" not in before.weights
    services.save_rewrite(phrase="嘎嘎嘎", terms="劳动报酬 工资", actor=lawyer.user)
    services.ask(question, visitor=_visitor())
    assert "劳动报酬" in services.get_engine().prepare(question).weights


def test_a_reviewed_faq_is_served_and_an_unreviewed_one_is_not(kb, lawyer, town_staff):
    faq = services.save_faq(None, question="村里欠钱不还怎么办", answer="先协商，再起诉。", citations=["民法典-675"],
                            topic="借贷", actor=lawyer.user)
    assert services.ask("村里欠钱不还怎么办", visitor=_visitor()).question.faq_id is None
    services.review_faq(faq, actor=town_staff.user)
    reply = services.ask("村里欠钱不还怎么办", visitor=_visitor())
    assert reply.question.faq_id == faq.pk and "先协商" in reply.answer
    assert reply.citations[0]["id"] == "民法典-675"
    with pytest.raises(XiangzhiError) as exc:
        services.save_faq(None, question="x问", answer="y", citations=["民法典-99999"], actor=lawyer.user)
    assert exc.value.code == "UNKNOWN_ARTICLE"


def test_a_legal_worker_cites_articles_as_they_are_written_in_the_law(kb, lawyer):
    assert services.resolve_citations(["民法典第1079条，《中华人民共和国民法典》第一千零七十九条、民法典-675",
                                       "《劳动合同法》第二十条；劳动合同法 第 82 条", "民法典第二百八十八条"]) == [
        "民法典-1079", "民法典-1079", "民法典-675", "劳动合同法-20", "劳动合同法-82", "民法典-288"]
    faq = services.save_faq(None, question="离婚需要什么条件", answer="可以协议离婚，也可以起诉离婚。",
                            citations=["《中华人民共和国民法典》第一千零七十九条，民法典第1076条，民法典-1079"],
                            topic="婚姻家庭", actor=lawyer.user)
    assert faq.citations == ["民法典-1079", "民法典-1076"]  # as keys, each once
    with pytest.raises(XiangzhiError) as exc:  # a law that is not loaded, and an article the law does not have
        services.save_faq(None, question="x问", answer="y", citations=["不存在法第3条，民法典第九千条"], actor=lawyer.user)
    assert exc.value.code == "UNKNOWN_ARTICLE" and "不存在法第3条" in exc.value.message
    assert "民法典-9000" in exc.value.message
    r = lawyer.client().post(reverse("consultation:faq_list"), {
        "question": "工资被拖欠怎么办", "answer": "先协商，再投诉或仲裁。", "citations": "劳动合同法第三十条",
        "topic": "劳动争议", "audience": "村民"})
    assert r.status_code == 302
    assert FaqEntry.objects.get(question="工资被拖欠怎么办").citations == ["劳动合同法-30"]


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("13912345678", "only_number"), ("how do I get divorced", "non_chinese"), ("你们这帮王八蛋", "abusive"),
])
def test_bad_input_gets_a_polite_logged_reply(kb, text, reason):
    reply = services.ask(text, visitor=_visitor("bad"))
    assert reply.kind == Question.Kind.REJECTED and reply.question.reason == reason
    assert reply.answer == services.REJECT_REPLIES[reason]
    assert Event.objects.filter(visitor_id="bad", kind="rejected", value=reason).exists()


def test_the_api_answers_and_rate_limits_a_flooding_visitor(kb, client):
    url = "/api/v1/consult/ask"
    r = client.post(url, {"question": "邻居家的树根把我家院墙顶裂了怎么办", "visitor_id": "flood"},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["citations"] and {"law", "label", "number", "id", "url"} <= set(body["citations"][0])
    assert {"answer", "ranked", "topic", "confidence", "handoff", "clarify_topics"} <= set(body)
    codes = [client.post(url, {"question": "借钱不还", "visitor_id": "flood"}, content_type="application/json")
             for _ in range(services.RATE_LIMIT[0])]
    last = codes[-1]
    assert last.status_code == 429
    assert set(last.json()) == {"code", "message", "detail"}


def _handoff_in_chongfu(kb_engine, phone="13912345678"):
    from tests.conftest import CHONGFU, first_village

    reply = services.ask("我家宅基地被邻居占了怎么办", visitor=_visitor("ho", first_village(CHONGFU)))
    return services.request_handoff(reply.question, phone=phone)


def test_a_workers_reply_reaches_the_citizen(kb, tongxiang, other_town_staff, sms_outbox):
    handoff = _handoff_in_chongfu(kb)
    assert Event.objects.filter(kind="handoff", visitor_id="ho").exists()
    services.claim_handoff(handoff, actor=other_town_staff.user)
    services.reply_handoff(handoff, text="可以先找村委会调解。", actor=other_town_staff.user)
    deliver_notifications()
    assert len(sms_outbox) == 1
    assert handoff.conversation.token in str(sms_outbox[0])
    page = __import__("django.test", fromlist=["Client"]).Client().get(
        reverse("consultation:conversation", args=[handoff.conversation.token]))
    assert "可以先找村委会调解" in page.content.decode()
    faq = services.faq_from_reply(handoff, actor=other_town_staff.user)
    assert faq.reviewed_at is None and faq.source_handoff == handoff


def test_a_second_claim_is_refused(kb, tongxiang, other_town_staff, county_admin):
    handoff = _handoff_in_chongfu(kb)
    services.claim_handoff(handoff, actor=other_town_staff.user)
    with pytest.raises(XiangzhiError) as exc:
        services.claim_handoff(Handoff.objects.get(pk=handoff.pk), actor=county_admin.user)
    assert exc.value.code == "ALREADY_CLAIMED"


def test_a_lawyer_of_another_town_cannot_see_a_chongfu_handoff(kb, tongxiang, town_staff, other_town_staff):
    from tests.conftest import WUZHEN, make_staff

    handoff = _handoff_in_chongfu(kb)
    wz_lawyer = make_staff("lawyer_wz", "lawyer", WUZHEN, {"kind": "law_firm"})
    url = reverse("consultation:handoff", args=[handoff.pk])
    assert wz_lawyer.client().get(url).status_code == 404
    assert town_staff.client().get(url).status_code == 404
    page = other_town_staff.client().get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert handoff.question.citations
    for cite in handoff.question.citations:  # what the robot cited, linked, with the key an FAQ entry cites it by
        assert reverse("consultation:article", args=[cite["id"]]) in html and cite["id"] in html
    r = other_town_staff.client().post(url, {"action": "claim"})
    assert r.status_code == 302


def test_the_handoff_transcript_marks_an_empty_question_instead_of_an_empty_line(kb, tongxiang, other_town_staff):
    """A villager who first sent the form empty: the legal worker read "问：" with nothing after it."""
    from tests.conftest import CHONGFU, first_village

    services.ask("", visitor=_visitor("ho", first_village(CHONGFU)))
    handoff = _handoff_in_chongfu(kb)
    html = other_town_staff.client().get(reverse("consultation:handoff", args=[handoff.pk])).content.decode()
    assert "我家宅基地被邻居占了怎么办" in html
    assert "<strong>问：</strong></p>" not in html and "（未填写问题）" in html


def test_repeated_unanswered_questions_become_faq_candidates(kb):
    for i in range(5):
        services.ask("请问怎么办" + "呢" * i, visitor=_visitor(f"cand{i}"))
    assert any(c["count"] >= 5 for c in selectors.faq_candidates())


def test_chat_page_asks_rates_and_hands_off(kb, client):
    r = client.post(reverse("consultation:chat"), {"action": "ask", "question": "老板拖欠工资怎么办"})
    assert r.status_code == 302
    page = client.get(reverse("consultation:chat"))
    assert "老板拖欠工资怎么办" in page.content.decode() and "转人工" in page.content.decode()
    q = Question.objects.latest("pk")
    assert client.post(reverse("consultation:chat"), {"action": "useless", "question_id": q.pk}).status_code == 302
    assert client.post(reverse("consultation:chat"), {"action": "handoff", "question_id": q.pk}).status_code == 302
    assert Question.objects.get(pk=q.pk).rating == "useless" and Handoff.objects.filter(question=q).exists()
    art = client.get(reverse("consultation:article", args=[q.citations[0]["id"]]))
    assert art.status_code == 200 and "版本日期" in art.content.decode()
    assert client.get(reverse("consultation:chat") + "?kiosk=1").content.decode().count("kiosk") >= 1


def test_ending_a_consultation_on_a_terminal_leaves_nothing_for_the_next_villager(kb, client):
    chat = reverse("consultation:chat")
    client.post(chat, {"action": "ask", "question": "离婚后孩子归谁抚养", "kiosk": "1"})
    first = Question.objects.latest("pk").conversation
    assert first.channel == "terminal" and "离婚后孩子归谁抚养" in client.get(chat + "?kiosk=1").content.decode()
    r = client.post(chat, {"action": "end", "kiosk": "1"})
    assert r.status_code == 302 and r["Location"] == chat + "?kiosk=1"
    assert r.cookies["xz_visitor"].value != first.visitor_id  # a new anonymous visitor
    page = client.get(chat + "?kiosk=1").content.decode()
    assert "离婚后孩子归谁抚养" not in page and "结束咨询" in page and "群众登录" not in page  # no login on a shared screen
    client.post(chat, {"action": "ask", "question": "邻居占了我家宅基地", "kiosk": "1"})
    assert Question.objects.latest("pk").conversation != first
    # the first conversation is still reachable by its own link (the one a hand-off SMS carries)
    assert "离婚后孩子归谁抚养" in client.get(reverse("consultation:conversation", args=[first.token])).content.decode()


def test_a_villager_says_where_they_are_and_the_visit_counts_for_that_village(kb, client, tongxiang):
    from tests.conftest import CHONGFU, first_village

    village = first_village(CHONGFU)
    chat = reverse("consultation:chat")
    page = client.get(chat).content.decode()
    assert '<select id="place" name="v">' in page and f'<option value="{village.code}">' in page
    client.post(chat, {"action": "ask", "question": "邻居家的树根把我家院墙顶裂了怎么办", "v": village.code})
    q = Question.objects.latest("pk")
    event = Event.objects.get(question=q, kind="question")
    assert (event.town_code, event.village_code) == (CHONGFU, village.code)
    assert f'<option value="{village.code}" selected>' in client.get(chat).content.decode()  # remembered
    client.post(chat, {"action": "ask", "question": "老板拖欠工资怎么办", "v": ""})  # not said again: still there
    assert Event.objects.filter(kind="question").latest("pk").village_code == village.code
    assert services.request_handoff(q).region == village  # so the hand-off goes to the workers of that place
    # a terminal whose URL names its village does not ask
    assert '<select id="place"' not in client.get(chat + f"?kiosk=1&v={village.code}").content.decode()


def test_the_chat_page_shows_each_cited_article_with_an_excerpt_then_the_disclaimer(kb, client):
    client.post(reverse("consultation:chat"), {"action": "ask", "question": "老板拖欠工资怎么办"})
    q = Question.objects.latest("pk")
    assert q.citations and services.CITED_PREFIX in q.answer  # the stored answer (API, CLI) names them in text
    html = client.get(reverse("consultation:chat")).content.decode()
    for cite in q.citations:
        text = re.sub(r"\s*\n\s*", "", Article.objects.get(key=cite["id"], is_current=True).text)
        shown = re.search(rf'{re.escape(cite["label"])}</a>\s*<span class="excerpt">([^<]+)</span>', html).group(1)
        assert shown == text or (len(shown) <= 90 and shown.endswith("……") and text.startswith(shown[:-2]))
    assert any(s.endswith("……") for s in re.findall(r'class="excerpt">([^<]+)<', html))  # a long one was cut
    assert services.CITED_PREFIX not in html  # listed once, as links with excerpts, not again as a line of text
    assert html.count(services.DISCLAIMER) == 1 and html.index(services.DISCLAIMER) > html.index('class="excerpt"')


def test_an_excerpt_ends_after_a_whole_sentence_when_it_can():
    first = "劳动合同期限三个月以上不满一年的，试用期不得超过一个月；三年以上固定期限的劳动合同，试用期不得超过六个月。"
    second = "同一用人单位与同一劳动者只能约定一次试用期。"
    assert selectors.excerpt(first + "\n" + second + "以完成一定工作任务为期限的劳动合同或者劳动合同期限不满三个月的，"
                              "不得约定试用期。") == first + second + "……"
    no_stop = "用人单位" * 40  # no sentence end in reach: cut at the room, with the ellipsis
    assert selectors.excerpt(no_stop) == no_stop[:88] + "……"
    assert selectors.excerpt("  短  条文。 ") == "短 条文。"


def test_workbench_pages_for_legal_workers(kb, lawyer, mediator):
    c = lawyer.client()
    for name in ("workbench", "faq_list", "rewrites"):
        assert c.get(reverse(f"consultation:{name}")).status_code == 200
    assert mediator.client().get(reverse("consultation:workbench")).status_code == 404
    r = c.post(reverse("consultation:rewrites"), {"phrase": "吵架", "terms": "纠纷 调解", "is_active": "1"})
    assert r.status_code == 302


def test_an_api_visitor_without_an_id_is_stored_under_a_keyed_hash_not_its_address(kb, client):
    """No raw IP outside security logs: a plain sha256 of an IPv4 address is reversed by trying all 2^32 of them,
    so the stored id must be a keyed hash; the same address still maps to the same visitor (rate limit works)."""
    import hashlib

    ip = "10.1.2.3"
    for _ in range(2):
        r = client.post("/api/v1/consult/ask", {"question": "借钱不还怎么办"}, content_type="application/json",
                        REMOTE_ADDR=ip)
        assert r.status_code == 200, r.content
    ids = set(Event.objects.filter(kind="question").values_list("visitor_id", flat=True))
    assert len(ids) == 1
    (stored,) = ids
    assert stored.startswith("ip-") and ip not in stored
    assert stored[3:] != hashlib.sha256(ip.encode()).hexdigest()[:24]


def test_control_characters_in_a_question_are_not_stored(kb, client):
    client.post(reverse("consultation:chat"), {"action": "ask", "question": "老板\x07拖欠\x1b工资怎么办\x00"})
    assert Question.objects.latest("pk").text == "老板拖欠工资怎么办"
    r = client.post("/api/v1/consult/ask", {"question": "借钱\x1b不还\x07怎么办", "visitor_id": "ctl"},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    assert Question.objects.latest("pk").text == "借钱不还怎么办"
    # a field with a pattern refuses a control character, as the schema says, instead of cleaning it to "valid"
    r = client.post("/api/v1/consult/ask", {"question": "借钱不还怎么办", "village": "\x84"},
                    content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "INVALID_INPUT"
