"""Bad input: a 4xx with {code, message, detail}, a Chinese message, and nothing half-written."""

import pytest

from tests.conftest import valid_id_number
from xiangzhi.core.models import AuditLog, Person


@pytest.fixture
def api(town_staff):
    return town_staff.client()


def _assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"} and body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])
    return body


def test_malformed_json_is_a_structured_400(api):
    response = api.post("/api/v1/persons", data="{not json", content_type="application/json")
    _assert_error(response, 400, "MALFORMED_JSON")
    assert Person.objects.count() == 0


def test_unknown_fields_are_refused(api):
    response = api.post("/api/v1/persons", {"name": "张三", "nickname": "小张"}, content_type="application/json")
    body = _assert_error(response, 422, "INVALID_INPUT")
    assert any("nickname" in d["loc"] for d in body["detail"])


def test_an_invalid_id_number_names_the_field_and_writes_nothing(api):
    before = AuditLog.objects.count()
    response = api.post("/api/v1/persons", {"name": "张三", "id_number": "330483198001011230"},
                        content_type="application/json")
    body = _assert_error(response, 422, "INVALID_PERSON")
    assert "id_number" in body["detail"] and "校验位" in body["message"]
    assert Person.objects.count() == 0 and AuditLog.objects.count() == before


def test_an_invalid_phone_is_refused(api):
    response = api.post("/api/v1/persons", {"name": "张三", "phone": "1234"}, content_type="application/json")
    assert "phone" in _assert_error(response, 422, "INVALID_PERSON")["detail"]


def test_an_unknown_or_foreign_region_code_is_404(api):
    for code in ("999999999", "330483107"):
        response = api.post("/api/v1/persons", {"name": "张三", "region_code": code}, content_type="application/json")
        _assert_error(response, 404, "NOT_FOUND")
    assert Person.objects.count() == 0


def test_a_valid_person_is_created_and_returned_masked(api, town_staff):
    number = valid_id_number("33048319800101123")
    response = api.post("/api/v1/persons", {"name": "张三", "id_number": number, "phone": "13812345678",
                                            "region_code": town_staff.region.code}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["id_number"] == number[:6] + "********" + number[-4:] and body["phone"] == "138****5678"
    assert number not in response.content.decode()


def test_an_oversized_body_is_refused(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post("/api/v1/persons", {"name": "张" * 2000}, content_type="application/json")
    assert response.status_code in (400, 413, 422)
    assert Person.objects.count() == 0


def test_a_bad_grid_name_on_the_page_gives_a_chinese_message(town_staff, mediator):
    response = town_staff.client().post(f"/workbench/regions/{mediator.region.code}/", {"name": "  "}, follow=True)
    assert "请填写网格名称" in response.content.decode()
