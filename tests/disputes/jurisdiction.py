"""Cases of 崇福镇 for every parameterised disputes URL (see tests/jurisdiction.py).

The party pages (``disputes:status`` …) are addressed by the case's unguessable public token: public by design, and
tested in tests/disputes for what an outsider may see there.
"""

import datetime as dt

from tests.conftest import CHONGFU, first_village
from tests.jurisdiction import register, token_route

token_route("disputes:status", "disputes:party_action", "disputes:qr_png", "disputes:qr_svg", "disputes:slip")
# the party's own agreement and signature: token + the party's phone session (tests/disputes/test_wb_party_sign.py)
token_route("GET /api/v1/cases/party/{token}/agreement", "POST /api/v1/cases/party/{token}/signature")


def _chongfu_case():
    from tests.disputes.conftest import new_case

    return new_case(region_code=first_village(CHONGFU).code, applicant_phone="13700000099")


@register("disputes:case", "disputes:case_action", "disputes:staff_slip")
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


import tests.disputes.jurisdiction_part2  # noqa: E402, F401  (part 2 routes)
