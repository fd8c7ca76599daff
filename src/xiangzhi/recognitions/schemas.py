"""API schemas of recognitions and e法贷 (class names prefixed: they are unique across the whole API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import Field

from xiangzhi.core.schemas import TextIn

from .enums import CheckOutcome


class RecognitionPublicKeyOut(Schema):
    algorithm: str = Field(description="签名算法（Ed25519）")
    public_key: str = Field(description="公钥：32 字节原始公钥的标准 base64（RFC 4648 §4）")


class RecognitionRevocationsOut(Schema):
    statement: str = Field(description="撤销名单声明（紧凑 JSON 的 base64url）")
    signature: str = Field(description="声明的 Ed25519 签名（base64url）")
    token: str = Field(description="statement.signature")
    issued_at: str
    serials: list[str] = Field(description="已撤销的证书编号")


class RecognitionHolderOut(Schema):
    id: int
    serial: str
    title: str
    title_label: str
    year: int
    region_code: str
    region_name: str
    masked_name: str
    valid_until: dt.date
    state: str
    state_label: str
    certificate_url: str = Field(description="证书二维码中的核验地址 /r/<statement>.<signature>")


class EfadaiCheckIn(TextIn):
    code: str = Field(min_length=1, max_length=32, description="村民在手机上生成的一次性授权码")


class EfadaiCheckOut(Schema):
    check_id: int
    eligible: bool
    title: str | None
    title_label: str | None
    valid_until: dt.date | None
    masked_name: str
    outcome: CheckOutcome | None = Field(description="eligible 符合；revoked 称号已撤销；expired 称号已过有效期；none 没有在册的称号")
    outcome_label: str | None


class EfadaiLoanIn(TextIn):
    check_id: int = Field(ge=1, le=2**31)
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="金额（元）")
    rate_discount: Decimal = Field(ge=0, max_digits=5, decimal_places=2, description="利率优惠（百分点）")
    granted_on: dt.date


class EfadaiLoanOut(Schema):
    id: int
    check_id: int
    bank: str
    amount: Decimal
    rate_discount: Decimal
    granted_on: dt.date
    title: str
    masked_name: str


class EfadaiTotalOut(Schema):
    bank_id: int
    bank: str
    count: int
    amount: Decimal
