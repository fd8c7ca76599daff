"""Villagers' and everyone's side (mobile first): the verify page a certificate's QR code opens (valid, revoked,
expired or forged), the certificate files, the public notices (公示) with the objection form, and a villager's own
page (their recognitions, the e法贷 consent code, every bank check made with it). Thin: selectors read, services
write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import citizen_required, public
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Region

from .. import certificates, selectors
from ..enums import Title
from ..services import efadai, selection

STATUS_TEXT = {
    "valid": ("有效", "该证书由桐乡市司法局签发，签名核验通过，目前有效。"),
    "revoked": ("已撤销", "该证书签名真实，但已被撤销，不再有效。"),
    "expired": ("已过期", "该证书签名真实，但已超过有效期。"),
    "forged": ("伪造或已被篡改", "该二维码内容未通过桐乡市司法局公钥的签名核验，请勿采信。"),
}


@public
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """/r/<statement>.<signature>: what a scanned certificate says, checked against the county's key."""
    verdict = certificates.verify_token(token)
    label, text = STATUS_TEXT[verdict.status]
    code = str(verdict.statement.get("r") or "") if verdict.statement else ""
    response = render(request, "recognitions/verify.html", {
        "verdict": verdict, "label": label, "text": text, "token": token,
        "place": core_selectors.place_names([code]).get(code, "") if code else "",
        "downloadable": verdict.status == "valid"}, status=200)
    response["Cache-Control"] = "no-store"
    return response


def _valid_holder(token: str):  # noqa: ANN202
    verdict = certificates.verify_token(token)
    if verdict.status != "valid":
        raise Http404
    rec = selectors.holder_by_serial(verdict.statement["s"])
    if rec is None or certificates.token_of(rec) != token:
        raise Http404
    return rec


@public
@require_GET
def certificate_png(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    rec = _valid_holder(token)
    response = HttpResponse(certificates.certificate_png(rec), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="certificate-{rec.serial}.png"'
    return response


@public
@require_GET
def certificate_pdf(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    rec = _valid_holder(token)
    response = HttpResponse(certificates.certificate_pdf(rec), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{rec.serial}.pdf"'
    return response


@public
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    """The public notices (公示) running now, masked names only."""
    return render(request, "recognitions/notices.html", {
        "items": selectors.public_notices()[:200], "is_citizen": core_rules.is_citizen(request.user)})


@citizen_required
@require_POST
def object_to(request: HttpRequest, pk: int) -> HttpResponse:
    rec = selectors.access_public_notice(pk)
    try:
        selection.raise_objection(rec, text=request.POST.get("text", ""), actor=request.user)
        messages.success(request, "异议已提交，乡镇司法所将答复您。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("recognitions:notices")


@citizen_required
def me(request: HttpRequest) -> HttpResponse:
    """A villager's recognitions, the consent code for a bank (made on POST, shown once) and every bank check."""
    code = None
    if request.method == "POST":
        try:
            code, consent = efadai.create_consent(actor=request.user)
            messages.success(request, "授权码已生成，请当面告诉银行工作人员；只能使用一次。")
        except XiangzhiError as exc:
            messages.error(request, exc.message)
            consent = None
    else:
        consent = None
    recs = list(selectors.recognitions_of_citizen(request.user))
    villages = Region.objects.filter(level=RegionLevel.VILLAGE, is_active=True).select_related("parent").order_by("code")
    return render(request, "recognitions/me.html", {
        "recs": [(r, certificates.certificate_url(r) if r.serial and r.is_certified else None) for r in recs],
        "code": code, "consent": consent, "minutes": settings.XIANGZHI_RECOGNITIONS_CONSENT_MINUTES, "checks": selectors.checks_of_citizen(request.user)[:100],
        "titles": Title.choices, "villages": villages, "year": timezone.localdate().year})


@citizen_required
@require_POST
def nominate_self(request: HttpRequest) -> HttpResponse:
    """A villager nominates themself (自荐): the town's justice office reviews it like any nomination."""
    region = Region.objects.filter(level=RegionLevel.VILLAGE, code=request.POST.get("region", "")).first()
    try:
        if region is None:
            raise XiangzhiError("NOT_A_VILLAGE", "请选择您所在的村（社区）。")
        selection.nominate(selection.Nominee(name=request.POST.get("name", ""),
                                             id_number=request.POST.get("id_number", "")),
                           title=request.POST.get("title", ""), year=timezone.localdate().year, region=region,
                           reason=request.POST.get("reason", ""), actor=request.user)
        messages.success(request, "自荐已提交，乡镇司法所审查后将进行公示。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("recognitions:me")
