"""Races on PostgreSQL (threads, each on its own connection): the members of a panel giving their opinion at the same
instant — exactly one opinion per version, the others refused; an issue racing a revision — the document is never
issued with a text that was not reviewed."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection

from tests.conftest import COUNTY, make_staff
from tests.legality.conftest import assigned, opine
from xiangzhi.core.errors import XiangzhiError

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL=postgres://…) for truly concurrent writers"),
    pytest.mark.django_db(transaction=True),
]


def _race(targets) -> list:  # noqa: ANN001
    barrier = threading.Barrier(len(targets))
    outcomes: list = [None] * len(targets)

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = targets[i]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_a_panel_answering_at_once_gives_one_opinion(tongxiang, town_staff, law_articles):
    from xiangzhi.legality.models import Opinion

    panel = [make_staff(f"adviser{i}", "lawyer", COUNTY, {"kind": "law_firm"}).user for i in range(8)]
    sub = assigned(town_staff.user, panel)
    outcomes = _race([lambda u=u: opine(sub, u) for u in panel])
    won = [o for o in outcomes if isinstance(o, Opinion)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, XiangzhiError) and o.code == "NOT_UNDER_REVIEW" for o in outcomes if o not in won)
    assert Opinion.objects.filter(submission=sub).count() == 1


def test_an_issue_racing_a_revision_never_issues_an_unreviewed_text(tongxiang, town_staff, lawyer, law_articles):
    from xiangzhi.legality.models import Opinion, Submission
    from xiangzhi.legality.services import submissions

    for round_ in range(5):
        sub = assigned(town_staff.user, [lawyer.user], title=f"第{round_}轮")
        opine(sub, lawyer.user)
        _race([lambda s=sub: submissions.issue(s, actor=town_staff.user),
               lambda s=sub, r=round_: submissions.revise(s, text=f"第一条 第{r}轮修改。", actor=town_staff.user)])
        sub = Submission.objects.get(pk=sub.pk)
        if sub.state == "issued":
            assert Opinion.objects.filter(submission=sub, version__number=sub.version, conclusion="lawful").exists()
            assert sub.version == 1
        else:
            assert sub.state == "under_review" and sub.version == 2
