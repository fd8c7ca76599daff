"""Every write of the core app: regions, organisations, accounts, people, audit, notifications, sign-in codes.

Conventions (STYLE.md practice 1): ``check_*`` validates and raises ``XiangzhiError``; ``do_*``/verbs write inside
``transaction.atomic``; ``actor`` is keyword-only; each docstring lists the side effects.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from . import crypto, personal, rules, selectors
from .enums import (
    CODE_LENGTH,
    TOKEN_ACCESS,
    TOKEN_APPS,
    TOKEN_SCOPES,
    RegionKind,
    RegionLevel,
    Role,
    UserKind,
)
from .errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed, XiangzhiError
from .models import (
    ApiToken,
    AuditLog,
    IdempotencyKey,
    Membership,
    Notification,
    OneTimeCode,
    Organisation,
    Person,
    PersonalDataAccess,
    RateCounter,
    Region,
    RegionChange,
    TextNumber,
    User,
)
from .sms import LOGIN_CODE_TEXT

# The request's client address, set by middleware so that services can record it without a request argument.
current_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("xiangzhi_current_ip", default=None)


# ----------------------------------------------------------------------------------------------------------------
# Audit
# ----------------------------------------------------------------------------------------------------------------
def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "系统"
    return f"{actor.username}({actor.display_name})" if actor.display_name else actor.username


# What happens to every audit row once it is saved, in the caller's transaction. Apps above core register here
# (``ledger.apps``: every audit row becomes a ledger leaf), so that core imports none of them.
AuditSink = Callable[[Sequence[AuditLog]], None]
_audit_sinks: list[AuditSink] = []


def register_audit_sink(sink: AuditSink) -> None:
    """Call ``sink(rows)`` after every batch of audit rows is saved (one row for :func:`audit`), inside the same
    transaction, in registration order. Registering the same sink again changes nothing."""
    if sink not in _audit_sinks:
        _audit_sinks.append(sink)


def _audit_row(action: str, *, actor: User | None, obj: models.Model | None = None, object_type: str = "",
               object_id: str | int = "", region_code: str = "", before: Any = None, after: Any = None,
               note: str = "") -> AuditLog:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditLog(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        before=before,
        after=after,
        ip=current_ip.get(),
        note=note[:300],
    )


def audit(
    action: str,
    *,
    actor: User | None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    region_code: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditLog:
    """Append one audit row (who, what, which object, before/after, when, from where). Never updates a row.
    Side effects: the row, then the registered sinks (the ledger leaf), in the caller's transaction."""
    row = _audit_row(action, actor=actor, obj=obj, object_type=object_type, object_id=object_id,
                     region_code=region_code, before=before, after=after, note=note)
    row.save()
    for sink in _audit_sinks:
        sink([row])
    return row


def audit_many(items: Iterable[Mapping[str, Any]], *, sinks: bool = True) -> list[AuditLog]:
    """Append several audit rows in one INSERT; each item holds the keyword arguments of :func:`audit` (``action``
    and ``actor`` included). Same rows, same order and same sinks as one :func:`audit` call per item (the sinks get
    the rows as one batch). Side effects: the rows, then the registered sinks, in the caller's transaction.
    ``sinks=False``: the caller attests the rows itself, in the same transaction, interleaved with records of its own
    (the disputes app's batch recorder, which appends each row's leaf where one ``record()`` at a time would)."""
    rows = [_audit_row(**item) for item in items]
    if not rows:
        return rows
    AuditLog.objects.bulk_create(rows)
    for sink in _audit_sinks if sinks else ():
        sink(rows)
    return rows


# ----------------------------------------------------------------------------------------------------------------
# Rate limits (fixed window, shared by every process through the database)
# ----------------------------------------------------------------------------------------------------------------
def check_rate(key: str, *, limit: int, window_seconds: int) -> None:
    """Count one hit for ``key``; raise RateLimited once the window holds more than ``limit`` hits."""
    window = int(timezone.now().timestamp()) // window_seconds
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window=window, count=1)
            except IntegrityError:
                RateCounter.objects.filter(key=key, window=window).update(count=F("count") + 1)
        count = RateCounter.objects.get(key=key, window=window).count
    if count > limit:
        raise RateLimited(detail={"retry_after": window_seconds - int(timezone.now().timestamp()) % window_seconds})


def prune_rate_counters() -> int:
    cutoff = int(timezone.now().timestamp()) // 60 - 24 * 60
    deleted, _ = RateCounter.objects.filter(window__lt=cutoff).delete()
    return deleted


# ----------------------------------------------------------------------------------------------------------------
# Regions
# ----------------------------------------------------------------------------------------------------------------
_LEVEL_BY_JSON = {"county": RegionLevel.COUNTY, "town": RegionLevel.TOWN, "village": RegionLevel.VILLAGE}


def _kind_for(level: str, raw_type: str | None) -> str:
    if level == RegionLevel.COUNTY:
        return RegionKind.COUNTY
    if level == RegionLevel.TOWN:
        return RegionKind.SUBDISTRICT if raw_type == "街道" else RegionKind.TOWN
    if level == RegionLevel.VILLAGE:
        return RegionKind.COMMUNITY if raw_type == "community" else RegionKind.VILLAGE
    return RegionKind.GRID


def check_region_code(code: str, level: str, parent_code: str | None) -> None:
    if not code.isdigit() or len(code) != CODE_LENGTH[level]:
        raise ValidationFailed(
            "INVALID_REGION_CODE",
            f"区划代码 {code} 无效：{RegionLevel(level).label}应为{CODE_LENGTH[level]}位数字。",
            {"code": code, "level": level},
        )
    if parent_code and not code.startswith(parent_code):
        raise ValidationFailed(
            "INVALID_REGION_CODE",
            f"区划代码 {code} 不在上级 {parent_code} 之下。",
            {"code": code, "parent": parent_code},
        )


@dataclass
class LoadStats:
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    reactivated: int = 0


def load_regions(tree: dict[str, Any], *, actor: User | None, source: str = "") -> LoadStats:
    """Load a division tree (format of shared/data/divisions/tongxiang.json). Idempotent.

    Side effects: creates missing regions, records renames as RegionChange rows (history kept), reactivates a
    region that reappears; never deletes. One audit row for the load. Atomic: a bad code anywhere writes nothing.
    """
    stats = LoadStats()

    def walk(node: dict[str, Any], parent: Region | None) -> None:
        level = _LEVEL_BY_JSON.get(node.get("level", ""))
        code = str(node.get("code", ""))
        name = str(node.get("name", "")).strip()
        if level is None or not name:
            raise ValidationFailed("INVALID_REGION_TREE", f"区划 {code or '?'} 缺少层级或名称。", {"code": code})
        check_region_code(code, level, parent.code if parent else None)
        short = str(node.get("short_name") or "").strip()
        if level == RegionLevel.TOWN and not short:
            short = name
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region.objects.create(
                code=code, name=name, short_name=short, level=level, kind=_kind_for(level, node.get("type")),
                parent=parent,
            )
            RegionChange.objects.create(region=region, kind=RegionChange.Kind.CREATED, new_name=name, source=source)
            stats.created += 1
        else:
            changed = []
            if region.name != name or region.short_name != short:
                RegionChange.objects.create(
                    region=region, kind=RegionChange.Kind.RENAMED, old_name=region.name, new_name=name, source=source
                )
                region.name, region.short_name = name, short
                changed += ["name", "short_name"]
                stats.renamed += 1
            if not region.is_active and region.merged_into_id is None:
                region.is_active = True
                changed.append("is_active")
                RegionChange.objects.create(region=region, kind=RegionChange.Kind.REACTIVATED, source=source)
                stats.reactivated += 1
            if changed:
                region.save(update_fields=changed)
            else:
                stats.unchanged += 1
        if "population" in node and node["population"] is not None:
            Region.objects.filter(pk=region.pk).update(population=int(node["population"]))
        for child in node.get("children") or []:
            walk(child, region)

    with transaction.atomic():
        walk(tree, None)
        audit("region.load", actor=actor, object_type="core.region", object_id=str(tree.get("code", "")),
              after={"created": stats.created, "renamed": stats.renamed}, note=source)
    return stats


def add_grid(village: Region, *, name: str, actor: User | None, sequence: int | None = None) -> Region:
    """Add a grid (网格) under a village. Its code is the village code plus a 3-digit sequence."""
    if village.level != RegionLevel.VILLAGE:
        raise ValidationFailed("INVALID_PARENT", "网格只能设在村（社区）之下。")
    name = name.strip()
    if not name:
        raise ValidationFailed("NAME_REQUIRED", "请填写网格名称。")
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=village.pk).first()
        existing = Region.objects.filter(parent=village, name=name).first()
        if existing:
            return existing
        if sequence is None:
            codes = Region.objects.filter(parent=village).values_list("code", flat=True)
            sequence = max([int(c[-3:]) for c in codes] or [0]) + 1
        code = f"{village.code}{sequence:03d}"
        check_region_code(code, RegionLevel.GRID, village.code)
        grid = Region.objects.create(code=code, name=name, level=RegionLevel.GRID, kind=RegionKind.GRID, parent=village)
        RegionChange.objects.create(region=grid, kind=RegionChange.Kind.CREATED, new_name=name)
        audit("region.grid_added", actor=actor, obj=grid, region_code=code, after={"name": name})
    return grid


def rename_region(region: Region, *, name: str, short_name: str = "", actor: User | None) -> Region:
    name = name.strip()
    if not name:
        raise ValidationFailed("NAME_REQUIRED", "请填写名称。")
    with transaction.atomic():
        RegionChange.objects.create(region=region, kind=RegionChange.Kind.RENAMED, old_name=region.name, new_name=name)
        before = {"name": region.name, "short_name": region.short_name}
        region.name, region.short_name = name, short_name
        region.save(update_fields=["name", "short_name"])
        audit("region.renamed", actor=actor, obj=region, region_code=region.code, before=before,
              after={"name": name, "short_name": short_name})
    return region


def merge_regions(source: Region, target: Region, *, actor: User | None) -> Region:
    """Merge ``source`` into ``target`` (same level): source stays for history, inactive, pointing at target."""
    if source.pk == target.pk or source.level != target.level:
        raise ValidationFailed("INVALID_MERGE", "只能合并同一层级的两个不同区划。")
    if not target.is_active:
        raise ValidationFailed("INVALID_MERGE", "不能并入已撤销的区划。")
    with transaction.atomic():
        source.is_active = False
        source.merged_into = target
        source.save(update_fields=["is_active", "merged_into"])
        RegionChange.objects.create(region=source, kind=RegionChange.Kind.MERGED, old_name=source.name, target=target)
        audit("region.merged", actor=actor, obj=source, region_code=source.code, after={"into": target.code})
    return source


def resolve_region(code: str) -> Region:
    """The active region for a code, following merges."""
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationFailed("UNKNOWN_REGION", f"区划代码 {code} 不存在。", {"code": code})
    seen = set()
    while region.merged_into_id and region.pk not in seen:
        seen.add(region.pk)
        region = region.merged_into
    return region


# ----------------------------------------------------------------------------------------------------------------
# Organisations
# ----------------------------------------------------------------------------------------------------------------
def create_organisation(
    *, name: str, kind: str, region: Region, specialty: str = "", phone: str = "", address: str = "",
    actor: User | None,
) -> Organisation:
    """Create (or return the existing) organisation of that name and kind in a region. Audited when created."""
    name = name.strip()
    if not name:
        raise ValidationFailed("NAME_REQUIRED", "请填写组织名称。")
    with transaction.atomic():
        org, created = Organisation.objects.get_or_create(
            region=region, kind=kind, name=name, defaults={"specialty": specialty, "phone": phone, "address": address}
        )
        if created:
            audit("organisation.created", actor=actor, obj=org, region_code=region.code,
                  after={"name": name, "kind": kind, "specialty": specialty})
    return org


# ----------------------------------------------------------------------------------------------------------------
# Accounts
# ----------------------------------------------------------------------------------------------------------------
def check_password_policy(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed("WEAK_PASSWORD", "密码不符合要求：" + "；".join(exc.messages), exc.messages) from exc


def create_staff_user(
    *, username: str, password: str, display_name: str, phone: str = "", actor: User | None,
    is_superuser: bool = False,
) -> User:
    """Create a staff account. The password must meet the policy (≥ 10 characters, 3 character classes)."""
    username = username.strip()
    if not username:
        raise ValidationFailed("USERNAME_REQUIRED", "请填写用户名。")
    phone_norm = ""
    if phone:
        try:
            phone_norm = personal.validate_phone(phone)
        except ValidationError as exc:
            raise ValidationFailed("INVALID_PHONE", exc.messages[0], {"phone": exc.messages}) from exc
    user = User(username=username, display_name=display_name, kind=UserKind.STAFF, is_staff=is_superuser,
                is_superuser=is_superuser)
    check_password_policy(password, user)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict("USERNAME_TAKEN", f"用户名 {username} 已被使用。")
        user.set_password(password)
        user.password_changed_at = timezone.now()
        if phone_norm:
            user.phone = phone_norm
            user.phone_index = crypto.blind_index(phone_norm, purpose="user.phone")
        user.save()
        audit("user.created", actor=actor, obj=user, after={"username": username, "kind": UserKind.STAFF})
    return user


def change_password(user: User, *, new_password: str, actor: User | None) -> None:
    check_password_policy(new_password, user)
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        audit("user.password_changed", actor=actor, obj=user)


def add_membership(
    user: User, *, role: str, region: Region, organisation: Organisation | None = None, actor: User | None
) -> Membership:
    """Give a staff user a role over a region (and usually in an organisation). Idempotent; audited when new."""
    if role not in Role.values:
        raise ValidationFailed("UNKNOWN_ROLE", f"未知角色：{role}")
    if user.kind == UserKind.CITIZEN:
        raise ValidationFailed("NOT_STAFF", "群众账号不能担任工作角色。")
    if organisation is not None and not region.code.startswith(organisation.region.code[:6]):
        raise ValidationFailed("REGION_MISMATCH", "管辖区划与所属组织不在同一县（市）。")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, role=role, region=region, organisation=organisation
        )
        if created:
            audit("membership.added", actor=actor, obj=membership, region_code=region.code,
                  after={"user": user.username, "role": role, "region": region.code,
                         "organisation": organisation.pk if organisation else None})
    return membership


def check_token_scopes(scopes: Iterable[str] | None) -> list[str]:
    """The scopes of a new token, in vocabulary order: none given → every scope (the user's own rights); ``read`` or
    ``write`` alone → that access to every app; an unknown name → ValidationFailed ``UNKNOWN_SCOPE``."""
    requested = [s.strip() for s in (scopes or []) if s and s.strip()]
    if not requested:
        return list(TOKEN_SCOPES)
    chosen: set[str] = set()
    unknown: list[str] = []
    for scope in requested:
        expanded = [f"{app}:{scope}" for app in TOKEN_APPS] if scope in TOKEN_ACCESS else [scope]
        if any(s not in TOKEN_SCOPES for s in expanded):
            unknown.append(scope)
        chosen.update(expanded)
    if unknown:
        raise ValidationFailed("UNKNOWN_SCOPE", f"未知的令牌权限：{'、'.join(unknown)}。可用的权限："
                               f"{'、'.join(TOKEN_SCOPES)}，或 read、write（全部应用）。", {"scopes": unknown})
    return [s for s in TOKEN_SCOPES if s in chosen]


def _check_token_manager(actor: User | None, user: User) -> None:
    """The county administrator manages the tokens of staff and service accounts inside their jurisdiction;
    ``actor=None`` is the operator's command line."""
    if actor is None:
        return
    if not rules.can_manage_api_tokens(actor) or not selectors.staff_visible_to(actor).filter(pk=user.pk).exists():
        raise Forbidden("FORBIDDEN", "只有本县（市）的县级管理员可以为本县账号签发或撤销接口令牌。")


def issue_api_token(user: User, *, name: str, actor: User | None, scopes: Iterable[str] | None = None,
                    expires_at: dt.datetime | None = None) -> str:
    """Create a bearer token for a machine client; returns the plaintext once (``xz_<prefix>_<secret>``).

    ``scopes`` narrows what the token may do within the user's own rights (see check_token_scopes; none → all);
    ``expires_at`` ends it (none → until revoked). Side effects: the ApiToken row (only the secret's SHA-256);
    audit ``api_token.issued``."""
    _check_token_manager(actor, user)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("INVALID_TOKEN_NAME", "请填写令牌名称（不超过 100 字），写明接入单位和用途。")
    if user.kind == UserKind.CITIZEN or not user.is_active:
        raise ValidationFailed("INVALID_TOKEN_USER", "接口令牌只能签发给在用的工作人员或系统接入账号。")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("INVALID_TOKEN_EXPIRY", "有效期须晚于现在。")
    scopes = check_token_scopes(scopes)
    prefix = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(name=name, user=user, prefix=prefix, scopes=scopes, expires_at=expires_at,
                                        created_by=actor if actor is not None and actor.pk else None,
                                        secret_hash=hashlib.sha256(secret.encode()).hexdigest())
        audit("api_token.issued", actor=actor, obj=user, after={
            "token": token.pk, "name": name, "prefix": prefix, "scopes": scopes,
            "expires_at": expires_at.isoformat() if expires_at else None})
    return f"xz_{prefix}_{secret}"


def revoke_api_token(token: ApiToken, *, actor: User | None) -> ApiToken:
    """End a token now (idempotent). Side effects: ``revoked_at``; audit ``api_token.revoked`` the first time."""
    _check_token_manager(actor, token.user)
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit("api_token.revoked", actor=actor, obj=token.user,
                  after={"token": token.pk, "name": token.name, "prefix": token.prefix})
    token.refresh_from_db(fields=["revoked_at"])
    return token


def token_for(raw: str) -> ApiToken | None:
    """The live token (not revoked, not expired, active user) for ``xz_<prefix>_<secret>``, or None."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "xz":
        return None
    now = timezone.now()
    token = (ApiToken.objects.select_related("user")
             .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now),
                     prefix=parts[1], revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.secret_hash, hashlib.sha256(parts[2].encode()).hexdigest()):
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def authenticate_token(raw: str) -> User | None:
    token = token_for(raw)
    return token.user if token is not None else None


def check_token_scope(token: ApiToken, *, app: str, access: str) -> None:
    """Refuse (403 ``TOKEN_SCOPE``) a request the token's scopes do not cover; ``write`` includes ``read``."""
    needed = f"{app}:{access}"
    if needed in token.scopes or (access == "read" and f"{app}:write" in token.scopes):
        return
    raise Forbidden("TOKEN_SCOPE", f"该接口令牌没有“{needed}”权限，请联系县级管理员签发相应权限的令牌。",
                    {"required": needed, "scopes": list(token.scopes)})


# ----------------------------------------------------------------------------------------------------------------
# Idempotency keys of the API's creating POSTs (core.idempotency)
# ----------------------------------------------------------------------------------------------------------------
def claim_idempotency_key(*, client: str, key: str, fingerprint: str, now: dt.datetime | None = None) -> IdempotencyKey:
    """Claim ``key`` for ``client``: a new row (``status_code`` None) for a first request, or the stored row of the
    first request, whose response the caller replays.

    Call it inside the transaction that also runs the request and records its response: a concurrent duplicate then
    waits on the unique constraint and sees the first result, and a failed request leaves no key. Raises
    ValidationFailed ``IDEMPOTENCY_KEY_REUSED`` for the key of another request; Conflict ``IDEMPOTENCY_IN_PROGRESS``
    while the first is unfinished. Side effects: removes this client's expired row for the key."""
    now = now or timezone.now()
    IdempotencyKey.objects.filter(client=client, key=key, expires_at__lte=now).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                client=client, key=key, fingerprint=fingerprint, created_at=now,
                expires_at=now + dt.timedelta(hours=settings.XIANGZHI_IDEMPOTENCY_KEY_HOURS))
    except IntegrityError:
        row = IdempotencyKey.objects.filter(client=client, key=key).first()
    if row is not None and row.fingerprint != fingerprint:
        raise ValidationFailed("IDEMPOTENCY_KEY_REUSED", "该 Idempotency-Key 已用于另一个内容不同的请求，请为新的请求使用新的键。")
    if row is None or row.status_code is None:
        raise Conflict("IDEMPOTENCY_IN_PROGRESS", "使用该 Idempotency-Key 的请求正在处理中，请稍后重试。")
    return row


def record_idempotent_response(row: IdempotencyKey, *, status_code: int, content_type: str, body: str) -> None:
    """Keep the first response of a claimed key, for its retries."""
    row.status_code, row.content_type, row.body = status_code, content_type[:100], body
    row.save(update_fields=["status_code", "content_type", "body"])


def release_idempotency_key(row: IdempotencyKey) -> None:
    """Forget a claimed key whose request failed, so that a retry is processed afresh."""
    IdempotencyKey.objects.filter(pk=row.pk).delete()


def prune_idempotency_keys(*, now: dt.datetime | None = None) -> int:
    """Delete expired idempotency keys (runperiodic, hourly)."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# ----------------------------------------------------------------------------------------------------------------
# Citizens: phone + one-time code
# ----------------------------------------------------------------------------------------------------------------
def _code_hash(phone_index: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone_index}:{code}".encode(), hashlib.sha256).hexdigest()


def check_phone(phone: str) -> str:
    try:
        return personal.validate_phone(phone)
    except ValidationError as exc:
        raise ValidationFailed("INVALID_PHONE", exc.messages[0], {"phone": exc.messages}) from exc


def request_login_code(phone: str, *, client_ip: str | None = None) -> None:
    """Send a 6-digit sign-in code by SMS. Side effects: one OneTimeCode row, one queued SMS; rate limited per phone
    and, for a request from ``client_ip``, 20 an hour per client address (pages and API alike)."""
    if client_ip is not None:
        check_rate(f"otp-ip:{client_ip}", limit=20, window_seconds=3600)
    phone = check_phone(phone)
    index = crypto.blind_index(phone, purpose="user.phone")
    check_rate(f"otp:{index}", limit=settings.XIANGZHI_RATE_LIMIT_OTP_PER_HOUR, window_seconds=3600)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
        OneTimeCode.objects.create(
            phone_index=index, code_hash=_code_hash(index, code), created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.XIANGZHI_OTP_TTL_SECONDS),
        )
        text = LOGIN_CODE_TEXT.format(code=code, minutes=settings.XIANGZHI_OTP_TTL_SECONDS // 60)
        enqueue_sms(phone, text, priority=True, secret=code)


def verify_login_code(phone: str, code: str, *, client_ip: str | None = None) -> User:
    """Check a sign-in code; create the citizen account on first sign-in. Five wrong tries burn the code; a client
    address (``client_ip``) has 30 tries in ten minutes, whatever the phones."""
    if client_ip is not None:
        check_rate(f"otp-verify-ip:{client_ip}", limit=30, window_seconds=600)
    phone = check_phone(phone)
    index = crypto.blind_index(phone, purpose="user.phone")
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OneTimeCode.objects.select_for_update()
            .filter(phone_index=index, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otp is None:
            raise ValidationFailed("CODE_EXPIRED", "验证码已失效，请重新获取。")
        if not hmac.compare_digest(otp.code_hash, _code_hash(index, (code or "").strip())):
            otp.attempts += 1
            if otp.attempts >= 5:
                otp.used_at = now
            otp.save(update_fields=["attempts", "used_at"])
            wrong = ValidationFailed("CODE_WRONG", "验证码不正确。")
        else:
            wrong = None
            otp.used_at = now
            otp.save(update_fields=["used_at"])
    if wrong is not None:
        raise wrong
    with transaction.atomic():
        user = citizen_account(phone)
        User.objects.filter(pk=user.pk).update(last_login=now)
    return user


def citizen_account(phone: str) -> User:
    """The citizen account of a verified ``phone``, created on first use (the sign-in above, and the demo's
    villagers). Side effects: the User row and a ``citizen.registered`` audit row the first time."""
    phone = check_phone(phone)
    index = crypto.blind_index(phone, purpose="user.phone")
    with transaction.atomic():
        user = User.objects.filter(phone_index=index).first()
        if user is None:
            user = User(username=f"c_{index[:16]}", kind=UserKind.CITIZEN, phone=phone, phone_index=index)
            user.set_unusable_password()
            user.save()
            audit("citizen.registered", actor=user, obj=user)
        elif user.kind != UserKind.CITIZEN:
            raise ValidationFailed("NOT_A_CITIZEN", "该手机号属于工作人员账号，请使用工作台登录。")
    return user


# ----------------------------------------------------------------------------------------------------------------
# People and personal data
# ----------------------------------------------------------------------------------------------------------------
def check_person_fields(*, name: str, id_number: str = "", phone: str = "") -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    clean = {"name": (name or "").strip(), "id_number": "", "phone": ""}
    if not clean["name"]:
        errors["name"] = ["请填写姓名。"]
    elif len(clean["name"]) > 60:
        errors["name"] = ["姓名过长。"]
    if id_number:
        try:
            clean["id_number"] = personal.validate_id_number(id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.messages
    if phone:
        try:
            clean["phone"] = personal.validate_phone(phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed("INVALID_PERSON", first, errors)
    return clean


def create_person(
    *, name: str, id_number: str = "", phone: str = "", address: str = "", region: Region | None = None,
    user: User | None = None, actor: User | None,
) -> Person:
    """Record a person. 身份证号, phone and address are encrypted; blind indexes allow exact lookup.

    If a person with the same 身份证号 exists, that person is returned (phone/address filled in if missing).
    """
    clean = check_person_fields(name=name, id_number=id_number, phone=phone)
    id_index = crypto.blind_index(clean["id_number"], purpose="person.id") if clean["id_number"] else None
    phone_index = crypto.blind_index(clean["phone"], purpose="person.phone") if clean["phone"] else None
    with transaction.atomic():
        if id_index:
            existing = Person.objects.select_for_update().filter(id_number_index=id_index).first()
            if existing:
                changed = []
                if phone_index and not existing.phone_index:
                    existing.phone, existing.phone_index = clean["phone"], phone_index
                    changed += ["phone", "phone_index"]
                if address and not existing.address:
                    existing.address = address
                    changed.append("address")
                if changed:
                    existing.save(update_fields=changed)
                return existing
        person = Person.objects.create(
            name=clean["name"], id_number=clean["id_number"], id_number_index=id_index, phone=clean["phone"],
            phone_index=phone_index, address=(address or "").strip()[:200], region=region, user=user,
        )
        audit("person.created", actor=actor, obj=person, region_code=region.code if region else "",
              after={"name": person.masked_name, "id_number": person.masked_id_number, "phone": person.masked_phone})
    return person


@dataclass(frozen=True)
class PersonIn:
    """One person of :func:`create_persons`: what :func:`create_person` takes."""

    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    region: Region | None = None
    user: User | None = None


def create_persons(people: Sequence[PersonIn], *, actor: User | None,
                   audits: list[dict[str, Any]] | None = None) -> list[Person]:
    """:func:`create_person` for several people at once, in order: the same persons (a known 身份证号 returns that
    person, phone/address filled in if missing; the same 身份证号 twice in ``people`` is one person), the same rows and
    the same ``person.created`` audit rows, written with one SELECT of the known 身份证号 (if any), one INSERT of the
    new persons and one of their audit rows. With ``audits``, the audit rows' arguments are appended to that list
    instead, for the caller to write with its own (``audit_many``, in the same transaction)."""
    cleaned = []
    for p in people:
        clean = check_person_fields(name=p.name, id_number=p.id_number, phone=p.phone)
        id_index = crypto.blind_index(clean["id_number"], purpose="person.id") if clean["id_number"] else None
        phone_index = crypto.blind_index(clean["phone"], purpose="person.phone") if clean["phone"] else None
        cleaned.append((p, clean, id_index, phone_index))
    indexes = {c[2] for c in cleaned if c[2]}
    with transaction.atomic(savepoint=False):  # no savepoint inside the caller's transaction
        known: dict[str, Person] = {}
        if indexes:
            for person in Person.objects.select_for_update().filter(id_number_index__in=indexes).order_by("pk"):
                known.setdefault(person.id_number_index, person)
        out: list[Person] = []
        new: list[Person] = []
        changed: dict[int, tuple[Person, list[str]]] = {}
        for p, clean, id_index, phone_index in cleaned:
            existing = known.get(id_index) if id_index else None
            if existing is not None:
                fields: list[str] = []
                if phone_index and not existing.phone_index:
                    existing.phone, existing.phone_index = clean["phone"], phone_index
                    fields += ["phone", "phone_index"]
                if p.address and not existing.address:
                    existing.address = p.address
                    fields.append("address")
                if fields and existing.pk is not None:
                    changed.setdefault(id(existing), (existing, []))[1].extend(fields)
                out.append(existing)
                continue
            person = Person(
                name=clean["name"], id_number=clean["id_number"], id_number_index=id_index, phone=clean["phone"],
                phone_index=phone_index, address=(p.address or "").strip()[:200], region=p.region, user=p.user,
            )
            if id_index:
                known[id_index] = person
            new.append(person)
            out.append(person)
        for person, fields in changed.values():
            person.save(update_fields=list(dict.fromkeys(fields)))
        if new:
            Person.objects.bulk_create(new)
        items = [{"action": "person.created", "actor": actor, "obj": person,
                  "region_code": person.region.code if person.region else "",
                  "after": {"name": person.masked_name, "id_number": person.masked_id_number,
                            "phone": person.masked_phone}} for person in new]
        if audits is not None:
            audits.extend(items)
        else:
            audit_many(items)
    return out


def find_people_by_id_number(id_number: str) -> models.QuerySet[Person]:
    try:
        number = personal.validate_id_number(id_number)
    except ValidationError:
        return Person.objects.none()
    return Person.objects.filter(id_number_index=crypto.blind_index(number, purpose="person.id"))


def find_people_by_phone(phone: str) -> models.QuerySet[Person]:
    try:
        number = personal.validate_phone(phone)
    except ValidationError:
        return Person.objects.none()
    return Person.objects.filter(phone_index=crypto.blind_index(number, purpose="person.phone"))


PERSONAL_FIELDS = ("name", "id_number", "phone", "address")


def reveal_personal_data(person: Person, *, actor: User, reason: str, fields: Iterable[str] = PERSONAL_FIELDS) -> dict:
    """Return the unmasked fields of a person for a role that may see them, writing an access-log row.

    The caller must already have checked the actor may see this person (selectors/rules); this function checks the
    role may see personal data at all and that a reason is given.
    """
    from .rules import can_view_personal_data

    fields = [f for f in fields if f in PERSONAL_FIELDS]
    if not can_view_personal_data(actor):
        raise XiangzhiError("PERSONAL_DATA_FORBIDDEN", "您的角色无权查看完整个人信息。", status=403)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", "查看完整个人信息须填写事由。")
    with transaction.atomic():
        PersonalDataAccess.objects.create(
            viewer=actor, person=person, fields=",".join(fields), reason=reason[:200], ip=current_ip.get()
        )
    return {f: getattr(person, f) for f in fields}


# ----------------------------------------------------------------------------------------------------------------
# Personal numbers typed into free text
# ----------------------------------------------------------------------------------------------------------------
NumbersByField = dict[str, list[personal.FoundNumber]]


def protect_texts(texts: dict[str, str]) -> tuple[dict[str, str], NumbersByField]:
    """Find the 身份证号 and mobile numbers in each free-text field: the texts with only the masked forms, and the
    numbers found, by field, for ``keep_text_numbers`` once the holder is saved. Writes nothing.

    Every writer of free text that may hold someone's numbers goes through this (case intake and import, consultation
    questions), so the plain numbers never reach a text column."""
    masked: dict[str, str] = {}
    found: NumbersByField = {}
    for name, text in texts.items():
        numbers = personal.find_numbers(text or "")
        masked[name] = personal.mask_found(text or "", numbers) if numbers else (text or "")
        if numbers:
            found[name] = numbers
    return masked, found


def protect_text(text: str, name: str = "text") -> tuple[str, NumbersByField]:
    """:func:`protect_texts` of one field ``name``: the masked text and the numbers found (under ``name``)."""
    masked, found = protect_texts({name: text})
    return masked[name], found


_INDEX_PURPOSE = {TextNumber.Kind.ID_NUMBER: "person.id", TextNumber.Kind.PHONE: "person.phone"}


def text_number_rows(obj: models.Model, found: NumbersByField, *, region_code: str = "") -> list[TextNumber]:
    """Unsaved TextNumber rows of ``obj`` (for bulk writers); values encrypted, blind-indexed like a Person's."""
    rows = []
    for name, numbers in found.items():
        for position, f in enumerate(numbers):
            rows.append(TextNumber(
                object_type=obj._meta.label_lower, object_id=str(obj.pk), field=name, position=position, kind=f.kind,
                value=f.value, value_index=crypto.blind_index(f.value, purpose=_INDEX_PURPOSE[f.kind]),
                masked=f.masked, region_code=region_code))
    return rows


def keep_text_numbers(obj: models.Model, found: NumbersByField, *, region_code: str = "") -> list[TextNumber]:
    """Store the numbers ``protect_texts`` found in ``obj``'s free text (encrypted). Side effects: TextNumber rows."""
    rows = text_number_rows(obj, found, region_code=region_code)
    return TextNumber.objects.bulk_create(rows) if rows else []


def reveal_text_numbers(obj: models.Model, *, actor: User, reason: str, region_code: str = "") -> list[dict[str, str]]:
    """The numbers found in ``obj``'s free text, in full, under the rule of ``reveal_personal_data``: a role with the
    personal-data right and a reason. The caller must already have checked the actor may see ``obj``.

    Side effects: one audit row ``personal.text_numbers_revealed`` with the reason (attested in the ledger)."""
    from .rules import can_view_personal_data

    if not can_view_personal_data(actor):
        raise XiangzhiError("PERSONAL_DATA_FORBIDDEN", "您的角色无权查看完整个人信息。", status=403)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", "查看完整个人信息须填写事由。")
    from .selectors import text_numbers_of

    rows = list(text_numbers_of(obj))
    with transaction.atomic():
        audit("personal.text_numbers_revealed", actor=actor, obj=obj, region_code=region_code,
              after={"numbers": [r.masked for r in rows]}, note=reason[:200])
    return [{"field": r.field, "kind": r.kind, "masked": r.masked, "value": r.value} for r in rows]


def rotate_encryption_keys(*, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted value whose key id is not the active key's. Returns the rows rewritten."""
    from django.apps import apps

    from .fields import EncryptedTextField

    active = crypto.keyring().active_id
    rewritten = 0
    for model in apps.get_models():
        enc_fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if not enc_fields:
            continue
        last_pk = None
        while True:
            # The ORM decrypts on read, so the key ids are read from the raw columns below.
            raw_page = model._base_manager.order_by("pk")
            if last_pk is not None:
                raw_page = raw_page.filter(pk__gt=last_pk)
            pks = list(raw_page.values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            last_pk = pks[-1]
            table = model._meta.db_table
            cols = ", ".join(f'"{f.column}"' for f in enc_fields)
            from django.db import connection

            with connection.cursor() as cursor:
                placeholders = ", ".join(["%s"] * len(pks))
                # Table and column names come from the model, values are bound.
                pk_col = model._meta.pk.column
                sql = f'SELECT "{pk_col}", {cols} FROM "{table}" WHERE "{pk_col}" IN ({placeholders})'  # noqa: S608
                cursor.execute(sql, pks)
                rows = cursor.fetchall()
            for pk, *values in rows:
                stale = [f.name for f, value in zip(enc_fields, values, strict=True)
                         if value and crypto.key_id_of(value) not in (None, active)]
                if stale:
                    with transaction.atomic():
                        obj = model._base_manager.select_for_update().get(pk=pk)
                        obj.save(update_fields=stale)
                    rewritten += 1
    return rewritten


# ----------------------------------------------------------------------------------------------------------------
# Notifications: an outbox written with the change, delivered by a background task
# ----------------------------------------------------------------------------------------------------------------
def enqueue_sms(
    phone: str, body: str, *, user: User | None = None, link: str = "", dedupe_key: str | None = None,
    priority: bool = False, secret: str = "",
) -> Notification | None:
    """Queue an SMS in the outbox (same transaction as the caller). With ``dedupe_key``, at most once ever.

    A ``secret`` in the body (a sign-in code) is never stored readable: the row's body has it masked, the text as sent
    is kept encrypted in ``sealed_body`` only until the message is sent or given up.

    Side effects: one Notification row; after commit, a delivery task is enqueued.
    """
    sealed = {"body": body.replace(secret, "*" * len(secret)), "sealed_body": body} if secret else {"body": body}
    note = _create_once(channel="sms", recipient_user=user, recipient_phone=phone, link=link, dedupe_key=dedupe_key,
                        **sealed)
    if note is not None:
        _schedule_delivery(priority)
    return note


@dataclass(frozen=True)
class Sms:
    """One message of :func:`enqueue_sms_once`: what :func:`enqueue_sms` takes, the dedupe key required."""

    phone: str
    body: str
    link: str
    dedupe_key: str


def enqueue_sms_once(messages: Iterable[Sms]) -> set[str]:
    """:func:`enqueue_sms` for several messages, each queued at most once ever by its dedupe key: one SELECT of the
    keys already used and one INSERT of the rest (a key a concurrent writer inserts in between is skipped by the
    unique constraint), in the caller's transaction. Returns the keys queued by this call."""
    todo = list(messages)
    if not todo:
        return set()
    used = set(Notification.objects.filter(dedupe_key__in={m.dedupe_key for m in todo}).order_by()
               .values_list("dedupe_key", flat=True))
    rows = []
    for m in todo:
        if m.dedupe_key in used:
            continue
        used.add(m.dedupe_key)
        rows.append(Notification(channel="sms", recipient_user=None, recipient_phone=m.phone, body=m.body,
                                 link=absolute_link(m.link), dedupe_key=m.dedupe_key))
    if not rows:
        return set()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    _schedule_delivery(False)
    return {n.dedupe_key for n in rows}


def absolute_link(link: str) -> str:
    """A notification link as the recipient's phone needs it: a path becomes ``XIANGZHI_PUBLIC_URL`` + path."""
    if link.startswith("/") and not link.startswith("//"):
        return settings.XIANGZHI_PUBLIC_URL + link
    return link


def _create_once(**fields) -> Notification | None:  # noqa: ANN003
    """Insert an outbox row; with a ``dedupe_key`` already used (even by a concurrent writer), insert nothing."""
    fields["link"] = absolute_link(fields.get("link", ""))
    key = fields.get("dedupe_key")
    if key and Notification.objects.filter(dedupe_key=key).exists():
        return None
    try:
        with transaction.atomic():
            return Notification.objects.create(**fields)
    except IntegrityError:
        return None


def notify_user(user: User, *, subject: str, body: str, link: str = "", dedupe_key: str | None = None) -> Notification | None:
    """Queue an in-app message (and an SMS if the user has a phone) for a staff user or citizen."""
    note = _create_once(
        channel="sms" if user.phone else "inbox", recipient_user=user, recipient_phone=user.phone or "",
        subject=subject, body=body, link=link, dedupe_key=dedupe_key,
        status="queued" if user.phone else "sent", sent_at=None if user.phone else timezone.now(),
    )
    if note is not None and user.phone:
        _schedule_delivery(False)
    return note


@dataclass(frozen=True)
class Message:
    """One message of ``notify_users_once``: what ``notify_user`` takes, the dedupe key required."""

    user: User
    subject: str
    body: str
    link: str
    dedupe_key: str


def notify_users_once(messages: Iterable[Message], *, batch: int = 2000) -> set[str]:
    """``notify_user`` for many messages at once, each sent at most once ever by its dedupe key: the keys already
    used are found with one query a batch and the rest inserted with one statement, in a transaction per batch (a key
    a concurrent writer inserts in between is skipped by the unique constraint). Returns the keys of the messages
    this call queued — a key inserted by a concurrent writer at the same instant may be counted by both; the message
    itself still exists once."""
    queued: set[str] = set()
    todo = list(messages)
    for i in range(0, len(todo), batch):
        part = todo[i:i + batch]
        used = set(Notification.objects.filter(dedupe_key__in={m.dedupe_key for m in part})
                   .values_list("dedupe_key", flat=True))
        now = timezone.now()
        rows, phones = [], False
        for m in part:
            if m.dedupe_key in used:
                continue
            used.add(m.dedupe_key)
            phone = m.user.phone or ""
            phones = phones or bool(phone)
            rows.append(Notification(channel="sms" if phone else "inbox", recipient_user=m.user,
                                     recipient_phone=phone, subject=m.subject, body=m.body, link=absolute_link(m.link),
                                     dedupe_key=m.dedupe_key, status="queued" if phone else "sent",
                                     sent_at=None if phone else now, next_attempt_at=now, created_at=now))
        if not rows:
            continue
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True)
            if phones:
                _schedule_delivery(False)
        queued.update(n.dedupe_key for n in rows)
    return queued


def _schedule_delivery(priority: bool) -> None:
    from .tasks import deliver_notifications

    def enqueue() -> None:
        try:
            deliver_notifications.enqueue()
        except Exception:  # noqa: BLE001 - runperiodic delivers anything a failed enqueue left behind
            import logging

            logging.getLogger(__name__).warning("could not enqueue notification delivery; runperiodic will deliver")

    transaction.on_commit(enqueue)


def deliver_notifications(*, worker: str = "", limit: int = 200) -> dict[str, int]:
    """Claim due outbox rows and send them, each exactly once; failures retry with exponential back-off.

    A row is claimed with a guarded UPDATE (``claimed_until`` lease), so two workers never send the same message.
    """
    from .sms import SmsError, get_backend

    backend = get_backend()
    sent = failed = 0
    now = timezone.now()
    candidates = list(
        Notification.objects.filter(status="queued", next_attempt_at__lte=now)
        .filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    for pk in candidates:
        lease = timezone.now() + dt.timedelta(minutes=2)
        claimed = (
            Notification.objects.filter(pk=pk, status="queued")
            .filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=timezone.now()))
            .update(claimed_until=lease)
        )
        if not claimed:
            continue
        note = Notification.objects.get(pk=pk)
        text = (note.sealed_body or note.body) + (f" {note.link}" if note.link else "")
        try:
            backend.send(note.recipient_phone, text)
        except SmsError as exc:
            attempts = note.attempts + 1
            give_up = attempts >= settings.XIANGZHI_NOTIFY_MAX_ATTEMPTS
            Notification.objects.filter(pk=pk).update(
                attempts=attempts, last_error=str(exc)[:300], claimed_until=None,
                status="failed" if give_up else "queued", **({"sealed_body": ""} if give_up else {}),
                next_attempt_at=timezone.now() + dt.timedelta(seconds=30 * 2 ** (attempts - 1)),
            )
            failed += 1
            continue
        Notification.objects.filter(pk=pk).update(
            status="sent", sent_at=timezone.now(), attempts=note.attempts + 1, claimed_until=None, sealed_body=""
        )
        sent += 1
    return {"sent": sent, "failed": failed}


def mark_notification_read(note: Notification, *, actor: User) -> None:
    if note.recipient_user_id != actor.pk:
        raise NotFound()
    if note.read_at is None:
        Notification.objects.filter(pk=note.pk).update(read_at=timezone.now())


def enable_totp(user: User, *, secret: str, code: str, actor: User) -> None:
    """Turn on the TOTP second factor once the user proves the authenticator app shows the right code (a code used
    once, here or at sign-in, is never accepted again). Side effects: the secret stored encrypted, an audit row."""
    from .security import use_totp_code

    with transaction.atomic():
        if not use_totp_code(user, code, secret=secret):
            raise ValidationFailed("TOTP_WRONG", "验证码不正确或已使用过，请确认手机时间准确后等下一个验证码重试。")
        user.totp_secret = secret
        user.totp_enabled = True
        user.save(update_fields=["totp_secret", "totp_enabled"])
        audit("user.totp_enabled", actor=actor, obj=user)
