"""研判 demo data: a realistic year of disputes (``disputes.demo_year``), so that the dashboards, the report and the
warnings have something to show. ``--cases N`` sets the size of the year (default 5,334, the county's figure)."""

from __future__ import annotations

from xiangzhi.core.demo import DemoContext


def build(ctx: DemoContext) -> None:
    from xiangzhi.disputes.demo_year import build_year

    from .services import run_warnings

    made = build_year(seed=ctx.seed, cases=ctx.options.get("cases"), say=ctx.say)
    if made:
        stats = run_warnings()
        ctx.say(f"风险预警：新增 {stats['opened']} 条，观察期 {stats['pending']} 条")
