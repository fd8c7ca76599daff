"""一案一码: the QR code of a case encodes its public status URL. PNG and SVG, dark on a white background."""

from __future__ import annotations

import io

import segno


def _code(url: str) -> segno.QRCode:
    return segno.make(url, error="m", micro=False)


def png_bytes(url: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    _code(url).save(out, kind="png", scale=scale, border=4, dark="#000000", light="#ffffff")
    return out.getvalue()


def svg_text(url: str, *, scale: int = 6) -> str:
    out = io.BytesIO()
    _code(url).save(out, kind="svg", scale=scale, border=4, dark="#000000", light="#ffffff", xmldecl=False,
                    title="案件二维码")
    return out.getvalue().decode()


def svg_inline(url: str, *, scale: int = 5) -> str:
    # omitsize: a viewBox only, so that CSS can scale the code without cropping it
    return _code(url).svg_inline(scale=scale, border=4, dark="#000000", light="#ffffff", omitsize=True)
