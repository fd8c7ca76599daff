"""Cases of 崇福镇 for every parameterised disputes URL (see tests/jurisdiction.py).

The party pages (``disputes:status`` …) are addressed by the case's unguessable public token: public by design, and
tested in tests/disputes for what an outsider may see there.
"""

import datetime as dt

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register, token_route

token_route("disputes:status", "disputes:party_action", "disputes:feedback", "disputes:qr_png", "disputes:qr_svg",
            "disputes:slip")
# the party's own agreement and signature: token + the party's phone session (tests/disputes/test_party_sign.py)
token_route("GET /api/v1/cases/party/{token}/agreement", "POST /api/v1/cases/party/{token}/signature")


def _chongfu_case():
    from tests.disputes.conftest import new_case

    return new_case(region_code=first_village(CHONGFU).code, applicant_phone="13700000099")


@register("disputes:case", "disputes:case_action", "disputes:staff_slip", "disputes:casefile")
def chongfu_case_pk():
    return {"pk": _chongfu_case().pk}


@register("GET /api/v1/cases/{case_id}", "GET /api/v1/cases/{case_id}/attachments",
          "GET /api/v1/cases/{case_id}/sessions", "POST /api/v1/cases/{case_id}/confirm",
          "POST /api/v1/cases/{case_id}/seal")
def chongfu_case_id():
    return {"case_id": _chongfu_case().pk}


@register("POST /api/v1/cases/{case_id}/transitions")
def chongfu_case_transition():
    return {"case_id": _chongfu_case().pk, "_body": {"to": "accepted", "reason": "受理"}}


@register("POST /api/v1/cases/{case_id}/text-numbers/reveal")
def chongfu_case_text_numbers():
    return {"case_id": _chongfu_case().pk, "_body": {"reason": "调解需要联系当事人"}}


@register("POST /api/v1/cases/{case_id}/triage")
def chongfu_case_triage():
    return {"case_id": _chongfu_case().pk, "_body": {"type_code": "neighbour", "reason": "更正"}}


@register("POST /api/v1/cases/{case_id}/sessions")
def chongfu_case_session():
    return {"case_id": _chongfu_case().pk, "_body": {
        "held_at": dt.datetime(2026, 11, 1, 9, 0).isoformat(), "place": "村委会", "attendees": "双方", "summary": "双方陈述意见"}}


@register("POST /api/v1/cases/{case_id}/signatures")
def chongfu_case_signature():
    return {"case_id": _chongfu_case().pk, "_body": {"as_mediator": True}}


@register("POST /api/v1/cases/{case_id}/attachments")
def chongfu_case_attachment():
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    return {"case_id": _chongfu_case().pk, "_multipart": {"file": SimpleUploadedFile("a.png", png, "image/png")}}


@register("disputes:document")
def chongfu_case_document():
    return {"pk": _chongfu_case().pk, "kind": "agreement"}


@register("disputes:joint_task")
def chongfu_joint_task():
    from django.utils import timezone

    from tests.conftest import make_staff
    from xiangzhi.core.models import Organisation
    from xiangzhi.disputes.services import joint

    cf = make_staff("mediator_cf", "mediator", first_village(CHONGFU).code,
                    {"region": first_village(CHONGFU), "kind": "village_committee"})
    dept = Organisation.objects.filter(kind="department").order_by("id").first()
    task = joint.invite(_chongfu_case(), actor=cf.user, organisation_id=dept.pk, task="核实情况",
                        due_at=timezone.now() + dt.timedelta(days=3), contact_name="联系人")
    return {"pk": task.pk}


@register("disputes:import_status")
def chongfu_import_job():
    from tests.conftest import make_staff
    from xiangzhi.disputes.models import ImportJob

    staff = make_staff("sfs_cf", "town_staff", CHONGFU, {"region__code": CHONGFU, "kind": "justice_office"})
    return {"pk": ImportJob.objects.create(file_name="x.xlsx", created_by=staff.user).pk}


@register("GET /api/v1/cases/imports/jobs/{job_id}")
def chongfu_import_job_api():
    return {"job_id": chongfu_import_job()["pk"]}


@register("GET /api/v1/cases/{case_id}/clock", "GET /api/v1/cases/{case_id}/joint-tasks",
          "GET /api/v1/cases/{case_id}/casefile")
def chongfu_case_id_for_clock_joint_and_casefile():
    return {"case_id": _chongfu_case().pk}


@register("GET /api/v1/cases/{case_id}/documents/{kind}")
def chongfu_case_document_api():
    return {"case_id": _chongfu_case().pk, "kind": "agreement"}


@register("POST /api/v1/cases/{case_id}/documents/{kind}")
def chongfu_case_document_issue_api():
    return {"case_id": _chongfu_case().pk, "kind": "record", "_body": {"reason": "交当事人"}}


@register("POST /api/v1/cases/{case_id}/risk")
def chongfu_case_risk():
    return {"case_id": _chongfu_case().pk, "_body": {"level": "major", "reason": "扬言报复"}}


@register("POST /api/v1/cases/{case_id}/risk-reports")
def chongfu_case_risk_report():
    from tests.disputes.conftest import risk_report_json

    return {"case_id": _chongfu_case().pk, "_body": risk_report_json()}


@register("POST /api/v1/cases/{case_id}/joint-tasks")
def chongfu_case_joint():
    from django.utils import timezone

    from xiangzhi.core.models import Organisation

    dept = Organisation.objects.filter(kind="department").order_by("id").first()
    return {"case_id": _chongfu_case().pk, "_body": {
        "organisation_id": dept.pk, "task": "核实情况", "due_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        "contact_name": "联系人"}}


@register("POST /api/v1/cases/joint-tasks/{task_id}/replies")
def chongfu_joint_reply():
    return {"task_id": chongfu_joint_task()["pk"], "_body": {"text": "已核实"}}


@register("POST /api/v1/cases/{case_id}/extension")
def chongfu_case_extension():
    from django.utils import timezone

    case = _chongfu_case()
    return {"case_id": case.pk, "_body": {"reason": "双方同意延长", "consents": [
        {"party_id": p.pk, "method": "in_person", "consented_at": timezone.now().isoformat()} for p in case.parties.all()]}}


@register("POST /api/v1/cases/{case_id}/judicial")
def chongfu_case_judicial():
    return {"case_id": _chongfu_case().pk, "_body": {"court": "桐乡市人民法院"}}


# The party's own actions through the API: token + the party's phone session (tests/disputes/test_api_parity.py)
token_route("POST /api/v1/cases/party/{token}/consent", "POST /api/v1/cases/party/{token}/withdraw",
            "POST /api/v1/cases/party/{token}/attachments", "POST /api/v1/cases/party/{token}/rating",
            "POST /api/v1/cases/party/{token}/not-performed")


@register("GET /api/v1/cases/{case_id}/contacts", "GET /api/v1/cases/{case_id}/handovers",
          "GET /api/v1/cases/{case_id}/visits", "GET /api/v1/cases/{case_id}/slip",
          "GET /api/v1/cases/{case_id}/qr.svg", "GET /api/v1/cases/{case_id}/qr.png")
def chongfu_case_id_for_reads():
    return {"case_id": _chongfu_case().pk}


@register("POST /api/v1/cases/{case_id}/handovers")
def chongfu_case_handover():
    return {"case_id": _chongfu_case().pk, "_body": {"direction": "out", "counterpart": "桐乡市人民法院"}}


@register("POST /api/v1/cases/{case_id}/judicial/steps")
def chongfu_case_judicial_step():
    return {"case_id": _chongfu_case().pk, "_body": {"status": "accepted"}}


@register("POST /api/v1/cases/{case_id}/visits")
def chongfu_case_visit():
    return {"case_id": _chongfu_case().pk, "_body": {"performed": True}}


@register("GET /api/v1/cases/joint-tasks/{task_id}")
def chongfu_joint_task_api():
    return {"task_id": chongfu_joint_task()["pk"]}


@register("POST /api/v1/cases/joint-tasks/{task_id}/hand-back")
def chongfu_joint_hand_back():
    return {"task_id": chongfu_joint_task()["pk"], "_body": {"reason": "不属于本部门职责"}}


@register("GET /api/v1/cases/{case_id}/documents", "GET /api/v1/cases/{case_id}/investigations",
          "GET /api/v1/cases/{case_id}/file")
def chongfu_case_id_for_the_case_file():
    return {"case_id": _chongfu_case().pk}


@register("PUT /api/v1/cases/{case_id}/agreement")
def chongfu_case_agreement():
    return {"case_id": _chongfu_case().pk, "_body": {"agreement_text": "李四赔偿张三100元"}}


@register("POST /api/v1/cases/{case_id}/parties/{party_id}/details")
def chongfu_case_party_details():
    case = _chongfu_case()
    return {"case_id": case.pk, "party_id": case.parties.first().pk, "_body": {"sex": "M"}}


@register("POST /api/v1/cases/{case_id}/investigations")
def chongfu_case_investigation():
    return {"case_id": _chongfu_case().pk, "_body": {
        "heard": "王五", "held_at": dt.datetime(2026, 11, 1, 9, 0).isoformat(), "place": "村委会",
        "investigators": "调解员", "content": "王五称围墙系去年砌成"}}


@register("POST /api/v1/cases/{case_id}/file")
def chongfu_case_file():
    return {"case_id": _chongfu_case().pk, "_body": {"remarks": ""}}


# The party asks for another mediator through the API: token + the party's phone session (tests/disputes/test_recusal.py)
token_route("POST /api/v1/cases/party/{token}/recusal-request")


def _chongfu_party_body(**body):
    case = _chongfu_case()
    return {"case_id": case.pk, "_body": {"party_id": case.parties.first().pk, **body}}


@register("POST /api/v1/cases/{case_id}/consents")
def chongfu_case_consent():
    return _chongfu_party_body(agree=True, method="phone", at=dt.datetime.now().isoformat(timespec="minutes"))


@register("POST /api/v1/cases/{case_id}/notices")
def chongfu_case_notice():
    return _chongfu_party_body(method="letter", by="村委会王主任", at=dt.datetime.now().isoformat(timespec="minutes"))


@register("POST /api/v1/cases/{case_id}/rights-notices")
def chongfu_case_rights_notice():
    case = _chongfu_case()
    return {"case_id": case.pk, "_body": {"party_ids": [case.parties.first().pk], "method": "in_person",
                                          "at": dt.datetime.now().isoformat(timespec="minutes")}}


@register("POST /api/v1/cases/{case_id}/conflicts")
def chongfu_case_conflict():
    return {"case_id": _chongfu_case().pk, "_body": {"reason": "本人系当事人亲属"}}


@register("POST /api/v1/cases/{case_id}/recusal-requests")
def chongfu_case_recusal_request():
    return _chongfu_party_body(reason="调解员与对方是亲戚")


@register("POST /api/v1/cases/{case_id}/recusal-requests/decision")
def chongfu_case_recusal_decision():
    return {"case_id": _chongfu_case().pk, "_body": {"grant": False, "note": "无回避事由"}}
