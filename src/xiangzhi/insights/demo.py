"""研判 demo data: a realistic year of disputes (``disputes.demo_year``), so that the dashboards, the report and the
warnings have something to show.

``--cases N`` sets the number of cases of the year; by default the year holds the county's 5,334 successful
mediations, 70.83% of them by town and village organisations (``disputes.demo_year``; about 6,000 cases). Its first
cases go through the services, the rest through the bulk path that tests/insights/test_demo_year.py proves equal to
it.
"""

from __future__ import annotations

from typing import Any

from xiangzhi.core.demo import DemoContext
from xiangzhi.disputes import demo_year
from xiangzhi.disputes.models import Case


def planned_flags(plan: demo_year.Plan, case: Case) -> dict[str, Any]:
    """The report flags a demo case gets from its plan (协议已履行 only once its agreement is in effect)."""
    flags = dict(plan.flags)
    if case.agreement_effective_at is None:
        flags.pop("agreement_performed", None)
    return flags


def set_planned_flags(pairs: list[tuple[demo_year.Plan, Case]]) -> None:
    """The demo year's ``on_cases`` hook: the planned report flags of these cases, in one batch."""
    from .services import set_case_flags_many

    set_case_flags_many([(case, flags) for plan, case in pairs if (flags := planned_flags(plan, case))], actor=None)


def build_year(**options: Any) -> int:
    """``disputes.demo_year.build_year`` with the 研判 report flags of every case."""
    return demo_year.build_year(on_cases=set_planned_flags, **options)


def build(ctx: DemoContext) -> None:
    from .services import run_warnings

    made = build_year(seed=ctx.seed, cases=ctx.options.get("cases") or None, say=ctx.say)
    if made:
        stats = run_warnings()
        ctx.say(f"风险预警：新增 {stats['opened']} 条，观察期 {stats['pending']} 条")
        from .summary import sync

        ctx.say(f"研判汇总：{sync()} 件案件已汇总")
        ctx.say("研判看板：/insights/（大屏：/insights/wall/，统计表：/insights/report/）")
