"""A village mediator of 乌镇镇 gets 404 for every object of 崇福镇, through every page and every API endpoint."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.urls import reverse

import tests
from tests.core.test_access_rules import iter_patterns
from tests.jurisdiction import FACTORIES, IGNORED_NAMESPACES, TOKEN_ROUTES
from xiangzhi.core import selectors
from xiangzhi.core.models import Organisation, Region

# Load every app's registry module (tests/<app>/jurisdiction.py).
for module in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
    if module.ispkg and (Path(tests.__file__).parent / module.name / "jurisdiction.py").exists():
        importlib.import_module(f"tests.{module.name}.jurisdiction")


def _page_routes():
    for namespaces, _route, pattern in iter_patterns():
        if set(namespaces) & (IGNORED_NAMESPACES | {"api-1.0.0"}) or not pattern.pattern.converters:
            continue
        yield ":".join(namespaces + (pattern.name,)), pattern


def _api_routes(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        if "{" not in path:
            continue
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"} and not op.get("x-public"):
                yield f"{method.upper()} {path}", method, path


@pytest.mark.django_db
def test_every_parameterised_route_has_a_chongfu_object_registered(client):
    names = {name for name, _ in _page_routes()} | {key for key, _, _ in _api_routes(client)}
    missing = sorted(n for n in names if n not in FACTORIES and n not in TOKEN_ROUTES)
    assert not missing, f"register a 崇福镇 object for these routes in tests/<app>/jurisdiction.py: {missing}"


def test_pages_of_chongfu_answer_404_to_a_wuzhen_mediator(mediator, other_mediator):
    client = mediator.client()
    checked = 0
    for name, _pattern in _page_routes():
        if name in TOKEN_ROUTES:
            continue
        kwargs = {k: v for k, v in FACTORIES[name]().items() if not k.startswith("_")}
        for method in ("get", "post"):
            response = getattr(client, method)(reverse(name, kwargs=kwargs))
            # 405 (method not allowed) is answered alike for every id, so it reveals nothing either
            allowed = {404, 405} if method == "get" else {404}
            assert response.status_code in allowed, f"{method.upper()} {name} {kwargs} → {response.status_code}"
        checked += 1
    assert checked >= 3


def _call_api(client, key: str, method: str, path: str):
    """Call the API route ``key`` with the ids (and body or multipart form) its 崇福 factory makes."""
    kwargs = dict(FACTORIES[key]())
    body = kwargs.pop("_body", {})
    multipart = kwargs.pop("_multipart", None)
    url = re.sub(r"\{([^}]+)\}", lambda m, kw=kwargs: str(kw[m.group(1)]), path)
    if method == "get":
        return client.get(url)
    if multipart is not None:
        return client.post(url, data=multipart)
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_api_of_chongfu_answers_404_to_a_wuzhen_mediator(mediator, other_mediator):
    client = mediator.client()
    checked = 0
    for key, method, path in _api_routes(client):
        if key in TOKEN_ROUTES:
            continue
        response = _call_api(client, key, method, path)
        assert response.status_code == 404, f"{key} → {response.status_code} {response.content[:200]}"
        assert response.json()["code"] == "NOT_FOUND"
        checked += 1
    assert checked >= 4


def test_the_same_pages_answer_200_inside_the_jurisdiction(mediator, town_staff):
    village = mediator.region
    assert mediator.client().get(reverse("web:region_detail", args=[village.code])).status_code == 200
    org = Organisation.objects.filter(region=village).first()
    assert mediator.client().get(reverse("web:organisation_detail", args=[org.pk])).status_code == 200
    # the town supervisor sees the whole town, including the village
    assert town_staff.client().get(reverse("web:region_detail", args=[village.code])).status_code == 200
    assert town_staff.client().get(f"/api/v1/regions/{village.code}").status_code == 200


def test_the_county_administrator_sees_every_town(county_admin):
    visible = selectors.regions_visible_to(county_admin.user)
    assert visible.filter(level="town").count() == 11
    assert visible.count() == Region.objects.count()


def test_a_user_without_memberships_sees_nothing(tongxiang):
    from xiangzhi.core import services

    user = services.create_staff_user(username="nobody", password="Nobody-pass-2026", display_name="无角色", actor=None)
    assert selectors.regions_visible_to(user).count() == 0
    assert selectors.organisations_visible_to(user).count() == 0
    from django.test import Client

    c = Client()
    c.force_login(user)
    assert c.get(reverse("web:workbench")).status_code == 404
    assert c.get("/api/v1/regions/330483").status_code == 404


@pytest.mark.parametrize("persona", ["liaison", "bank_officer", "grid_worker"])
def test_other_roles_are_limited_to_their_region(request, persona, other_mediator):
    p = request.getfixturevalue(persona)
    chongfu_village = other_mediator.region
    assert p.client().get(f"/api/v1/regions/{chongfu_village.code}").status_code == (
        200 if p.region.code == "330483" else 404
    )


# The village mediator above holds none of the roles of the newer apps, so there their refusals come from the role
# check. 乌镇's town staff hold those roles (time bank, villages, legality, network, outreach, recognitions): through
# them the same 崇福 objects prove the region check.
NEWER_APPS = {"timebank", "recognitions", "network", "villages", "legality", "outreach"}


def test_the_newer_apps_objects_of_chongfu_answer_404_to_wuzhen_town_staff(town_staff, other_mediator):
    client = town_staff.client()
    checked = 0
    for name, _pattern in _page_routes():
        if name in TOKEN_ROUTES or name.split(":")[0] not in NEWER_APPS:
            continue
        kwargs = {k: v for k, v in FACTORIES[name]().items() if not k.startswith("_")}
        for method in ("get", "post"):
            response = getattr(client, method)(reverse(name, kwargs=kwargs))
            # a GET-only page answers 405 to a POST for every id alike
            assert response.status_code in {404, 405}, f"{method.upper()} {name} {kwargs} → {response.status_code}"
        checked += 1
    for key, method, path in _api_routes(client):
        if key in TOKEN_ROUTES or path.split("/")[3] not in NEWER_APPS:
            continue
        response = _call_api(client, key, method, path)
        assert response.status_code == 404, f"{key} → {response.status_code} {response.content[:200]}"
        checked += 1
    assert checked >= 20
