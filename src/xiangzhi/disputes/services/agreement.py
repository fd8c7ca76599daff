"""The written agreement (人民调解法 第28–29条): the parties' and the mediator's signatures, the committee seal, and
the moment it takes effect."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from xiangzhi.core.enums import UserKind
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import rules
from ..enums import (
    EventKind,
    Sex,
    SignatureMethod,
)
from ..models import (
    Case,
    Party,
    Seal,
    Signature,
)
from ..selectors import agreement_digest, agreement_signing, agreement_version, party_of
from .records import ToParties, record
from .transitions import Agree, agreement_particulars


def sign_as_party(case: Case, party: Party, *, actor: User, digest: str, confirmed: bool) -> Signature:
    """A party signs the written agreement for themselves (the status page or the API): only after confirming they
    have read it, and only the text they read: ``digest`` is the SHA-256 of the agreement shown to them, checked
    against the locked case, so an agreement changed in between is refused."""
    if not confirmed:
        raise ValidationFailed("CONFIRM_REQUIRED", "请先阅读协议全文并确认同意。")
    return sign_agreement(case, actor=actor, party=party, expected_digest=digest or "")


def sign_agreement(case: Case, *, actor: User, party: Party | None = None, as_mediator: bool = False,
                   method: str = SignatureMethod.HANDWRITTEN, expected_digest: str | None = None) -> Signature:
    """Record one signature on the written agreement — a party's (recorded by the mediator, or by the party itself
    online, through ``sign_as_party``) or the mediator's own. The agreement takes effect when every party and the
    mediator have signed and the committee seal is applied (人民调解法 第29条)."""
    if method not in SignatureMethod.values:
        raise ValidationFailed("INVALID_METHOD", "签名方式无效。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.agreement_signable(locked):
            raise Conflict("NOT_SIGNABLE", "只有待生效的书面协议可以签名。")
        digest = agreement_digest(locked)
        if expected_digest is not None and expected_digest != digest:
            raise Conflict("AGREEMENT_CHANGED", "协议内容已有变更，请重新阅读后再签名。")
        citizen_self = (actor.kind == UserKind.CITIZEN and party is not None and not as_mediator)
        if citizen_self:
            if not rules.party_can_sign(party_of(actor, locked), party, locked):
                raise XiangzhiError("FORBIDDEN", "只能本人签名。", status=403)
            method = SignatureMethod.ELECTRONIC
        elif not rules.can_sign_or_seal(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权为该协议记录签名。", status=403)
        if as_mediator:
            if not rules.can_sign_as_mediator(actor, locked):
                raise XiangzhiError("FORBIDDEN", "只有本案调解员本人可以作为调解员签名。", status=403)
            exists = Signature.objects.filter(case=locked, agreement_sha256=digest, mediator=actor).exists()
            sig_kwargs = {"mediator": actor}
            who = "调解员"
        else:
            if party is None or party.case_id != locked.pk:
                raise ValidationFailed("PARTY_REQUIRED", "请选择签名的当事人。")
            exists = Signature.objects.filter(case=locked, agreement_sha256=digest, party=party).exists()
            sig_kwargs = {"party": party}
            who = f"当事人{party.masked_name}"
        if exists:
            raise Conflict("ALREADY_SIGNED", f"{who}已经签过名。")
        sig = Signature.objects.create(case=locked, method=method, recorded_by=actor, agreement_sha256=digest,
                                       **sig_kwargs)
        record(locked, EventKind.SIGNATURE, {
            "signature": sig.pk, "party": party.pk if party and not as_mediator else None,
            "mediator": actor.pk if as_mediator else None, "method": method, "agreement_sha256": digest},
            actor=actor, action="case.signed",
            after={"signature": sig.pk, "party": party.pk if party else None, "mediator": as_mediator},
            text=f"{who}在协议上签名")
        _maybe_effective(locked, actor=actor)
    return sig


def apply_seal(case: Case, *, actor: User) -> Seal:
    """The committee seal on the written agreement (by the case's mediator or a supervisor)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.agreement_signable(locked):
            raise Conflict("NOT_SIGNABLE", "只有待生效的书面协议可以盖章。")
        if not rules.can_sign_or_seal(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权加盖印章。", status=403)
        if locked.organisation_id is None:
            raise Conflict("NO_ORGANISATION", "案件没有承办调解组织，无法盖章。")
        digest = agreement_digest(locked)
        if Seal.objects.filter(case=locked, agreement_sha256=digest).exists():
            raise Conflict("ALREADY_SEALED", "协议已经加盖印章。")
        seal = Seal.objects.create(case=locked, organisation_id=locked.organisation_id, applied_by=actor,
                                   agreement_sha256=digest)
        record(locked, EventKind.SEAL, {"seal": seal.pk, "organisation": locked.organisation_id,
                                        "agreement_sha256": digest},
               actor=actor, action="case.sealed", after={"organisation": locked.organisation_id},
               text="调解委员会已在协议上盖章")
        _maybe_effective(locked, actor=actor)
    return seal


def agreement_missing(case: Case) -> list[str]:
    """What the current version of the written agreement still lacks before it takes effect (for the case page):
    signatures and a seal on an earlier version of the text do not count (人民调解法 第29条)."""
    signing = agreement_signing(case)
    missing = [f"当事人{party.masked_name}签名" for party in case.parties.select_related("person")
               if party.pk not in signing.signed_parties]
    if not case.mediator_id or not signing.mediator_signed:
        missing.append("调解员签名")
    if not signing.sealed:
        missing.append("调解委员会印章")
    return missing


def _maybe_effective(case: Case, *, actor: User) -> None:
    if agreement_missing(case):
        return
    now = timezone.now()
    case.agreement_effective_at = now
    case.save(update_fields=["agreement_effective_at"])
    record(case, EventKind.AGREEMENT_EFFECTIVE, {"at": now.isoformat()}, actor=actor,
           action="case.agreement_effective", after=None, text="达成协议：各方签名、盖章齐全，协议生效",
           notify=[ToParties("的调解协议已生效", key="effective")])


def revise_agreement(case: Case, agreed: Agree, *, actor: User, reason: str = "") -> Case:
    """Edit the written agreement before it takes effect — what is agreed and its particulars (人民调解法 第29条):
    the edited text is a new version with a new digest (``selectors.agreement_digest``), so the signatures and the
    seal of the earlier version no longer count and every party, the mediator and the seal are needed again; the
    signed version stays as it was signed (its digest on the signatures, its content in the audit row's ``before``).
    By the case's mediator or a supervisor (``rules.can_revise_agreement``). Refusals: ``NOT_SIGNABLE``,
    ``FORBIDDEN``, ``AGREEMENT_REQUIRED``, ``AGREEMENT_UNCHANGED``. Side effects: the case row, the audit row, the
    timeline event with both digests (attested), an SMS to the parties."""
    text = (agreed.text or "").strip()
    if len(text) < 4:
        raise ValidationFailed("AGREEMENT_REQUIRED", "请填写协议内容（各方权利义务、履行方式和期限）。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.agreement_signable(locked):
            raise Conflict("NOT_SIGNABLE", "只有尚未生效的书面协议可以修改。")
        if not rules.can_revise_agreement(actor, locked):
            raise XiangzhiError("FORBIDDEN", "只有本案调解员或上级可以修改协议。", status=403)
        before_digest, before = agreement_digest(locked), agreement_version(locked)
        locked.agreement_text = text[:5000]
        fields = ["agreement_text", *agreement_particulars(locked, agreed)]
        if agreed.amount not in (None, ""):
            try:
                locked.agreement_amount = Decimal(str(agreed.amount)).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                raise ValidationFailed("INVALID_AMOUNT", "协议金额格式不正确。") from None
            if locked.agreement_amount < 0:
                raise ValidationFailed("INVALID_AMOUNT", "协议金额不能为负数。")
            fields.append("agreement_amount")
        after_digest = agreement_digest(locked)
        if after_digest == before_digest:
            raise Conflict("AGREEMENT_UNCHANGED", "协议内容没有变化。")
        locked.save(update_fields=fields)
        record(locked, EventKind.AGREEMENT_REVISED, {"from_sha256": before_digest, "agreement_sha256": after_digest},
               actor=actor, action="case.agreement_revised", before={**before, "parties": len(before["parties"])},
               after={"agreement_sha256": after_digest}, note=(reason or "").strip(),
               text="协议内容已修改，须各方重新签名、盖章", notify=[ToParties("的调解协议内容已修改，请重新阅读后签名", key=f"revised:{after_digest[:12]}")])
    return locked


def set_party_details(case: Case, party: Party, *, actor: User, sex: str = "", ethnicity: str = "",
                      occupation: str = "", address: str = "") -> Party:
    """当事人基本情况 for the written agreement (人民调解法 第29条): sex, ethnicity, occupation or work unit, address
    (ethnicity, occupation and the address are kept encrypted). By the staff who may revise the agreement or record
    sessions. A change to a party of a written agreement awaiting signatures makes a new version
    (``selectors.agreement_digest``). Side effects: the rows, the audit row (no personal data in it), a non-public
    timeline event."""
    if sex not in ("", *Sex.values):
        raise ValidationFailed("INVALID_SEX", "性别无效。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        row = Party.objects.select_for_update(of=("self",)).select_related("person").filter(pk=party.pk, case=locked).first()
        if row is None:
            raise ValidationFailed("PARTY_REQUIRED", "请选择本案当事人。")
        if not (rules.can_revise_agreement(actor, locked) or rules.can_record_session(actor, locked)):
            raise XiangzhiError("FORBIDDEN", "当前阶段您不能修改当事人基本情况。", status=403)
        row.sex, row.ethnicity, row.occupation = sex, (ethnicity or "").strip()[:20], (occupation or "").strip()[:120]
        row.save(update_fields=["sex", "ethnicity", "occupation"])
        if address.strip() and row.person_id:
            row.person.address = address.strip()[:200]
            row.person.save(update_fields=["address"])
        changed = [k for k, v in (("sex", sex), ("ethnicity", ethnicity), ("occupation", occupation),
                                  ("address", address)) if (v or "").strip()]
        record(locked, EventKind.PARTY_DETAILS, {"party": row.pk, "fields": changed}, actor=actor,
               action="case.party_details", public=False, text="更新了当事人基本情况")
    return row
