"""Objects of 崇福镇 for the network URLs (see tests/jurisdiction.py): a terminal of a 崇福镇 village."""

from tests.conftest import CHONGFU
from tests.jurisdiction import register, token_route

# A village's and a site's public pages (the 有法码) and the tap that shows the adviser's mobile are public by design:
# whom a villager can turn to (the mobile itself is rate-limited and logged, tested in test_public_pages.py).
token_route("network:village", "network:reveal", "network:site")


@register("network:rotate_token")
def chongfu_terminal_pk():
    from xiangzhi.core.models import Region
    from xiangzhi.network.models import Terminal
    from xiangzhi.network.services import terminals

    village = Region.objects.filter(level="village", code__startswith=CHONGFU).order_by("code").first()
    terminal, _raw = terminals.register_terminal(village, code=f"T-CF-J{Terminal.objects.count()}", name="崇福终端",
                                                 kind="all_in_one", actor=None)
    return {"pk": terminal.pk}


@register("PUT /api/v1/network/villages/{code}/adviser", "DELETE /api/v1/network/villages/{code}/adviser")
def chongfu_village_code():
    from xiangzhi.core.models import Organisation, Region
    from xiangzhi.network.models import Adviser
    from xiangzhi.network.services import directory

    village = Region.objects.filter(level="village", code__startswith=CHONGFU).order_by("code").first()
    adviser = Adviser.objects.filter(is_active=True).first() or directory.create_adviser(
        name="崇福顾问", firm=Organisation.objects.filter(kind="law_firm").first(), actor=None)
    directory.assign_adviser(village, adviser, actor=None)
    return {"code": village.code, "_body": {"adviser_id": adviser.pk}}


@register("network:youfa_code")
def chongfu_village_code_page():
    from xiangzhi.core.models import Region

    return {"code": Region.objects.filter(level="village", code__startswith=CHONGFU).order_by("code").first().code}
