"""e法贷: a villager's one-time consent code, a bank's eligibility check with it, and the loans banks record.

The bank learns only: eligible or not, the title, valid until, the masked name — and only with a live consent code
(short-lived, single use), which the villager makes on their phone. Every check is shown to the villager. A bank
records the loans it granted after an eligible check; it never sees another bank's."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, NotFound, ValidationFailed
from xiangzhi.core.models import Organisation, User

from .. import selectors
from ..enums import CERTIFIED_STATES, CheckOutcome, State
from ..models import BankCheck, ConsentCode, Loan, Recognition

# Unambiguous letters and digits (no 0/O, 1/I/L): 31^8 ≈ 8.5 × 10^11 codes, with rate limits on both sides.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_AMOUNT = Decimal("10000000")


def _hash(code: str) -> str:
    return crypto.blind_index(code, purpose="recognitions.consent")


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def create_consent(*, actor: User) -> tuple[str, ConsentCode]:
    """A villager lets one bank check their recognition once: a code valid for
    ``XIANGZHI_RECOGNITIONS_CONSENT_MINUTES``. Returns the code in clear (shown once) and its row.
    Side effects: the ConsentCode (only the code's keyed hash); audit."""
    if not core_rules.is_citizen(actor):
        raise NotFound
    core.check_rate(f"recognitions.consent:{actor.pk}", limit=10, window_seconds=3600)
    rec = selectors.recognitions_of_citizen(actor).first()
    if rec is None:
        raise ValidationFailed("NO_RECOGNITION", "没有找到您的法律明白人、法治带头人或学法用法示范户记录。")
    now = timezone.now()
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    with transaction.atomic():
        row = ConsentCode.objects.create(
            citizen=actor, person=rec.person, code_hash=_hash(code), created_at=now,
            expires_at=now + dt.timedelta(minutes=settings.XIANGZHI_RECOGNITIONS_CONSENT_MINUTES))
        core.audit("recognitions.consent_created", actor=actor, obj=row, region_code=rec.region.code,
                   after={"expires_at": row.expires_at.isoformat()})
    return code, row


def _eligible(person_id: int, today: dt.date) -> Recognition | None:
    return (Recognition.objects.filter(person_id=person_id, state__in=CERTIFIED_STATES, valid_until__gte=today)
            .order_by("-valid_until", "title").first())


def _outcome(person_id: int, today: dt.date) -> tuple[Recognition | None, str]:
    """The live title the check finds, or why there is none: the person's latest registered title was revoked, or it
    lapsed; else they never held one."""
    rec = _eligible(person_id, today)
    if rec is not None:
        return rec, CheckOutcome.ELIGIBLE
    latest = (Recognition.objects.filter(person_id=person_id, serial__isnull=False)
              .order_by("-valid_until", "-year", "-pk").first())
    if latest is None:
        return None, CheckOutcome.NONE
    return None, CheckOutcome.REVOKED if latest.state == State.REVOKED else CheckOutcome.EXPIRED


def check_eligibility(code: str, *, actor: User) -> BankCheck:
    """A bank officer checks a villager with their consent code. Any code that is unknown, expired or used answers
    the same refusal and tells nothing. Side effects: the code is used up; the BankCheck (what the bank was told);
    audit; the villager's notice."""
    bank = selectors.bank_of(actor)
    if bank is None:
        raise NotFound
    core.check_rate(f"recognitions.check:{bank.pk}", limit=120, window_seconds=3600)
    code = normalize_code(code)
    now = timezone.now()
    with transaction.atomic():
        consent = (ConsentCode.objects.select_for_update().select_related("person")
                   .filter(code_hash=_hash(code), used_at__isnull=True, expires_at__gt=now).first()
                   if len(code) == CODE_LENGTH else None)
        if consent is not None:
            check = _record_check(consent, bank=bank, actor=actor, now=now)
    if consent is None:  # logged outside the transaction that the refusal would roll back
        core.audit("recognitions.check_refused", actor=actor, obj=bank, note="授权码无效、已使用或已过期")
        raise ValidationFailed("CONSENT_INVALID", "授权码无效、已使用或已过期，请村民在手机上重新生成。")
    return check


def _record_check(consent: ConsentCode, *, bank: Organisation, actor: User, now: dt.datetime) -> BankCheck:
    consent.used_at = now
    consent.save(update_fields=["used_at"])
    rec, outcome = _outcome(consent.person_id, timezone.localdate())
    check = BankCheck.objects.create(
        consent=consent, person=consent.person, bank=bank, officer=actor, recognition=rec,
        eligible=rec is not None, outcome=outcome, title=rec.title if rec else "", valid_until=rec.valid_until if rec else None,
        masked_name=consent.person.masked_name, at=now)
    core.audit("recognitions.bank_checked", actor=actor, obj=check, region_code=rec.region.code if rec else "",
               after={"bank": bank.pk, "eligible": check.eligible, "outcome": outcome, "title": check.title,
                      "serial": rec.serial if rec else None})
    core.notify_users_once([core.Message(
        user=consent.citizen, subject="e法贷资格核验",
        body=f"{bank.name}于{timezone.localtime(now):%Y-%m-%d %H:%M}使用您的授权码核验了e法贷资格，"
             f"结果：{'符合' if check.eligible else '不符合'}。",
        link="/recognitions/me/", dedupe_key=f"recognitions:check:{check.pk}")])
    return check


def record_loan(check: BankCheck, *, amount: str | Decimal, rate_discount: str | Decimal, granted_on: dt.date,
                actor: User) -> Loan:
    """A bank records a loan it granted after one of its own eligible checks (one loan per check).
    Side effects: the Loan; audit."""
    check = selectors.access_bank_check(actor, check.pk)
    try:
        amount, rate_discount = Decimal(str(amount)), Decimal(str(rate_discount))
    except InvalidOperation:
        raise ValidationFailed("INVALID_AMOUNT", "金额和利率优惠应为数字。") from None
    if not Decimal(0) < amount <= MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed("INVALID_AMOUNT", f"金额应大于 0、不超过 {MAX_AMOUNT} 元，最多两位小数。")
    if not Decimal(0) <= rate_discount <= Decimal(10) or rate_discount != rate_discount.quantize(Decimal("0.01")):
        raise ValidationFailed("INVALID_DISCOUNT", "利率优惠应在 0–10 个百分点之间，最多两位小数。")
    if granted_on > timezone.localdate() or granted_on < timezone.localtime(check.at).date():
        raise ValidationFailed("INVALID_DATE", "放款日期应在核验之后、不晚于今天。")
    if not check.eligible:
        raise Conflict("NOT_ELIGIBLE", "该次核验结果为不符合条件，不能登记e法贷。")
    with transaction.atomic():
        BankCheck.objects.select_for_update().filter(pk=check.pk).first()
        if Loan.objects.filter(check_row=check).exists():
            raise Conflict("ALREADY_RECORDED", "该次核验已登记过放款。")
        loan = Loan.objects.create(check_row=check, bank=check.bank, amount=amount, rate_discount=rate_discount,
                                   granted_on=granted_on, recorded_by=actor)
        core.audit("recognitions.loan_recorded", actor=actor, obj=loan,
                   after={"bank": check.bank_id, "amount": str(amount), "rate_discount": str(rate_discount),
                          "granted_on": granted_on.isoformat()})
    return loan


def prune_consent_codes(*, now: dt.datetime | None = None) -> int:
    """Remove consent codes that expired unused a day ago or more (a used code stays: its check refers to it).
    Side effects: deletes those rows."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=1)
    deleted, _ = ConsentCode.objects.filter(used_at__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
