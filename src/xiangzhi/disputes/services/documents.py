"""Documents out of a case: ``download`` (a GET), ``generate`` (a POST that issues the document) and the case file
``casefile`` (一案一卷). The documents themselves are built by ``disputes.documents`` and ``disputes.casefile``;
here is who gets them, with what personal data, and what is recorded.

- ``download`` changes nothing on the case: one audit row (attested like every audit row) and, for full personal data,
  the access-log rows of the reveal.
- ``generate`` (staff who work the case) issues the document: the audit row and a case event carrying the document's
  SHA-256, which the ledger attests, so the copy handed to a party or a court can later be proven to be the one the
  platform issued. The agreement and the judicial application are issued only with full personal data (a masked copy
  cannot be signed or filed), so only with the personal-data right and a reason.
- ``disclose``: the parties in full only under the reveal's rule (``core.services.reveal_personal_data``).
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import User

from .. import casefile as casefiles
from .. import rules, selectors
from ..documents import BUILDERS, FULL_DATA_KINDS, KINDS, MASKED, PER_PARTY_KINDS, Disclosure, render
from ..enums import EventKind
from ..models import Case, Party
from .records import record


def disclose(case: Case, *, actor: User | None, reason: str) -> Disclosure:
    """The case's parties in full for a document — the reveal's rule: a role with the personal-data right and a
    reason; each party's disclosure writes its personal-data access-log row. Without the right or without a reason:
    ``MASKED`` (nothing logged, nothing disclosed)."""
    reason = (reason or "").strip()
    if not reason or actor is None or not core_rules.can_view_personal_data(actor):
        return MASKED
    people = {}
    for p in case.parties.select_related("person").filter(person__isnull=False).order_by("order", "id"):
        people[p.person_id] = core.reveal_personal_data(p.person, actor=actor, reason=reason,
                                                        fields=("name", "id_number", "phone", "address"))
    return Disclosure(people, reason)


def addressed_to(case: Case, kind: str, party_id: int | None) -> Party | None:
    """The party a per-party document (the 权利义务告知书) is made out to: one of the case's parties, or None for
    the general form; ``INVALID_PARTY`` for another case's party or a kind that is not per party."""
    if party_id is None:
        return None
    party = case.parties.filter(pk=party_id).select_related("person").first() if kind in PER_PARTY_KINDS else None
    if party is None:
        raise ValidationFailed("INVALID_PARTY", "该文书不能按当事人生成，或该当事人不属于本案。", {"party": party_id})
    return party


def offered(case: Case) -> list[str]:
    """The document kinds that fit the case as it stands (``rules.document_applies``), in the order of ``KINDS``: what
    the case page and the API offer."""
    facts = selectors.document_facts(case)
    return [kind for kind in KINDS if rules.document_applies(kind, case, facts)]


def check_applies(case: Case, kind: str) -> None:
    """Refuse a document that does not fit the case (``DOCUMENT_NOT_APPLICABLE``): a settled case has no 终止调解告知书,
    a case without a written agreement no 协议书, no 司法确认申请书 without an application."""
    if not rules.document_applies(kind, case, selectors.document_facts(case)):
        raise Conflict("DOCUMENT_NOT_APPLICABLE", f"本案当前情况不适用《{KINDS[kind]}》。",
                       {"kind": kind, "offered": offered(case)})


def download(case: Case, kind: str, *, actor: User, reason: str = "", party: Party | None = None) -> bytes:
    """A document for a GET: changes nothing on the case. Personal data in full only through ``disclose`` (the
    reveal's rule and its access-log rows); otherwise masked.

    Side effects: one audit row ``case.document_downloaded`` (kind, SHA-256, full or masked), attested in the ledger
    like every audit row; the reveal's access-log rows when personal data are disclosed."""
    if kind not in BUILDERS:
        raise KeyError(kind)
    check_applies(case, kind)
    with transaction.atomic():
        disclosure = disclose(case, actor=actor, reason=reason) if kind in FULL_DATA_KINDS else MASKED
        data = render(case, kind, disclosure, party=party)
        core.audit("case.document_downloaded", actor=actor, obj=case, region_code=case.region_code,
                   after={"kind": kind, "sha256": hashlib.sha256(data).hexdigest(),
                          "personal_data": "full" if disclosure.full else "masked",
                          **({"party": party.pk} if party is not None else {})},
                   note=disclosure.reason)
    return data


def generate(case: Case, kind: str, *, actor: User, reason: str = "", party: Party | None = None) -> bytes:
    """Issue a document (a POST): staff who work the case (``rules.can_issue_document``). The agreement and the
    judicial application are issued only with the parties' data in full (a masked copy cannot be signed or filed), so
    only by a role with the personal-data right and with a reason.

    Side effects: the reveal's access-log rows; an audit row ``case.document_generated``; a case event carrying the
    document's SHA-256, which the ledger attests (区块链存证), so the copy handed to a party or a court can later be
    proven to be the one the platform issued."""
    if kind not in BUILDERS:
        raise KeyError(kind)
    if not rules.can_issue_document(actor, case):
        raise XiangzhiError("FORBIDDEN", "您无权签发该案件的文书。", status=403)
    check_applies(case, kind)
    if kind in FULL_DATA_KINDS:
        if not rules.can_issue_kind(actor, case, full_data=True):
            raise XiangzhiError("PERSONAL_DATA_FORBIDDEN", "签发此文书须载明当事人完整个人信息，您的角色无权查看。",
                                status=403)
        if len((reason or "").strip()) < 2:
            raise ValidationFailed("REASON_REQUIRED", "签发此文书须载明当事人完整个人信息，请填写查看事由。")
    with transaction.atomic():
        disclosure = disclose(case, actor=actor, reason=reason) if kind in FULL_DATA_KINDS else MASKED
        data = render(case, kind, disclosure, party=party)
        digest = hashlib.sha256(data).hexdigest()
        to = {"party": party.pk} if party is not None else {}
        record(case, EventKind.DOCUMENT, {"document": kind, "title": KINDS[kind], "sha256": digest, "size": len(data),
                                          **to},
               actor=actor, action="case.document_generated",
               after={"kind": kind, "sha256": digest, "personal_data": "full" if disclosure.full else "masked", **to},
               note=disclosure.reason,
               text=f"生成{KINDS[kind]}" + (f"（{party.get_role_display()}{party.masked_name}）" if party else ""))
    return data


def casefile(case: Case, *, actor: User, reason: str = "") -> bytes:
    """The case file as a ZIP (``disputes.casefile``). Changes nothing on the case: one audit row
    ``case.casefile_built`` and, when the file holds documents with personal data and the reveal's rule allows it, the
    access-log rows of the reveal; otherwise every document in it is masked."""
    with transaction.atomic():
        disclosure = disclose(case, actor=actor, reason=reason) if casefiles.wants_personal_data(case) else MASKED
        data, files = casefiles.build(case, disclosure)
        core.audit("case.casefile_built", actor=actor, obj=case, region_code=case.region_code,
                   after={"files": files, "personal_data": "full" if disclosure.full else "masked"},
                   note=disclosure.reason)
    return data
