"""Core API: health, who am I, regions, organisations, people (masked), audit, citizen sign-in, notifications."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from . import rules, selectors, services
from .api_auth import PUBLIC, creates_session
from .enums import OrgKind, RegionLevel, Role
from .errors import Forbidden
from .middleware import client_ip
from .models import Region
from .pagination import PageIn, page_of, paginate
from .personal import mask_name
from .schemas import (
    AuditOut,
    CodeRequestIn,
    CodeVerifyIn,
    ErrorOut,
    GridIn,
    MeOut,
    NotificationOut,
    OkOut,
    OrganisationOut,
    PersonIn,
    PersonOut,
    RegionOut,
    RevealIn,
)

router = Router(tags=["core"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _region_out(r: Region) -> RegionOut:
    return RegionOut(code=r.code, name=r.name, short_name=r.short_name, level=r.level, kind=r.kind,
                     parent_code=r.code[: {9: 6, 12: 9, 15: 12}.get(len(r.code), 0)] or None, is_active=r.is_active)


def _staff(request: HttpRequest):  # noqa: ANN202
    if not rules.is_staff_member(request.auth):
        raise Http404
    return request.auth


@router.get("/health", auth=None, response={200: dict}, openapi_extra=PUBLIC, summary="健康检查")
def health(request: HttpRequest):  # noqa: ARG001
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok"}


@router.get("/me", response={200: MeOut, **ERRORS}, summary="当前用户与角色")
def me(request: HttpRequest):
    user = request.auth
    return MeOut(
        username=user.username, display_name=user.display_name, kind=user.kind, phone=user.masked_phone,
        roles=[
            {"role": m.role, "role_label": m.get_role_display(), "organisation": m.organisation.name if m.organisation else None,
             "region_code": m.region.code, "region_name": m.region.display_name}
            for m in selectors.memberships_of(user)
        ],
    )


@router.get("/public/regions", auth=None, response={200: page_of(RegionOut), **ERRORS}, openapi_extra=PUBLIC,
            summary="公开：乡镇（街道）与村（社区）列表")
def public_regions(request: HttpRequest, page: Query[PageIn], town: str | None = None):
    return paginate(request, selectors.public_villages(town) if town else selectors.public_towns(), page, _region_out)


@router.get("/regions", response={200: page_of(RegionOut), **ERRORS}, summary="管辖范围内的区划")
def list_regions(request: HttpRequest, page: Query[PageIn], level: RegionLevel | None = None):
    qs = selectors.regions_visible_to(_staff(request))
    if level:
        qs = qs.filter(level=level)
    return paginate(request, qs.order_by("code"), page, _region_out)


@router.get("/regions/{code}", response={200: RegionOut, **ERRORS}, summary="区划详情（管辖范围外为404）")
def get_region(request: HttpRequest, code: str):
    return _region_out(selectors.access_region(_staff(request), code))


@router.post("/regions/{code}/grids", response={201: RegionOut, **ERRORS}, summary="在村（社区）下新增网格")
def add_grid(request: HttpRequest, code: str, payload: GridIn):
    user = _staff(request)
    village = selectors.access_region(user, code)
    if not rules.can_manage_regions(user):
        raise Forbidden("FORBIDDEN", "只有县级管理员或司法所工作人员可以新增网格。")
    grid = services.add_grid(village, name=payload.name, actor=user)
    return Status(201, _region_out(grid))


@router.get("/organisations", response={200: page_of(OrganisationOut), **ERRORS}, summary="管辖范围内的组织")
def list_organisations(request: HttpRequest, page: Query[PageIn], kind: OrgKind | None = None):
    qs = selectors.organisations_visible_to(_staff(request))
    if kind:
        qs = qs.filter(kind=kind)
    return paginate(request, qs.order_by("id"), page, _org_out)


def _org_out(o) -> OrganisationOut:  # noqa: ANN001
    return OrganisationOut(id=o.pk, name=o.name, kind=o.kind, kind_label=OrgKind(o.kind).label, specialty=o.specialty,
                           region_code=o.region.code, region_name=o.region.display_name)


@router.get("/organisations/{org_id}", response={200: OrganisationOut, **ERRORS}, summary="组织详情")
def get_organisation(request: HttpRequest, org_id: int):
    return _org_out(selectors.access_organisation(_staff(request), org_id))


def _person_out(p) -> PersonOut:  # noqa: ANN001
    return PersonOut(id=p.pk, name=mask_name(p.name), id_number=p.masked_id_number, phone=p.masked_phone,
                     region_code=p.region.code if p.region_id else None)


@router.post("/persons", response={201: PersonOut, **ERRORS}, summary="登记当事人（身份证号、手机号加密存储）")
def create_person(request: HttpRequest, payload: PersonIn):
    user = _staff(request)
    region = None
    if payload.region_code:
        region = selectors.access_region(user, payload.region_code)
    person = services.create_person(name=payload.name, id_number=payload.id_number, phone=payload.phone,
                                    address=payload.address, region=region, actor=user)
    return Status(201, _person_out(person))


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS}, summary="当事人（脱敏）")
def get_person(request: HttpRequest, person_id: int):
    return _person_out(selectors.access_person(_staff(request), person_id))


@router.post("/persons/{person_id}/reveal", response={200: dict, **ERRORS}, summary="查看完整个人信息（记录查看日志）")
def reveal_person(request: HttpRequest, person_id: int, payload: RevealIn):
    user = _staff(request)
    person = selectors.access_person(user, person_id)
    return services.reveal_personal_data(person, actor=user, reason=payload.reason, fields=payload.fields)


@router.get("/audit", response={200: page_of(AuditOut), **ERRORS}, summary="审计日志（审计员、县级管理员；新的在前）")
def list_audit(request: HttpRequest, page: Query[PageIn], action: str | None = None, object_type: str | None = None,
               object_id: str | None = None):
    user = _staff(request)
    if not rules.can_read_audit_log(user):
        raise Http404
    qs = selectors.audit_visible_to(user)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return paginate(request, qs.order_by("-id"), page, lambda a: AuditOut(
        id=a.pk, at=a.at, actor=a.actor_label, action=a.action, object_type=a.object_type, object_id=a.object_id,
        region_code=a.region_code, ip=a.ip, note=a.note))


@router.post("/auth/code", auth=None, response={200: OkOut, **ERRORS}, openapi_extra=PUBLIC,
             summary="公开：获取短信验证码")
def request_code(request: HttpRequest, payload: CodeRequestIn):
    services.request_login_code(payload.phone, client_ip=client_ip(request))
    return OkOut()


@router.post("/auth/verify", auth=None, response={200: MeOut, **ERRORS, 415: ErrorOut}, openapi_extra=PUBLIC,
             summary="公开：验证码登录（群众）")
@creates_session
def verify_code(request: HttpRequest, payload: CodeVerifyIn):
    user = services.verify_login_code(payload.phone, payload.code, client_ip=client_ip(request))
    login(request, user, backend="xiangzhi.core.security.LockoutBackend")
    return MeOut(username=user.username, display_name=user.display_name, kind=user.kind, phone=user.masked_phone,
                 roles=[])


@router.get("/notifications", response={200: page_of(NotificationOut), **ERRORS}, summary="我的通知（新的在前）")
def list_notifications(request: HttpRequest, page: Query[PageIn], unread: bool = Query(False)):
    qs = selectors.notifications_for(request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return paginate(request, qs.order_by("-created_at", "-id"), page, lambda n: NotificationOut(
        id=n.pk, subject=n.subject, body=n.body, link=n.link, status=n.status, created_at=n.created_at,
        read_at=n.read_at))


__all__ = ["router", "Role"]
