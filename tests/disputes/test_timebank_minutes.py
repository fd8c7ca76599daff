"""时间银行 hook: a case closed after an agreement proposes the mediator's minutes (once per case, even if it is
reopened and closed again) when the mediator is a registered volunteer; nothing after 调解终止 or for a mediator who
is not a volunteer; a person other than the mediator verifies the minutes."""

from __future__ import annotations

import pytest

from tests.disputes.conftest import MON, new_case, walk_at
from xiangzhi.disputes.enums import CaseStage as S
from xiangzhi.disputes.services import transitions

pytestmark = pytest.mark.django_db


def _volunteer(persona, registrar):  # noqa: ANN001
    from xiangzhi.timebank.services.volunteers import register_volunteer

    return register_volunteer(name="调解员志愿者", kind="mediator", organisation=persona.organisation,
                              region=persona.region, user=persona.user, actor=registrar)


def _closed_after_agreement(mediator):  # noqa: ANN001
    case = walk_at(new_case(), S.AGREEMENT_ORAL, mediator.user, MON, agreement_text="李四于3月31日前拆除围墙")
    return transitions.transition(case, S.CLOSED, actor=mediator.user, reason="已履行", now=MON)


def test_a_successful_close_proposes_the_mediators_minutes_once(mediator, town_staff, settings):
    from xiangzhi.timebank.models import Activity
    from xiangzhi.timebank.services.activities import verify_activity

    settings.XIANGZHI_TIMEBANK_MEDIATION_MINUTES = 90
    _volunteer(mediator, town_staff.user)
    case = _closed_after_agreement(mediator)
    a = Activity.objects.get(source_key=f"disputes.case:{case.pk}")
    assert (a.kind, a.minutes, a.source, a.state, a.recorded_by) == ("mediation", 90, "platform", "proposed", None)
    assert case.number in a.title and a.link.endswith(f"/{case.pk}/")
    case = transitions.transition(case, S.REOPENED, actor=town_staff.user, reason="协议未履行")
    assert Activity.objects.filter(source_key=f"disputes.case:{case.pk}").count() == 1
    from xiangzhi.core.errors import Forbidden

    with pytest.raises(Forbidden):
        verify_activity(a, actor=mediator.user)
    assert verify_activity(a, actor=town_staff.user).transfer.amount == 90


def test_nothing_is_proposed_after_termination_or_for_a_non_volunteer(mediator, town_staff):
    from xiangzhi.timebank.models import Activity

    _closed_after_agreement(mediator)  # not a volunteer yet
    assert not Activity.objects.exists()
    _volunteer(mediator, town_staff.user)
    case = walk_at(new_case(), S.IN_MEDIATION, mediator.user, MON)
    case = transitions.transition(case, S.TERMINATED, actor=mediator.user, reason="当事人拒绝继续调解",
                                  details=transitions.details_for(S.TERMINATED, termination_reason="party_refuses"),
                                  now=MON)
    transitions.transition(case, S.CLOSED, actor=mediator.user, now=MON)
    assert not Activity.objects.exists()
