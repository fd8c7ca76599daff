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
