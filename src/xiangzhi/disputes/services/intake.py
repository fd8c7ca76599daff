"""Intake from every channel (群众网上申请, 网格员代办, 窗口受理, 部门移送): the checks, case numbers and tokens
(一案一码), repeat detection, triage corrections."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from xiangzhi.core import crypto
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.enums import RegionLevel, Role, Specialty, UserKind
from xiangzhi.core.errors import ValidationFailed, XiangzhiError
from xiangzhi.core.models import Organisation, Person, Region, TextNumber, User

from .. import attestation, rules, triage
from ..enums import (
    REFERRAL_SOURCES,
    CaseSource,
    CaseStage,
    Channel,
    Consent,
    ConsentMethod,
    CrossArea,
    Entry,
    EventKind,
    Level,
    OtherProceeding,
    PartyKind,
    PartyRole,
    RiskLevel,
    Sex,
)
from ..models import (
    Case,
    CaseCounter,
    DisputeType,
    Party,
)
from ..numbers import format_archive_number, format_number
from .mediation import ConsentIn, record_consents
from .records import Batch, Notice, ToOrganisation, ToParties, record
from .routing import cross_area_of, reference_data, route
from .transitions import Agree, advance, entry_fields, transition
from .uploads import MAX_FILES, Upload, check_upload, remove_files, store

S = CaseStage

REPEAT_WINDOW_DAYS = 90
MAX_RESPONDENTS = 10


# ----------------------------------------------------------------------------------------------------------------
# Numbers and tokens (一案一码); the number's format and how it is read back: ``disputes.numbers``
# ----------------------------------------------------------------------------------------------------------------
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
    return reserve_sequences(year, 1)  # the year's first intake (creates the row), or no UPDATE … RETURNING


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


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
    region_code: str = ""  # the village (or grid) the party lives in; the applicant's is the intake's region_code
    # 当事人基本情况 the written agreement states (人民调解法 第29条), when the intake gathers them
    sex: str = ""
    ethnicity: str = ""
    occupation: str = ""


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
    resolved_on_spot: bool = False  # the grid worker says it was resolved on the spot: then the agreement is required
    preferred_mediator: str = ""  # the mediator the applicant would like (人民调解法 第23条), free text
    other_proceeding: str = OtherProceeding.NONE  # already before a court, arbitration, … (若干规定 第22条)


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
    places = _party_regions([r.region_code for r in data.respondents[:MAX_RESPONDENTS]])
    for i, resp in enumerate(data.respondents[:MAX_RESPONDENTS]):
        code = (resp.region_code or "").strip()
        if code and code not in places:
            err(f"respondents.{i}.region_code", "请从列表中选择对方所在的村（社区）。")
        try:
            clean["respondents"].append({**_check_party(resp, need_phone=False), "region": places.get(code)})
        except ValidationFailed as exc:
            for k, v in (exc.detail or {}).items():
                errors[f"respondents.{i}.{k}"] = v
    region = Region.objects.filter(code=(data.region_code or "").strip(), is_active=True).first()
    if region is None or region.level not in (RegionLevel.VILLAGE, RegionLevel.GRID):
        err("region_code", "请选择纠纷发生地所在的村（社区）。")
    elif not region.code.startswith(settings.XIANGZHI_COUNTY_CODE):
        err("region_code", "纠纷发生地不在本市范围内。")
    clean["region"] = region
    clean["cross_area"] = cross_area_of([region.code] + [r.code for r in places.values()]) if region else ""
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
    if data.other_proceeding not in OtherProceeding.values:
        err("other_proceeding", "请选择本纠纷是否已由人民法院、仲裁机构、行政机关或公安机关受理。")
    clean["on_spot"] = (data.on_spot_agreement or "").strip()[:3000]
    if (data.on_spot_agreement or data.resolved_on_spot) and channel != Channel.GRID:
        err("on_spot_agreement", "只有网格员代办可以记录当场化解。")
    elif data.resolved_on_spot and not clean["on_spot"]:
        err("on_spot_agreement", "请填写当场达成的内容。")
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


def _party_regions(codes: list[str]) -> dict[str, Region]:
    """The villages (or grids) of the county among ``codes``, by code: where a party lives."""
    wanted = {(c or "").strip() for c in codes} - {""}
    if not wanted:
        return {}
    return {r.code: r for r in Region.objects.filter(
        code__in=wanted, is_active=True, level__in=(RegionLevel.VILLAGE, RegionLevel.GRID),
        code__startswith=settings.XIANGZHI_COUNTY_CODE)}


def _check_party(p: PartyIn, *, need_phone: bool) -> dict[str, Any]:
    if p.kind == PartyKind.ORGANISATION:
        name = (p.org_name or p.name or "").strip()
        if not name:
            raise ValidationFailed("INVALID_PERSON", "请填写单位名称。", {"org_name": ["请填写单位名称。"]})
        return {"kind": PartyKind.ORGANISATION, "org_name": name[:120]}
    if p.kind != PartyKind.PERSON:
        raise ValidationFailed("INVALID_PERSON", "当事人类型无效。", {"kind": ["当事人类型无效。"]})
    # a missing phone is reported with the person's other problems (a missing name), not instead of them
    missing_phone = {"phone": ["请填写手机号，用于接收办理进度。"]} if need_phone and not (p.phone or "").strip() else {}
    try:
        clean = core.check_person_fields(name=p.name, id_number=p.id_number, phone=p.phone)
    except ValidationFailed as exc:
        if not missing_phone:
            raise
        detail = {**(exc.detail or {}), **missing_phone}
        raise ValidationFailed("INVALID_PERSON", next(iter(detail.values()))[0], detail) from exc
    if missing_phone:
        raise ValidationFailed("INVALID_PERSON", missing_phone["phone"][0], missing_phone)
    if (p.sex or "") not in ("", *Sex.values):
        raise ValidationFailed("INVALID_PERSON", "性别无效。", {"sex": ["性别无效。"]})
    return {"kind": PartyKind.PERSON, **clean, "sex": p.sex or "", "ethnicity": (p.ethnicity or "").strip()[:20],
            "occupation": (p.occupation or "").strip()[:120]}


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
    data.source, data.on_spot_agreement, data.resolved_on_spot = CaseSource.APPLICATION, "", False
    return create_case(data, actor=actor, channel=Channel.ONLINE)


def lookup(number: str, *, actor: User | None, client_ip: str) -> Case | None:  # noqa: ARG001
    """A case looked up by its number (rate-limited per client address: the number must not be guessable by
    trying). What the caller may then see of it is the selectors' business."""
    from ..selectors import case_by_number

    core.check_rate(f"lookup:{client_ip}", limit=settings.XIANGZHI_RATE_LIMIT_LOOKUP_PER_MINUTE, window_seconds=60)
    return case_by_number(number)


def refer(data: IntakeIn, *, actor: User) -> Case:
    """A department's referral (部门移送) through its API account: only a liaison may refer; the referring
    organisation is the account's liaison organisation and the source follows from its specialty."""
    org = Organisation.objects.filter(pk__in=rules.liaison_orgs(actor)).order_by("id").first()
    if not rules.can_refer(actor) or org is None:
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
    rows (services.records.record); an SMS to the applicant with the number and the public link. A grid worker's "resolved on
    the spot" (一米调解) is then recorded as an oral agreement and closed at grid level through ``transition``.

    A department's referral with a document number it already referred returns that case and writes nothing (one
    referral, one case: the ``case_referral_once`` constraint, also against a concurrent duplicate).
    """
    if channel not in Channel.values:
        raise ValidationFailed("INVALID_CHANNEL", "受理渠道无效。")
    if not rules.can_register(actor, channel):
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
    types = reference_data()["types"]
    suggested = types.get(suggested_code) if suggested_code else None
    dispute_type = clean["type"] or suggested or types.get("other") or DisputeType.objects.get(code="other")
    written: list[str] = []
    try:
        with transaction.atomic():
            year = timezone.localtime(now).year
            seq = next_sequence(year)
            repeat = find_repeat(clean, now=now)
            org, level = route(dispute_type, region, data.risk_level, cross_area=clean["cross_area"])
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
                cross_area=clean["cross_area"], other_proceeding=data.other_proceeding,
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
                                  region=region if role == PartyRole.APPLICANT else p.get("region"),
                                  user=applicant_user if role == PartyRole.APPLICANT else None)
                    for role, p in roles if p["kind"] == PartyKind.PERSON], actor=actor, audits=audits))
                parties = Party.objects.bulk_create([Party(
                    case=case, role=role, kind=p["kind"], person=next(persons) if p["kind"] == PartyKind.PERSON else None,
                    org_name=p.get("org_name", ""), order=order, sex=p.get("sex", ""),
                    ethnicity=p.get("ethnicity", ""), occupation=p.get("occupation", ""),
                    consent=Consent.AGREED if role == PartyRole.APPLICANT and data.consent else Consent.PENDING,
                    consent_at=now if role == PartyRole.APPLICANT and data.consent else None,
                    consent_method=APPLICATION_CONSENT[channel] if role == PartyRole.APPLICANT and data.consent else "",
                ) for order, (role, p) in enumerate(roles)])
                _record_created(record, case, parties, actor=actor, audits=audits, suggested=suggested_code,
                                confidence=confidence, attest=False)
                attestation.attest_new_case(case, parties)  # a new case: its first state, from the rows in memory
                # the events below leave the attested fields as they are: no state leaf to compare
                if repeat is not None:
                    _record_repeat(record, case, repeat)
                for upload, ext, content_type in clean["files"]:
                    store(case, upload, ext, content_type, actor=actor, party=parties[0], written=written,
                          attest=False)
            if clean["on_spot"]:
                if answers := on_spot_consents(parties, now):
                    record_consents(case, answers, actor=actor, now=now)
                case = transition(case, S.AGREEMENT_ORAL, actor=actor, reason="一米调解：网格内当场化解",
                                  details=Agree(clean["on_spot"]), now=now)
                case = transition(case, S.CLOSED, actor=actor, reason="当场化解，网格结案", now=now)
    except IntegrityError:
        remove_files(written)
        referred = _referred_case(data)  # the same referral, registered meanwhile by a concurrent request
        if referred is None:
            raise
        return referred
    except BaseException:
        remove_files(written)
        raise
    return case


def _record_created(write: Any, case: Case, parties: list[Party], *, actor: User | None,
                    audits: list[dict[str, Any]], suggested: str | None, confidence: float, attest: bool) -> None:
    """Record the registration of a new case (``write``: ``record``, or a batch's): its audit row (with its persons'
    ``audits``), its event, the SMS to the parties and the notice to the organisation it was routed to."""
    notify: list[Notice] = [ToParties("已登记，可凭链接查看办理进度", key="created", parties=parties)]
    if case.organisation_id is not None:
        notify.append(ToOrganisation(case.organisation, f"新纠纷案件 {case.number} 待受理"))
    write(case, EventKind.CREATED, {
        "channel": case.channel, "source": case.source, "type": case.dispute_type.code, "region": case.region_code,
        "suggested_type": suggested, "confidence": round(confidence, 3), "organisation": case.organisation_id,
        # where the parties live in different places, and what the intake was told of another body's proceedings
        **({"cross_area": case.cross_area} if case.cross_area else {}),
        **({"other_proceeding": case.other_proceeding} if case.other_proceeding != OtherProceeding.NONE else {}),
    }, actor=actor, action="case.created", audits=audits,
        after={"number": case.number, "channel": case.channel, "source": case.source, "type": case.dispute_type.code,
               "organisation": case.organisation_id},
        text=f"案件登记（{Channel(case.channel).label}），编号 {case.number}"
        + (f"；{CrossArea(case.cross_area).label}" if case.cross_area else ""), at=case.created_at, attest=attest,
        notify=notify)


def _record_repeat(write: Any, case: Case, repeat: Case) -> None:
    """Record the link of a new case to an earlier one of the same people (the attested fields stay as they are)."""
    write(case, EventKind.REPEAT, {"repeat_of": repeat.number}, actor=None, action="case.repeat_linked",
          text=f"与此前案件 {repeat.number} 为同一当事人的纠纷，已关联", public=False, at=case.created_at, attest=False)


# ----------------------------------------------------------------------------------------------------------------
# Many cases at once: the demo year's, the import's
# ----------------------------------------------------------------------------------------------------------------
def reserve_sequences(year: int, count: int) -> int:
    """Reserve ``count`` sequence numbers of ``year`` (the year's counter row locked until the end of the caller's
    transaction, created with the year's first case); returns the first."""
    counter = CaseCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                CaseCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another writer created it first
        counter = CaseCounter.objects.select_for_update().get(year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def _numbered(years: list[int]) -> list[tuple[int, int]]:
    """(year, seq) for cases of these years, in order: each year's numbers reserved at once, handed out in the
    order of its cases."""
    next_seq = {year: reserve_sequences(year, years.count(year)) for year in sorted(set(years))}
    out = []
    for year in years:
        out.append((year, next_seq[year]))
        next_seq[year] += 1
    return out


def _by_year(cases: list[Case]) -> list[Case]:
    """The cases in the order their rows are inserted: year by year, each year's in order."""
    return sorted(cases, key=lambda c: c.year)  # a stable sort


@dataclass
class CaseIn:
    """One case for :func:`create_cases`, as a writer of many cases decided it: the intake (``data``: its people,
    texts, source, risk, referral, on-the-spot agreement — taken as they are, unchecked), the channel, the actor, the
    time, and where it goes (the ``route`` answer and the earlier case it repeats, found by the caller in bulk)."""
    data: IntakeIn
    channel: str
    actor: User | None
    at: dt.datetime
    region: Region
    dispute_type: DisputeType
    organisation: Organisation | None
    level: str
    repeat_of: Case | None = None


def create_cases(items: list[CaseIn], *, batch: Batch | None = None, then: Any = None,
                 memo: dict | None = None) -> list[Case]:
    """``create_case`` for many cases at once (the demo year's past cases), in the caller's transaction: numbers
    reserved per year, the triage suggestion, the persons and their audit rows (``core.create_persons``), the case and
    party rows, the repeat links, the creation's audit row, event and first state, a grid worker's on-the-spot
    agreement and closing (``transitions.advance``) — the same rows as one ``create_case`` each, one INSERT per
    table. ``then(case)`` is called for each new case before its rows are written, to move it further in memory with
    the same ``batch`` (``transitions.advance``, ``mediation.confirm_assignments``). Without ``batch`` the records are
    written at the end with their notifications. Returns the cases, in the order of ``items``."""
    own = batch is None
    batch = batch if batch is not None else Batch()
    memo = memo if memo is not None else {}
    with transaction.atomic():
        numbers = iter(_numbered([timezone.localtime(item.at).year for item in items]))
        audits: dict[int, list[dict[str, Any]]] = {}  # id(person) → its audit rows' arguments
        places = _party_regions([r.region_code for item in items for r in item.data.respondents])
        people = {}
        for actor in {id(item.actor): item.actor for item in items}.values():
            mine = [item for item in items if item.actor is actor]
            gathered: list[dict[str, Any]] = []
            made = iter(core.create_persons([core.PersonIn(
                name=p.name, id_number=p.id_number, phone=p.phone, region=item.region if role == PartyRole.APPLICANT
                else places.get(p.region_code)) for item in mine for role, p in _people(item) if p.kind == PartyKind.PERSON],
                actor=actor, audits=gathered))
            for row in gathered:
                audits.setdefault(id(row["obj"]), []).append(row)
            for item in mine:
                people[id(item)] = [next(made) for _, p in _people(item) if p.kind == PartyKind.PERSON]
        cases = []
        for item in items:
            data, at = item.data, item.at
            year, seq = next(numbers)
            suggested_code, confidence = triage.suggest(data.description + " " + data.request)
            on_spot = (data.on_spot_agreement or "").strip()
            # parties in different villages or towns: the common higher level's committee, as create_case routes it
            area = cross_area_of([item.region.code] + [places[r.region_code].code for r in data.respondents
                                                        if r.region_code in places])
            organisation, level = (route(item.dispute_type, item.region, data.risk_level, cross_area=area) if area
                                   else (item.organisation, item.level))
            case = Case(
                year=year, seq=seq, number=format_number(year, seq), archive_number=format_archive_number(year, seq),
                token=new_token(), **entry_fields(Entry.INTAKE, S.REPORTED, at), channel=item.channel,
                source=data.source, referral_org=data.referral_org, referral_ref=(data.referral_ref or "")[:60],
                dispute_type=item.dispute_type, suggested_type=reference_data()["types"].get(suggested_code),
                risk_level=data.risk_level, region=item.region, region_code=item.region.code, place=data.place,
                level=Level.GRID if item.channel == Channel.GRID and on_spot else level,
                organisation=organisation, preferred_mediator=data.preferred_mediator,
                description=data.description, request=data.request, consent_at=at if data.consent else None,
                repeat_of=item.repeat_of if item.repeat_of is not None and item.repeat_of.pk is not None else None,
                resolved_on_spot=bool(on_spot), cross_area=area, other_proceeding=data.other_proceeding,
                created_by=item.actor if item.actor is not None and item.actor.pk
                else None, created_at=at)
            persons = iter(people[id(item)])
            parties = [Party(
                case=case, role=role, kind=p.kind, person=next(persons) if p.kind == PartyKind.PERSON else None,
                org_name=p.org_name, order=order, sex=p.sex, ethnicity=p.ethnicity, occupation=p.occupation,
                consent=Consent.AGREED if role == PartyRole.APPLICANT and data.consent else Consent.PENDING,
                consent_at=at if role == PartyRole.APPLICANT and data.consent else None,
                consent_method=APPLICATION_CONSENT[item.channel] if role == PartyRole.APPLICANT and data.consent else "",
            ) for order, (role, p) in enumerate(_people(item))]
            batch.created(case, parties)
            _record_created(batch.record, case, parties, actor=item.actor, audits=[
                row for party in parties if party.person is not None for row in audits.get(id(party.person), [])],
                suggested=suggested_code, confidence=confidence, attest=True)
            if item.repeat_of is not None:
                _record_repeat(batch.record, case, item.repeat_of)
            if on_spot:
                if answers := on_spot_consents(parties, at):
                    record_consents(case, answers, actor=item.actor, now=at, batch=batch)
                advance([case], S.AGREEMENT_ORAL, actor=item.actor, reason="一米调解：网格内当场化解", now=at,
                        batch=batch, memo=memo, details=Agree(on_spot))
                advance([case], S.CLOSED, actor=item.actor, reason="当场化解，网格结案", now=at, batch=batch, memo=memo)
            if then is not None:
                then(case)
            cases.append((case, parties, item.repeat_of))
        Case.objects.bulk_create(_by_year([c for c, _, _ in cases]))
        Party.objects.bulk_create([p for _, parties, _ in cases for p in parties])
        for case, _, repeat in cases:
            if repeat is not None and case.repeat_of_id is None:  # an earlier case of this batch, unsaved then
                Case.objects.filter(pk=case.pk).update(repeat_of_id=repeat.pk)
                case.repeat_of = repeat
        if own:
            batch.write()
    return [c for c, _, _ in cases]


# How the applicant's consent, given with the application, was given, by channel (人民调解法 第17条).
APPLICATION_CONSENT = {Channel.ONLINE: ConsentMethod.ONLINE, Channel.GRID: ConsentMethod.IN_PERSON,
                       Channel.WINDOW: ConsentMethod.IN_PERSON, Channel.API: ConsentMethod.WRITTEN}


def on_spot_consents(parties: list[Party], at: dt.datetime) -> list[ConsentIn]:
    """一米调解: the parties who settled on the spot in front of the grid worker agreed to mediation there, in
    person; the grid worker records it (the consent guard of an on-the-spot settlement then holds)."""
    return [ConsentIn(p, True, ConsentMethod.IN_PERSON, at, "一米调解：当场当面表示同意调解")
            for p in parties if p.consent == Consent.PENDING]


def _people(item: CaseIn) -> list[tuple[str, PartyIn]]:
    return [(PartyRole.APPLICANT, item.data.applicant)] + [(PartyRole.RESPONDENT, r) for r in item.data.respondents]


def create_historical(rows: list[dict[str, Any]], *, job_id: int | None, batch: Batch) -> list[Case]:
    """Cases of the past, imported finished (``ENTRY_STAGES``: closed, terminated, not accepted), for the import
    job ``job_id``: numbers reserved per year, the case rows, their persons (encrypted phones, blind indexes) and
    parties, the numbers typed into their texts (kept encrypted), and one internal "历史案件导入" event each, collected
    in ``batch`` (the job's audit row stands for its cases; the caller writes the batch and attests it). ``rows``:
    import_format's cleaned rows. Returns the cases in the order their rows were inserted (year by year)."""
    rows = sorted(rows, key=lambda r: timezone.localtime(r["created"]).year)  # a stable sort: year by year
    numbers = iter(_numbered([timezone.localtime(r["created"]).year for r in rows]))
    cases: list[Case] = []
    for r in rows:
        year, seq = next(numbers)
        cases.append(Case(
            year=year, seq=seq, number=format_number(year, seq), archive_number=format_archive_number(year, seq),
            token=new_token(), **entry_fields(Entry.HISTORICAL_IMPORT, r["stage"], r["closed"]),
            channel=Channel.WINDOW, source=CaseSource.APPLICATION, dispute_type_id=r["type_id"],
            region_id=r["region_id"], region_code=r["region_code"], level=Level.VILLAGE,
            description=r["description"], agreement_text=r["agreement"], agreement_amount=r["amount"],
            outcome_note="历史案件导入", created_at=r["created"],
        ))
    Case.objects.bulk_create(cases, batch_size=1000)
    if cases[0].pk is None:  # backends that do not return ids from bulk inserts
        ids = dict(Case.objects.filter(number__in=[c.number for c in cases]).values_list("number", "id"))
        for c in cases:
            c.pk = ids[c.number]
    people = []
    for c, r in zip(cases, rows, strict=True):
        phone_index = crypto.blind_index(r["phone"], purpose="person.phone") if r["phone"] else None
        people.append((c, Person(name=r["applicant"], phone=r["phone"], phone_index=phone_index,
                                 region_id=r["region_id"]), Person(name=r["respondent"])))
    Person.objects.bulk_create([p for _, a, b in people for p in (a, b)], batch_size=1000)
    TextNumber.objects.bulk_create([n for c, r in zip(cases, rows, strict=True) if r.get("text_numbers")
                                    for n in core.text_number_rows(c, r["text_numbers"], region_code=c.region_code)],
                                   batch_size=1000)
    Party.objects.bulk_create(
        [Party(case=c, role=PartyRole.APPLICANT, person=a, order=0, consent=Consent.AGREED) for c, a, _ in people]
        + [Party(case=c, role=PartyRole.RESPONDENT, person=b, order=1) for c, _, b in people], batch_size=1000)
    for c in cases:
        batch.record(c, EventKind.CREATED, {"import_job": job_id}, actor=None, action=None, actor_label="历史导入",
                     text="历史案件导入", stage_to=c.stage, public=False, at=c.created_at, attest=False)
    return cases


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
            org, level = route(dispute_type, locked.region, locked.risk_level, cross_area=locked.cross_area)
            if org is not None:
                locked.organisation, locked.level = org, level
                fields += ["organisation", "level"]
        locked.save(update_fields=fields)
        after = {"type": dispute_type.code, "risk": locked.risk_level, "organisation": locked.organisation_id}
        moved = reroute and locked.organisation_id and locked.organisation_id != before["organisation"]
        record(locked, EventKind.RETRIAGE, {"before": before, "after": after, "reason": reason}, actor=actor,
               action="case.retriaged", before=before, after=after, note=reason,
               text=f"纠纷类型更正为“{dispute_type.name}”" + (
                   f"，改由{locked.organisation.name}办理" if reroute and locked.organisation_id else ""),
               notify=[ToOrganisation(locked.organisation, f"改派案件 {locked.number} 待受理")] if moved else ())
    return locked
