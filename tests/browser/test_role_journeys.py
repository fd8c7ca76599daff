"""One short journey per role across the whole platform: the person signs in, lands on their home or workbench, opens
the pages they use most and does one real thing on each, and sees only the menu entries their role has. The long flows
(a case to a sealed agreement, a review to issue, a village to its title…) have their own tests; the data each journey
starts from is built through the services. Every step leaves ``test-artifacts/screenshots/journey-<role>-<n>-<what>``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urljoin

import pytest

from tests.browser.conftest import assert_fits_width, login_staff, phone_context, screenshot, sms_code
from tests.conftest import PASSWORD, WUZHEN, first_village
from tests.consultation.conftest import kb, seeded_guidance, subset_engine, subset_gz  # noqa: F401 - fixtures
from tests.legality.conftest import law_articles  # noqa: F401 - fixture
from tests.outreach.conftest import fire, rule  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def shot(page, role: str, n: int, what: str, *, phone: bool = False) -> None:  # noqa: ANN001
    """One step of a journey: no script error so far, on a phone nothing wider than the screen, and a screenshot."""
    assert page.errors == [], page.errors
    if phone:
        assert_fits_width(page)
    screenshot(page, f"journey-{role}-{n}-{what}")


def nav(page) -> list[str]:  # noqa: ANN001
    """The labels of the workbench menu; every entry opens (a page the role may not see answers 404)."""
    links = page.locator("nav.staffnav a")
    labels = [a.strip() for a in links.all_inner_texts()]
    for label, href in zip(labels, [links.nth(i).get_attribute("href") for i in range(links.count())], strict=True):
        status = page.request.get(urljoin(page.url, href)).status
        assert status == 200, f"menu entry {label} ({href}) answers {status}"
    return labels


def watch(page):  # noqa: ANN001
    """Collect the page's script errors in ``page.errors`` (as the desktop_page fixture does)."""
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


@pytest.fixture
def phone(browser):
    context, page = phone_context(browser)
    yield watch(page)
    context.close()


def main_buttons(page) -> list[str]:  # noqa: ANN001
    """The buttons of the page's own content (not the header's 退出)."""
    return [b.strip() for b in page.locator("main button, main input[type=submit]").all_inner_texts()]


def test_villager_applies_asks_the_robot_and_reads_the_feed(live_server, phone, kb, county_admin):  # noqa: F811
    from xiangzhi.consultation.models import Question
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services.routing import ensure_reference_data
    from xiangzhi.outreach.services import library

    ensure_reference_data()
    village = first_village(WUZHEN)
    page, role = phone, "villager"
    page.goto(f"{live_server.url}/citizen/login/")
    page.fill("#id_phone", "13800000001")
    page.get_by_role("button", name="获取验证码").click()
    page.fill("#id_code", sms_code())
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/citizen/")
    assert page.locator("h1").inner_text() == "我的"
    assert "138****0001" in page.inner_text("main")
    assert page.locator("nav.staffnav").count() == 0  # a villager has no workbench menu
    shot(page, role, 1, "home", phone=True)

    page.get_by_role("link", name="申请调解").click()
    page.wait_for_url("**/cases/apply/**")
    page.select_option("#id_region_code", village.code)
    page.fill("#id_applicant_name", "张三")
    page.fill("#id_respondent_name", "李四")
    page.fill("#id_description", "隔壁邻居养的狗经常半夜叫，多次沟通没有效果")
    page.fill("#id_request", "请求对方管好自家的狗")
    page.check("#id_consent")
    shot(page, role, 2, "apply", phone=True)
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/cases/s/**")
    case = Case.objects.get()
    assert case.number in page.inner_text("main") and page.locator(".stage").inner_text() == "已申报"
    shot(page, role, 3, "applied", phone=True)

    page.goto(f"{live_server.url}/consult/?v={village.code}")
    page.fill("#question", "邻居家的狗半夜一直叫影响休息怎么办")
    page.get_by_role("button", name="提问").click()
    page.wait_for_selector(".cites a")
    shot(page, role, 4, "robot", phone=True)

    topic = Question.objects.get().topic
    draft = library.ItemDraft(kind="article", title="邻居家的狗半夜乱叫，可以怎么办", topics=[topic],
                              audiences=["farmers"], lessons=[],
                              body="饲养动物应当遵守法律法规，尊重社会公德，不得妨碍他人生活（民法典第一千二百五十一条）。"
                                   "先当面沟通，不成可以请村人民调解委员会调解。")
    item = library.set_published(library.create_item(draft, actor=county_admin.user), actor=county_admin.user,
                                 published=True)
    page.goto(f"{live_server.url}/outreach/feed/")
    assert page.locator("h1").inner_text() == "为你推荐"
    assert "根据您咨询过的问题" in page.inner_text("main")  # the question just asked makes the feed personal
    shot(page, role, 5, "feed", phone=True)
    page.get_by_role("link", name=item.title).first.click()
    page.wait_for_selector("text=不得妨碍他人生活")
    shot(page, role, 6, "library-item", phone=True)
    page.goto(f"{live_server.url}/citizen/")
    assert case.number in page.inner_text("main")  # the application is listed under 我的纠纷
    shot(page, role, 7, "home-after", phone=True)


def test_grid_worker_registers_a_dispute_on_the_grid(live_server, phone, grid_worker):
    from xiangzhi.disputes.models import Case
    from xiangzhi.disputes.services.routing import ensure_reference_data

    ensure_reference_data()
    page, role = phone, "grid_worker"
    login_staff(page, live_server.url, grid_worker.user.username, PASSWORD)
    assert "网格员" in page.inner_text("main")
    entries = nav(page)
    assert "纠纷案件" in entries and not {"审计日志", "接口令牌", "合法性审查", "联动协办"} & set(entries), entries
    shot(page, role, 1, "workbench", phone=True)

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="纠纷案件").click()
    page.get_by_role("link", name="代办登记").click()
    page.wait_for_url("**/cases/grid/new/")
    assert page.locator("label[for=id_applicant_name]").inner_text() == "申请人姓名"  # filled in for someone else
    page.fill("#id_applicant_name", "王阿姨")
    page.fill("#id_applicant_phone", "13812345678")
    page.fill("#id_respondent_name", "赵师傅")
    page.select_option("#id_region_code", grid_worker.region.parent.code)
    page.fill("#id_description", "赵师傅在公共过道堆放杂物，王阿姨出入不便")
    page.check("#id_consent")
    shot(page, role, 2, "intake", phone=True)
    page.get_by_role("button", name="登记").click()
    page.wait_for_url("**/cases/workbench/*/")
    case = Case.objects.get()
    assert case.level == "village" and case.number in page.inner_text("main")  # not settled on the spot: up it goes
    shot(page, role, 3, "case", phone=True)

    page.goto(f"{live_server.url}/cases/workbench/")
    assert page.get_by_role("link", name=case.number).count() >= 1
    shot(page, role, 4, "todo", phone=True)


def test_mediator_accepts_from_the_to_do_and_records_a_session(live_server, desktop_page, mediator):
    from tests.disputes.conftest import new_case, walk
    from xiangzhi.disputes.enums import CaseStage as S

    reported = new_case()
    in_mediation = walk(new_case(applicant_phone="13800000002"), S.IN_MEDIATION, mediator.user)
    page, role = desktop_page, "mediator"
    login_staff(page, live_server.url, mediator.user.username, PASSWORD)
    assert "人民调解员" in page.inner_text("main")
    assert not {"审计日志", "接口令牌", "联动协办"} & set(nav(page))
    shot(page, role, 1, "workbench")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="纠纷案件").click()
    page.wait_for_url("**/cases/workbench/")
    assert page.locator("h1").inner_text() == "待办"
    shot(page, role, 2, "todo")
    page.get_by_role("link", name=reported.number).first.click()
    page.locator("form.action-accepted button").click()
    page.wait_for_selector(".stage:has-text('已受理')")
    shot(page, role, 3, "accepted")

    page.goto(f"{live_server.url}/cases/workbench/{in_mediation.pk}/")
    page.fill(".session-form input[name=attendees]", "张三、李四、调解员")
    page.fill(".session-form textarea[name=summary]", "双方陈述，释法说理，同意再协商一次")
    page.get_by_role("button", name="保存调解记录").click()
    page.wait_for_selector("text=已保存")
    assert in_mediation.sessions.count() == 1
    shot(page, role, 4, "session")


def test_town_supervisor_assigns_a_case_and_submits_a_document_for_review(live_server, desktop_page, town_staff,
                                                                           mediator, lawyer):
    from tests.disputes.conftest import new_case
    from tests.legality.conftest import TEXT
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import transitions
    from xiangzhi.legality.models import Submission

    case = transitions.transition(new_case(), S.ACCEPTED, actor=town_staff.user, reason="受理")
    page, role = desktop_page, "town_staff"
    login_staff(page, live_server.url, town_staff.user.username, PASSWORD)
    entries = nav(page)
    assert {"纠纷案件", "合法性审查", "民主法治村", "时间银行"} <= set(entries) and "接口令牌" not in entries, entries
    shot(page, role, 1, "workbench")

    page.goto(f"{live_server.url}/cases/workbench/{case.pk}/")
    page.locator("form.action-assigned select[name=mediator]").select_option(str(mediator.user.pk))
    page.locator("form.action-assigned button").click()
    page.wait_for_selector(".stage:has-text('已指派')")
    case.refresh_from_db()
    assert case.mediator_id == mediator.user.pk
    shot(page, role, 2, "assigned")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="合法性审查").click()
    page.get_by_role("link", name="报送").first.click()
    page.select_option("select[name=region]", WUZHEN)
    page.select_option("select[name=kind]", "normative")
    page.fill("input[name=title]", "乌镇镇文明养犬管理规定")
    page.fill("textarea[name=text]", TEXT)
    page.get_by_role("button", name="报送").click()
    page.wait_for_selector("text=指定审查人")
    page.check(f"input[name=reviewer][value='{lawyer.user.pk}']")
    page.get_by_role("button", name="指定").click()
    page.wait_for_selector("#legality-state:has-text('审查中')")
    assert Submission.objects.get().state == "under_review"
    shot(page, role, 3, "legality-assigned")

    page.goto(f"{live_server.url}/villages/staff/")
    assert first_village(WUZHEN).name in page.inner_text("main")
    shot(page, role, 4, "villages")


def test_liaison_answers_a_joint_task(live_server, desktop_page, mediator, liaison):
    from tests.disputes.conftest import TZ, new_case
    from xiangzhi.disputes.services import joint

    task = joint.invite(new_case(), actor=mediator.user, organisation_id=liaison.organisation.pk,
                        task="提供近三个月的出警记录", due_at=dt.datetime.now(TZ) + dt.timedelta(days=3),
                        contact_name="钱调解员")
    page, role = desktop_page, "liaison"
    login_staff(page, live_server.url, liaison.user.username, PASSWORD)
    entries = nav(page)
    assert "联动协办" in entries, entries
    assert not {"纠纷案件", "研判分析", "审计日志", "接口令牌", "合法性审查", "民主法治村", "时间银行"} & set(entries), entries
    shot(page, role, 1, "workbench")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="联动协办").click()
    assert page.locator("h1").inner_text() == "联动协办任务"
    assert "提供近三个月的出警记录" in page.inner_text("main")
    shot(page, role, 2, "tasks")
    page.get_by_role("link", name=task.case.number).first.click()
    page.fill("textarea[name=text]", "已调取出警记录两次，均为夜间犬吠扰民，附记录。")
    page.get_by_role("button", name="提交答复").click()
    page.wait_for_selector("text=已调取出警记录两次")
    task.refresh_from_db()
    assert task.status == "answered"
    assert "李四" not in page.inner_text("main")  # the department sees the task, not the parties' names
    shot(page, role, 3, "answered")


def test_lawyer_claims_an_alert_and_reviews_a_document(live_server, browser, lawyer, town_staff, rule,  # noqa: F811
                                                       law_articles):  # noqa: F811
    from django.utils import timezone

    from tests.legality.conftest import assigned

    alert = fire(rule, now=timezone.now() - dt.timedelta(minutes=31))
    sub = assigned(town_staff.user, [lawyer.user], title="乌镇镇文明养犬管理规定")
    context, page = phone_context(browser)
    watch(page)
    role = "lawyer"
    login_staff(page, live_server.url, lawyer.user.username, PASSWORD)
    entries = nav(page)
    assert {"普法抢单", "合法性审查"} <= set(entries) and not {"审计日志", "接口令牌"} & set(entries), entries
    shot(page, role, 1, "workbench", phone=True)

    page.goto(f"{live_server.url}/outreach/staff/")
    page.get_by_role("link", name=alert.topic).first.click()
    page.get_by_role("button", name="抢单").click()
    page.wait_for_selector("text=抢单成功")
    alert.refresh_from_db()
    assert alert.claimed_by == lawyer.user
    shot(page, role, 2, "claimed", phone=True)

    page.goto(f"{live_server.url}/legality/staff/")
    assert "待我审查" in page.inner_text("main")
    page.get_by_role("link", name=sub.title).first.click()
    page.check("input[name=conclusion][value=lawful]")
    page.fill("textarea[name=reasons]", "制定主体、权限、程序和内容符合法律规定。")
    page.fill("input[name=citations]", "重大行政决策程序暂行条例-25")
    page.get_by_role("button", name="出具意见").click()
    page.wait_for_selector("#legality-state:has-text('审查通过')")
    shot(page, role, 3, "reviewed", phone=True)
    context.close()


def test_county_admin_reads_the_dashboards(live_server, desktop_page, county_admin, mediator):
    from tests.disputes.conftest import new_case

    new_case()
    page, role = desktop_page, "county_admin"
    login_staff(page, live_server.url, county_admin.user.username, PASSWORD)
    entries = nav(page)
    assert {"研判分析", "民主法治村", "合法性审查", "审计日志", "接口令牌"} <= set(entries), entries
    shot(page, role, 1, "workbench")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="研判分析").click()
    assert page.locator("h1").inner_text().startswith("研判分析 · 桐乡市")
    shot(page, role, 2, "insights")
    page.goto(f"{live_server.url}/villages/staff/dashboard/")
    assert "乌镇镇" in page.locator("table").first.inner_text()
    shot(page, role, 3, "villages-dashboard")
    page.goto(f"{live_server.url}/legality/staff/dashboard/")
    assert page.locator("#legality-dashboard").count() == 1
    shot(page, role, 4, "legality-dashboard")
    page.goto(f"{live_server.url}/network/staff/")
    assert page.locator("h1").inner_text() == "公共法律服务网络"
    shot(page, role, 5, "network")


def test_auditor_reads_the_audit_log_and_the_ledger_without_write_actions(live_server, desktop_page, auditor,
                                                                          mediator):
    from tests.disputes.conftest import new_case
    from xiangzhi.disputes.enums import CaseStage as S
    from xiangzhi.disputes.services import transitions

    case = transitions.transition(new_case(), S.ACCEPTED, actor=mediator.user, reason="受理")
    page, role = desktop_page, "auditor"
    login_staff(page, live_server.url, auditor.user.username, PASSWORD)
    entries = nav(page)
    assert "审计日志" in entries and not {"接口令牌", "联动协办"} & set(entries), entries
    assert "审计员" in page.inner_text("main")
    shot(page, role, 1, "workbench")

    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="审计日志").click()
    assert page.locator("h1").inner_text() == "审计日志"
    assert page.locator("main table tbody tr").count() >= 1
    table = page.inner_text("main table")
    assert "登记纠纷" in table and "案件状态变更" in table and "纠纷案件" in table, table
    assert "case.created" not in table and "disputes.case" not in table, table
    shot(page, role, 2, "audit")
    page.get_by_label("操作", exact=True).fill("状态变更")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("main table tbody tr").all_inner_texts()
    assert rows and all("案件状态变更" in r for r in rows), rows
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, role, 5, "audit-filtered-narrow")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/ledger/")
    assert page.locator("h1").inner_text() == "区块链存证"
    assert "当前叶子数" in page.inner_text("main")
    shot(page, role, 3, "ledger")
    page.goto(f"{live_server.url}/cases/workbench/{case.pk}/")
    assert case.number in page.inner_text("main")
    assert page.locator("main form[method=post]").count() == 0, main_buttons(page)  # read-only: nothing to press
    shot(page, role, 4, "case-read-only")


def test_bank_officer_checks_a_consent_code_and_records_a_loan(live_server, desktop_page, browser, bank_officer,
                                                               mediator, town_staff, county_admin):
    """At the counter: the officer opens 「e法贷核验」, types the code the villager shows on their phone, reads the
    answer, records the loan granted and finds it in the bank's list; a code typed twice is refused in Chinese. The
    same on a 360 px phone screen."""
    from django.utils import timezone

    from tests.conftest import make_citizen
    from tests.disputes.conftest import new_case
    from tests.recognitions.conftest import nominate, register
    from xiangzhi.recognitions.models import Loan
    from xiangzhi.recognitions.services import efadai

    case = new_case()
    rec = register(nominate(mediator.user, phone="13800000001"), town_staff, county_admin)
    villager = make_citizen("13800000001")[0]
    code, _consent = efadai.create_consent(actor=villager)
    page, role = desktop_page, "bank_officer"
    login_staff(page, live_server.url, bank_officer.user.username, PASSWORD)
    entries = nav(page)
    assert "银行工作人员" in page.inner_text("main")
    assert "e法贷核验" in entries
    assert not {"审计日志", "接口令牌", "合法性审查", "民主法治村", "时间银行", "法治荣誉", "联动协办"} & set(entries), entries
    shot(page, role, 1, "workbench")

    page.locator("nav.staffnav").get_by_role("link", name="e法贷核验").click()
    assert page.locator("h1").inner_text() == "e法贷核验"
    assert "本行尚未登记e法贷。" in page.inner_text("main")
    page.get_by_label("授权码").fill(code.lower())
    shot(page, role, 2, "code-typed")
    page.get_by_role("button", name="核验").click()
    main = page.inner_text("main")
    assert "符合条件" in main and "张**" in main and "法律明白人" in main, main
    assert f"{rec.valid_until.year}年{rec.valid_until.month}月{rec.valid_until.day}日" in main
    shot(page, role, 3, "eligible")

    page.get_by_label("金额（元）").fill("200000")
    page.get_by_label("利率优惠（百分点）").fill("0.50")
    page.get_by_role("button", name="登记放款").click()
    assert "已登记放款。" in page.inner_text("body")
    assert Loan.objects.get().amount == 200000 and Loan.objects.get().granted_on == timezone.localdate()
    row = page.locator("main table tbody tr").first.inner_text()
    assert "200000.00" in row and "张**" in row and "法律明白人" in row, row
    shot(page, role, 4, "loans")

    # the same code again: a clear refusal, nothing shown of the villager
    page.get_by_label("授权码").fill(code)
    page.get_by_role("button", name="核验").click()
    assert "授权码无效、已使用或已过期，请村民在手机上重新生成。" in page.inner_text("main")
    shot(page, role, 5, "code-used")

    # no menu entry leads to the disputes, and their address typed in shows nothing of them
    assert not {"纠纷案件", "研判分析", "咨询工作台"} & set(entries), entries
    page.goto(f"{live_server.url}/cases/workbench/?scope=all")
    assert page.locator("h1").inner_text() == "页面不存在" and case.number not in page.content()

    # the officer on a phone-sized screen: the desk, a fresh check's result and its loan form fit 360 px
    context, small = phone_context(browser)
    try:
        watch(small)
        login_staff(small, live_server.url, bank_officer.user.username, PASSWORD)
        small.goto(f"{live_server.url}/recognitions/bank/")
        shot(small, role, 6, "desk-phone", phone=True)
        second, _ = efadai.create_consent(actor=villager)
        small.get_by_label("授权码").fill(second)
        small.get_by_role("button", name="核验").click()
        assert "符合条件" in small.inner_text("main")
        shot(small, role, 7, "eligible-phone", phone=True)
    finally:
        context.close()
