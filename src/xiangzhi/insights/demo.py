"""研判 demo data: a realistic year of disputes (``disputes.demo_year``), so that the dashboards, the report and the
warnings have something to show.

``--cases N`` sets the size of the year. Without it the demo year has DEFAULT_CASES cases, not the county's 5,334:
on a 2-core machine the regions, organisations and the 30 service-built cases of the disputes demo already take
about 80 seconds, and the year is written at roughly 30 ms a case (bulk path), so 1,500 cases keep ``xiangzhi demo``
near two minutes. The full year: ``xiangzhi shell -c "from xiangzhi.disputes.demo_year import build_year;
build_year(seed=42)"`` (5,334 cases, about three minutes more), or ``--cases 5334``.
"""

from __future__ import annotations

from xiangzhi.core.demo import DemoContext

DEFAULT_CASES = 1500


def build(ctx: DemoContext) -> None:
    from xiangzhi.disputes.demo_year import build_year

    from .services import run_warnings

    made = build_year(seed=ctx.seed, cases=ctx.options.get("cases") or DEFAULT_CASES, say=ctx.say)
    if made:
        stats = run_warnings()
        ctx.say(f"风险预警：新增 {stats['opened']} 条，观察期 {stats['pending']} 条")
        ctx.say("研判看板：/insights/（大屏：/insights/wall/，统计表：/insights/report/）")
