"""The mediator's workbench: lists, intake at the window and by grid workers, and the case page with the actions
this user may take in the current stage. Thin: every change is a service call."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from xiangzhi.core import rules as core_rules
from xiangzhi.core import selectors as core_selectors
from xiangzhi.core.access import predicate_required
from xiangzhi.core.enums import OrgKind, RegionLevel, Role
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Organisation, Region, User

from .. import qr, rules, selectors, services
from ..enums import CaseStage, Channel, NotAcceptedGround, TerminationReason
from ..forms import GridIntakeForm, WindowIntakeForm, type_choices
from ..models import DisputeType
from ..models_part2 import Colour
from ..services import Upload
from .common import stage_info

dispute_staff = predicate_required(rules.is_dispute_staff, "disputes.staff")
intake_staff = predicate_required(rules.can_take_intake, "disputes.intake")


@dispute_staff
def workbench(request: HttpRequest) -> HttpResponse:
    filters = selectors.CaseFilters.from_params(request.GET)
    try:
        after = int(request.GET.get("after") or 0) or None
    except ValueError:
        after = None
    now = timezone.now()  # one instant for the colour filter and the colour and countdown each row shows
    cases, next_after = selectors.workbench_cases(request.user, filters, after=after, now=now)
    params = request.GET.copy()
    params.pop("after", None)
    return render(request, "disputes/workbench.html", {
        "rows": [{"case": c, **stage_info(c, with_due=False)} for c in cases], "now": now, "filters": filters,
        "next_after": next_after,
        "params": params.urlencode(), "stages": CaseStage.choices, "types": type_choices("全部类型"),
        "colours": [(v, str(label)) for v, label in Colour.choices], "scope": request.GET.get("scope", ""),
        "can_intake": rules.can_take_intake(request.user),
    })


def _intake(request: HttpRequest, form_class, channel: str, template: str, *, grid_codes=None) -> HttpResponse:  # noqa: ANN001
    form = form_class(request.POST or None, initial={"region_code": request.GET.get("v", "")}, grid_codes=grid_codes)
    if form_class is WindowIntakeForm:
        form.fields["referral_org"].widget.choices = [("", "（非移送案件）")] + [
            (o.pk, o.name) for o in Organisation.objects.filter(kind=OrgKind.DEPARTMENT).order_by("region__code", "name")]
    error, errors = "", {}
    if request.method == "POST" and form.is_valid():
        extra = {}
        if channel == Channel.GRID and form.cleaned_data.get("on_spot"):
            extra["on_spot_agreement"] = form.cleaned_data.get("on_spot_agreement") or ""
            if not extra["on_spot_agreement"].strip():
                extra["on_spot_agreement"] = ""
                error, errors = "请填写当场达成的内容。", {"on_spot_agreement": ["请填写当场达成的内容。"]}
        if channel == Channel.WINDOW:
            org_id = form.cleaned_data.get("referral_org")
            extra.update(source=form.cleaned_data["source"], risk_level=form.cleaned_data["risk_level"],
                         referral_org=Organisation.objects.filter(pk=org_id).first() if org_id else None)
        if not error:
            try:
                case = services.create_case(form.to_intake(request.FILES.getlist("files"), **extra),
                                            actor=request.user, channel=channel)
            except XiangzhiError as exc:
                error, errors = exc.message, exc.detail if isinstance(exc.detail, dict) else {}
            else:
                messages.success(request, f"已登记，案件编号 {case.number}。")
                return redirect("disputes:case", pk=case.pk)
    return render(request, template, {"form": form, "error": error, "errors": errors}, status=422 if error else 200)


@intake_staff
@require_http_methods(["GET", "POST"])
def window_intake(request: HttpRequest) -> HttpResponse:
    """窗口无差别受理: any dispute, any source (party, own initiative, referral)."""
    return _intake(request, WindowIntakeForm, Channel.WINDOW, "disputes/intake_window.html")


@intake_staff
@require_http_methods(["GET", "POST"])
def grid_intake(request: HttpRequest) -> HttpResponse:
    """扫码代办 by a grid worker on a phone, with "resolved on the spot" (一米调解)."""
    codes = rules.codes_for(request.user, rules.INTAKE_ROLES)
    villages = [(r.code, r.display_name) for r in Region.objects.filter(
        level=RegionLevel.VILLAGE, is_active=True).order_by("code")
        if any(r.code.startswith(c) or c.startswith(r.code) for c in codes)]
    return _intake(request, GridIntakeForm, Channel.GRID, "disputes/intake_grid.html",
                   grid_codes=[("", "请选择村（社区）")] + villages)


@dispute_staff
@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    user = request.user
    parties = list(case.parties.select_related("person").prefetch_related("signatures"))
    mediators = []
    actions = rules.available_transitions(user, case)
    if any(to == CaseStage.ASSIGNED for to, _ in actions):
        mediators = list(User.objects.filter(
            memberships__role=Role.MEDIATOR, memberships__is_active=True,
            memberships__organisation_id=case.organisation_id).distinct().order_by("username")) if case.organisation_id else []
        if user not in mediators and rules.codes_for(user, frozenset({Role.MEDIATOR})):
            mediators.insert(0, user)
    # The mediator the applicant named at intake (人民调解法 第23条), when one of the organisation's mediators
    preferred = next((m for m in mediators if case.preferred_mediator
                      and case.preferred_mediator in (m.display_name, m.username)), None)
    signed_parties = set(case.signatures.filter(party__isnull=False).values_list("party_id", flat=True))
    revealed_numbers = None
    if request.method == "POST":  # the numbers typed into the free text, in full: the right, a reason, logged
        try:
            revealed_numbers = services.reveal_text_numbers(case, actor=user, reason=request.POST.get("reason", ""))
        except XiangzhiError as exc:
            messages.error(request, exc.message)
    return render(request, "disputes/case.html", {
        "text_numbers": list(core_selectors.text_numbers_of(case)), "revealed_numbers": revealed_numbers,
        "can_reveal": core_rules.can_view_personal_data(user),
        "case": case, **stage_info(case), "parties": parties, "actions": actions, "mediators": mediators,
        "preferred": preferred,
        "timeline": selectors.staff_timeline(user, case), "repeat": selectors.repeat_link(user, case),
        "sessions": case.sessions.all(), "attachments": case.attachments.all(),
        "grounds": NotAcceptedGround.choices, "termination_reasons": TerminationReason.choices,
        "can_confirm": rules.can_confirm_assignment(user, case),
        "can_session": rules.can_record_session(user, case), "can_sign": rules.can_sign_or_seal(user, case),
        "can_retriage": rules.can_retriage(user, case), "can_add": rules.can_add_material(user, case),
        "signed_parties": signed_parties, "mediator_signed": case.signatures.filter(mediator__isnull=False).exists(),
        "sealed": _has_seal(case),
        "missing": services.agreement_missing(case) if case.stage == CaseStage.AGREEMENT_WRITTEN else [],
        "types": [(t.code, t.name) for t in DisputeType.objects.filter(is_active=True)],
        "now_local": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    })


def _has_seal(case) -> bool:  # noqa: ANN001
    from ..models import Seal

    return Seal.objects.filter(case=case).exists()


@dispute_staff
@require_POST
def case_action(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    user, post = request.user, request.POST
    action = post.get("action", "")
    try:
        if action == "transition":
            to = post.get("to", "")
            if to not in CaseStage.values:
                raise XiangzhiError("INVALID_STAGE", "目标阶段无效。")
            data = {k: post.get(k) for k in ("ground", "redirect_to", "agreement_text", "agreement_amount",
                                             "termination_reason") if post.get(k)}
            if post.get("mediator"):
                data["mediator"] = User.objects.filter(pk=post.get("mediator")).first()
                data["chosen_by_party"] = post.get("chosen_by_party") == "1"  # 人民调解法 Art. 19
            services.transition(case, to, actor=user, reason=post.get("reason", ""), **data)
            messages.success(request, f"已{rules.ACTION_LABELS.get(to, '操作')}。")
        elif action == "confirm":
            services.confirm_assignment(case, actor=user)
            messages.success(request, "已确认接案。")
        elif action == "session":
            held_at = _parse_local(post.get("held_at", ""))
            services.record_session(case, actor=user, held_at=held_at, place=post.get("place", ""),
                                    attendees=post.get("attendees", ""), summary=post.get("summary", ""))
            messages.success(request, "调解记录已保存。")
        elif action == "sign":
            if post.get("signer") == "mediator":
                services.sign_agreement(case, actor=user, as_mediator=True)
            else:
                party = case.parties.filter(pk=post.get("signer") or 0).first()
                services.sign_agreement(case, actor=user, party=party, method=post.get("method", "handwritten"))
            messages.success(request, "签名已记录。")
        elif action == "seal":
            services.apply_seal(case, actor=user)
            messages.success(request, "已加盖调解委员会印章。")
        elif action == "retriage":
            services.retriage(case, actor=user, type_code=post.get("type_code", ""),
                              risk_level=post.get("risk_level") or None, reroute=bool(post.get("reroute")),
                              reason=post.get("reason", ""))
            messages.success(request, "已更正类型。")
        elif action == "material":
            upload = request.FILES.get("file")
            if upload is None:
                raise XiangzhiError("FILE_REQUIRED", "请选择要上传的文件。")
            services.add_attachment(case, Upload.from_django(upload), actor=user)
            messages.success(request, "材料已上传。")
        else:
            raise XiangzhiError("UNKNOWN_ACTION", "未知操作。")
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    return redirect("disputes:case", pk=case.pk)


def _parse_local(raw: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@dispute_staff
def staff_slip(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.access_case(request.user, pk)
    return render(request, "disputes/slip.html", {"case": case, "qr_svg": qr.svg_inline(case.public_url, scale=6)})
