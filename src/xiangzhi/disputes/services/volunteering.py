"""时间银行 minutes for a mediation that ends in an agreement: when a case is closed after an agreement (from
回访 or an oral agreement; not after 调解终止), the time bank proposes minutes for the case's mediator if they are a
registered volunteer (``timebank.services.activities.propose_activity``, idempotent by ``disputes.case:<id>``, so a
case closed again after reopening proposes nothing new). A person other than the mediator verifies them there."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from xiangzhi.timebank.enums import ActivityKind
from xiangzhi.timebank.services.activities import propose_activity

from ..enums import CaseStage as S
from ..models import Case

AGREED_BEFORE_CLOSING = frozenset({S.FOLLOW_UP, S.AGREEMENT_ORAL})


def propose_mediation_minutes(case: Case, *, before: str, to: str):  # noqa: ANN201
    """Called by every stage move as it is recorded; acts only on a successful close of a saved case with a
    mediator and an organisation. Returns the proposed activity, or None."""
    if to != S.CLOSED or before not in AGREED_BEFORE_CLOSING or case.pk is None or not case.mediator_id \
            or not case.organisation_id or settings.XIANGZHI_TIMEBANK_MEDIATION_MINUTES <= 0:
        return None
    closed = timezone.localdate(case.closed_at) if case.closed_at else timezone.localdate()
    return propose_activity(source_key=f"disputes.case:{case.pk}", user=case.mediator, kind=ActivityKind.MEDIATION,
                            title=f"调解成功：案件 {case.number}", occurred_on=min(closed, timezone.localdate()),
                            minutes=settings.XIANGZHI_TIMEBANK_MEDIATION_MINUTES, organisation=case.organisation,
                            region=case.region, link=reverse("disputes:case", args=[case.pk]))
