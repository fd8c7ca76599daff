"""Case lookup by number accepts what people type: ``5335``, ``2026-5335``, ``桐解（2026）05335号``, ``桐解[2026]5335号``,
full-width digits and brackets, spaces — one parser (``disputes.numbers``) behind the public lookup, the workbench's
search and the API, each keeping its scope (a user finds only the cases they may see) and the public lookup its
rate limit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import CHONGFU, first_village
from tests.disputes.conftest import new_case
from xiangzhi.disputes import selectors
from xiangzhi.disputes.numbers import format_archive_number, format_number, parse_case_number
from xiangzhi.disputes.services import intake

FULL_WIDTH = str.maketrans("0123456789()[]-/", "０１２３４５６７８９（）［］－／")


@pytest.mark.parametrize("typed", [
    "5335", "05335", "第5335号", "2026-5335", "2026/5335", "2026.5335", "2026年5335号", "2026 5335", " 2026-5335 ",
    "桐解〔2026〕05335号", "桐解（2026）05335号", "桐解(2026)5335号", "桐解[2026]5335号", "桐解【2026】第5335号",
    "〔2026〕05335", "桐解2026-5335", "(2026)桐人调字第5335号", "（2026）桐人调字第05335号", "２０２６－５３３５",
    "桐解［２０２６］５３３５号", "５３３５", "桐解 〔 2026 〕 05335 号", "桐 解（2026）0005335号",
])
def test_every_way_of_typing_the_number_reads_as_the_case(typed):
    assert parse_case_number(typed, current_year=2026) == (2026, 5335)


@pytest.mark.parametrize("typed", [
    "", "   ", "0", "00000", "abc", "20265335", "26-5335", "2026-", "-5335", "2026-0", "12345678", "2026-12345678",
    "北解〔2026〕05335号", "桐解〔26〕05335号", "桐解〔2026〕号", "桐解〔2026〕05335号号", "5335号桐解", "53 35",
    "2026-5335-1", "张三", "5335" * 20, "2026\x005335", "桐人调字第5335号(2026)",
])
def test_what_is_no_case_number_reads_as_none(typed):
    assert parse_case_number(typed, current_year=2026) is None


def test_a_bare_sequence_number_is_one_of_the_current_year():
    assert parse_case_number("17", current_year=2027) == (2027, 17)
    assert parse_case_number("2026", current_year=2027) == (2027, 2026)  # four digits alone: a sequence number


def _spaced(parts: list[str], spaces: list[str]) -> str:
    return "".join(p + s for p, s in zip(parts, spaces + [""] * len(parts), strict=False))


@given(year=st.integers(2000, 2099), seq=st.integers(1, 9_999_999), style=st.sampled_from(range(6)),
       full_width=st.booleans(), spaces=st.lists(st.sampled_from(["", " ", "\u3000", "  "]), min_size=6, max_size=6),
       brackets=st.sampled_from(["〔〕", "()", "（）", "[]", "［］", "【】"]), zeros=st.integers(0, 3),
       current=st.integers(2000, 2099))
def test_any_rendering_of_any_number_reads_back(year, seq, style, full_width, spaces, brackets, zeros, current):
    digits = "0" * zeros + str(seq)
    o, c = brackets
    parts = [
        ["桐解", o, str(year), c, digits, "号"],  # the printed number, any brackets
        [o, str(year), c, "桐人调字", "第" + str(seq), "号"],  # the file number
        [str(year), "-", digits],
        [str(year), "年", digits, "号"],
        [str(year), "/", digits],
        ["桐解", str(year), "-", digits],
    ][style]
    typed = _spaced(parts, spaces)
    if full_width:
        typed = typed.translate(FULL_WIDTH)
    assert parse_case_number(typed, current_year=current) == (year, seq), typed
    # what the services write reads back too, and a sequence number alone is one of the current year
    assert parse_case_number(format_number(year, seq), current_year=current) == (year, seq)
    assert parse_case_number(format_archive_number(year, seq), current_year=current) == (year, seq)
    assert parse_case_number(digits, current_year=current) == (current, seq)


@given(st.text(max_size=80))
def test_any_text_reads_as_a_number_or_none_and_never_fails(text):
    parsed = parse_case_number(text, current_year=2026)
    assert parsed is None or (1000 <= parsed[0] <= 9999 and 1 <= parsed[1] < 10**7)


# ----------------------------------------------------------------------------------------------------------------
# Behind the lookup, the workbench and the API
# ----------------------------------------------------------------------------------------------------------------
def _typings(case) -> list[str]:
    year, seq = case.year, case.seq
    return [str(seq), f"{seq:05d}", f"{year}-{seq}", f"桐解（{year}）{seq:05d}号", f"桐解[{year}]{seq}号",
            case.number, case.archive_number, f"{year}-{seq}".translate(FULL_WIDTH), f" 桐解 〔{year}〕 {seq} 号 "]


@pytest.mark.django_db
def test_the_public_lookup_finds_the_case_however_its_number_is_typed(tongxiang, client, settings):
    settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE = 100
    other = new_case(applicant_phone="13800000077")
    case = new_case(applicant_phone="13800000078")
    assert case.year == timezone.localdate().year and other.seq != case.seq
    for typed in _typings(case):
        assert intake.lookup(typed, actor=None, client_ip="10.0.0.9") == case, typed
        page = client.get("/cases/lookup/", {"number": typed}).content.decode()
        assert case.number in page and other.number not in page, typed
    # a bare sequence number is one of the current year: not found in a year without that case
    assert selectors.case_by_number(str(case.seq), today=dt.date(case.year - 1, 6, 1)) is None
    assert intake.lookup("桐解〔2026〕号", actor=None, client_ip="10.0.0.9") is None


@pytest.mark.django_db
def test_a_stage_found_by_number_links_the_party_to_sign_in_and_come_back_to_the_case(tongxiang, client, settings):
    """The lookup's answer is no dead end: it links to the phone sign-in, which brings the party back to the same
    lookup and so on to the case's status page."""
    import html
    import re
    from urllib.parse import unquote

    from tests.conftest import make_citizen

    settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE = 100
    case = new_case(applicant_phone="13800000079")
    page = client.get("/cases/lookup/", {"number": case.number}).content.decode()
    link = re.search(r'href="(/citizen/login/\?next=[^"]+)"', page)
    assert link, "no way on from the stage to the sign-in"
    back = unquote(html.unescape(link.group(1)).split("next=", 1)[1])
    assert back.startswith("/cases/lookup/?number=")
    _, party = make_citizen("13800000079")
    r = party.get(back)
    assert r.status_code == 302 and r["Location"] == f"/cases/s/{case.token}/"
    # a signed-in villager who is not a party is told why only the stage shows
    _, outsider = make_citizen("13800000080")
    page = outsider.get("/cases/lookup/", {"number": case.number}).content.decode()
    assert "不是本案当事人" in page and "/citizen/login/?next=" in page


@pytest.mark.django_db
def test_the_public_lookup_keeps_its_rate_limit_whatever_is_typed(tongxiang, settings):
    from xiangzhi.core.errors import RateLimited

    settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE = 2
    case = new_case()
    assert intake.lookup(str(case.seq), actor=None, client_ip="10.0.0.4") == case
    assert intake.lookup("不是编号", actor=None, client_ip="10.0.0.4") is None
    with pytest.raises(RateLimited):
        intake.lookup(case.number, actor=None, client_ip="10.0.0.4")


@pytest.mark.django_db
def test_the_workbench_and_the_api_find_by_number_only_what_the_user_may_see(mediator, other_mediator):
    mine = new_case(applicant_phone="13800000081")
    theirs = new_case(region_code=first_village(CHONGFU).code, applicant_phone="13800000082")
    for typed in _typings(mine):
        rows, _ = selectors.workbench_cases(mediator.user, selectors.CaseFilters(number=typed))
        assert [c.pk for c in rows] == [mine.pk], typed
    for typed in _typings(theirs):  # another town's case: not found by this mediator, found by its own
        assert selectors.workbench_cases(mediator.user, selectors.CaseFilters(number=typed))[0] == [], typed
        assert [c.pk for c in selectors.workbench_cases(other_mediator.user,
                                                        selectors.CaseFilters(number=typed))[0]] == [theirs.pk]
    client = mediator.client()
    page = client.get("/cases/workbench/", {"number": f"桐解[{mine.year}]{mine.seq}号"}).content.decode()
    assert mine.number in page
    page = client.get("/cases/workbench/", {"number": f"{theirs.year}-{theirs.seq}"}).content.decode()
    assert theirs.number not in page
    page = client.get("/cases/workbench/", {"number": "张三"}).content.decode()
    assert "案件编号无法识别" in page and mine.number not in page
    api = client.get("/api/v1/cases/", {"number": str(mine.seq)}).json()
    assert [item["number"] for item in api["items"]] == [mine.number]
    assert client.get("/api/v1/cases/", {"number": f"{theirs.year}-{theirs.seq}"}).json()["items"] == []
    r = client.get("/api/v1/cases/", {"number": "张三"})
    assert r.status_code == 422 and r.json()["code"] == "INVALID_NUMBER"
