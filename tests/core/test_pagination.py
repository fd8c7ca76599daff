"""Every list of the API has a maximum page size and tells the truth about its size: {items, count, next}."""

import pytest
from django.utils import timezone

from xiangzhi.core.models import AuditLog, Notification
from xiangzhi.core.pagination import MAX_LIMIT


@pytest.fixture
def openapi(client):
    return client.get("/api/v1/openapi.json").json()


def _resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _list_operations(spec):
    for path, item in spec["paths"].items():
        op = item.get("get")
        if not op:
            continue
        schema = _resolve(spec, op["responses"]["200"].get("content", {}).get("application/json", {}).get("schema", {}))
        yield path, op, schema


def test_no_operation_answers_a_bare_list(openapi):
    bare = [path for path, _, schema in _list_operations(openapi) if schema.get("type") == "array"]
    assert bare == []


def test_every_page_has_a_bounded_limit_a_count_and_a_next_link(openapi):
    pages = [(path, op, schema) for path, op, schema in _list_operations(openapi) if "items" in schema.get(
        "properties", {})]
    assert len(pages) >= 9
    for path, op, schema in pages:
        assert {"items", "count", "next"} <= set(schema["properties"]), path
        limit = next(p for p in op["parameters"] if p["name"] == "limit")
        assert limit["schema"]["maximum"] == MAX_LIMIT, path


@pytest.mark.parametrize("path", ["/api/v1/regions", "/api/v1/organisations", "/api/v1/audit", "/api/v1/notifications",
                                  "/api/v1/public/regions", "/api/v1/cases/", "/api/v1/insights/warnings",
                                  "/api/v1/cases/{case}/attachments", "/api/v1/cases/{case}/sessions",
                                  "/api/v1/cases/{case}/joint-tasks"])
def test_a_limit_over_the_maximum_is_refused(county_admin, mediator, path):
    from tests.disputes.conftest import new_case

    url = path.format(case=new_case().pk)
    c = county_admin.client()
    response = c.get(url, {"limit": 1000000})
    assert response.status_code == 422, (url, response.content)
    assert response.json()["code"] == "INVALID_INPUT"
    assert c.get(url, {"limit": MAX_LIMIT}).status_code == 200


def test_the_audit_list_counts_every_row_and_pages_past_a_thousand(auditor):
    now = timezone.now()
    AuditLog.objects.bulk_create([AuditLog(action="demo.bulk", actor_label="测试", note=str(i), at=now)
                                  for i in range(1050)])
    c = auditor.client()
    body = c.get("/api/v1/audit", {"action": "demo.bulk", "limit": MAX_LIMIT}).json()
    assert body["count"] == 1050 and len(body["items"]) == MAX_LIMIT and body["next"]
    seen = set()
    url = "/api/v1/audit?action=demo.bulk&limit=200"
    while url:
        page = c.get(url).json()
        seen |= {row["id"] for row in page["items"]}
        url = page["next"]
    assert len(seen) == 1050


def test_the_notification_list_counts_past_five_hundred(mediator):
    Notification.objects.bulk_create([Notification(recipient_user=mediator.user, subject="提醒", body=f"第{i}条")
                                      for i in range(520)])
    body = mediator.client().get("/api/v1/notifications", {"offset": 500}).json()
    assert body["count"] == 520 and len(body["items"]) == 20 and body["next"] is None


def test_regions_and_organisations_report_their_true_size(county_admin):
    from xiangzhi.core.models import Organisation, Region

    c = county_admin.client()
    regions = c.get("/api/v1/regions", {"limit": 10}).json()
    assert regions["count"] == Region.objects.count() and len(regions["items"]) == 10
    assert "offset=10" in regions["next"]
    orgs = c.get("/api/v1/organisations", {"limit": 5, "offset": 5}).json()
    assert orgs["count"] == Organisation.objects.count() and len(orgs["items"]) == 5
