"""Objects of 崇福镇 for the core and web URLs (see tests/jurisdiction.py)."""

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register


@register("web:region_detail", "GET /api/v1/regions/{code}")
def chongfu_region():
    return {"code": first_village(CHONGFU).code}


@register("POST /api/v1/regions/{code}/grids")
def chongfu_region_grid():
    return {"code": first_village(CHONGFU).code, "_body": {"name": "新网格"}}


@register("web:organisation_detail")
def chongfu_org_pk():
    from xiangzhi.core.models import Organisation

    return {"pk": Organisation.objects.filter(region__code__startswith=CHONGFU).first().pk}


@register("GET /api/v1/organisations/{org_id}")
def chongfu_org_id():
    return {"org_id": chongfu_org_pk()["pk"]}


def _chongfu_person():
    from xiangzhi.core import services

    return services.create_person(name="陆某", phone="13700000007", region=first_village(CHONGFU), actor=None)


@register("web:person_detail")
def chongfu_person_pk():
    return {"pk": _chongfu_person().pk}


@register("GET /api/v1/persons/{person_id}")
def chongfu_person_id():
    return {"person_id": _chongfu_person().pk}


@register("POST /api/v1/persons/{person_id}/reveal")
def chongfu_person_reveal():
    return {"person_id": _chongfu_person().pk, "_body": {"reason": "调解需要核实身份"}}


@register("web:revoke_api_token")
def chongfu_api_token():
    from tests.conftest import make_staff
    from xiangzhi.core import services
    from xiangzhi.core.models import ApiToken

    staff = make_staff("mediator_cf_api", "mediator", first_village(CHONGFU).code)
    services.issue_api_token(staff.user, name="崇福接口", actor=None)
    return {"pk": ApiToken.objects.get(name="崇福接口").pk}
