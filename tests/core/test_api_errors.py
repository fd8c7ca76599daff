"""Bad input: a 4xx with {code, message, detail}, a Chinese message, and nothing half-written."""

import json

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
    detail = _assert_error(response, 422, "INVALID_INPUT")["detail"]  # the schema's pattern (OpenAPI says so too)
    assert any("phone" in d["loc"] for d in detail)


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


# --- every error the API can return has the one envelope ------------------------------------------------------
def _assert_envelope(response, status, code, *, chinese_detail=True):
    """The envelope, with Chinese in the message and (when there is one) in the detail; never HTML or a traceback."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = _assert_error(response, status, code)
    text = response.content.decode()
    assert "Traceback" not in text and "<html" not in text.lower()
    if body["detail"] is not None and chinese_detail:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in json.dumps(body["detail"], ensure_ascii=False))
    return body


def test_the_organisation_list_answers_with_labels(api):
    response = api.get("/api/v1/organisations?kind=justice_office")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] >= 1 and body["items"][0]["kind_label"] == "司法所"


def test_a_transition_to_an_unknown_stage_is_refused(mediator):
    from tests.disputes.conftest import new_case

    case = new_case()
    response = mediator.client().post(f"/api/v1/cases/{case.pk}/transitions", {"to": "nowhere"},
                                      content_type="application/json")
    _assert_envelope(response, 422, "INVALID_INPUT")
    case.refresh_from_db()
    assert case.stage == "reported"


def test_a_huge_leaf_index_in_a_bundle_request_is_refused(county_admin):
    c = county_admin.client()
    for indices in ("9" * 30, "0," + "9" * 19, "9" * 5000, "-1"):
        response = c.get(f"/api/v1/ledger/bundle?indices={indices}")
        assert response.status_code in (404, 422), (indices, response.content)
        _assert_envelope(response, response.status_code, response.json()["code"], chinese_detail=False)
    response = c.get(f"/api/v1/ledger/proof/inclusion?index={'9' * 30}")
    assert response.status_code in (404, 422) and set(response.json()) == {"code", "message", "detail"}


def test_multipart_without_a_boundary_is_a_400(mediator):
    from tests.disputes.conftest import new_case

    case = new_case()
    response = mediator.client().post(f"/api/v1/cases/{case.pk}/attachments", data=b"--x\r\n",
                                      content_type="multipart/form-data")
    _assert_envelope(response, 400, "MALFORMED_MULTIPART")
    assert case.attachments.count() == 0


def test_posting_a_case_without_the_trailing_slash_is_a_404_that_names_the_right_path(api, settings):
    for debug in (True, False):
        settings.DEBUG = debug
        response = api.post("/api/v1/cases", {"description": "x"}, content_type="application/json")
        body = _assert_envelope(response, 404, "NOT_FOUND")
        assert "/api/v1/cases/" in json.dumps(body["detail"], ensure_ascii=False)


def test_an_unknown_api_path_is_a_404_with_the_envelope(api, client):
    for c in (api, client):
        for path in ("/api/v1/nothing-here", "/api/nothing", "/api/v1/cases/1/nothing"):
            _assert_envelope(c.get(path), 404, "NOT_FOUND")


def test_a_wrong_method_is_a_405_with_the_envelope(api):
    response = api.delete("/api/v1/me")
    body = _assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in response["Allow"] and "GET" in body["detail"]["allowed"]


def test_a_csrf_failure_is_a_403_with_the_envelope(town_staff):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(town_staff.user, backend="xiangzhi.core.security.LockoutBackend")
    response = c.post("/api/v1/persons", {"name": "张三"}, content_type="application/json")
    _assert_envelope(response, 403, "CSRF_FAILED")
    assert Person.objects.count() == 0


def test_the_csrf_failure_view_answers_api_paths_with_the_envelope(rf):
    from django.conf import settings
    from django.utils.module_loading import import_string

    view = import_string(settings.CSRF_FAILURE_VIEW)
    response = view(rf.post("/api/v1/anything"), reason="CSRF token missing.")
    response.json = lambda: json.loads(response.content)
    _assert_envelope(response, 403, "CSRF_FAILED")
    page = view(rf.post("/cases/new/"), reason="CSRF token missing.")
    assert page.status_code == 403 and not page["Content-Type"].startswith("application/json")


def test_malformed_json_is_explained_in_chinese_even_in_debug(api, settings):
    settings.DEBUG = True
    response = api.post("/api/v1/persons", data='{"name": "张三",', content_type="application/json")
    body = _assert_envelope(response, 400, "MALFORMED_JSON")
    assert body["detail"] and "Expecting" not in response.content.decode()
    assert "parse" not in response.content.decode().lower()


def test_a_body_over_the_upload_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api.post("/api/v1/persons", {"name": "张" * 2000}, content_type="application/json")
    _assert_envelope(response, 413, "REQUEST_TOO_LARGE")
    assert Person.objects.count() == 0


def test_a_json_operation_refuses_another_content_type_with_415(api):
    response = api.post("/api/v1/persons", data='{"name": "张三"}', content_type="text/plain")
    body = _assert_envelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in json.dumps(body["detail"])
    assert Person.objects.count() == 0


def test_a_rate_limited_call_is_a_429_with_retry_after(db, client, settings):
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 1000
    responses = [client.post("/api/v1/auth/code", {"phone": "13800000009"}, content_type="application/json")
                 for _ in range(21)]
    response = responses[-1]
    _assert_envelope(response, 429, "RATE_LIMITED")
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("debug", [True, False])
def test_an_unhandled_error_in_an_operation_is_a_logged_500_without_a_traceback(api, settings, monkeypatch, caplog,
                                                                               debug):
    from xiangzhi.core import selectors

    def broken(user):
        raise RuntimeError("secret internals")

    settings.DEBUG = debug
    monkeypatch.setattr(selectors, "memberships_of", broken)
    response = api.get("/api/v1/me")
    _assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "secret internals" not in response.content.decode()
    assert any("secret internals" in (r.exc_text or str(r.exc_info)) for r in caplog.records if r.levelname == "ERROR")


@pytest.mark.parametrize("debug", [True, False])
def test_an_unhandled_error_outside_the_api_operations_is_a_500_with_the_envelope(town_staff, settings, monkeypatch,
                                                                                 debug):
    from django.test import Client

    from xiangzhi.core import middleware

    def broken(request):
        raise RuntimeError("secret internals")

    settings.DEBUG = debug
    monkeypatch.setattr(middleware, "client_ip", broken)
    c = Client(raise_request_exception=False)
    c.force_login(town_staff.user, backend="xiangzhi.core.security.LockoutBackend")
    response = c.get("/api/v1/me")
    _assert_envelope(response, 500, "INTERNAL_ERROR")
    assert "secret internals" not in response.content.decode()


def test_a_parameter_given_twice_is_refused(auditor):
    """Found by schemathesis: ninja kept the last of repeated scalar parameters and answered 200."""
    response = auditor.client().get("/api/v1/audit?object_type=a&object_type=b")
    body = _assert_envelope(response, 422, "INVALID_INPUT")
    assert body["detail"][0]["loc"] == ["object_type"]


def test_a_reveal_naming_a_field_twice_is_refused(mediator):
    """Found by schemathesis on PostgreSQL: repeated field names overflowed the access log's column (a 500)."""
    from xiangzhi.core import services
    from xiangzhi.core.models import PersonalDataAccess

    person = services.create_person(name="王五", phone="13812345678", region=mediator.region, actor=None)
    response = mediator.client().post(f"/api/v1/persons/{person.pk}/reveal",
                                      {"reason": "核实身份", "fields": ["name", "phone"] * 20},
                                      content_type="application/json")
    _assert_envelope(response, 422, "INVALID_INPUT")
    assert PersonalDataAccess.objects.count() == 0


def test_a_nul_in_the_url_is_refused_before_any_query(client, api):
    """Found by schemathesis on PostgreSQL: a NUL in a query parameter reached a LIKE query (a 500)."""
    for c, url in ((client, "/api/v1/public/regions?town=330%00"), (api, "/api/v1/audit?action=a%00b"),
                   (client, "/api/v1/cases/public/ab%00cd")):
        body = _assert_envelope(c.get(url), 422, "INVALID_INPUT")
        assert body["detail"][0]["type"] == "nul"
