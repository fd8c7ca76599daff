"""Objects of 崇福镇 for the 研判 URLs (see tests/jurisdiction.py)."""

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register


def chongfu_warning():
    from xiangzhi.insights.models import RiskWarning

    village = first_village(CHONGFU)
    return RiskWarning.objects.create(kind="major_risk", key=f"test:{village.code}", region_code=village.code,
                                      title="崇福镇测试预警", state="open", reasons=["测试"])


@register("insights:acknowledge")
def chongfu_warning_pk():
    return {"pk": chongfu_warning().pk}


@register("POST /api/v1/insights/warnings/{pk}/ack")
def chongfu_warning_api():
    return {"pk": chongfu_warning().pk, "_body": {"note": "已处理"}}


@register("insights:case_flags")
def chongfu_case_flags():
    from tests.disputes.conftest import new_case

    case = new_case(region_code=first_village(CHONGFU).code, applicant_phone="13700000098")
    return {"pk": case.pk, "_body": {"prevented_criminal": "on", "prevented_criminal_people": "2"}}
