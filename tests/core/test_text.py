"""Text is cleaned at the boundary (core.text): control characters never reach the database from a page form or an
API body; tab and line breaks stay."""

from __future__ import annotations

import pytest

from xiangzhi.core.text import clean_text, xml_safe


@pytest.mark.parametrize(("raw", "clean"), [
    ("张\x07三", "张三"),
    ("\x1b[31m红\x00", "[31m红"),
    ("第一行\r\n第二行\t完", "第一行\r\n第二行\t完"),
    ("del\x7f c1\x85 bom\ufffe", "del c1 bom"),
    # bidirectional overrides and isolates: "邻居打我\u202e怎么办" would show as "邻居打我办么怎"
    ("邻居打我\u202e怎么办", "邻居打我怎么办"),
    ("\u202a张\u202b三\u202c\u202d李\u2066四\u2067\u2068\u2069", "张三李四"),
])
def test_clean_text_removes_control_characters(raw, clean):
    assert clean_text(raw) == clean


def test_xml_safe_keeps_everything_xml_can_hold():
    assert xml_safe("a\x00b\x07\x0bc\td\ne\rf\x7f") == "abc\td\ne\rf\x7f"


def test_a_page_form_reaches_the_view_cleaned(county_admin):
    from xiangzhi.core.models import Region

    village = Region.objects.filter(level="village").order_by("code").first()
    r = county_admin.client().post(f"/workbench/regions/{village.code}/", {"name": "第\x07九\x1b网格\x00"})
    assert r.status_code == 302
    assert Region.objects.filter(parent=village, name="第九网格").exists()


def test_an_api_body_reaches_the_service_cleaned(county_admin):
    import json

    from xiangzhi.core.models import Region

    village = Region.objects.filter(level="village").order_by("code").first()
    r = county_admin.client().post(f"/api/v1/regions/{village.code}/grids", json.dumps({"name": "第\x07十网格\x1b"}),
                                   content_type="application/json")
    assert r.status_code == 201, r.content
    assert Region.objects.filter(parent=village, name="第十网格").exists()


def test_every_api_input_schema_cleans_text():
    """Every schema an API operation takes as its body derives from ``TextIn`` (control characters cleaned), so a
    new endpoint cannot forget it (a reveal reason with NUL was a 500 on PostgreSQL)."""
    from ninja import Schema

    from xiangzhi.api import api
    from xiangzhi.core.schemas import TextIn

    api.get_openapi_schema()  # imports every router
    missing = []
    for router_prefix, router in api._routers:  # noqa: SLF001
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for model in op.models:
                    for name, field in model.model_fields.items():
                        kind = field.annotation
                        if isinstance(kind, type) and issubclass(kind, Schema) and not issubclass(kind, TextIn):
                            missing.append(f"{router_prefix}{path} {name}: {kind.__name__}")
    assert not missing, missing
