"""Answers that guide: the guidance legal workers keep per kind of matter (seeded for the common rural kinds), who may
edit it, an answer's structure (kind → next steps → limits & evidence → articles) and the plain offer of a person when
the robot is unsure."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from xiangzhi.consultation import guidance, rules, services
from xiangzhi.consultation.models import MatterGuidance, Question
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import AuditLog

COMMON_RURAL_KINDS = ("劳动争议", "损害赔偿", "山林土地", "房屋宅基地", "婚姻家庭", "继承", "借贷", "邻里", "道路交通事故",
                      "村务")
# The limit each kind's guidance must state, with the article it rests on (what a legal worker would say first).
KEY_LIMITS = {
    "劳动争议": ("1年", "劳动争议调解仲裁法第27条"),
    "损害赔偿": ("3年", "民法典第188条"),
    "山林土地": ("2年", "农村土地承包经营纠纷调解仲裁法第18条"),
    "房屋宅基地": ("30日", "土地管理法第14条"),
    "婚姻家庭": ("30日", "民法典第1077条"),
    "继承": ("3年", "民法典第188条"),
    "借贷": ("3年", "民法典第188条"),
    "邻里": ("不受诉讼时效限制", "民法典第196条"),
    "道路交通事故": ("3年", "民法典第188条"),
    "村务": ("每季度", "村民委员会组织法第30条"),
}
STEP = services.GuidanceStep


# --- seeded guidance ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", COMMON_RURAL_KINDS)
def test_guidance_is_seeded_for_each_common_rural_kind(seeded_guidance, kind):
    g = MatterGuidance.objects.get(kind=kind)
    assert g.summary and g.office and len(g.steps) >= 3 and g.time_limits and len(g.evidence) >= 3
    assert all(s["label"] for s in g.steps)
    # mediation here is one tap away, free of charge
    mediation = [s for s in g.steps if s["action"] == "mediation"]
    assert len(mediation) == 1 and "不收费" in mediation[0]["detail"]
    words, article = KEY_LIMITS[kind]
    assert any(words in t and article in t for t in g.time_limits), g.time_limits
    # every limit names the law it rests on
    assert all(re.search(r"（[^（）]*第\d+条[^（）]*）", t) for t in g.time_limits), g.time_limits


def test_the_seed_routes_each_kind_to_the_body_that_handles_it(seeded_guidance):
    offices = dict(MatterGuidance.objects.values_list("kind", "office"))
    assert "劳动人事争议仲裁委员会" in offices["劳动争议"]
    assert "农村土地承包仲裁委员会" in offices["山林土地"]
    assert "乡镇" in offices["房屋宅基地"] and "人民政府" in offices["房屋宅基地"]
    assert "交警" in offices["道路交通事故"]
    assert "村民委员会" in offices["村务"]
    labour = MatterGuidance.objects.get(kind="劳动争议")
    assert any("工伤保险条例第17条" in t and "1年" in t for t in labour.time_limits)
    traffic = MatterGuidance.objects.get(kind="道路交通事故")
    assert any("事故认定书" in s["label"] + s["detail"] for s in traffic.steps)


# --- who may edit (truth table) -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("persona", "allowed"), [
    ("county_admin", True), ("centre_staff", True), ("town_staff", True), ("lawyer", False), ("mediator", False),
    ("auditor", False), ("grid_worker", False), ("liaison", False), ("bank_officer", False),
])
def test_who_may_edit_guidance(request, persona, allowed):
    user = request.getfixturevalue(persona).user
    assert rules.can_edit_guidance(user) is allowed


def test_citizens_and_anonymous_may_not_edit_guidance(villager_a):
    from django.contrib.auth.models import AnonymousUser

    assert not rules.can_edit_guidance(villager_a[0])
    assert not rules.can_edit_guidance(AnonymousUser())


def test_the_service_refuses_an_editor_without_the_role_even_when_called_directly(seeded_guidance, lawyer):
    with pytest.raises(XiangzhiError) as exc:
        services.save_guidance("劳动争议", summary="x", steps=[STEP("协商")], time_limits=[], evidence=[], office="",
                               actor=lawyer.user)
    assert exc.value.code == "NOT_ALLOWED" and exc.value.status == 403
    assert MatterGuidance.objects.get(kind="劳动争议").version == 1


def test_saving_guidance_bumps_the_version_and_is_audited(seeded_guidance, town_staff):
    g = services.save_guidance(
        "借贷", summary="借钱不还。", steps=[STEP("催要", "留下记录"), STEP("", ""), STEP("申请调解", "免费", "mediation")],
        time_limits=["诉讼时效3年（民法典第188条）。", "", "诉讼时效3年（民法典第188条）。"], evidence=["借条", " 转账记录 "],
        office="人民法院", actor=town_staff.user)
    assert g.version == 2 and g.updated_by == town_staff.user
    assert [s["label"] for s in g.steps] == ["催要", "申请调解"]  # an empty row is dropped
    assert g.time_limits == ["诉讼时效3年（民法典第188条）。"] and g.evidence == ["借条", "转账记录"]
    log = AuditLog.objects.filter(action="consultation.save_guidance").latest("pk")
    assert log.before["version"] == 1 and log.after["version"] == 2 and log.actor == town_staff.user


@pytest.mark.parametrize(("kind", "steps", "code"), [
    ("劳动争议", [], "NO_STEPS"),
    ("劳动争议", [STEP("", "只有说明")], "STEP_WITHOUT_LABEL"),
    ("劳动争议", [STEP("协商", "", "explode")], "INVALID_ACTION"),
    ("劳动争议", [STEP("很" * 31)], "TOO_LONG"),
    ("不存在的类型", [STEP("协商")], "UNKNOWN_KIND"),
])
def test_bad_guidance_is_refused_and_nothing_is_written(seeded_guidance, town_staff, kind, steps, code):
    before = list(MatterGuidance.objects.values_list("kind", "version"))
    with pytest.raises(XiangzhiError) as exc:
        services.save_guidance(kind, summary="", steps=steps, time_limits=[], evidence=[], office="",
                               actor=town_staff.user)
    assert exc.value.code == code
    assert list(MatterGuidance.objects.values_list("kind", "version")) == before


def test_the_workbench_page_edits_guidance_for_the_justice_administration_only(seeded_guidance, town_staff, lawyer,
                                                                              mediator):
    url = reverse("consultation:guidance_edit", args=["邻里"])
    assert lawyer.client().get(url).status_code == 404
    assert mediator.client().get(reverse("consultation:guidance_list")).status_code == 404
    c = town_staff.client()
    listing = c.get(reverse("consultation:guidance_list")).content.decode()
    assert url in listing and "村务" in listing
    page = c.get(url).content.decode()
    assert "当面沟通" in page and "民法典第196条" in page
    r = c.post(url, {"summary": "邻里纠纷。", "step_label": ["当面沟通", "申请调解", ""],
                     "step_detail": ["好好说", "免费", ""], "step_action": ["", "mediation", ""],
                     "time_limits": "排除妨碍不受诉讼时效限制（民法典第196条）。", "evidence": "照片\n证人",
                     "office": "村调委会"})
    assert r.status_code == 302
    g = MatterGuidance.objects.get(kind="邻里")
    assert g.steps[1] == {"label": "申请调解", "detail": "免费", "action": "mediation"} and g.evidence == ["照片", "证人"]
    bad = c.post(url, {"summary": "x", "step_label": [""], "step_detail": ["没有名称"], "step_action": [""]})
    assert bad.status_code == 422 and "每一步都要有名称" in bad.content.decode()
    assert c.get(reverse("consultation:guidance_edit", args=["没有这类"])).status_code == 404


# --- an answer's structure ------------------------------------------------------------------------------------------
def _with_kinds(kb, monkeypatch, kinds, **flags):
    """The real engine's answer, with the kinds of matter (and flags) the engine gives it."""
    real = kb.answer

    def answer(text, **kw):
        ans = real(text, **kw)
        ans.topics = list(kinds)
        ans.topic = kinds[0] if kinds else ans.topic
        for name, value in flags.items():
            setattr(ans, name, value)
        return ans

    monkeypatch.setattr(kb, "answer", answer)


def test_answer_kinds_read_the_engine_defensively():
    class Old:
        topic = "借贷"

    class New:
        topic = "劳动争议"
        topics = ["劳动争议", "损害赔偿", "劳动争议", "其他"]

    assert guidance.answer_kinds(Old()) == ["借贷"]
    assert guidance.answer_kinds(New()) == ["劳动争议", "损害赔偿"]


def test_a_worksite_injury_is_answered_as_labour_and_injury(kb, monkeypatch, client, tongxiang):
    from tests.conftest import CHONGFU, first_village

    _with_kinds(kb, monkeypatch, ["劳动争议", "损害赔偿"], handoff=False, ambiguous=False)
    village = first_village(CHONGFU)
    text = "在工地上干活摔伤了，老板不给工伤赔偿也不给工资"
    reply = services.ask(text, visitor=services.Visitor(visitor_id="injury", region=village))
    q = reply.question
    assert q.kind == Question.Kind.ANSWER and q.topics == ["劳动争议", "损害赔偿"] and reply.topics == q.topics
    guide = guidance.guide_for(q)
    assert [k["kind"] for k in guide.kinds] == ["劳动争议", "损害赔偿"]
    labels = [s.label for s in guide.steps]
    assert labels[:2] == ["与单位协商", "申请调解"] and "申请劳动仲裁" in labels and "先就医" in labels
    assert labels.count("申请调解") == 1  # said once, though both kinds have it
    assert any("工伤保险条例第17条" in t for t in guide.time_limits)
    assert any("劳动争议调解仲裁法第27条" in t for t in guide.time_limits)
    assert any("民法典第188条" in t for t in guide.time_limits)
    assert any("病历" in e for e in guide.evidence)
    assert guide.offices.count("乡镇（街道）司法所") == 1 and guide.offices[0] == "劳动人事争议仲裁委员会"
    mediation = next(s for s in guide.steps if s.action == "mediation")
    assert mediation.url.startswith(reverse("disputes:apply") + "?")
    assert "type=labour" in mediation.url and f"v={village.code}" in mediation.url and "description=" in mediation.url
    # the chat page shows it in that order: kind → next steps (one-tap mediation) → limits & evidence → articles
    client.cookies["xz_visitor"] = "injury"
    html = client.get(reverse("consultation:chat")).content.decode()
    html = html[html.index('id="latest"'):]
    marks = ['class="kind">劳动争议', 'class="kind">损害赔偿', "您可以这样做", 'class="button primary tap"', "注意时限",
             "要保存好的证据", "相关法律规定", 'class="cites"']
    positions = [html.index(m) for m in marks]
    assert positions == sorted(positions), list(zip(marks, positions, strict=True))
    assert mediation.url.replace("&", "&amp;") in html
    # a shared service terminal shows the steps but starts no sign-in (the application needs the villager's phone)
    kiosk = client.get(reverse("consultation:chat") + "?kiosk=1").content.decode()
    assert "您可以这样做" in kiosk and 'class="button primary tap"' not in kiosk


def test_the_mediation_link_opens_the_application_filled_in(kb, monkeypatch, villager_a):
    _with_kinds(kb, monkeypatch, ["劳动争议"], handoff=False, ambiguous=False)
    reply = services.ask("老板拖欠工资三个月不给怎么办", visitor=services.Visitor(visitor_id="wage"))
    url = next(s.url for s in guidance.guide_for(reply.question).steps if s.action == "mediation")
    page = villager_a[1].get(url).content.decode()
    assert '<option value="labour" selected>' in page  # the matter, as the dispute type
    assert "老板拖欠工资三个月不给怎么办</textarea>" in page  # what happened, in the villager's words


def test_a_kind_without_guidance_keeps_the_plain_answer(kb, monkeypatch, client):
    _with_kinds(kb, monkeypatch, ["知识产权"], handoff=False, ambiguous=False)
    reply = services.ask("别人用了我的商标怎么办", visitor=services.Visitor(visitor_id="ip"))
    assert guidance.guide_for(reply.question).empty
    client.cookies["xz_visitor"] = "ip"
    html = client.get(reverse("consultation:chat")).content.decode()
    assert "您可以这样做" not in html and "您的问题可能属于" in html and 'class="cites"' in html


def test_guidance_edited_in_the_workbench_is_what_the_next_answer_shows(kb, monkeypatch, county_admin):
    _with_kinds(kb, monkeypatch, ["邻里"], handoff=False, ambiguous=False)
    services.save_guidance("邻里", summary="邻里。", steps=[STEP("找网格员说和", "网格员上门")], time_limits=[],
                           evidence=[], office="网格", actor=county_admin.user)
    reply = services.ask("邻居家的树根把我家院墙顶裂了怎么办", visitor=services.Visitor(visitor_id="nb"))
    assert [s.label for s in guidance.guide_for(reply.question).steps] == ["找网格员说和"]


# --- low confidence ---------------------------------------------------------------------------------------------------
def test_low_confidence_says_so_plainly_and_offers_a_person_keeping_the_guess(kb, monkeypatch, client, tongxiang,
                                                                            other_town_staff):
    from tests.conftest import CHONGFU, first_village

    _with_kinds(kb, monkeypatch, ["劳动争议", "损害赔偿"], handoff=True, ambiguous=False)
    village = first_village(CHONGFU)
    visitor = services.Visitor(visitor_id="unsure", region=village)
    first = services.ask("工地受伤老板不赔偿怎么办", visitor=visitor)
    assert first.kind == Question.Kind.CLARIFY  # asked once to say more
    reply = services.ask("在工地上干活摔伤了，老板不给工伤赔偿也不给工资", visitor=visitor)
    q = reply.question
    assert reply.kind == Question.Kind.HANDOFF and reply.handoff
    assert q.ranked and q.topics == ["劳动争议", "损害赔偿"]  # the robot's best guess is kept
    guide = guidance.guide_for(q)
    assert guide.low_confidence and not guide.steps  # no next steps on a guess
    client.cookies["xz_visitor"] = "unsure"
    html = client.get(reverse("consultation:chat")).content.decode()
    latest = html[html.index('id="latest"'):]
    assert "机器人没有把握" in latest and "可能答不准" in latest and "仅供参考" in latest
    assert 'value="handoff"' in latest and "留下手机号" in latest and "您可以这样做" not in latest
    # handed to a person, the legal worker sees the guess: kinds and the ranked articles
    handoff = services.request_handoff(q)
    page = other_town_staff.client().get(reverse("consultation:handoff", args=[handoff.pk])).content.decode()
    assert "机器人判断的纠纷类型：劳动争议、损害赔偿" in page
    assert reverse("consultation:article", args=[q.ranked[0]["id"]]) in page
