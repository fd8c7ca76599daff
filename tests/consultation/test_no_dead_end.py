"""Never a dead end: with no law, no index or a failing engine a villager's question is kept and handed to a person
with a plain message; bad input gets a clear answer, never a 500; the command-line interfaces stay."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from xiangzhi.consultation import services
from xiangzhi.consultation.models import Handoff, Question, RetrievalIndex
from xiangzhi.consultation.retrieval import Engine
from xiangzhi.core.models import TextNumber

ADMIN_WORDS = ("load_laws", "xiangzhi", "运行", "索引", "知识库")


def _visitor(vid="dead-end"):
    return services.Visitor(visitor_id=vid)


@pytest.fixture
def no_laws(db, settings, tmp_path, tongxiang):
    """A fresh installation: no law loaded, nothing published, an empty cache directory."""
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    services.set_engine(None)
    yield
    services.set_engine(None)


def _assert_kept_for_a_person(reply, text):
    assert reply.kind == Question.Kind.HANDOFF and reply.handoff and reply.handed_off
    assert reply.answer == services.KEPT_REPLY
    assert not any(word in reply.answer for word in ADMIN_WORDS)
    q = Question.objects.get(pk=reply.question.pk)
    assert q.text == text and q.reason == "no_engine"
    assert Handoff.objects.filter(question=q, status="open").exists()


def test_with_no_law_loaded_the_question_is_kept_and_handed_to_a_person(no_laws):
    reply = services.ask("老板拖欠工资三个月了怎么办", visitor=_visitor())
    _assert_kept_for_a_person(reply, "老板拖欠工资三个月了怎么办")


def test_with_a_published_index_whose_files_are_gone_and_no_law_the_question_goes_to_a_person(no_laws):
    RetrievalIndex.objects.create(pk=1, generation=3, corpus_key="0123456789abcdef", articles=10)
    reply = services.ask("邻居家的树根把我家院墙顶裂了怎么办", visitor=_visitor())
    _assert_kept_for_a_person(reply, "邻居家的树根把我家院墙顶裂了怎么办")


def test_an_engine_failure_keeps_the_question_for_a_person(kb, tongxiang, monkeypatch):
    def broken(self, question, top_k=5):
        raise MemoryError("index damaged")

    monkeypatch.setattr(Engine, "answer", broken)
    reply = services.ask("我想离婚孩子归谁", visitor=_visitor())
    _assert_kept_for_a_person(reply, "我想离婚孩子归谁")


def test_an_index_whose_articles_were_all_repealed_since_offers_a_person_and_cites_nothing(kb, tongxiang):
    from xiangzhi.consultation.models import Article

    Article.objects.update(is_current=False)  # the engine still holds them until the index is rebuilt
    reply = services.ask("老板拖欠工资三个月了怎么办", visitor=_visitor())
    assert reply.kind in (Question.Kind.CLARIFY, Question.Kind.HANDOFF) and not reply.citations
    assert reply.ranked == [] and "转人工" in reply.answer
    assert not any(word in reply.answer for word in ADMIN_WORDS)


def test_the_api_keeps_the_question_instead_of_refusing_it(no_laws, client):
    r = client.post("/api/v1/consult/ask", {"question": "借钱不还怎么办", "visitor_id": "api-dead-end"},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["kind"] == "handoff" and body["handoff"] and body["handed_off"] and body["ranked"] == []
    assert body["answer"] == services.KEPT_REPLY
    assert Handoff.objects.filter(question__text="借钱不还怎么办").exists()


def test_the_chat_page_keeps_the_question_and_lets_the_villager_leave_a_phone(no_laws, client):
    r = client.post(reverse("consultation:chat"), {"action": "ask", "question": "宅基地被邻居占了怎么办"})
    assert r.status_code == 302
    page = client.get(reverse("consultation:chat")).content.decode()
    assert "您的问题已转给法律工作者" in page and "已转人工" in page
    assert "load_laws" not in page and "知识库" not in page
    q = Question.objects.get()
    assert 'value="handoff"' in page  # leave a phone for the SMS notice
    r = client.post(reverse("consultation:chat"), {"action": "handoff", "question_id": q.pk, "phone": "13912345678"})
    assert r.status_code == 302
    assert Handoff.objects.get(question=q).phone == "13912345678"
    r = client.post(reverse("consultation:chat"), {"action": "handoff", "question_id": q.pk, "phone": "12"})
    assert r.status_code == 422  # a wrong phone is a clear error, not a 500


def test_the_handoff_button_is_there_for_every_answer_and_refusal_but_an_empty_one(kb, client):
    for text in ("老板拖欠工资怎么办", "how do I get divorced"):
        client.post(reverse("consultation:chat"), {"action": "ask", "question": text})
    page = client.get(reverse("consultation:chat")).content.decode()
    assert page.count('value="handoff"') == 2


def test_an_empty_question_shows_the_prompt_without_an_empty_speech_bubble(no_laws, client):
    """Sending the form with nothing typed (or only spaces) answers with the example prompt; the villager's side of
    the thread shows no empty blue bubble."""
    for text in ("", "   "):
        assert client.post(reverse("consultation:chat"), {"action": "ask", "question": text}).status_code == 302
    page = client.get(reverse("consultation:chat")).content.decode()
    assert page.count(services.REJECT_REPLIES["empty"]) == 2
    assert '<p class="bubble ask"></p>' not in page and 'class="bubble ask"' not in page


def test_a_refused_handoff_says_why_where_the_page_opens(no_laws, client):
    """The forms post back to /consult/#latest, so the phone opens at the latest turn: the error stood above the
    whole thread, out of sight, and 转人工 with a mistyped phone seemed to do nothing."""
    client.post(reverse("consultation:chat"), {"action": "ask", "question": "邻居家的狗咬了我怎么办"})
    client.post(reverse("consultation:chat"), {"action": "ask", "question": "狗主人不肯赔医药费"})
    q = Question.objects.latest("pk")
    r = client.post(reverse("consultation:chat"), {"action": "handoff", "question_id": q.pk, "phone": "12345"})
    assert r.status_code == 422
    page = r.content.decode()
    assert page.count('class="error"') == 1
    assert page.index('id="latest"') < page.index('class="error"') < page.index("狗主人不肯赔医药费")


# ---------------------------------------------------------------------------------------------------- bad input
def _plain_stored(value: str) -> bool:
    """Whether ``value`` appears in plain anywhere in the consultation and text-number tables."""
    with connection.cursor() as cur:
        for table, column in (("consultation_question", "text"), ("consultation_question", "answer"),
                              ("consultation_handoff", "phone"), ("core_textnumber", "value"),
                              ("core_textnumber", "masked")):
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE %s", [f"%{value}%"])  # noqa: S608
            if cur.fetchone()[0]:
                return True
    return False


@pytest.mark.parametrize("via", ["service", "api"])
def test_only_a_phone_number_gets_a_clear_answer_and_is_never_stored_in_plain(kb, client, via):
    if via == "api":
        r = client.post("/api/v1/consult/ask", {"question": "13912345678", "visitor_id": "only-phone"},
                        content_type="application/json")
        assert r.status_code == 200, r.content
        answer = r.json()["answer"]
    else:
        answer = services.ask(" 139 1234 5678 ", visitor=_visitor("only-phone")).answer
    assert answer == services.REJECT_REPLIES["only_number"]
    q = Question.objects.get()
    assert q.text.replace(" ", "") in ("139****5678",) and q.reason == "only_number"
    assert not _plain_stored("13912345678")
    (number,) = TextNumber.objects.filter(object_type="consultation.question", object_id=str(q.pk))
    assert number.value == "13912345678" and number.masked == "139****5678"  # kept encrypted for a legal worker


def test_numbers_inside_a_question_are_masked_and_kept_encrypted(kb):
    from xiangzhi.core.personal import id_check_digit, mask_id_number

    id_number = "33048319900101123" + id_check_digit("33048319900101123")
    reply = services.ask(f"我身份证{id_number}，电话13912345678，老板拖欠工资怎么办", visitor=_visitor())
    assert reply.kind != Question.Kind.REJECTED and reply.citations
    assert "139****5678" in reply.question.text and mask_id_number(id_number) in reply.question.text
    assert not _plain_stored("13912345678") and not _plain_stored(id_number)
    assert TextNumber.objects.filter(object_id=str(reply.question.pk)).count() == 2


@pytest.mark.parametrize("via", ["service", "api", "page"])
def test_a_very_long_question_is_cut_with_a_note(kb, client, via):
    text = "老板拖欠工资三个月了，我该怎么办？" + "事情是这样的，" * 1500
    if via == "api":
        r = client.post("/api/v1/consult/ask", {"question": text, "visitor_id": "long"}, content_type="application/json")
        assert r.status_code == 200, r.content
    elif via == "page":
        assert client.post(reverse("consultation:chat"), {"action": "ask", "question": text}).status_code == 302
    else:
        services.ask(text, visitor=_visitor("long"))
    q = Question.objects.get()
    assert len(q.text) == services.MAX_QUESTION_CHARS and q.kind != Question.Kind.REJECTED
    assert q.answer.startswith(services.CUT_NOTE) and q.citations


@pytest.mark.parametrize(("text", "kind"), [
    ("", Question.Kind.REJECTED),
    ("   \n\t ", Question.Kind.REJECTED),
    ("😀😀😀", Question.Kind.REJECTED),
    ("邻居家的狗把我咬了😭😭怎么办", None),
    ("老板\x07拖欠\x1b工资\x00怎么办\u200b", None),
    ("\ud800借钱不还", None),
])
def test_odd_input_gets_a_clear_answer_never_a_500(kb, client, text, kind):
    r = client.post("/api/v1/consult/ask", {"question": text, "visitor_id": "odd"}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["answer"]
    if kind is not None:
        assert body["kind"] == kind
    else:
        assert body["kind"] != Question.Kind.REJECTED and body["citations"]
    if "\ud800" in text:  # a form cannot even carry a lone surrogate (not UTF-8)
        return
    r = client.post(reverse("consultation:chat"), {"action": "ask", "question": text})
    assert r.status_code in (302, 200)
    assert client.get(reverse("consultation:chat")).status_code == 200


# ---------------------------------------------------------------------------------------------------- interfaces
def _ask_jsonl(monkeypatch, lines: list[str], top: int = 5) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    out = io.StringIO()
    call_command("ask", "--jsonl", "--top", str(top), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_load_laws_then_ask_jsonl_one_answer_per_line_with_ranked_corpus_ids(db, subset_gz, settings, tmp_path,
                                                                             monkeypatch, tongxiang):
    settings.CONSULT_CACHE_DIR = str(tmp_path / "cache")
    out = io.StringIO()
    call_command("load_laws", str(subset_gz), stdout=out)
    assert "articles created" in out.getvalue() and "index of" in out.getvalue()
    ids = {json.loads(line)["id"] for line in __import__("gzip").open(subset_gz, "rt", encoding="utf-8")}
    services.set_engine(None)  # a new process: the published index is loaded from the cache
    try:
        answers = _ask_jsonl(monkeypatch, [
            json.dumps({"question": "老板拖欠工资三个月了怎么办"}, ensure_ascii=False),
            json.dumps({"question": "我有个问题"}, ensure_ascii=False),
            "not json",
            json.dumps({"question": ""}),
        ], top=7)
    finally:
        services.set_engine(None)
    assert len(answers) == 4
    first, vague, bad, empty = answers
    assert len(first["ranked"]) == 7 and {r["id"] for r in first["ranked"]} <= ids
    assert {"question", "answer", "citations", "ranked", "topic", "confidence", "handoff"} <= set(first)
    assert isinstance(vague["ranked"], list) and {r["id"] for r in vague["ranked"]} <= ids  # a clarification too
    assert bad["error"]["code"] == "INVALID_LINE"
    assert empty["ranked"] == [] and empty["answer"] == services.REJECT_REPLIES["empty"]


def test_ask_jsonl_without_laws_prints_the_hand_off(no_laws, monkeypatch):
    (line,) = _ask_jsonl(monkeypatch, [json.dumps({"question": "借钱不还怎么办"}, ensure_ascii=False)])
    assert line["handoff"] and line["handed_off"] and line["ranked"] == [] and line["answer"] == services.KEPT_REPLY


def test_load_laws_refuses_a_missing_file(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="找不到法规文件"):
        call_command("load_laws", "/nonexistent/articles.jsonl.gz", stdout=io.StringIO())
