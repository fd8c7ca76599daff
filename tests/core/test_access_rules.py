"""Deny by default: every page has an explicit access rule, every API operation an auth rule."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from xiangzhi.core.middleware import SELF_GUARDED_NAMESPACES


def iter_patterns(resolvers=None, namespaces=(), prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from iter_patterns(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield namespaces, prefix + str(entry.pattern), entry


def test_every_page_has_an_access_rule():
    missing = []
    checked = 0
    for namespaces, route, pattern in iter_patterns():
        if set(namespaces) & SELF_GUARDED_NAMESPACES:
            continue
        callback = pattern.callback
        rule = getattr(callback, "access_rule", None) or getattr(getattr(callback, "view_class", None), "access_rule", None)
        checked += 1
        if not rule:
            missing.append(f"{':'.join(namespaces)} {route} → {callback.__module__}.{callback.__qualname__}")
    assert checked >= 15
    assert not missing, "views without an access rule:\n" + "\n".join(missing)


def test_the_middleware_refuses_a_view_without_a_rule(rf, settings):
    from django.http import Http404, HttpResponse

    from xiangzhi.core.middleware import AccessRuleMiddleware

    def naked_view(request):
        return HttpResponse("should not be served")

    request = rf.get("/naked/")
    request.resolver_match = None
    with pytest.raises(Http404):
        AccessRuleMiddleware(lambda r: HttpResponse()).process_view(request, naked_view, (), {})


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_is_valid_openapi_3(openapi):
    from openapi_spec_validator import validate

    assert openapi["openapi"].startswith("3.")
    validate(openapi)


def test_every_api_operation_has_an_auth_rule(openapi):
    unguarded = []
    count = 0
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            count += 1
            if not op.get("security") and not op.get("x-public"):
                unguarded.append(f"{method.upper()} {path}")
    assert count >= 10
    assert not unguarded, f"operations without auth: {unguarded}"


@pytest.mark.django_db
def test_every_guarded_api_operation_answers_401_to_an_anonymous_caller(client, openapi, settings):
    import re

    # one anonymous write per operation: more than the per-address budget of anonymous writes once the API grows
    settings.XIANGZHI_RATE_LIMIT_PUBLIC_PER_MINUTE = 1000

    for path, item in openapi["paths"].items():
        for method, op in item.items():
            if op.get("x-public") or method not in {"get", "post", "put", "patch", "delete"}:
                continue
            url = re.sub(r"\{[^}]+\}", "1", path)
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, data="{}", content_type="application/json")
            assert response.status_code == 401, f"{method.upper()} {path} → {response.status_code}"
            assert response.json()["code"] == "UNAUTHENTICATED"


def test_docs_page_loads_swagger_from_this_server_only(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html
