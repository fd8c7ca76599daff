"""Pydantic schemas of the core API. Personal data leaves only masked, except through the logged reveal call."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.utils.functional import Promise
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
)

from .enums import NotificationStatus, OrgKind, RegionKind, RegionLevel, Role, Specialty, UserKind
from .text import clean_data

# A display label: choices' labels are lazy translations, made plain text here (one place, not at each caller).
Label = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, Promise) else v)]

# What core.personal accepts (it removes spaces, dashes and a +86 / 0086 prefix before checking; the services then
# check the ID number's birth date and check digit), so that the schema refuses what the services would refuse.
PHONE_PATTERN = r"^[ -]*((\+|00)86)?[ -]*1[ -]*[3-9]([ -]*[0-9]){9}[ -]*$"
ID_NUMBER_PATTERN = r"^\s*( *[0-9]){17} *[0-9Xx]\s*$"
REGION_CODE_PATTERN = r"^[0-9]{6}([0-9]{3}){0,3}$"
OptionalPhone = Annotated[str, Field(max_length=20, pattern=f"^$|{PHONE_PATTERN}", examples=["13812345678"])]
OptionalIdNumber = Annotated[str, Field(max_length=30, pattern=f"^$|{ID_NUMBER_PATTERN}",
                                        examples=["330483198001011234"])]
RegionCode = Annotated[str, Field(min_length=6, max_length=15, pattern=REGION_CODE_PATTERN, examples=["330483100001"],
                                  description="区划代码（县6位、乡镇9位、村12位、网格15位）")]
Int = StrictInt  # a JSON body's integer: ``true`` or ``"5"`` is refused, as the schema says
Bool = StrictBool
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso(pattern: re.Pattern, kind: str):  # noqa: ANN202
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.match(value):
            raise ValueError(f"{kind} must be written in ISO 8601")
        if not isinstance(value, str | dt.date):
            raise ValueError(f"{kind} must be a string")  # not a number of seconds
        return value

    return BeforeValidator(check)


def _real_offset(value: dt.datetime) -> dt.datetime:
    """UTC offsets in use run from -12:00 to +14:00; PostgreSQL refuses some that ISO 8601 allows (+21:02)."""
    offset = value.utcoffset()
    if offset is not None and abs(offset) > dt.timedelta(hours=14):
        raise ValueError("the UTC offset must lie between -14:00 and +14:00")
    return value


IsoDate = Annotated[dt.date, _iso(_ISO_DATE, "date")]
IsoDateTime = Annotated[dt.datetime, _iso(_ISO_DATETIME, "datetime"), AfterValidator(_real_offset)]


class TextIn(Schema):
    """Every API input schema derives from this: control characters are taken out of every string once the fields
    are validated (``core.text.clean_text``; the pages do the same in ``core.middleware.CleanInputMiddleware``). After,
    not before: a field with a pattern (a region code, a phone) refuses a control character as its schema says,
    while free text keeps what was typed, less the control characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_data(value)


class Strict(TextIn):
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
    level: RegionLevel
    kind: RegionKind
    parent_code: str | None = None
    is_active: bool


class OrganisationOut(Schema):
    id: int
    name: str
    kind: OrgKind
    kind_label: Label
    specialty: Specialty
    region_code: str
    region_name: str


class MembershipOut(Schema):
    role: Role
    role_label: Label
    organisation: str | None
    region_code: str
    region_name: str


class MeOut(Schema):
    username: str
    display_name: str
    kind: UserKind
    phone: str = Field(description="masked")
    roles: list[MembershipOut]


class PersonIn(Strict):
    name: str = Field(min_length=1, max_length=60, examples=["张三"])
    id_number: OptionalIdNumber = ""
    phone: OptionalPhone = ""
    address: str = Field("", max_length=200)
    region_code: RegionCode | None = None


class PersonOut(Schema):
    id: int
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    phone: str = Field(description="masked")
    region_code: str | None


class RevealIn(Strict):
    reason: str = Field(min_length=2, max_length=200)
    fields: list[Literal["name", "id_number", "phone", "address"]] = Field(
        ["name", "id_number", "phone", "address"], min_length=1, max_length=4, json_schema_extra={"uniqueItems": True})

    @field_validator("fields")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each field at most once")
        return value


class CodeRequestIn(Strict):
    phone: str = Field(max_length=20, pattern=PHONE_PATTERN, examples=["13812345678"])


class CodeVerifyIn(Strict):
    phone: str = Field(max_length=20, pattern=PHONE_PATTERN, examples=["13812345678"])
    code: str = Field(max_length=10, pattern=r"^\s*[0-9]{6}\s*$", examples=["123456"], description="短信中的6位验证码")


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
    status: NotificationStatus
    created_at: dt.datetime
    read_at: dt.datetime | None


class OkOut(Schema):
    ok: bool = True
