"""Certificates anyone can verify offline: the QR code, decoded by zxing-cpp, holds /r/<statement>.<signature>, and
the published public key alone verifies it; a revoked certificate reads revoked, an edited one forged."""

from __future__ import annotations

import base64
import io
import json
import stat

import pytest
import zxingcpp
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from tests.recognitions.conftest import nominate, register, revoke, to_notice


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode_qr(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def _path_of(url: str) -> str:
    return url[url.index("/r/"):]


def test_a_certificate_qr_verifies_with_the_published_public_key_alone(client, holder):
    from xiangzhi.recognitions import certificates

    url = _decode_qr(certificates.qr_png(holder))
    assert "/r/" in url
    statement_b64, signature_b64 = url.rsplit("/r/", 1)[1].split(".")
    published = client.get("/api/v1/recognitions/public-key").json()
    raw_key = base64.b64decode(published["public_key"], validate=True)
    assert published["algorithm"] == "Ed25519" and len(raw_key) == 32

    statement = _unb64url(statement_b64)
    Ed25519PublicKey.from_public_bytes(raw_key).verify(_unb64url(signature_b64), statement)  # raises if not valid
    claims = json.loads(statement)
    assert claims == {"v": 1, "n": "张**", "t": "understander", "y": holder.year, "r": holder.region.code,
                      "s": holder.serial, "u": holder.valid_until.isoformat()}
    assert "张小明" not in url and holder.person.id_number not in url

    page = client.get(_path_of(url))
    assert page.status_code == 200 and 'data-status="valid"' in page.content.decode()


def test_the_verify_page_names_the_holders_village_not_only_its_statistical_code(client, holder):
    """A villager or a bank clerk reads where the holder lives ("乌镇镇东苑社区"), with the signed code beside it."""
    from xiangzhi.recognitions import certificates

    body = client.get(_path_of(certificates.certificate_url(holder))).content.decode()
    village = holder.region
    assert f"{village.parent.display_name}{village.display_name}" in body
    assert village.code in body


def test_the_certificate_image_carries_the_same_qr(holder):
    from xiangzhi.recognitions import certificates

    url = _decode_qr(certificates.certificate_png(holder))
    assert url == certificates.certificate_url(holder)
    assert certificates.certificate_pdf(holder).startswith(b"%PDF-")


def test_an_edited_statement_reads_forged(client, holder):
    from xiangzhi.recognitions import certificates, signatures

    url = certificates.certificate_url(holder)
    statement_b64, signature_b64 = url.rsplit("/r/", 1)[1].split(".")
    claims = json.loads(_unb64url(statement_b64))
    claims["u"] = "2099-12-31"
    edited = signatures.b64url(signatures.compact(claims))
    with pytest.raises(InvalidSignature):
        key = base64.b64decode(client.get("/api/v1/recognitions/public-key").json()["public_key"])
        Ed25519PublicKey.from_public_bytes(key).verify(_unb64url(signature_b64), _unb64url(edited))
    page = client.get(f"/r/{edited}.{signature_b64}")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-status="forged"' in body and "2099" not in body
    for junk in ("abc", "a.b", "...", f"{statement_b64}.{signature_b64}x", f"{statement_b64}.{signature_b64[:-4]}"):
        assert 'data-status="forged"' in client.get(f"/r/{junk}").content.decode(), junk
    assert client.get(f"/recognitions/certificate/{edited}.{signature_b64}.png").status_code == 404


def test_a_statement_signed_by_another_key_reads_forged(client, holder, settings, tmp_path):
    from xiangzhi.recognitions import certificates

    settings.XIANGZHI_RECOGNITIONS_KEY_FILE = tmp_path / "other_key"
    foreign = certificates.token_of(holder)
    settings.XIANGZHI_RECOGNITIONS_KEY_FILE = tmp_path / "county_key"
    assert 'data-status="forged"' in client.get(f"/r/{foreign}").content.decode()
    assert 'data-status="valid"' in client.get(f"/r/{certificates.token_of(holder)}").content.decode()


def test_a_revoked_certificate_reads_revoked_and_is_on_the_signed_list(client, holder, town_staff, county_admin):
    from xiangzhi.recognitions import certificates

    token = certificates.token_of(holder)
    revoke(holder, town_staff, county_admin)
    page = client.get(f"/r/{token}").content.decode()
    assert 'data-status="revoked"' in page
    assert client.get(f"/recognitions/certificate/{token}.pdf").status_code == 404

    published = client.get("/api/v1/recognitions/revocations").json()
    assert published["serials"] == [holder.serial]
    key = base64.b64decode(client.get("/api/v1/recognitions/public-key").json()["public_key"])
    raw = _unb64url(published["statement"])
    Ed25519PublicKey.from_public_bytes(key).verify(_unb64url(published["signature"]), raw)
    assert json.loads(raw)["s"] == [holder.serial] and json.loads(raw)["k"] == "revocations"
    # the revocation list itself is no certificate
    assert 'data-status="forged"' in client.get(f"/r/{published['token']}").content.decode()


def test_a_revocation_in_progress_leaves_the_certificate_valid(client, holder, town_staff):
    from xiangzhi.recognitions import certificates
    from xiangzhi.recognitions.services import selection

    selection.transition(holder, "revocation_proposed", actor=town_staff.user, reason="待核实的举报")
    assert 'data-status="valid"' in client.get(f"/r/{certificates.token_of(holder)}").content.decode()


def test_the_certificate_files_are_served_for_a_valid_token(client, holder):
    from xiangzhi.recognitions import certificates

    token = certificates.token_of(holder)
    png = client.get(f"/recognitions/certificate/{token}.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert _decode_qr(png.content).endswith(f"/r/{token}")
    pdf = client.get(f"/recognitions/certificate/{token}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_only_registered_recognitions_have_certificates(mediator, town_staff):
    from xiangzhi.recognitions import certificates

    rec = to_notice(nominate(mediator.user, n=5), town_staff)
    with pytest.raises(ValueError):
        certificates.token_of(rec)


def test_the_key_is_made_on_first_use_with_mode_0600(settings, tmp_path):
    from xiangzhi.recognitions import signatures

    path = tmp_path / "keys" / "recognitions_ed25519"
    settings.XIANGZHI_RECOGNITIONS_KEY_FILE = path
    first = signatures.public_key_b64()
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert signatures.public_key_b64() == first  # kept, not regenerated
    assert len(base64.b64decode(first)) == 32


def test_a_token_of_the_holders_list_is_the_certificate_url(holder, county_admin):
    c = county_admin.client()
    page = c.get("/api/v1/recognitions/holders").json()
    assert page["count"] == 1
    item = page["items"][0]
    assert item["serial"] == holder.serial and item["masked_name"] == "张**"
    assert 'data-status="valid"' in c.get(_path_of(item["certificate_url"])).content.decode()


def test_registration_gives_each_holder_a_distinct_serial(mediator, town_staff, county_admin):
    a = register(nominate(mediator.user, n=2, name="李四"), town_staff, county_admin)
    b = register(nominate(mediator.user, n=3, name="王五", title="household"), town_staff, county_admin)
    assert a.serial != b.serial and a.serial.startswith(f"{a.year}M") and b.serial.startswith(f"{b.year}S")


def test_concurrent_first_uses_agree_on_one_key(settings, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from xiangzhi.recognitions import signatures

    settings.XIANGZHI_RECOGNITIONS_KEY_FILE = tmp_path / "k" / "key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _i: signatures.public_key_b64(), range(16)))
    assert len(keys) == 1 and [p.name for p in (tmp_path / "k").iterdir()] == ["key"]


def test_the_holders_list_takes_a_fixed_number_of_queries(mediator, town_staff, county_admin,
                                                          django_assert_max_num_queries):
    for n in range(1, 4):
        register(nominate(mediator.user, n=n, name=f"张{n}"), town_staff, county_admin)
    c = county_admin.client()
    c.get("/api/v1/recognitions/holders")  # warm the session and role caches
    with django_assert_max_num_queries(8):
        page = c.get("/api/v1/recognitions/holders").json()
    assert page["count"] == 3
