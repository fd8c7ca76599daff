"""/api/v1/recognitions: the county's public key and the signed revocation list (public), the holders of the
caller's jurisdiction, and e法贷 for banks (the check with a villager's consent code, the loans a bank recorded, the
totals). Parse → service/selector → schema; no business rules here."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Query, Router

from xiangzhi.core import rules as core_rules
from xiangzhi.core.api_auth import PUBLIC
from xiangzhi.core.idempotency import idempotent
from xiangzhi.core.pagination import PageIn, page_of, paginate
from xiangzhi.core.schemas import ErrorOut

from . import certificates, rules, selectors, signatures
from .enums import Title
from .models import BankCheck, Loan, Recognition
from .schemas import (
    EfadaiCheckIn,
    EfadaiCheckOut,
    EfadaiLoanIn,
    EfadaiLoanOut,
    EfadaiTotalOut,
    RecognitionHolderOut,
    RecognitionPublicKeyOut,
    RecognitionRevocationsOut,
)
from .services import efadai

router = Router(tags=["recognitions 法律明白人与e法贷"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}
TITLES = dict(Title.choices)


@router.get("/public-key", auth=None, openapi_extra=PUBLIC, response={200: RecognitionPublicKeyOut, **ERRORS},
            summary="证书核验公钥（Ed25519，32 字节原始公钥的标准 base64）")
def public_key(request: HttpRequest):  # noqa: ARG001
    return {"algorithm": "Ed25519", "public_key": signatures.public_key_b64()}


@router.get("/revocations", auth=None, openapi_extra=PUBLIC, response={200: RecognitionRevocationsOut, **ERRORS},
            summary="已签名的证书撤销名单")
def revocations(request: HttpRequest):  # noqa: ARG001
    return certificates.revocation_list()


def _holder_out(rec: Recognition) -> dict:
    return {"id": rec.pk, "serial": rec.serial, "title": rec.title, "title_label": str(TITLES[rec.title]),
            "year": rec.year, "region_code": rec.region.code, "region_name": rec.region.display_name,
            "masked_name": rec.person.masked_name, "valid_until": rec.valid_until, "state": rec.state,
            "state_label": str(rec.get_state_display()), "certificate_url": certificates.certificate_url(rec)}


@router.get("/holders", response={200: page_of(RecognitionHolderOut), **ERRORS},
            summary="本辖区的法律明白人、法治带头人、学法用法示范户（姓名脱敏）")
def holders(request: HttpRequest, page: Query[PageIn], year: int | None = None):
    qs = selectors.holders_visible_to(request.auth)
    if year is not None:
        qs = qs.filter(year=year)
    return paginate(request, qs, page, _holder_out)


# --- e法贷 ---------------------------------------------------------------------------------------------------------
def _check_out(check: BankCheck) -> dict:
    return {"check_id": check.pk, "eligible": check.eligible, "title": check.title or None,
            "title_label": str(TITLES[check.title]) if check.title else None, "valid_until": check.valid_until,
            "masked_name": check.masked_name, "outcome": check.outcome or None,
            "outcome_label": str(check.get_outcome_display()) if check.outcome else None}


def _loan_out(loan: Loan) -> dict:
    check = loan.check_row
    return {"id": loan.pk, "check_id": check.pk, "bank": loan.bank.name, "amount": loan.amount,
            "rate_discount": loan.rate_discount, "granted_on": loan.granted_on, "title": check.title,
            "masked_name": check.masked_name}


@router.post("/efadai/check", response={200: EfadaiCheckOut, **ERRORS},
             summary="银行核验e法贷资格（须村民的一次性授权码；只答是否符合、类别、有效期、脱敏姓名）")
def check(request: HttpRequest, payload: EfadaiCheckIn):
    return _check_out(efadai.check_eligibility(payload.code, actor=request.auth))


@router.post("/efadai/loans", response={200: EfadaiLoanOut, **ERRORS}, summary="银行登记已发放的e法贷")
@idempotent
def record_loan(request: HttpRequest, payload: EfadaiLoanIn):
    user = request.auth
    check_row = selectors.access_bank_check(user, payload.check_id)
    loan = efadai.record_loan(check_row, amount=payload.amount, rate_discount=payload.rate_discount,
                              granted_on=payload.granted_on, actor=user)
    return _loan_out(loan)


@router.get("/efadai/loans", response={200: page_of(EfadaiLoanOut), **ERRORS}, summary="本行登记的e法贷")
def loans(request: HttpRequest, page: Query[PageIn]):
    if selectors.bank_of(request.auth) is None:
        raise Http404
    return paginate(request, selectors.loans_visible_to(request.auth), page, _loan_out)


@router.get("/efadai/totals", response={200: page_of(EfadaiTotalOut), **ERRORS},
            summary="e法贷汇总：县级看各银行合计，银行只看本行")
def totals(request: HttpRequest, page: Query[PageIn]):
    user = request.auth
    if not (core_rules.is_staff_member(user) and (selectors.bank_of(user) is not None
                                                  or rules.can_see_loan_totals(core_rules.roles_of(user)))):
        raise Http404
    return paginate(request, selectors.loan_totals(user), page)
