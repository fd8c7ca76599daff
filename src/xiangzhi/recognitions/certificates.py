"""Certificates: the signed statement of a holder, the URL its QR code holds, the QR code (segno) and the certificate
itself as PNG and PDF (Pillow); the signed revocation list; and the verdict of the public verify page (valid,
revoked, expired or forged). Reads only; signing is :mod:`.signatures`."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.utils import timezone

from . import selectors, signatures
from .enums import Title
from .models import Recognition

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)


def statement_of(rec: Recognition) -> dict[str, Any]:
    """The compact statement a certificate carries (no personal data but the masked name)."""
    if not rec.serial or rec.valid_until is None:
        raise ValueError("only a registered recognition has a certificate")
    return {"v": signatures.VERSION, "n": rec.person.masked_name, "t": rec.title, "y": rec.year,
            "r": rec.region.code, "s": rec.serial, "u": rec.valid_until.isoformat()}


def token_of(rec: Recognition) -> str:
    return signatures.sign(statement_of(rec))


def certificate_url(rec: Recognition) -> str:
    """The URL the QR code holds: ``<public url>/r/<statement>.<signature>``."""
    return f"{settings.XIANGZHI_PUBLIC_URL}/r/{token_of(rec)}"


def qr_png(rec: Recognition, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(certificate_url(rec), error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def revocation_list() -> dict[str, Any]:
    """The signed list of revoked serials: ``{statement, signature, token, issued_at, serials}``."""
    serials = selectors.revoked_serials()
    issued = timezone.now().replace(microsecond=0).isoformat()
    token = signatures.sign({"v": signatures.VERSION, "k": "revocations", "i": issued, "s": serials})
    statement, _, signature = token.partition(".")
    return {"statement": statement, "signature": signature, "token": token, "issued_at": issued, "serials": serials}


@dataclass(frozen=True)
class Verdict:
    status: str  # "valid", "revoked", "expired" or "forged"
    statement: dict[str, Any] | None = None

    @property
    def title_label(self) -> str:
        if not self.statement:
            return ""
        return dict(Title.choices).get(self.statement.get("t"), "")


def verify_token(token: str) -> Verdict:
    """What the verify page says of ``token``: forged (not signed by the county's key), revoked (its serial is on the
    revocation list), expired (past its validity), else valid."""
    try:
        statement = signatures.verify(token)
    except signatures.Forged:
        return Verdict("forged")
    if "k" in statement or not isinstance(statement.get("s"), str):
        return Verdict("forged")
    if statement["s"] in set(selectors.revoked_serials()):
        return Verdict("revoked", statement)
    if str(statement.get("u", "")) < timezone.localdate().isoformat():
        return Verdict("expired", statement)
    return Verdict("valid", statement)


# Rendering -------------------------------------------------------------------------------------------------------
def _font(size: int):  # noqa: ANN202
    from PIL import ImageFont

    for path in ([settings.XIANGZHI_RECOGNITIONS_FONT] if settings.XIANGZHI_RECOGNITIONS_FONT else []) + list(
            FONT_CANDIDATES):
        if path and Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def certificate_image(rec: Recognition):  # noqa: ANN201
    """The certificate as a Pillow image (A5 landscape at 150 dpi): title, masked name, village, year, serial,
    validity and the QR code."""
    from PIL import Image, ImageDraw

    width, height = 1240, 874
    img = Image.new("RGB", (width, height), "#fffaf0")
    draw = ImageDraw.Draw(img)
    draw.rectangle([20, 20, width - 20, height - 20], outline="#b22222", width=8)
    draw.rectangle([36, 36, width - 36, height - 36], outline="#d4a017", width=2)
    county = "桐乡市司法局"
    draw.text((width // 2, 110), rec.get_title_display(), font=_font(72), fill="#b22222", anchor="mm")
    draw.text((width // 2, 190), "证  书", font=_font(40), fill="#333333", anchor="mm")
    village = rec.region.parent.display_name + rec.region.display_name if rec.region.parent_id else rec.region.name
    lines = [
        f"{rec.person.masked_name}（{village}）：",
        "经本人自荐或村（社区）推荐、乡镇审查、公示和县级审定，",
        f"被认定为{rec.year}年度{rec.get_title_display()}。",
        f"证书编号：{rec.serial}",
        f"有效期至：{rec.valid_until:%Y年%m月%d日}",
    ]
    font = _font(32)
    for i, line in enumerate(lines):
        draw.text((100, 280 + i * 60), line, font=font, fill="#222222")
    qr = segno.make(certificate_url(rec), error="m")
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=5, border=2)
    qr_img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    img.paste(qr_img, (width - qr_img.width - 70, height - qr_img.height - 110))
    draw.text((width - 70 - qr_img.width // 2, height - 80), "扫码核验", font=_font(24), fill="#555555", anchor="mm")
    draw.text((100, height - 120), county, font=_font(34), fill="#222222")
    draw.text((100, height - 75), f"{timezone.localtime(rec.registered_at):%Y年%m月%d日}" if rec.registered_at
              else "", font=_font(26), fill="#555555")
    return img


def certificate_png(rec: Recognition) -> bytes:
    out = io.BytesIO()
    certificate_image(rec).save(out, format="PNG")
    return out.getvalue()


def certificate_pdf(rec: Recognition) -> bytes:
    out = io.BytesIO()
    certificate_image(rec).save(out, format="PDF", resolution=150.0, title=f"{rec.get_title_display()}证书 {rec.serial}")
    return out.getvalue()
