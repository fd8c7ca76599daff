"""Pydantic schemas of the core API. Personal data leaves only masked, except through the logged reveal call."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.functional import Promise
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field

# A display label: choices' labels are lazy translations, made plain text here (one place, not at each caller).
Label = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, Promise) else v)]


class Strict(Schema):
    """Input schemas refuse unknown fields (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    code: str
    message: str
    detail: object | None = None


class RegionOut(Schema):
    code: str
    name: str
    short_name: str
    level: str
    kind: str
    parent_code: str | None = None
    is_active: bool


class OrganisationOut(Schema):
    id: int
    name: str
    kind: str
    kind_label: Label
    specialty: str
    region_code: str
    region_name: str


class MembershipOut(Schema):
    role: str
    role_label: Label
    organisation: str | None
    region_code: str
    region_name: str


class MeOut(Schema):
    username: str
    display_name: str
    kind: str
    phone: str = Field(description="masked")
    roles: list[MembershipOut]


class PersonIn(Strict):
    name: str = Field(max_length=60)
    id_number: str = Field("", max_length=30)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=200)
    region_code: str | None = Field(None, max_length=15)


class PersonOut(Schema):
    id: int
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    region_code: str | None


class RevealIn(Strict):
    reason: str = Field(min_length=2, max_length=200)
    fields: list[str] = ["name", "id_number", "phone", "address"]


class CodeRequestIn(Strict):
    phone: str = Field(max_length=20)


class CodeVerifyIn(Strict):
    phone: str = Field(max_length=20)
    code: str = Field(max_length=10)


class GridIn(Strict):
    name: str = Field(min_length=1, max_length=100)


class AuditOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    ip: str | None
    note: str


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    link: str
    status: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class OkOut(Schema):
    ok: bool = True
