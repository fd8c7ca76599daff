"""Every write of 桐解码: intake from every channel, case numbers, triage and routing, the one stage-transition
function, assignment and its confirmation deadline, mediation records, signatures and the seal, party answers.

Conventions (STYLE.md): ``check_*`` validates and raises ``XiangzhiError``; writers are atomic; ``actor`` is
keyword-only; every change writes an audit row (core), a timeline row through ``_record_event`` (the seam where the
tamper-evident ledger will append), and queues notifications to the parties.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.enums import OrgKind, RegionLevel, Role, Specialty, UserKind
from xiangzhi.core.errors import Conflict, ValidationFailed, XiangzhiError
from xiangzhi.core.models import Membership, Organisation, Region, User
from xiangzhi.core.workdays import deadline_after

from . import attestation, rules, triage
from .enums import (
    ALLOWED_TRANSITIONS,
    ENTRY_STAGES,
    GROUND_REDIRECT,
    LEVEL_ORDER,
    PARTY_MOVES,
    REFERRAL_SOURCES,
    ROUTES_NOTICE,
    SYSTEM_MOVES,
    CaseSource,
    CaseStage,
    Channel,
    Consent,
    Entry,
    EventKind,
    Level,
    NotAcceptedGround,
    PartyKind,
    PartyMove,
    PartyRole,
    RiskLevel,
    SignatureMethod,
    SystemMove,
    TerminationReason,
)
from .models import (
    Attachment,
    Case,
    CaseCounter,
    DisputeType,
    MediationSession,
    Party,
    RoutingRule,
    Seal,
    Signature,
)

S = CaseStage
COUNTY_ABBR = "桐"
REPEAT_WINDOW_DAYS = 90
ALLOWED_UPLOADS = {  # extension → (content type, magic bytes)
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "pdf": ("application/pdf", b"%PDF-"),
}
MAX_RESPONDENTS = 10
MAX_FILES = 10


# ----------------------------------------------------------------------------------------------------------------
# The ledger seam
# ----------------------------------------------------------------------------------------------------------------
def _record_event(case: Case, kind: EventKind, payload: dict[str, Any], *, actor: User | None = None, text: str = "",
                  stage_from: str = "", stage_to: str = "", public: bool = True, at: dt.datetime | None = None,
                  attest: bool = True):
    """Record one event of a case's history. Called at creation, each transition, each attachment (with its SHA-256)
    and each signature. Today it writes the timeline row; the ledger app will also append ``payload`` to the
    tamper-evident log here, and nowhere else. ``attest=False``: the caller knows the event leaves the case's attested
    fields as its latest state leaf has them (or appends that state itself), so the state is not re-read."""
    from .models import TimelineEvent

    event = TimelineEvent(
        case=case, kind=kind, at=at or timezone.now(), actor=actor if actor is not None and actor.pk else None,
        actor_label=_actor_label(actor), stage_from=stage_from, stage_to=stage_to, text=text[:300], public=public,
        payload={"case": case.number, **payload},
    )
    event.save()
    # 区块链存证 (added by the ledger work): attest the event in the tamper-evident log, in this same transaction.
    # disputes.attestation registers how to recompute "case.*" leaves from this row (and attachment files).
    attestation.append_event(event)
    # ... and the case's attested fields (application text, request, parties, agreement, stage) when they changed.
    if attest:
        attestation.attest_case(case.pk)
    return event


def _actor_label(actor: User | None) -> str:
    if actor is None:
        return "系统"
    if actor.kind == UserKind.CITIZEN:
        return "当事人"
    return actor.display_name or actor.username


# The dispute types and the routing table: read by every intake, edited rarely (admin). Cached per process for
# REFERENCE_TTL_SECONDS and forgotten at once when a row is saved or deleted through the ORM in this process (another
# process sees an edit within the TTL, like the holiday calendar).
REFERENCE_TTL_SECONDS = 600
_REFERENCE: dict[str, Any] = {"at": 0.0, "types": None, "rules": None}


def forget_reference_data(**_: Any) -> None:
    _REFERENCE["types"] = _REFERENCE["rules"] = None


for _model in (DisputeType, RoutingRule):
    post_save.connect(forget_reference_data, sender=_model, dispatch_uid=f"disputes.reference.save.{_model.__name__}")
    post_delete.connect(forget_reference_data, sender=_model, dispatch_uid=f"disputes.reference.del.{_model.__name__}")


def _reference() -> dict[str, Any]:
    """``{"types": {code: DisputeType} (all), "rules": [active RoutingRule in the table's order]}``, cached."""
    if _REFERENCE["types"] is None or time.monotonic() - _REFERENCE["at"] > REFERENCE_TTL_SECONDS:
        _REFERENCE["types"] = {t.code: t for t in DisputeType.objects.all()}
        _REFERENCE["rules"] = list(RoutingRule.objects.filter(is_active=True))
        _REFERENCE["at"] = time.monotonic()
    return _REFERENCE


def ensure_reference_data() -> None:
    """Seed the dispute types and default routing rules if missing (the data migration does the same; this is for
    databases flushed by transactional tests and for the demo). Idempotent."""
    import importlib

    seed = importlib.import_module("xiangzhi.disputes.migrations.0002_seed_types_and_routing")
    if DisputeType.objects.exists():
        return
    from django.apps import apps

    seed.seed(apps, None)


# ----------------------------------------------------------------------------------------------------------------
# Numbers and tokens (一案一码)
# ----------------------------------------------------------------------------------------------------------------
def format_number(year: int, seq: int) -> str:
    return f"{COUNTY_ABBR}解〔{year}〕{seq:05d}号"


def format_archive_number(year: int, seq: int) -> str:
    return f"({year}){COUNTY_ABBR}人调字第{seq}号"


def next_sequence(year: int) -> int:
    """The next sequence number of ``year``: the year's counter row is locked (one ``UPDATE … RETURNING`` where the
    database has it, else SELECT … FOR UPDATE; SQLite transactions take the write lock at BEGIN IMMEDIATE), so
    concurrent intakes never share a number. The year's first intake creates the row."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_sequence must run inside the intake transaction")
    connection = transaction.get_connection()
    if connection.features.can_return_columns_from_insert:  # UPDATE … RETURNING (PostgreSQL, SQLite ≥ 3.35)
        table = connection.ops.quote_name(CaseCounter._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])  # noqa: S608 - the table name is quoted, the year a parameter
            row = cursor.fetchone()
        if row is not None:
            return row[0]
    counter = CaseCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                CaseCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another intake created it first
        counter = CaseCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


# ----------------------------------------------------------------------------------------------------------------
# Uploads
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class Upload:
    """A file as received: name, declared type and the bytes — in ``content`` (a test, a command), or in ``source``,
    a received file (a form, the API) that is read in chunks and never held in memory whole."""

    name: str
    content: bytes = b""
    content_type: str = ""
    source: File | None = None

    @classmethod
    def from_django(cls, f) -> Upload:  # noqa: ANN001
        return cls(name=f.name, content_type=getattr(f, "content_type", "") or "", source=f)

    @property
    def size(self) -> int:
        return self.source.size if self.source is not None else len(self.content)

    def head(self, n: int = 16) -> bytes:
        """The first ``n`` bytes (for the type check by content)."""
        if self.source is None:
            return self.content[:n]
        self.source.seek(0)
        data = self.source.read(n)
        self.source.seek(0)
        return data

    def chunks(self) -> Iterator[bytes]:
        if self.source is None:
            yield self.content
            return
        self.source.seek(0)
        yield from self.source.chunks()


def check_upload(upload: Upload) -> tuple[str, str]:
    """(extension, content type) of an acceptable file, or ValidationFailed: jpg/png/pdf, by name AND content,
    at most XIANGZHI_MAX_UPLOAD_BYTES. Every uploaded file the platform keeps goes through this."""
    limit = settings.XIANGZHI_MAX_UPLOAD_BYTES
    size = upload.size
    if size > limit:
        raise ValidationFailed("FILE_TOO_LARGE", f"文件“{upload.name}”超过 {limit // (1024 * 1024)} MB，请压缩后再上传。",
                               {"file": upload.name, "size": size, "limit": limit})
    if size == 0:
        raise ValidationFailed("FILE_EMPTY", f"文件“{upload.name}”是空的。", {"file": upload.name})
    ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if ext not in ALLOWED_UPLOADS or not upload.head().startswith(ALLOWED_UPLOADS[ext][1]):
        raise ValidationFailed("FILE_TYPE_NOT_ALLOWED", f"文件“{upload.name}”的类型不支持，只能上传 JPG、PNG 图片或 PDF 文件。",
                               {"file": upload.name, "allowed": ["jpg", "png", "pdf"]})
    return ext, ALLOWED_UPLOADS[ext][0]


def save_upload(upload: Upload, folder: str, ext: str) -> tuple[str, str]:
    """(storage name, SHA-256) of ``upload`` (already checked) written to storage chunk by chunk under a random name
    (never derived from the case: a file's path tells nothing about whose it is)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    body = upload.source if upload.source is not None else ContentFile(upload.content)
    if upload.source is not None:
        upload.source.seek(0)
    name = default_storage.save(f"{folder}/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{ext}", body)
    return name, digest.hexdigest()


def _store(case: Case, upload: Upload, ext: str, content_type: str, *, actor: User | None, party: Party | None,
           written: list[str], attest: bool = True) -> Attachment:
    name, digest = save_upload(upload, "cases", ext)
    written.append(name)
    att = Attachment.objects.create(case=case, file=name, original_name=upload.name[:200], content_type=content_type,
                                    size=upload.size, sha256=digest, uploaded_by=actor if actor and actor.pk else None,
                                    party=party)
    _record_event(case, EventKind.ATTACHMENT, {"attachment": att.pk, "sha256": digest, "size": att.size,
                                               "content_type": content_type}, actor=actor, text="提交了一份材料",
                  attest=attest)
    return att


def _remove_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass


# ----------------------------------------------------------------------------------------------------------------
# Intake
# ----------------------------------------------------------------------------------------------------------------
@dataclass
class PartyIn:
    name: str = ""
    kind: str = PartyKind.PERSON
    id_number: str = ""
    phone: str = ""
    org_name: str = ""


@dataclass
class IntakeIn:
    applicant: PartyIn
    respondents: list[PartyIn]
    region_code: str
    description: str
    request: str = ""
    type_code: str = ""
    place: str = ""
    consent: bool = False
    source: str = CaseSource.APPLICATION
    risk_level: str = RiskLevel.NORMAL
    referral_org: Organisation | None = None
    referral_ref: str = ""
    files: list[Upload] = field(default_factory=list)
    on_spot_agreement: str = ""  # 一米调解: what was agreed on the spot (grid channel only)
    preferred_mediator: str = ""  # the mediator the applicant would like (人民调解法 第23条), free text


def check_intake(data: IntakeIn, *, channel: str) -> dict[str, Any]:
    """Validate an intake completely before anything is written. Returns cleaned values; raises ValidationFailed
    ``INVALID_INTAKE`` with ``{field: [messages]}`` in detail (or the file error of the first bad file).

    The free text (description, request, place, preferred mediator, on-the-spot agreement) comes back with any
    身份证号 or mobile number masked; the numbers themselves in ``text_numbers``, for ``create_case`` to keep
    encrypted (core.protect_texts, the one way every writer of a case's free text takes)."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    clean: dict[str, Any] = {}
    try:
        clean["applicant"] = _check_party(data.applicant, need_phone=channel in (Channel.ONLINE, Channel.GRID))
    except ValidationFailed as exc:
        for k, v in (exc.detail or {}).items():
            errors[f"applicant.{k}"] = v
    if not data.respondents:
        err("respondents", "请至少填写一名被申请人（对方当事人）。")
    if len(data.respondents) > MAX_RESPONDENTS:
        err("respondents", f"被申请人最多 {MAX_RESPONDENTS} 名。")
    clean["respondents"] = []
    for i, resp in enumerate(data.respondents[:MAX_RESPONDENTS]):
        try:
            clean["respondents"].append(_check_party(resp, need_phone=False))
        except ValidationFailed as exc:
            for k, v in (exc.detail or {}).items():
                errors[f"respondents.{i}.{k}"] = v
    region = Region.objects.filter(code=(data.region_code or "").strip(), is_active=True).first()
    if region is None or region.level not in (RegionLevel.VILLAGE, RegionLevel.GRID):
        err("region_code", "请选择纠纷发生地所在的村（社区）。")
    elif not region.code.startswith(settings.XIANGZHI_COUNTY_CODE):
        err("region_code", "纠纷发生地不在本市范围内。")
    clean["region"] = region
    description = (data.description or "").strip()
    if len(description) < 10:
        err("description", "请用至少10个字说明发生了什么。")
    elif len(description) > 5000:
        err("description", "纠纷经过请控制在5000字以内。")
    clean["description"] = description
    clean["request"] = (data.request or "").strip()[:2000]
    if channel == Channel.ONLINE and not clean["request"]:
        err("request", "请填写您希望如何解决。")
    dispute_type = None
    if data.type_code:
        dispute_type = DisputeType.objects.filter(code=data.type_code, is_active=True).first()
        if dispute_type is None:
            err("type_code", "纠纷类型无效。")
    clean["type"] = dispute_type
    if channel in (Channel.ONLINE, Channel.GRID) and not data.consent:
        err("consent", "人民调解须当事人自愿，请确认同意调解。")
    if data.source not in CaseSource.values:
        err("source", "案件来源无效。")
    if data.source in REFERRAL_SOURCES and data.referral_org is None:
        err("referral_org", "移送案件须注明移送单位。")
    if channel == Channel.ONLINE and data.source != CaseSource.APPLICATION:
        err("source", "群众网上申请的来源只能是当事人申请。")
    if data.risk_level not in RiskLevel.values:
        err("risk_level", "风险等级无效。")
    if data.on_spot_agreement and channel != Channel.GRID:
        err("on_spot_agreement", "只有网格员代办可以记录当场化解。")
    clean["on_spot"] = (data.on_spot_agreement or "").strip()[:3000]
    clean["preferred_mediator"] = " ".join((data.preferred_mediator or "").split())
    if len(clean["preferred_mediator"]) > 60:
        err("preferred_mediator", "希望的调解员请只填姓名或称呼（60字以内）。")
    if len(data.files) > MAX_FILES:
        err("files", f"一次最多上传 {MAX_FILES} 个文件。")
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed("INVALID_INTAKE", first, errors)
    clean["files"] = [(f, *check_upload(f)) for f in data.files]
    texts, clean["text_numbers"] = core.protect_texts({
        "description": clean["description"], "request": clean["request"], "place": (data.place or "")[:120],
        "preferred_mediator": clean["preferred_mediator"], "agreement_text": clean["on_spot"]})
    clean.update(description=texts["description"], request=texts["request"], place=texts["place"],
                 preferred_mediator=texts["preferred_mediator"], on_spot=texts["agreement_text"])
    return clean


def _check_party(p: PartyIn, *, need_phone: bool) -> dict[str, Any]:
    if p.kind == PartyKind.ORGANISATION:
        name = (p.org_name or p.name or "").strip()
        if not name:
            raise ValidationFailed("INVALID_PERSON", "请填写单位名称。", {"org_name": ["请填写单位名称。"]})
        return {"kind": PartyKind.ORGANISATION, "org_name": name[:120]}
    if p.kind != PartyKind.PERSON:
        raise ValidationFailed("INVALID_PERSON", "当事人类型无效。", {"kind": ["当事人类型无效。"]})
    if need_phone and not (p.phone or "").strip():
        raise ValidationFailed("INVALID_PERSON", "请填写手机号，用于接收办理进度。", {"phone": ["请填写手机号，用于接收办理进度。"]})
    clean = core.check_person_fields(name=p.name, id_number=p.id_number, phone=p.phone)
    return {"kind": PartyKind.PERSON, **clean}


def route(dispute_type: DisputeType, region: Region, risk_level: str, *, cross_village: bool = False
          ) -> tuple[Organisation | None, str]:
    """The organisation (and level) that should handle a case: the most specific active routing rule that matches,
    then the nearest organisation of that kind — falling back from town to county when a town has none."""
    candidates = [
        r for r in _reference()["rules"]
        if r.dispute_type_id in (dispute_type.pk, None) and r.risk_level in (risk_level, "")
        and region.code.startswith(r.region_prefix)
    ]
    if not candidates:
        return None, Level.VILLAGE
    rule = max(candidates, key=lambda r: r.specificity)
    level = rule.target_level
    if cross_village and level == Level.VILLAGE:
        level, kind, specialty = Level.TOWN, OrgKind.TOWN_COMMITTEE, ""
    else:
        kind, specialty = rule.org_kind, rule.specialty
    return _find_org(region.code, level, kind, specialty), level


_LEVEL_CODE_LEN = {Level.GRID: 12, Level.VILLAGE: 12, Level.TOWN: 9, Level.COUNTY: 6}


def _find_org(code: str, level: str, kind: str, specialty: str = "") -> Organisation | None:
    order = LEVEL_ORDER[LEVEL_ORDER.index(level):]
    for lvl in order:
        if lvl == Level.GRID:
            continue
        qs = Organisation.objects.filter(is_active=True, kind=kind, region__code=code[: _LEVEL_CODE_LEN[lvl]])
        if specialty:
            qs = qs.filter(specialty=specialty)
        org = qs.order_by("id").first()
        if org is not None:
            return org
    return None


def _identity_q(party: dict[str, Any], region_code: str) -> Q | None:
    from xiangzhi.core import crypto

    if party["kind"] == PartyKind.ORGANISATION:
        return Q(org_name=party["org_name"])
    q = Q(pk__in=[])
    found = False
    if party.get("id_number"):
        q |= Q(person__id_number_index=crypto.blind_index(party["id_number"], purpose="person.id"))
        found = True
    if party.get("phone"):
        q |= Q(person__phone_index=crypto.blind_index(party["phone"], purpose="person.phone"))
        found = True
    if not found:  # a respondent named without 身份证号 or phone: same name, same village
        q = Q(person__name=party["name"], case__region_code__startswith=region_code[:12])
    return q


def find_repeat(clean: dict[str, Any], *, now: dt.datetime) -> Case | None:
    """An earlier case with the same applicant (blind index of 身份证号/phone) and either the same respondent or the
    same village, that is still open or was reported in the last 90 days. The newest such case."""
    region_code = clean["region"].code
    recent = Q(case__stage__in=[s for s in CaseStage.values if s not in (S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED,
                                                                          S.TERMINATED)])
    recent |= Q(case__created_at__gte=now - dt.timedelta(days=REPEAT_WINDOW_DAYS))
    applicant_q = _identity_q(clean["applicant"], region_code)
    same_applicant = set(Party.objects.filter(recent, applicant_q).values_list("case_id", flat=True)[:200])
    if not same_applicant:
        return None
    resp_q = Q(pk__in=[])
    for resp in clean["respondents"]:
        resp_q |= _identity_q(resp, region_code)
    same_respondent = set(Party.objects.filter(resp_q, case_id__in=same_applicant).values_list("case_id", flat=True))
    same_village = set(Case.objects.filter(pk__in=same_applicant, region_code__startswith=region_code[:12])
                       .values_list("id", flat=True))
    hits = same_respondent | same_village
    return Case.objects.filter(pk=max(hits)).first() if hits else None


_REFERRAL_SOURCE = {Specialty.POLICE: CaseSource.REFERRAL_POLICE, Specialty.COURT: CaseSource.REFERRAL_COURT}


def channel_for(actor: User, requested: str) -> str:
    """The intake channel of an API registration: a villager's is always online (网上申请); staff register at the
    window or as a grid worker (a department's referral has its own entry, ``refer``)."""
    if core_rules.is_citizen(actor):
        return Channel.ONLINE
    if requested in (Channel.WINDOW, Channel.GRID):
        return requested
    raise ValidationFailed("INVALID_CHANNEL", "受理渠道只能是 window 或 grid。")


def apply_online(data: IntakeIn, *, actor: User, client_ip: str) -> Case:
    """A villager's own application (the application page and the API): rate-limited per client address, the
    applicant's phone is the one the session proved, the source is an application and there is no on-the-spot
    agreement (that is the grid channel's)."""
    if not core_rules.is_citizen(actor):
        raise XiangzhiError("FORBIDDEN", "请先用手机号和短信验证码登录后再申请。", status=403)
    core.check_rate(f"apply:{client_ip}", limit=settings.XIANGZHI_RATE_LIMIT_APPLY_PER_HOUR, window_seconds=3600)
    data.applicant.phone = actor.phone
    data.source, data.on_spot_agreement = CaseSource.APPLICATION, ""
    return create_case(data, actor=actor, channel=Channel.ONLINE)


def lookup(number: str, *, actor: User | None, client_ip: str) -> Case | None:  # noqa: ARG001
    """A case looked up by its number (rate-limited per client address: the number must not be guessable by
    trying). What the caller may then see of it is the selectors' business."""
    from .selectors import case_by_number

    core.check_rate(f"lookup:{client_ip}", limit=settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE, window_seconds=60)
    return case_by_number(number)


def refer(data: IntakeIn, *, actor: User) -> Case:
    """A department's referral (部门移送) through its API account: only a liaison may refer; the referring
    organisation is the account's liaison organisation and the source follows from its specialty."""
    org_ids = rules.org_ids_for(actor, frozenset({Role.LIAISON}))
    org = Organisation.objects.filter(pk__in=org_ids).order_by("id").first()
    if org is None:
        raise XiangzhiError("FORBIDDEN", "只有联动部门的接口账号可以移送案件。", status=403)
    data.referral_org = org
    data.source = _REFERRAL_SOURCE.get(org.specialty, CaseSource.REFERRAL_GOVERNMENT)
    return create_case(data, actor=actor, channel=Channel.API)


def create_case(data: IntakeIn, *, actor: User | None, channel: str, now: dt.datetime | None = None) -> Case:
    """Register a dispute from any channel (群众网上申请, 网格员代办, 窗口受理, 部门移送).

    Side effects, all or nothing: a number from the year's counter; the case, its applicant and respondents (persons
    with encrypted 身份证号/phone); attachments (files written after validation and removed again if anything fails);
    a suggested type from the triage model; routing to an organisation; a repeat-dispute link; the 身份证号 and phone
    numbers typed into the free text, kept encrypted (core TextNumber) while the text holds them masked; audit row; timeline
    rows (_record_event); an SMS to the applicant with the number and the public link. A grid worker's "resolved on
    the spot" (一米调解) is then recorded as an oral agreement and closed at grid level through ``transition``.

    A department's referral with a document number it already referred returns that case and writes nothing (one
    referral, one case: the ``case_referral_once`` constraint, also against a concurrent duplicate).
    """
    if channel not in Channel.values:
        raise ValidationFailed("INVALID_CHANNEL", "受理渠道无效。")
    if channel == Channel.API:
        allowed = actor is not None and bool(rules.codes_for(actor, frozenset({Role.LIAISON})))
    else:
        allowed = channel == Channel.ONLINE or (actor is not None and rules.can_take_intake(actor))
    if not allowed:
        raise XiangzhiError("FORBIDDEN", "您无权登记纠纷案件。", status=403)
    referred = _referred_case(data)
    if referred is not None:
        return referred
    clean = check_intake(data, channel=channel)
    now = now or timezone.now()
    region: Region = clean["region"]
    if channel == Channel.GRID and region.level == RegionLevel.VILLAGE:
        # a grid worker registers in their own grid: the case sits at grid level, inside their jurisdiction
        grid = next((c for c in rules.codes_for(actor, frozenset({Role.GRID_WORKER}))
                     if c.startswith(region.code) and len(c) == 15), None)
        if grid:
            region = Region.objects.get(code=grid)
    suggested_code, confidence = triage.suggest(clean["description"] + " " + clean["request"])
    types = _reference()["types"]
    suggested = types.get(suggested_code) if suggested_code else None
    dispute_type = clean["type"] or suggested or types.get("other") or DisputeType.objects.get(code="other")
    written: list[str] = []
    try:
        with transaction.atomic():
            year = timezone.localtime(now).year
            seq = next_sequence(year)
            repeat = find_repeat(clean, now=now)
            org, level = route(dispute_type, region, data.risk_level)
            if channel == Channel.GRID:
                level = Level.GRID if clean["on_spot"] else level
            case = Case.objects.create(
                year=year, seq=seq, number=format_number(year, seq), archive_number=format_archive_number(year, seq),
                token=new_token(), **entry_fields(Entry.INTAKE, S.REPORTED, now), channel=channel, source=data.source,
                referral_org=data.referral_org, referral_ref=(data.referral_ref or "")[:60],
                dispute_type=dispute_type, suggested_type=suggested, risk_level=data.risk_level, region=region,
                region_code=region.code, place=clean["place"], level=level, organisation=org,
                preferred_mediator=clean["preferred_mediator"], description=clean["description"], request=clean["request"],
                consent_at=now if data.consent else None, repeat_of=repeat, resolved_on_spot=bool(clean["on_spot"]),
                created_by=actor if actor is not None and actor.pk else None, created_at=now,
            )
            core.keep_text_numbers(case, clean["text_numbers"], region_code=region.code)
            applicant_user = actor if actor is not None and actor.kind == UserKind.CITIZEN else None
            roles = ([(PartyRole.APPLICANT, clean["applicant"])]
                     + [(PartyRole.RESPONDENT, r) for r in clean["respondents"]])
            # Written in batches (one INSERT of persons, parties and audit rows, ONE ledger append of the audit rows,
            # events and the case's first state), in the same order and with the same payloads as one at a time.
            audits: list[dict[str, Any]] = []
            with attestation.appending():
                persons = iter(core.create_persons([
                    core.PersonIn(name=p["name"], id_number=p["id_number"], phone=p["phone"],
                                  region=region if role == PartyRole.APPLICANT else None,
                                  user=applicant_user if role == PartyRole.APPLICANT else None)
                    for role, p in roles if p["kind"] == PartyKind.PERSON], actor=actor, audits=audits))
                parties = Party.objects.bulk_create([Party(
                    case=case, role=role, kind=p["kind"], person=next(persons) if p["kind"] == PartyKind.PERSON else None,
                    org_name=p.get("org_name", ""), order=order,
                    consent=Consent.AGREED if role == PartyRole.APPLICANT and data.consent else Consent.PENDING,
                    consent_at=now if role == PartyRole.APPLICANT and data.consent else None,
                ) for order, (role, p) in enumerate(roles)])
                audits.append({"action": "case.created", "actor": actor, "obj": case, "region_code": region.code,
                               "after": {"number": case.number, "channel": channel, "source": data.source,
                                         "type": dispute_type.code, "organisation": org.pk if org else None}})
                core.audit_many(audits)
                _record_event(case, EventKind.CREATED, {
                    "channel": channel, "source": data.source, "type": dispute_type.code, "region": region.code,
                    "suggested_type": suggested_code, "confidence": round(confidence, 3),
                    "organisation": org.pk if org else None,
                }, actor=actor, text=f"案件登记（{Channel(channel).label}），编号 {case.number}", at=now,
                    attest=False)
                attestation.attest_new_case(case, parties)  # a new case: its first state, from the rows in memory
                # the events below leave the attested fields as they are: no state leaf to compare
                if repeat is not None:
                    _record_event(case, EventKind.REPEAT, {"repeat_of": repeat.number}, actor=None,
                                  text=f"与此前案件 {repeat.number} 为同一当事人的纠纷，已关联", public=False, at=now,
                                  attest=False)
                for upload, ext, content_type in clean["files"]:
                    _store(case, upload, ext, content_type, actor=actor, party=parties[0], written=written,
                           attest=False)
            _notify_parties(case, "已登记，可凭链接查看办理进度", key="created", parties=parties)
            if org is not None:
                _notify_org(case, org, f"新纠纷案件 {case.number} 待受理")
            if clean["on_spot"]:
                case = transition(case, S.AGREEMENT_ORAL, actor=actor, reason="一米调解：网格内当场化解",
                                  agreement_text=clean["on_spot"], now=now)
                case = transition(case, S.CLOSED, actor=actor, reason="当场化解，网格结案", now=now)
    except IntegrityError:
        _remove_files(written)
        referred = _referred_case(data)  # the same referral, registered meanwhile by a concurrent request
        if referred is None:
            raise
        return referred
    except BaseException:
        _remove_files(written)
        raise
    return case


def reveal_text_numbers(case: Case, *, actor: User, reason: str) -> list[dict[str, str]]:
    """The 身份证号 and phone numbers typed into the case's free text, in full: the personal-data right and a reason
    (core.reveal_text_numbers). Side effects: one audit row with the reason, attested in the ledger."""
    return core.reveal_text_numbers(case, actor=actor, reason=reason, region_code=case.region_code)


def _referred_case(data: IntakeIn) -> Case | None:
    """The case a department already registered under this referral's document number, if any."""
    ref = (data.referral_ref or "")[:60]
    if data.referral_org is None or not ref:
        return None
    return Case.objects.filter(referral_org=data.referral_org, referral_ref=ref).first()


def _notify_parties(case: Case, text: str, *, key: str, parties: list[Party] | None = None) -> None:
    """An SMS to every party with a phone: the case number once, what happened, one 。, and the public link.
    ``parties``: the case's parties with their persons, when the caller holds them (one query less); then the
    messages are queued with one SELECT and one INSERT."""
    body = f"【乡治·桐解码】您的纠纷案件{case.number}{text.rstrip('。.；;，, ')}。"
    if parties is not None:
        core.enqueue_sms_once(core.Sms(party.person.phone, body, case.public_url, f"case:{case.pk}:{key}:{party.pk}")
                              for party in sorted(parties, key=lambda p: (p.order, p.pk))
                              if party.person_id and party.person.phone)
        return
    for party in case.parties.select_related("person"):
        if party.person_id and party.person.phone:
            core.enqueue_sms(party.person.phone, body, link=case.public_url,
                             dedupe_key=f"case:{case.pk}:{key}:{party.pk}")


def _notify_org(case: Case, org: Organisation, subject: str) -> None:
    members = User.objects.filter(memberships__organisation=org, memberships__is_active=True,
                                  memberships__role=Role.MEDIATOR).distinct()[:20]
    body = f"{subject}：{case.dispute_type.name}，{case.region.display_name}。"
    core.notify_users_once(core.Message(user, subject, body, f"/cases/workbench/{case.pk}/",
                                        f"case:{case.pk}:org:{org.pk}:{case.stage}:{user.pk}") for user in members)


# ----------------------------------------------------------------------------------------------------------------
# The one transition function
# ----------------------------------------------------------------------------------------------------------------
ACCEPTED_OR_LATER = frozenset(CaseStage.values) - {S.REPORTED, S.ESCALATED}


def transition(case: Case, to: str, *, actor: User | None, reason: str = "", now: dt.datetime | None = None,
               by: str = "", party: Party | None = None, **data: Any) -> Case:
    """Move ``case`` to stage ``to``: the only writer of ``Case.stage`` for a case that exists.

    Locks the row, checks ALLOWED_TRANSITIONS and who may make the move (``_check_move``: staff by rules.can_transition;
    the system, ``actor=None`` with ``by`` a SystemMove, and a party, ``by`` a PartyMove with ``party``, only along
    their rows of SYSTEM_MOVES / PARTY_MOVES), and the guards of the target stage. Saves with update_fields; writes an
    audit row and a timeline row; notifies the parties (and the mediator). Returns the fresh case. Refusals:
    ``ALREADY_ACCEPTED``, ``INVALID_TRANSITION``, ``FORBIDDEN`` and guard codes.
    """
    if to not in CaseStage.values:
        raise ValidationFailed("INVALID_STAGE", "目标阶段无效。", {"to": str(to)[:40], "allowed": CaseStage.values})
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        before = locked.stage
        fields = _move(locked, to, actor=actor, reason=reason, now=now, by=by, party=party, data=data, memo=None)
        locked.save(update_fields=sorted({"stage", "stage_changed_at", *fields}))
        core.audit("case.transition", actor=actor, obj=locked, region_code=locked.region_code,
                   before={"stage": before}, after={"stage": to, **{k: _jsonable(getattr(locked, k)) for k in fields}},
                   note=reason)
        text = _public_text(locked, before, to, reason)
        _record_event(locked, EventKind.TRANSITION, {"from": before, "to": to, "reason": reason,
                                                     **{k: _jsonable(getattr(locked, k)) for k in fields}},
                      actor=actor, text=text, stage_from=before, stage_to=to, at=now)
        _notify_parties(locked, f"：{text}", key=f"{to}:{locked.stage_changed_at.timestamp():.0f}")
        if to == S.ASSIGNED and locked.mediator_id and locked.mediator_id != getattr(actor, "pk", None):
            core.notify_user(locked.mediator, subject=f"案件 {locked.number} 指派给您",
                             body=f"请在{settings.XIANGZHI_DEADLINE_CONFIRM_WORKDAYS}个工作日内确认接案。", link=f"/cases/workbench/{locked.pk}/")
        if to in (S.ESCALATED,) and locked.organisation_id:
            _notify_org(locked, locked.organisation, f"下级上报案件 {locked.number} 待受理")
    return locked


@dataclass(frozen=True)
class PlannedMove:
    """One move applied to a case in memory by ``plan_move``: what the caller writes (event, audit row)."""
    before: str
    to: str
    fields: list[str]  # the fields the move changed besides stage and stage_changed_at, in the services' order
    values: dict[str, Any]  # those fields as the audit row and the timeline payload hold them
    text: str  # the public timeline text


def plan_move(case: Case, to: str, *, actor: User | None, memo: dict, reason: str = "", now: dt.datetime,
              by: str = "", party: Party | None = None, consents: tuple[str, ...] | None = None,
              **data: Any) -> PlannedMove:
    """Apply one move to ``case`` in memory, for cases written in bulk (the demo year's past cases): the same table,
    who-may check and guards as ``transition`` (one code path, ``_move``), without a lock, a save, an event or a
    notification; the caller writes the rows. ``memo`` (one dict per batch) keeps the guards' reads (the actor's
    first organisation, the mediators' memberships, the next level up, confirmation deadlines) across the batch, so
    the batch makes no query per case. ``consents``: the parties' consents of a case not saved yet."""
    if to not in CaseStage.values:
        raise ValidationFailed("INVALID_STAGE", "目标阶段无效。", {"to": str(to)[:40], "allowed": CaseStage.values})
    before = case.stage
    fields = _move(case, to, actor=actor, reason=(reason or "").strip(), now=now, by=by, party=party, data=data,
                   memo=memo, consents=consents)
    values = {k: getattr(case, f"{k}_id") if k in ("organisation", "mediator") else _jsonable(getattr(case, k))
              for k in fields}
    return PlannedMove(before, to, fields, values, _public_text(case, before, to, reason))


def entry_fields(entry: str, stage: str, at: dt.datetime) -> dict[str, Any]:
    """The stage fields of a case created at ``at`` in ``stage`` by way of ``entry`` (a row of ENTRY_STAGES): a
    registered case starts as reported; a historical case is imported finished (closed, terminated, not accepted)."""
    if stage not in ENTRY_STAGES.get(entry, ()):
        raise Conflict("INVALID_ENTRY_STAGE", "案件不能以该阶段登记。", {"entry": entry, "stage": stage})
    fields: dict[str, Any] = {"stage": stage, "stage_changed_at": at}
    if entry == Entry.HISTORICAL_IMPORT:
        fields.update(closed_at=at, agreement_effective_at=at if stage == S.CLOSED else None,
                      outcome_reason=(TerminationReason.NO_AGREEMENT if stage == S.TERMINATED else
                                      NotAcceptedGround.OTHER if stage == S.NOT_ACCEPTED else ""))
    return fields


def _move(case: Case, to: str, *, actor: User | None, reason: str, now: dt.datetime, by: str, party: Party | None,
          data: dict[str, Any], memo: dict | None, consents: tuple[str, ...] | None = None) -> list[str]:
    """The state machine's one step, shared by ``transition`` (a locked row) and ``plan_move`` (a row in memory):
    the table, who may, the guards, then the stage. Returns the other fields changed."""
    before = case.stage
    _check_move(case, to, actor=actor, by=by, party=party)
    fields = _apply_guards(case, before, to, actor=actor, reason=reason, now=now, data=data, memo=memo,
                           consents=consents)
    case.stage = to
    case.stage_changed_at = now
    return fields


def _check_move(case: Case, to: str, *, actor: User | None, by: str, party: Party | None) -> None:
    """Is ``to`` a row of ALLOWED_TRANSITIONS from the case's stage, and may this mover make it?"""
    before = case.stage
    if to not in ALLOWED_TRANSITIONS.get(before, ()):
        if to == S.ACCEPTED and before in ACCEPTED_OR_LATER:
            raise Conflict("ALREADY_ACCEPTED", "该案件已被受理", {"stage": before})
        raise Conflict("INVALID_TRANSITION",
                       f"案件当前处于“{CaseStage(before).label}”阶段，不能转为“{CaseStage(to).label}”。",
                       {"from": before, "to": to})
    if by in PartyMove.values:
        if PARTY_MOVES.get((before, to)) != by or party is None or not rules.party_can_withdraw(party, case):
            raise XiangzhiError("FORBIDDEN", "当前阶段不能撤回申请。", status=403)
    elif actor is None or by in SystemMove.values:
        if actor is not None or SYSTEM_MOVES.get((before, to)) != by:
            raise XiangzhiError("FORBIDDEN", "系统不能执行此操作。", status=403)
    elif by or not rules.can_transition(actor, case, to):
        raise XiangzhiError("FORBIDDEN", "您无权对该案件执行此操作。", status=403)


def _memo(memo: dict | None, key: tuple, compute: Any) -> Any:
    """``compute()``, kept in ``memo`` under ``key`` when the caller batches (plan_move)."""
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def _public_text(case: Case, before: str, to: str, reason: str) -> str:
    labels = {
        S.ACCEPTED: "已退回待派，将另行指派调解员" if before == S.ASSIGNED else "调解组织已受理",
        S.NOT_ACCEPTED: "不予受理：" + case.outcome_note,
        S.ASSIGNED: "已指派调解员",
        S.NOTICE_SERVED: "已告知当事人权利义务",
        S.IN_MEDIATION: "调解开始",
        S.AGREEMENT_WRITTEN: "达成协议，待各方签名盖章后生效",
        S.AGREEMENT_ORAL: "达成口头协议，即时生效",
        S.TERMINATED: "调解终止。" + ROUTES_NOTICE,
        S.ESCALATED: f"已上报{case.organisation.name if case.organisation_id else '上级调解组织'}",
        S.FOLLOW_UP: "转入回访",
        S.CLOSED: "已结案",
        S.ARCHIVED: "已归档",
        S.REOPENED: "案件重新启动",
    }
    return labels.get(to, CaseStage(to).label)


def _need_reason(reason: str, what: str) -> None:
    if len(reason) < 2:
        raise ValidationFailed("REASON_REQUIRED", f"{what}须填写理由。")


def _apply_guards(case: Case, before: str, to: str, *, actor: User | None, reason: str, now: dt.datetime,
                  data: dict[str, Any], memo: dict | None = None, consents: tuple[str, ...] | None = None) -> list[str]:
    """The conditions of each target stage, and the fields it changes. Raises on a failed guard. ``memo``: a batch's
    kept reads (plan_move), None reads afresh; ``consents``: the parties' consents of a case not saved yet."""
    fields: list[str] = []
    if to == S.ACCEPTED:
        if before == S.ASSIGNED:
            if actor is None:
                reason = reason or "调解员未在3个工作日内确认接案"
            case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
            case.mediator_chosen_by_party = False
            fields += ["mediator", "assigned_at", "confirm_due", "mediator_confirmed_at", "mediator_chosen_by_party"]
        elif actor is not None and case.organisation_id is None:
            org = _memo(memo, ("first_org", actor.pk), lambda: Organisation.objects.filter(
                pk__in=rules.org_ids_for(actor)).order_by("id").first())
            if org is not None:
                case.organisation = org
                fields.append("organisation")
    elif to == S.NOT_ACCEPTED:
        ground = data.get("ground", "")
        if ground not in NotAcceptedGround.values:
            raise ValidationFailed("GROUND_REQUIRED", "不予受理须选择法定事由（人民调解工作若干规定第二十二条等）。",
                                   {"grounds": NotAcceptedGround.values})
        redirect_to = (data.get("redirect_to") or GROUND_REDIRECT[NotAcceptedGround(ground)]).strip()
        if not redirect_to:
            raise ValidationFailed("REDIRECT_REQUIRED", "请告知当事人应向哪个机关或途径申请。")
        _need_reason(reason, "不予受理")
        case.outcome_reason = ground
        case.outcome_note = f"{NotAcceptedGround(ground).label}。{reason}。{redirect_to}"
        case.closed_at = now
        fields += ["outcome_reason", "outcome_note", "closed_at"]
    elif to == S.ASSIGNED:
        mediator = data.get("mediator") or actor
        if not isinstance(mediator, User):
            raise ValidationFailed("INVALID_MEDIATOR", "所选人员不是本案承办调解组织或辖区内的人民调解员。")
        memberships = _memo(memo, ("memberships", mediator.pk), lambda: list(Membership.objects.filter(
            user=mediator, is_active=True).order_by("pk").values_list("role", "organisation_id", "region__code")))
        if not _may_mediate(memberships, case):
            raise ValidationFailed("INVALID_MEDIATOR", "所选人员不是本案承办调解组织或辖区内的人民调解员。")
        case.mediator = mediator
        case.mediator_chosen_by_party = bool(data.get("chosen_by_party"))
        case.assigned_at = now
        case.confirm_due = _memo(memo, ("confirm_due", timezone.localtime(now).date()),  # depends on the local date only
                                 lambda: deadline_after(now, settings.XIANGZHI_DEADLINE_CONFIRM_WORKDAYS))
        case.mediator_confirmed_at = now if actor is not None and mediator.pk == actor.pk else None
        if case.organisation_id is None or case.organisation_id not in {o for _, o, _ in memberships}:
            org = next((o for role, o, _ in memberships if role == Role.MEDIATOR and o is not None), None)
            if org:
                case.organisation_id = org
                fields.append("organisation")
        fields += ["mediator", "mediator_chosen_by_party", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    elif to == S.NOTICE_SERVED:
        if case.mediator_confirmed_at is None:
            raise Conflict("NOT_CONFIRMED", "调解员尚未确认接案，不能送达权利义务告知书。")
    elif to == S.IN_MEDIATION:
        refused = (Consent.REFUSED in consents if consents is not None
                   else case.parties.filter(consent=Consent.REFUSED).exists())
        if refused:
            raise Conflict("PARTY_REFUSED", "有当事人明确拒绝调解，不得进行调解（人民调解法第十七条）。可终止并告知其他救济途径。")
    elif to in (S.AGREEMENT_WRITTEN, S.AGREEMENT_ORAL):
        text = (data.get("agreement_text") or "").strip()
        if len(text) < 4:
            raise ValidationFailed("AGREEMENT_REQUIRED", "请填写协议内容（各方权利义务、履行方式和期限）。")
        case.agreement_text = text[:5000]
        amount = data.get("agreement_amount")
        if amount not in (None, ""):
            try:
                case.agreement_amount = Decimal(str(amount)).quantize(Decimal("0.01"))
            except (InvalidOperation, ValueError):
                raise ValidationFailed("INVALID_AMOUNT", "协议金额格式不正确。") from None
            if case.agreement_amount < 0:
                raise ValidationFailed("INVALID_AMOUNT", "协议金额不能为负数。")
            fields.append("agreement_amount")
        case.agreement_effective_at = now if to == S.AGREEMENT_ORAL else None
        fields += ["agreement_text", "agreement_effective_at"]
    elif to == S.TERMINATED:
        ground = data.get("termination_reason", "")
        if ground not in TerminationReason.values:
            raise ValidationFailed("TERMINATION_REASON_REQUIRED", "请选择终止调解的事由。", {"reasons": TerminationReason.values})
        if before == S.AGREEMENT_WRITTEN and case.agreement_effective_at is not None:
            raise Conflict("AGREEMENT_EFFECTIVE", "协议已经生效，不能终止调解。")
        _need_reason(reason, "终止调解")
        case.outcome_reason = ground
        case.outcome_note = f"{TerminationReason(ground).label}。{reason}。已告知当事人：{ROUTES_NOTICE}"
        fields += ["outcome_reason", "outcome_note"]
    elif to == S.ESCALATED:
        _need_reason(reason, "上报上级")
        level, org = _memo(memo, ("next_level", case.region_code, case.level, case.organisation_id),
                           lambda: _next_level(case))
        case.level, case.organisation = level, org
        case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
        fields += ["level", "organisation", "mediator", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    elif to == S.FOLLOW_UP:
        if before == S.AGREEMENT_WRITTEN and case.agreement_effective_at is None:
            raise Conflict("AGREEMENT_NOT_EFFECTIVE", "书面协议须经各方当事人和调解员签名并加盖调解委员会印章后生效。")
    elif to == S.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    elif to == S.REOPENED:
        _need_reason(reason, "重新启动")
        case.closed_at = None
        case.mediator, case.assigned_at, case.confirm_due, case.mediator_confirmed_at = None, None, None, None
        fields += ["closed_at", "mediator", "assigned_at", "confirm_due", "mediator_confirmed_at"]
    return fields


def _may_mediate(memberships: list[tuple[str, int | None, str | None]], case: Case) -> bool:
    """``memberships``: the user's active (role, organisation id, region code), as _apply_guards reads them."""
    return any(role == Role.MEDIATOR and (
        (case.organisation_id and org == case.organisation_id) or case.region_code.startswith(code or "\0"))
        for role, org, code in memberships)


def _next_level(case: Case) -> tuple[str, Organisation]:
    current = LEVEL_ORDER.index(case.level)
    for level in LEVEL_ORDER[current + 1:]:
        kind = {Level.VILLAGE: OrgKind.VILLAGE_COMMITTEE, Level.TOWN: OrgKind.TOWN_COMMITTEE,
                Level.COUNTY: OrgKind.COUNTY_CENTRE}[level]
        org = _find_org(case.region_code, level, kind)
        if org is not None and org.pk != case.organisation_id:
            return level, org
    raise Conflict("NO_HIGHER_LEVEL", "已是县级，无法继续上报。")


# ----------------------------------------------------------------------------------------------------------------
# Assignment confirmation and its deadline
# ----------------------------------------------------------------------------------------------------------------
def confirm_assignment(case: Case, *, actor: User, now: dt.datetime | None = None) -> Case:
    """The assigned mediator confirms within 3 working days. Side effects: the case row, audit, timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_confirm_assignment(actor, locked):
            raise Conflict("CANNOT_CONFIRM", "只有被指派的调解员可以在“已指派”阶段确认接案。")
        if locked.confirm_due and now > locked.confirm_due:
            raise Conflict("CONFIRMATION_EXPIRED", "已超过3个工作日的确认期限，案件将退回待派。")
        locked.mediator_confirmed_at = now
        locked.save(update_fields=["mediator_confirmed_at"])
        core.audit("case.assignment_confirmed", actor=actor, obj=locked, region_code=locked.region_code)
        _record_event(locked, EventKind.ASSIGNMENT_CONFIRMED, {"mediator": actor.pk}, actor=actor,
                      text="调解员已确认接案", at=now)
    return locked


def expire_unconfirmed_assignments(*, now: dt.datetime | None = None) -> int:
    """Periodic: assignments not confirmed by their deadline go back to the organisation's queue."""
    now = now or timezone.now()
    due = list(Case.objects.filter(stage=S.ASSIGNED, mediator_confirmed_at__isnull=True, confirm_due__lt=now)
               .values_list("pk", flat=True)[:500])
    done = 0
    for pk in due:
        case = Case.objects.get(pk=pk)
        try:
            transition(case, S.ACCEPTED, actor=None, reason="调解员未在3个工作日内确认接案，退回待派",
                       by=SystemMove.CONFIRMATION_EXPIRED, now=now)
        except XiangzhiError:
            continue  # someone confirmed or moved it meanwhile
        done += 1
    return done


# ----------------------------------------------------------------------------------------------------------------
# Mediation records, signatures, seal
# ----------------------------------------------------------------------------------------------------------------
def record_session(case: Case, *, actor: User, held_at: dt.datetime, place: str, attendees: str, summary: str
                   ) -> MediationSession:
    """调解工作记录 (人民调解法 第27条). Side effects: the row, audit, a non-public timeline row."""
    place, attendees, summary = (place or "").strip(), (attendees or "").strip(), (summary or "").strip()
    errors = {}
    if not place:
        errors["place"] = ["请填写调解地点。"]
    if not attendees:
        errors["attendees"] = ["请填写参加人员。"]
    if len(summary) < 4:
        errors["summary"] = ["请记录调解情况。"]
    if held_at is None:
        errors["held_at"] = ["请填写调解时间。"]
    if errors:
        raise ValidationFailed("INVALID_SESSION", next(iter(errors.values()))[0], errors)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not rules.can_record_session(actor, locked):
            raise Conflict("CANNOT_RECORD_SESSION", "只有本案调解员在调解阶段可以记录调解情况。")
        session = MediationSession.objects.create(case=locked, held_at=held_at, place=place[:120],
                                                  attendees=attendees[:300], summary=summary, recorded_by=actor)
        core.audit("case.session_recorded", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"session": session.pk})
        _record_event(locked, EventKind.SESSION, {"session": session.pk, "held_at": held_at.isoformat(),
                                                  "sha256": hashlib.sha256(summary.encode()).hexdigest()},
                      actor=actor, text=f"调解员记录了一次调解（{place[:40]}）")
    return session


def sign_as_party(case: Case, party: Party, *, actor: User, digest: str, confirmed: bool) -> Signature:
    """A party signs the written agreement for themselves (the status page or the API): only after confirming they
    have read it, and only the text they read: ``digest`` is the SHA-256 of the agreement shown to them, checked
    against the locked case, so an agreement changed in between is refused."""
    if not confirmed:
        raise ValidationFailed("CONFIRM_REQUIRED", "请先阅读协议全文并确认同意。")
    return sign_agreement(case, actor=actor, party=party, expected_digest=digest or "")


def sign_agreement(case: Case, *, actor: User, party: Party | None = None, as_mediator: bool = False,
                   method: str = SignatureMethod.HANDWRITTEN, expected_digest: str | None = None) -> Signature:
    """Record one signature on the written agreement — a party's (recorded by the mediator, or by the party itself
    online, through ``sign_as_party``) or the mediator's own. The agreement takes effect when every party and the
    mediator have signed and the committee seal is applied (人民调解法 第29条)."""
    if method not in SignatureMethod.values:
        raise ValidationFailed("INVALID_METHOD", "签名方式无效。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.stage != S.AGREEMENT_WRITTEN or locked.agreement_effective_at is not None:
            raise Conflict("NOT_SIGNABLE", "只有待生效的书面协议可以签名。")
        if expected_digest is not None and expected_digest != hashlib.sha256(locked.agreement_text.encode()).hexdigest():
            raise Conflict("AGREEMENT_CHANGED", "协议内容已有变更，请重新阅读后再签名。")
        citizen_self = (actor.kind == UserKind.CITIZEN and party is not None and not as_mediator)
        if citizen_self:
            from .selectors import party_of

            own = party_of(actor, locked)
            if own is None or own.pk != party.pk:
                raise XiangzhiError("FORBIDDEN", "只能本人签名。", status=403)
            method = SignatureMethod.ELECTRONIC
        elif not rules.can_sign_or_seal(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权为该协议记录签名。", status=403)
        if as_mediator:
            if locked.mediator_id != actor.pk:
                raise XiangzhiError("FORBIDDEN", "只有本案调解员本人可以作为调解员签名。", status=403)
            exists = Signature.objects.filter(case=locked, mediator=actor).exists()
            sig_kwargs = {"mediator": actor}
            who = "调解员"
        else:
            if party is None or party.case_id != locked.pk:
                raise ValidationFailed("PARTY_REQUIRED", "请选择签名的当事人。")
            exists = Signature.objects.filter(case=locked, party=party).exists()
            sig_kwargs = {"party": party}
            who = f"当事人{party.masked_name}"
        if exists:
            raise Conflict("ALREADY_SIGNED", f"{who}已经签过名。")
        sig = Signature.objects.create(case=locked, method=method, recorded_by=actor, **sig_kwargs)
        core.audit("case.signed", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"signature": sig.pk, "party": party.pk if party else None, "mediator": as_mediator})
        _record_event(locked, EventKind.SIGNATURE, {
            "signature": sig.pk, "party": party.pk if party and not as_mediator else None,
            "mediator": actor.pk if as_mediator else None, "method": method,
            "agreement_sha256": hashlib.sha256(locked.agreement_text.encode()).hexdigest()},
            actor=actor, text=f"{who}在协议上签名")
        _maybe_effective(locked, actor=actor)
    return sig


def apply_seal(case: Case, *, actor: User) -> Seal:
    """The committee seal on the written agreement (by the case's mediator or a supervisor)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.stage != S.AGREEMENT_WRITTEN or locked.agreement_effective_at is not None:
            raise Conflict("NOT_SIGNABLE", "只有待生效的书面协议可以盖章。")
        if not rules.can_sign_or_seal(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权加盖印章。", status=403)
        if locked.organisation_id is None:
            raise Conflict("NO_ORGANISATION", "案件没有承办调解组织，无法盖章。")
        if Seal.objects.filter(case=locked).exists():
            raise Conflict("ALREADY_SEALED", "协议已经加盖印章。")
        seal = Seal.objects.create(case=locked, organisation_id=locked.organisation_id, applied_by=actor)
        core.audit("case.sealed", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"organisation": locked.organisation_id})
        _record_event(locked, EventKind.SEAL, {"seal": seal.pk, "organisation": locked.organisation_id,
                                               "agreement_sha256": hashlib.sha256(locked.agreement_text.encode()).hexdigest()},
                      actor=actor, text="调解委员会已在协议上盖章")
        _maybe_effective(locked, actor=actor)
    return seal


def agreement_missing(case: Case) -> list[str]:
    """What the written agreement still lacks before it takes effect (for the case page)."""
    missing = []
    signed_parties = set(Signature.objects.filter(case=case, party__isnull=False).values_list("party_id", flat=True))
    for party in case.parties.select_related("person"):
        if party.pk not in signed_parties:
            missing.append(f"当事人{party.masked_name}签名")
    if not case.mediator_id or not Signature.objects.filter(case=case, mediator_id=case.mediator_id).exists():
        missing.append("调解员签名")
    if not Seal.objects.filter(case=case).exists():
        missing.append("调解委员会印章")
    return missing


def _maybe_effective(case: Case, *, actor: User) -> None:
    if agreement_missing(case):
        return
    now = timezone.now()
    case.agreement_effective_at = now
    case.save(update_fields=["agreement_effective_at"])
    core.audit("case.agreement_effective", actor=actor, obj=case, region_code=case.region_code)
    _record_event(case, EventKind.AGREEMENT_EFFECTIVE, {"at": now.isoformat()}, actor=actor,
                  text="达成协议：各方签名、盖章齐全，协议生效")
    _notify_parties(case, "的调解协议已生效", key="effective")


# ----------------------------------------------------------------------------------------------------------------
# Attachments, triage corrections, party answers
# ----------------------------------------------------------------------------------------------------------------
def add_attachment(case: Case, upload: Upload, *, actor: User, party: Party | None = None) -> Attachment:
    """A photo or document added later, by staff who handle the case or by a party. Type and size checked first;
    the file is removed again if the transaction fails."""
    ext, content_type = check_upload(upload)
    written: list[str] = []
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            allowed = rules.party_can_add_material(party, locked) if party is not None else rules.can_add_material(
                actor, locked)
            if not allowed:
                raise Conflict("CANNOT_ADD_MATERIAL", "当前阶段不能提交材料。")
            att = _store(locked, upload, ext, content_type, actor=actor, party=party, written=written)
            core.audit("case.attachment_added", actor=actor, obj=locked, region_code=locked.region_code,
                       after={"sha256": att.sha256, "size": att.size})
    except BaseException:
        _remove_files(written)
        raise
    return att


def retriage(case: Case, *, actor: User, type_code: str, risk_level: str | None = None, reroute: bool = True,
             reason: str = "") -> Case:
    """Correct the type (and risk) and re-route. The number, token and history stay. Side effects: audit, timeline,
    notice to the new organisation."""
    dispute_type = DisputeType.objects.filter(code=type_code, is_active=True).first()
    if dispute_type is None:
        raise ValidationFailed("INVALID_TYPE", "纠纷类型无效。")
    if risk_level is not None and risk_level not in RiskLevel.values:
        raise ValidationFailed("INVALID_RISK", "风险等级无效。")
    with transaction.atomic():
        locked = Case.objects.select_for_update().select_related("region").get(pk=case.pk)
        if not rules.can_retriage(actor, locked):
            raise XiangzhiError("FORBIDDEN", "您无权更正该案件的类型或改派。", status=403)
        before = {"type": locked.dispute_type.code, "risk": locked.risk_level, "organisation": locked.organisation_id}
        locked.dispute_type = dispute_type
        if risk_level:
            locked.risk_level = risk_level
        fields = ["dispute_type", "risk_level"]
        if reroute:
            org, level = route(dispute_type, locked.region, locked.risk_level)
            if org is not None:
                locked.organisation, locked.level = org, level
                fields += ["organisation", "level"]
        locked.save(update_fields=fields)
        after = {"type": dispute_type.code, "risk": locked.risk_level, "organisation": locked.organisation_id}
        core.audit("case.retriaged", actor=actor, obj=locked, region_code=locked.region_code, before=before,
                   after=after, note=reason)
        _record_event(locked, EventKind.RETRIAGE, {"before": before, "after": after, "reason": reason}, actor=actor,
                      text=f"纠纷类型更正为“{dispute_type.name}”" + (
                          f"，改由{locked.organisation.name}办理" if reroute and locked.organisation_id else ""))
        if reroute and locked.organisation_id and locked.organisation_id != before["organisation"]:
            _notify_org(locked, locked.organisation, f"改派案件 {locked.number} 待受理")
    return locked


def answer_consent(case: Case, party: Party, *, actor: User, agree: bool) -> Party:
    """A respondent answers "do you agree to mediation?". A clear refusal blocks mediation (人民调解法 第17条)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        party = Party.objects.select_for_update().get(pk=party.pk, case=locked)
        if not rules.party_can_answer_consent(party, locked):
            raise Conflict("CANNOT_ANSWER", "当前不能答复是否同意调解。")
        party.consent = Consent.AGREED if agree else Consent.REFUSED
        party.consent_at = timezone.now()
        party.save(update_fields=["consent", "consent_at"])
        core.audit("case.consent", actor=actor, obj=locked, region_code=locked.region_code,
                   after={"party": party.pk, "consent": party.consent})
        _record_event(locked, EventKind.CONSENT, {"party": party.pk, "consent": party.consent}, actor=actor,
                      text="被申请人同意调解" if agree else "被申请人明确拒绝调解")
        if locked.mediator_id:
            core.notify_user(locked.mediator, subject=f"案件 {locked.number} 当事人答复",
                             body="被申请人同意调解。" if agree else "被申请人明确拒绝调解，不得进行调解。",
                             link=f"/cases/workbench/{locked.pk}/")
    return party


def withdraw(case: Case, party: Party, *, actor: User, reason: str = "") -> Case:
    """The applicant withdraws the application: the case ends as terminated (withdrawn)."""
    return transition(case, S.TERMINATED, actor=actor, reason=reason or "申请人主动撤回",
                      termination_reason=TerminationReason.WITHDRAWN, by=PartyMove.WITHDRAW, party=party)
