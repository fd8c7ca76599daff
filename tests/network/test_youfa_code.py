"""有法码: the printed QR code decodes (zxing-cpp) to its village's public page, which names the adviser; the
console command writes it."""

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from PIL import Image

from tests.cli import clean_env, run_xiangzhi
from tests.conftest import REPO, WUZHEN
from tests.network.conftest import make_site, villages_of

pytestmark = pytest.mark.django_db


def _decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0].text


def test_a_village_code_opens_the_village_page_naming_its_adviser(client, adviser, settings):
    from xiangzhi.network.models import CodeScan
    from xiangzhi.network.services import codes, directory

    village = villages_of(WUZHEN)[2]
    directory.assign_adviser(village, adviser, actor=None)
    title, url = codes.code_target(village.code)
    assert village.display_name in title
    text = _decode(codes.qr_png(url))
    parts = urlsplit(text)
    assert f"{parts.scheme}://{parts.netloc}" == settings.XIANGZHI_PUBLIC_URL
    assert parts.path == f"/network/v/{village.code}/"
    page = client.get(f"{parts.path}?{parts.query}").content.decode()
    assert "沈律师" in page and village.display_name in page
    assert CodeScan.objects.get(key=village.code).count == 1


def test_a_town_code_opens_its_service_point(tongxiang):
    from xiangzhi.core.errors import NotFound
    from xiangzhi.network.services import codes

    with pytest.raises(NotFound):
        codes.code_target(WUZHEN)  # no site yet
    site = make_site(WUZHEN)
    assert urlsplit(_decode(codes.qr_png(codes.code_target(WUZHEN)[1]))).path == f"/network/s/{site.pk}/"
    with pytest.raises(NotFound):
        codes.code_target("330483999999")
    village_site = make_site(villages_of(WUZHEN)[0].code)
    assert urlsplit(_decode(codes.qr_png(codes.site_target(village_site.pk)[1]))).path == (
        f"/network/s/{village_site.pk}/")
    with pytest.raises(NotFound):
        codes.site_target(999999)


def test_the_console_command_writes_a_decodable_png(tmp_path):
    env = clean_env(tmp_path / "data", XIANGZHI_ENV="development", XIANGZHI_PUBLIC_URL="https://fw.example.cn")
    assert run_xiangzhi("migrate", "--noinput", env=env, timeout=300).returncode == 0
    loaded = run_xiangzhi("load_regions", str(REPO / "src/xiangzhi/core/data/tongxiang.json"), env=env)
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "code.png"
    done = run_xiangzhi("network", "youfa-code", "330483100201", "-o", str(out), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _decode(out.read_bytes()) == "https://fw.example.cn/network/v/330483100201/?src=qr"
    bad = run_xiangzhi("network", "youfa-code", "330483999999", "-o", str(tmp_path / "x.png"), env=env)
    assert bad.returncode != 0 and "没有这个区划代码" in bad.stderr
    assert not (tmp_path / "x.png").exists()
    neither = run_xiangzhi("network", "youfa-code", "-o", str(tmp_path / "y.png"), env=env)
    assert neither.returncode != 0 and "二选一" in neither.stderr


def test_staff_download_the_codes_of_their_villages(mediator, other_mediator):
    from xiangzhi.network.services import codes

    own = mediator.client().get(f"/network/staff/code/{mediator.region.code}.png")
    assert own.status_code == 200 and own["Content-Type"] == "image/png"
    assert _decode(own.content) == codes.village_url(mediator.region)
    assert mediator.client().get(f"/network/staff/code/{other_mediator.region.code}.png").status_code == 404
