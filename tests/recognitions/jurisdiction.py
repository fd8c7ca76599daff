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


@register("recognitions:bank_check", "recognitions:bank_loan")
def chongfu_bank_check():
    """A check by a bank of 崇福镇 on a villager of 崇福镇: no one but that bank's officers opens it."""
    from django.utils import timezone

    from xiangzhi.core import services
    from xiangzhi.core.models import Region, User
    from xiangzhi.recognitions.models import BankCheck, ConsentCode

    rec = chongfu_recognition()
    bank = services.create_organisation(name=f"崇福测试银行{rec.pk}", kind="bank",
                                        region=Region.objects.get(code=CHONGFU), actor=None)
    citizen = User.objects.create(username=f"borrower{rec.pk}", kind="citizen")
    officer = User.objects.create(username=f"chongfu_bank{rec.pk}", kind="staff")
    now = timezone.now()
    consent = ConsentCode.objects.create(citizen=citizen, person=rec.person, code_hash=f"chongfu{rec.pk}",
                                         expires_at=now, used_at=now)
    check = BankCheck.objects.create(consent=consent, person=rec.person, bank=bank, officer=officer, eligible=False,
                                     outcome="none", masked_name="崇**", at=now)
    return {"pk": check.pk}
