"""The staff workbench shell: overview, region switcher, regions and organisations, people, audit, notifications."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from xiangzhi.core import audit_labels, rules, selectors, services
from xiangzhi.core.access import predicate_required, staff_required
from xiangzhi.core.enums import RegionLevel
from xiangzhi.core.errors import XiangzhiError
from xiangzhi.core.models import Organisation, Person

from ..forms import ApiTokenForm, RevealForm


@staff_required()
def workbench(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "web/workbench.html", {
        "memberships": selectors.memberships_of(user),
        "unread": selectors.notifications_for(user).filter(read_at__isnull=True).count(),
        "needs_totp": rules.must_use_totp(user) and not user.totp_enabled,
    })


@staff_required()
@require_POST
def switch_region(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("region", "")
    if code in selectors.jurisdiction_codes(request.user):
        request.session["xz_region"] = code
    target = request.POST.get("next") or "/workbench/"
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/workbench/")


@staff_required()
def regions(request: HttpRequest) -> HttpResponse:
    roots = selectors.regions_visible_to(request.user).filter(code__in=selectors.jurisdiction_codes(request.user))
    return render(request, "web/regions.html", {"roots": roots})


@staff_required()
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = selectors.access_region(request.user, code)
    children = region.children.all().order_by("code")
    orgs = selectors.organisations_visible_to(request.user).filter(region=region)
    can_add_grid = region.level == RegionLevel.VILLAGE and rules.can_manage_regions(request.user)
    if request.method == "POST" and can_add_grid:
        try:
            services.add_grid(region, name=request.POST.get("name", ""), actor=request.user)
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "网格已添加。")
        return redirect("web:region_detail", code=code)
    return render(request, "web/region_detail.html", {
        "region": region, "children": children, "orgs": orgs, "can_add_grid": can_add_grid,
        "history": region.changes.all()[:20],
        "ancestors": list(selectors.regions_visible_to(request.user).filter(
            code__in=[code[:n] for n in (6, 9, 12) if n < len(code)])),
    })


@staff_required()
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org: Organisation = selectors.access_organisation(request.user, pk)
    members = org.memberships.filter(is_active=True).select_related("user", "region")
    return render(request, "web/organisation_detail.html", {"org": org, "members": members})


@staff_required()
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person: Person = selectors.access_person(request.user, pk)
    revealed = None
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.reveal_personal_data(person, actor=request.user, reason=form.cleaned_data["reason"])
        except XiangzhiError as exc:
            messages.error(request, exc.message)
    return render(request, "web/person_detail.html", {
        "person": person, "revealed": revealed, "form": form,
        "can_reveal": rules.can_view_personal_data(request.user),
        "accesses": person.accesses.select_related("viewer")[:20],
    })


@predicate_required(rules.can_read_audit_log, "can_read_audit_log")
def audit_log(request: HttpRequest) -> HttpResponse:
    qs = selectors.audit_visible_to(request.user)
    q_action = request.GET.get("action", "").strip()
    q_actor = request.GET.get("actor", "").strip()
    q_object = request.GET.get("object", "").strip()
    if q_action:  # a code prefix (case.) or a word of the Chinese label (调解)
        qs = qs.filter(Q(action__startswith=q_action) | Q(action__in=audit_labels.actions_labelled(q_action)))
    if q_actor:
        qs = qs.filter(actor_label__icontains=q_actor)
    if q_object:
        qs = qs.filter(object_id=q_object)
    page = Paginator(qs.order_by("-at", "-id"), 50).get_page(request.GET.get("page"))
    for row in page:
        row.action_label, row.object_label = audit_labels.action_label(row.action), audit_labels.object_label(
            row.object_type)
    return render(request, "web/audit.html", {"page": page, "q_action": q_action, "q_actor": q_actor,
                                              "q_object": q_object})


@staff_required()
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "web/notifications.html", {"page": page})


@predicate_required(rules.can_manage_api_tokens, "can_manage_api_tokens")
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The county's API tokens (banks, departments); issue one (its secret is shown on this answer only)."""
    users = selectors.staff_visible_to(request.user)
    form = ApiTokenForm(request.POST or None, users=users)
    secret = issued = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            secret = services.issue_api_token(
                data["user"], name=data["name"], actor=request.user, scopes=data["scopes"],
                expires_at=timezone.now() + dt.timedelta(days=data["expires_days"]))
        except XiangzhiError as exc:
            messages.error(request, exc.message)
        else:
            issued = data["name"]
            form = ApiTokenForm(users=users)
    now = timezone.now()
    tokens = [(t, "revoked" if t.revoked_at else "expired" if t.expires_at and t.expires_at <= now else "active")
              for t in selectors.api_tokens_visible_to(request.user).order_by("-created_at", "-id")]
    return render(request, "web/api_tokens.html", {"form": form, "secret": secret, "issued": issued,
                                                   "tokens": tokens})


@predicate_required(rules.can_manage_api_tokens, "can_manage_api_tokens")
@require_POST
def revoke_api_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.access_api_token(request.user, pk)
    try:
        services.revoke_api_token(token, actor=request.user)
    except XiangzhiError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"接口令牌“{token.name}”已撤销，使用它的请求将被拒绝。")
    return redirect("web:api_tokens")
