"""The published OpenAPI schema says what the code enforces: enums, patterns, lengths, download types, errors."""

import pytest

from xiangzhi.disputes.documents import KINDS
from xiangzhi.disputes.enums import CaseStage, Channel, Colour, RiskLevel


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").json()


def _component(spec, name):
    return spec["components"]["schemas"][name]


def _ref(spec, schema):
    return _component(spec, schema["$ref"].rsplit("/", 1)[1]) if "$ref" in schema else schema


def test_stage_colour_risk_and_channel_are_enums(spec):
    assert _component(spec, "CaseStage")["enum"] == CaseStage.values
    assert _component(spec, "Colour")["enum"] == Colour.values
    assert _component(spec, "RiskLevel")["enum"] == RiskLevel.values
    detail = _component(spec, "CaseDetailOut")["properties"]
    assert _ref(spec, detail["channel"])["enum"] == Channel.values
    transition = _component(spec, "TransitionIn")["properties"]["to"]
    assert _ref(spec, transition)["enum"] == CaseStage.values


def test_document_kinds_are_listed_and_downloads_name_their_content_type(spec):
    op = spec["paths"]["/api/v1/cases/{case_id}/documents/{kind}"]["get"]
    kind = next(p for p in op["parameters"] if p["name"] == "kind")
    assert set(kind["schema"]["enum"]) == set(KINDS)
    assert list(op["responses"]["200"]["content"]) == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
    casefile = spec["paths"]["/api/v1/cases/{case_id}/casefile"]["get"]
    assert list(casefile["responses"]["200"]["content"]) == ["application/zip"]


def test_phone_and_id_number_have_patterns_and_lengths_match_the_models(spec):
    person = _component(spec, "PersonIn")["properties"]
    assert "pattern" in person["phone"] and "pattern" in person["id_number"]
    assert person["name"]["maxLength"] == 60
    party = _component(spec, "PartySchemaIn")["properties"]
    assert party["org_name"]["maxLength"] == 120 and "pattern" in party["phone"]


def test_every_operation_documents_the_error_envelope_with_retry_after_on_429(spec):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status in ("404", "422", "429", "500"):
                assert op["responses"][status]["content"]["application/json"]["schema"]["$ref"].endswith(
                    "/ErrorOut"), (method, path, status)
            assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)


def test_no_two_api_schemas_share_a_name():
    """The OpenAPI names a component by its class name, so two apps' ``DashboardOut`` would publish one of them for
    both (the other's responses then 'violate' the schema): every schema class of the API has its own name."""
    import importlib
    from collections import Counter

    from django.apps import apps
    from ninja import Schema

    seen: Counter = Counter()
    for config in apps.get_app_configs():
        if not config.name.startswith("xiangzhi."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.schemas")
        except ModuleNotFoundError:
            continue
        seen.update({obj.__name__ for obj in vars(module).values()
                     if isinstance(obj, type) and issubclass(obj, Schema) and obj.__module__ == module.__name__})
    assert [name for name, n in seen.items() if n > 1] == []
