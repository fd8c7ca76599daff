"""研判 demo data: a realistic year of disputes (``disputes.demo_year``), so that the dashboards, the report and the
warnings have something to show.

``--cases N`` sets the size of the year; the default is the county's 5,334 (measured: the whole ``xiangzhi demo
--no-serve`` takes about 76 s on 2 cores, the year itself about 45 s: its first cases go through the services, the
rest through the bulk path that tests/insights/test_demo_year.py proves equal to it).
"""

from __future__ import annotations

from xiangzhi.core.demo import DemoContext

DEFAULT_CASES = 5334


def build(ctx: DemoContext) -> None:
    from xiangzhi.disputes.demo_year import build_year

    from .services import run_warnings

    made = build_year(seed=ctx.seed, cases=ctx.options.get("cases") or DEFAULT_CASES, say=ctx.say)
    if made:
        stats = run_warnings()
        ctx.say(f"风险预警：新增 {stats['opened']} 条，观察期 {stats['pending']} 条")
        from .summary import sync

        ctx.say(f"研判汇总：{sync()} 件案件已汇总")
        ctx.say("研判看板：/insights/（大屏：/insights/wall/，统计表：/insights/report/）")
