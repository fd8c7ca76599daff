"""Objects of 崇福镇 for the recognitions URLs (see tests/jurisdiction.py): a nomination in a village of 崇福镇."""

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register, token_route

# The verify page and the certificate files are addressed by the signed statement itself; the public notice (公示)
# is public by design (anyone reads it, a signed-in villager objects).
token_route("recognition_verify", "recognitions:certificate_png", "recognitions:certificate_pdf",
            "recognitions:object")


def chongfu_recognition():
    from django.utils import timezone

    from xiangzhi.core.models import Person
    from xiangzhi.recognitions.models import Recognition

    village = first_village(CHONGFU)
    person = Person.objects.create(name="崇福村民", region=village)
    return Recognition.objects.create(person=person, title="understander", year=timezone.localdate().year,
                                      region=village, source="village", reason="崇福镇的提名")


@register("recognitions:detail", "recognitions:step", "recognitions:training")
def chongfu_recognition_pk():
    return {"pk": chongfu_recognition().pk}


@register("recognitions:answer")
def chongfu_objection():
    from xiangzhi.core.models import User
    from xiangzhi.recognitions.models import Objection

    rec = chongfu_recognition()
    citizen = User.objects.create(username=f"objector{rec.pk}", kind="citizen")
    objection = Objection.objects.create(recognition=rec, phase="in_notice", text="有异议", raised_by=citizen)
    return {"pk": rec.pk, "objection_id": objection.pk}
