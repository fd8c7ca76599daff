"""API parity: every consultation page and every action on it has an API operation, backed by the same service."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from xiangzhi.consultation.urls import urlpatterns

pytestmark = pytest.mark.django_db
VIEWS = Path(__file__).resolve().parents[2] / "src" / "xiangzhi" / "consultation" / "views"
A = "/api/v1/consult"

# Every consultation page (URL name) → the API operation giving the same.
PAGES = {
    "chat": ("post", "/ask"), "conversation": ("get", "/conversations/{token}"), "article": ("get", "/articles/{key}"),
    "workbench": ("get", "/handoffs"), "handoff": ("get", "/handoffs/{handoff_id}"), "faq_list": ("get", "/faqs"),
    "faq_edit": ("put", "/faqs/{faq_id}"), "rewrites": ("get", "/rewrites"), "dashboard": ("get", "/dashboard"),
    "dashboard_export": ("get", "/dashboard/export.xlsx"), "guidance_list": ("get", "/guidance"),
    "guidance_edit": ("put", "/guidance/{kind}"),
}
# The chat page's actions (views.public.chat) → the API operation; "end" only forgets the visitor's cookie.
CHAT_ACTIONS = {
    "ask": ("post", "/ask"), "useful": ("post", "/conversations/{token}/questions/{question_id}/rating"),
    "useless": ("post", "/conversations/{token}/questions/{question_id}/rating"),
    "handoff": ("post", "/conversations/{token}/questions/{question_id}/handoff"), "end": None,
}
# The hand-off page's and the FAQ form's actions (views.staff).
STAFF_ACTIONS = {
    "claim": ("post", "/handoffs/{handoff_id}/claim"), "reply": ("post", "/handoffs/{handoff_id}/reply"),
    "faq": ("post", "/handoffs/{handoff_id}/faq"), "review": ("post", "/faqs/{faq_id}/review"),
}
# What the workbench shows besides its lists, and the writes of the FAQ list, the rewrites and the citizen's page.
OTHER = {("get", "/faq-candidates"), ("post", "/faqs"), ("post", "/rewrites"), ("put", "/rewrites/{rewrite_id}"),
         ("get", "/conversations"), ("get", "/guidance/{kind}"), ("get", "/laws"), ("get", "/articles"),
         ("get", "/faqs/{faq_id}")}


@pytest.fixture
def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    return {(method, path.removeprefix(A)) for path, ops in spec["paths"].items() if path.startswith(A)
            for method in ops}


def _actions_named(source: str) -> set[str]:
    """The action names a page view compares its POSTed ``action`` with (``action == "x"``, ``in ("x", "y")``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1 and "action" in ast.unparse(node.left):
            found |= {n.value for n in ast.walk(node.comparators[0])
                      if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    return found


def test_every_consultation_page_has_an_api_operation(operations):
    assert {p.name for p in urlpatterns} == set(PAGES)
    assert set(PAGES.values()) <= operations, set(PAGES.values()) - operations


def test_every_chat_action_has_an_api_operation(operations):
    assert _actions_named((VIEWS / "public.py").read_text(encoding="utf-8")) == set(CHAT_ACTIONS)
    wanted = {op for op in CHAT_ACTIONS.values() if op}
    assert wanted <= operations, wanted - operations


def test_every_workbench_action_has_an_api_operation(operations):
    assert _actions_named((VIEWS / "staff.py").read_text(encoding="utf-8")) == set(STAFF_ACTIONS)
    assert set(STAFF_ACTIONS.values()) <= operations, set(STAFF_ACTIONS.values()) - operations


def test_no_consultation_operation_is_left_unaccounted(operations):
    named = set(PAGES.values()) | {op for op in CHAT_ACTIONS.values() if op} | set(STAFF_ACTIONS.values()) | OTHER
    assert operations == named, (operations - named, named - operations)


def test_the_api_calls_the_same_services_and_selectors_as_the_pages():
    """The API module writes only through services and reads scoped data only through selectors or guidance."""
    source = (VIEWS.parent / "api.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"save", "create", "update", "delete", "bulk_create"}:
            pytest.fail(f"api.py writes directly: {ast.unparse(node)}")
    for name in ("services.ask", "services.rate_answer", "services.request_handoff", "services.claim_handoff",
                 "services.reply_handoff", "services.faq_from_reply", "services.save_faq", "services.review_faq",
                 "services.save_rewrite", "services.save_guidance", "services.export_demand",
                 "selectors.access_handoff", "selectors.handoffs_visible_to", "selectors.faqs_for",
                 "selectors.demand_dashboard", "selectors.article_by_key", "selectors.rewrites_for"):
        assert name + "(" in source, name
