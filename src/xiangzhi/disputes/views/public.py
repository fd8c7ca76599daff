"""Villagers' pages (mobile first): apply, look a case up, the status page behind the QR code and the feedback page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core.access import public
from xiangzhi.core.errors import RateLimited, XiangzhiError
from xiangzhi.core.middleware import client_ip
from xiangzhi.ledger import services as ledger_services

from .. import attestation, qr, rules, selectors
from ..forms import IntakeForm, RateForm
from ..services import agreement, feedback, intake, mediation, recusal, uploads
from ..services.uploads import Upload
from .common import form_errors, intake_errors, parsed, show_error, stage_info


@public
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """The application form. The applicant signs in with phone + SMS code first (core's citizen login)."""
    village = request.GET.get("v", "")
    if not core_rules.is_citizen(request.user):
        login_url = reverse("web:citizen_login") + "?next=" + request.get_full_path()
        return render(request, "disputes/apply_login.html", {"login_url": login_url})
    initial = {"region_code": village, "applicant_phone": request.user.phone,
               # a link from elsewhere (the consultation's "申请调解") may name the type and say what happened
               "type_code": request.GET.get("type", "")[:30], "description": request.GET.get("description", "")[:500]}
    form = IntakeForm(request.POST or None, initial=initial)
    errors: dict = {}
    error = ""
    if request.method == "POST" and not form.is_valid():
        error, errors = "输入有误，请检查后重新提交。", form_errors(form)
    elif request.method == "POST":
        data = form.to_intake(request.FILES.getlist("files"))
        try:
            case = intake.apply_online(data, actor=request.user, client_ip=client_ip(request))
        except RateLimited:
            raise  # answered 429 by the middleware, as any limit
        except XiangzhiError as exc:
            error, errors = intake_errors(form, exc)
        else:
            messages.success(request, f"申请已提交，案件编号 {case.number}。")
            proposal = rules.proposed_non_acceptance(case)
            if proposal is not None:  # 人民调解工作若干规定 第22条: told plainly where to turn
                messages.warning(request, f"您告知本纠纷已由{case.get_other_proceeding_display()}受理。已由其他机关受理的"
                                 f"纠纷，人民调解委员会一般不再受理。{proposal[1]}调解委员会审查后会通知您结果。")
            return redirect("disputes:status", token=case.token)
    return render(request, "disputes/apply.html", {"form": form, "error": error, "errors": errors},
                  status=422 if error else 200)


@public
def lookup(request: HttpRequest) -> HttpResponse:
    """Look a case up by its number: a party goes on to the status page; anyone else sees only the stage."""
    number = (request.GET.get("number") or "").strip()
    found = None
    if number:
        case = intake.lookup(number, actor=request.user, client_ip=client_ip(request))
        if case is not None and selectors.party_of(request.user, case) is not None:
            return redirect("disputes:status", token=case.token)
        found = {"case": case, **stage_info(case)} if case is not None else False
    mine = list(selectors.cases_of_citizen(request.user)[:20])
    # a party signs in and comes back to this lookup, which then takes them on to the case
    login_url = reverse("web:citizen_login") + "?" + urlencode({"next": request.get_full_path()})
    return render(request, "disputes/lookup.html", {"number": number, "found": found, "mine": mine,
                                                    "login_url": login_url,
                                                    "signed_in_citizen": core_rules.is_citizen(request.user)})


@public
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the case's QR code. Staff who may handle the case go to the workbench (扫码办理); parties see
    the stage, next step, timeline and their actions; anyone else sees only the stage."""
    case = selectors.case_for_token(token)
    if selectors.is_visible_to(request.user, case):
        return redirect("disputes:case", pk=case.pk)
    party = selectors.party_of(request.user, case)
    ctx = {"case": case, "party": party, **stage_info(case)}
    if party is None:
        ctx["login_url"] = reverse("web:citizen_login") + "?next=" + request.path
        ctx["signed_in_citizen"] = core_rules.is_citizen(request.user)
        return render(request, "disputes/status_stage_only.html", ctx)
    parties = list(case.parties.select_related("person"))
    ctx.update({
        "timeline": selectors.public_timeline(case),
        "parties": parties,
        # 一案一码: a written agreement awaiting signatures — the party reads it and signs for themselves
        "agreement": selectors.agreement_for_party(case, party, parties),
        "can_withdraw": rules.party_can_withdraw(party, case),
        "feedback_open": rules.party_can_open_feedback(party, case),
        "can_consent": rules.party_can_answer_consent(party, case),
        # 人民调解法 第23条: a party may ask for another mediator; the committee decides
        "can_ask_recusal": rules.party_can_request_recusal(party, case,
                                                           pending=selectors.pending_recusal(case) is not None),
        "recusal_requests": [r for r in selectors.recusal_requests(case) if r.party_id == party.pk],
        "can_add": rules.party_can_add_material(party, case),
        "qr_svg": qr.svg_inline(case.public_url),
        # 区块链存证: the offline proof bundle of this case's records, for the party (and, through them, a court)
        "bundle_url": ledger_services.bundle_url(attestation.CASE_REF, [case.pk]),
        "bundle_link_hours": ledger_services.bundle_link_hours(),
    })
    return render(request, "disputes/status.html", ctx)


@public
@require_POST
def party_action(request: HttpRequest, token: str) -> HttpResponse:
    case = selectors.case_for_token(token)
    party = selectors.party_of(request.user, case)
    if party is None:
        return redirect("disputes:status", token=token)
    action = request.POST.get("action", "")
    try:
        if action == "withdraw":
            mediation.withdraw(case, party, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已撤回申请。")
        elif action in ("agree", "refuse"):
            mediation.answer_consent(case, party, actor=request.user, agree=action == "agree")
            messages.success(request, "已记录您的答复。")
        elif action == "recusal":
            recusal.request_recusal(case, party, actor=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, "已提交更换调解员的申请，调解委员会将作出决定并告知您。")
        elif action == "sign":
            # the signer is the party this session proves, never one named in the form
            agreement.sign_as_party(case, party, actor=request.user, digest=request.POST.get("digest", ""),
                                   confirmed=bool(request.POST.get("confirm")))
            messages.success(request, "您已在调解协议上签名。")
        elif action == "material":
            upload = request.FILES.get("file")
            uploads.add_attachment(case, Upload.from_django(upload) if upload else None, actor=request.user,
                                   party=party)
            messages.success(request, "材料已提交。")
        else:
            messages.error(request, "未知操作。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("disputes:status", token=token)


@public
def qr_png(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    case = selectors.case_for_token(token)
    return HttpResponse(qr.png_bytes(case.public_url), content_type="image/png")


@public
def qr_svg(request: HttpRequest, token: str) -> HttpResponse:  # noqa: ARG001
    case = selectors.case_for_token(token)
    return HttpResponse(qr.svg_text(case.public_url), content_type="image/svg+xml")


@public
def slip(request: HttpRequest, token: str) -> HttpResponse:
    """Printable case slip: the number (read aloud), the archive number and the QR code. No personal data."""
    case = selectors.case_for_token(token)
    return render(request, "disputes/slip.html", {"case": case, "qr_svg": qr.svg_inline(case.public_url, scale=6)})


@public
@require_http_methods(["GET", "POST"])
def party_feedback(request: HttpRequest, token: str) -> HttpResponse:
    """The status page's feedback part: stage, colour word and countdown; after closing, the satisfaction rating;
    "the agreement was not performed". Only a party (verified phone session) may act."""
    case = selectors.case_for_token(token)
    party = selectors.party_of(request.user, case)
    if party is None:
        return redirect("disputes:status", token=token)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "rate":
                feedback.rate(case, party, actor=request.user, rating=parsed(RateForm, request)["rating"],
                              comment=request.POST.get("comment", ""))
                messages.success(request, "感谢您的评价。")
            elif action == "not_performed":
                feedback.report_not_performed(case, party, actor=request.user, note=request.POST.get("note", ""))
                messages.success(request, "已记录，调解员将跟进协议履行情况。")
            else:
                messages.error(request, "未知操作。")
        except XiangzhiError as exc:
            show_error(request, exc)
        return redirect("disputes:feedback", token=token)
    rated = selectors.feedback_of(party)
    return render(request, "disputes/feedback.html", {
        "case": case, "party": party, **stage_info(case),
        "can_rate": rules.party_can_rate(party, case, already_rated=rated is not None),
        "can_report": rules.party_can_report_not_performed(party, case),
        "rated": rated,
    })
