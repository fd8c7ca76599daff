"""Objects of 崇福镇 for the 合法性审查 URLs (see tests/jurisdiction.py): a normative document submitted by 崇福镇's
justice office and assigned to a 崇福镇 lawyer."""

from tests.conftest import CHONGFU, make_staff
from tests.jurisdiction import register


def chongfu_submission():
    from xiangzhi.core.models import Region
    from xiangzhi.legality.services import review, submissions

    staff = make_staff("sfs_cf", "town_staff", CHONGFU, {"region__code": CHONGFU, "kind": "justice_office"})
    lawyer = make_staff("lawyer_cf", "lawyer", CHONGFU, {"kind": "law_firm"})
    sub = submissions.submit(region=Region.objects.get(code=CHONGFU), kind="normative", title="崇福镇文件",
                             text="第一条 崇福镇文件正文。", actor=staff.user)
    return review.assign(sub, reviewers=[lawyer.user], actor=staff.user)


@register("legality:submission")
def chongfu_submission_pk():
    return {"pk": chongfu_submission().pk}


@register("GET /api/v1/legality/submissions/{submission_id}")
def chongfu_submission_id():
    return {"submission_id": chongfu_submission().pk}


@register("POST /api/v1/legality/submissions/{submission_id}/assign")
def chongfu_assign():
    sub = chongfu_submission()
    return {"submission_id": sub.pk, "_body": {"reviewer_ids": list(sub.reviewers.values_list("pk", flat=True))}}


@register("POST /api/v1/legality/submissions/{submission_id}/opinion")
def chongfu_opinion():
    sub = chongfu_submission()
    return {"submission_id": sub.pk, "_body": {"digest": sub.versions.get().digest, "conclusion": "lawful",
                                               "reasons": "合法", "citations": ["民法典-1079"]}}


@register("POST /api/v1/legality/submissions/{submission_id}/revise")
def chongfu_revise():
    return {"submission_id": chongfu_submission().pk, "_body": {"text": "第一条 修改后的正文。"}}


@register("POST /api/v1/legality/submissions/{submission_id}/issue")
def chongfu_issue():
    sub = chongfu_submission()
    return {"submission_id": sub.pk, "_body": {"digest": sub.versions.get().digest}}
