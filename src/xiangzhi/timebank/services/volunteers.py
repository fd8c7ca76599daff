"""Registering legal volunteers: the person (core's Person, phone encrypted), their account and their consent to
appear on leaderboards."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from xiangzhi.core import crypto, personal
from xiangzhi.core import rules as core_rules
from xiangzhi.core import services as core
from xiangzhi.core.errors import Conflict, Forbidden, ValidationFailed
from xiangzhi.core.models import Organisation, Region, User
from xiangzhi.core.text import clean_text

from .. import rules, selectors
from ..enums import VolunteerKind
from ..models import Volunteer
from .books import open_account
from .records import record


def check_registrar(actor: User | None, region: Region, organisation: Organisation) -> None:
    """Staff of the time bank register volunteers of their own jurisdiction, for an organisation in it."""
    if actor is None:  # the platform itself (demo, imports)
        return
    if not rules.can_manage(core_rules.roles_of(actor)) or not selectors.may_manage_region(actor, region.code):
        raise Forbidden("NOT_ALLOWED", "无权登记该区划的志愿者。")
    if not selectors.may_manage_region(actor, organisation.region.code) and organisation.pk not in \
            selectors.user_org_ids(actor):
        raise Forbidden("NOT_ALLOWED", "只能以本辖区的组织登记志愿者。")


def register_volunteer(*, name: str, kind: str, organisation: Organisation, region: Region, phone: str = "",
                       user: User | None = None, skills: str = "", public_consent: bool = False,
                       actor: User | None) -> Volunteer:
    """Register a volunteer and open their account (minimum XIANGZHI_TIMEBANK_MIN_BALANCE). Refused when the
    person (same account, or same phone) is already registered. Side effects: the Person (encrypted phone), the
    account, the volunteer row and the audit row."""
    if kind not in VolunteerKind.values:
        raise ValidationFailed("INVALID_KIND", "志愿者身份不正确。")
    check_registrar(actor, region, organisation)
    clean = core.check_person_fields(name=clean_text(name), phone=phone)
    with transaction.atomic():
        if user is not None and Volunteer.objects.filter(user=user).exists():
            raise Conflict("ALREADY_REGISTERED", "该用户已登记为志愿者。")
        if clean["phone"]:
            index = crypto.blind_index(clean["phone"], purpose="person.phone")
            if Volunteer.objects.filter(person__phone_index=index).exists():
                raise Conflict("ALREADY_REGISTERED", "该手机号已登记为志愿者。")
        person = core.create_person(name=clean["name"], phone=clean["phone"], region=region, user=user, actor=actor)
        account = open_account(f"志愿者 {personal.mask_name(clean['name'])}",
                               min_balance=settings.XIANGZHI_TIMEBANK_MIN_BALANCE)
        v = Volunteer.objects.create(person=person, user=user, kind=kind, organisation=organisation, region=region,
                                     skills=clean_text(skills)[:200], public_consent=public_consent,
                                     account=account, registered_by=actor)
        record("timebank.volunteer.registered", v, {"kind": kind, "organisation": organisation.pk,
                                                     "region": region.code, "public": public_consent},
               actor=actor, region_code=region.code)
    return v


def set_public_consent(volunteer: Volunteer, *, public: bool, actor: User) -> Volunteer:
    """The volunteer themselves agrees (or no longer agrees) to appear on leaderboards."""
    if not selectors.is_own(actor, volunteer):
        raise Forbidden("NOT_ALLOWED", "只有志愿者本人可以设置是否公开。")
    with transaction.atomic():
        Volunteer.objects.filter(pk=volunteer.pk).update(public_consent=public)
        volunteer.public_consent = public
        record("timebank.volunteer.consent", volunteer, {"public": public}, actor=actor,
               region_code=volunteer.region.code)
    return volunteer
