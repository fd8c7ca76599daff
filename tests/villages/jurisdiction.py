"""Objects of 崇福镇 for the 民主法治村 URLs (see tests/jurisdiction.py): a 崇福镇 village with a title and an open
county-level application, assessed against the county checklist."""

from __future__ import annotations

import datetime as dt

from tests.conftest import CHONGFU, first_village


def chongfu_application():
    """A 崇福镇 village holding the county title, applying for the Jiaxing title (rows made directly: the factory
    must not depend on a user)."""
    from xiangzhi.villages.enums import Stage
    from xiangzhi.villages.models import Application, CreationRecord, Indicator, Standard, Title

    village = first_village(CHONGFU)
    rec, _ = CreationRecord.objects.get_or_create(region=village, defaults={"stage": Stage.APPLIED,
                                                                           "highest_level": "county"})
    Title.objects.get_or_create(record=rec, level="county", state="held", defaults={"named_on": dt.date(2018, 1, 1)})
    std = Standard.objects.filter(level="city", is_active=True).first() or Standard.objects.create(
        name="嘉兴市级标准", level="city", pass_mark=80)
    if not std.indicators.exists():
        Indicator.objects.create(standard=std, position=1, area="民主", text="四议两公开", max_score=100)
    app = rec.applications.filter(state="submitted").first() or Application.objects.create(
        record=rec, level="city", standard=std)
    return app


def _register():
    from tests.jurisdiction import register

    @register("villages:record", "villages:archive")
    def chongfu_village_code():
        return {"code": first_village(CHONGFU).code}

    @register("villages:application")
    def chongfu_application_pk():
        return {"pk": chongfu_application().pk}

    @register("villages:evidence")
    def chongfu_evidence_pk():
        from xiangzhi.villages.models import Evidence, Plan, Task

        rec = chongfu_application().record
        plan = Plan.objects.create(record=rec, target_level="city", year_from=2025, year_to=2026, targets=["x"])
        task = Task.objects.create(plan=plan, title="任务")
        ev = Evidence.objects.create(task=task, file="evidence/none.png", original_name="a.png",
                                     content_type="image/png", size=1, sha256="0" * 64)
        return {"pk": ev.pk}

    @register("GET /api/v1/villages/records/{village_code}", "GET /api/v1/villages/records/{village_code}/archive")
    def chongfu_code_api():
        return {"village_code": first_village(CHONGFU).code}

    @register("POST /api/v1/villages/records/{village_code}/applications")
    def chongfu_apply_api():
        return {"village_code": first_village(CHONGFU).code, "_body": {"level": "county"}}

    @register("GET /api/v1/villages/applications/{application_id}")
    def chongfu_application_api():
        return {"application_id": chongfu_application().pk}

    @register("POST /api/v1/villages/applications/{application_id}/assessors")
    def chongfu_assessors_api():
        from xiangzhi.core.models import User

        return {"application_id": chongfu_application().pk, "_body": {"user_ids": [User.objects.order_by("pk")[0].pk]}}

    @register("POST /api/v1/villages/applications/{application_id}/scores")
    def chongfu_scores_api():
        app = chongfu_application()
        ind = app.standard.indicators.first()
        return {"application_id": app.pk, "_body": {"lines": [{"indicator_id": ind.pk, "score": 90}]}}

    @register("POST /api/v1/villages/applications/{application_id}/name")
    def chongfu_name_api():
        return {"application_id": chongfu_application().pk, "_body": {"named_on": "2026-11-01"}}

    @register("POST /api/v1/villages/titles/{title_id}/review")
    def chongfu_review_api():
        title = chongfu_application().record.titles.first()
        return {"title_id": title.pk, "_body": {"outcome": "keep", "reviewed_on": "2026-11-01"}}


_register()
