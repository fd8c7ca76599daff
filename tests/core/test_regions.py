"""Regions keyed by national statistical codes: loading is idempotent, renames and merges keep history."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import REPO
from xiangzhi.core import services
from xiangzhi.core.errors import ValidationFailed
from xiangzhi.core.models import Region, RegionChange

pytestmark = pytest.mark.django_db
# Tongxiang's real tree is loaded once per test session (tests/conftest.py); these tests load the same tree under a
# fictional county code 339999 so that they start from nothing.
TREE = json.loads(
    (REPO / "src/xiangzhi/core/data/tongxiang.json").read_text(encoding="utf-8").replace('"330483', '"339999')
)


def test_tongxiang_loads_with_11_towns_and_217_villages_and_a_second_load_changes_nothing():
    first = services.load_regions(TREE, actor=None)
    assert first.created == 1 + 11 + 217
    ours = Region.objects.filter(code__startswith="339999")
    assert ours.filter(level="town").count() == 11
    assert ours.filter(level="village").count() == 217
    assert ours.filter(kind="subdistrict").count() == 3
    second = services.load_regions(TREE, actor=None)
    assert second.created == 0 and second.renamed == 0 and ours.count() == 229


def test_a_rename_in_a_newer_edition_keeps_the_old_name_in_history():
    services.load_regions(TREE, actor=None)
    newer = copy.deepcopy(TREE)
    village = newer["children"][3]["children"][0]
    old = village["name"]
    village["name"], village["short_name"] = "新名村村委会", "新名村"
    stats = services.load_regions(newer, actor=None)
    assert stats.renamed == 1
    region = Region.objects.get(code=village["code"])
    assert region.display_name == "新名村"
    change = region.changes.get(kind=RegionChange.Kind.RENAMED)
    assert change.old_name == old and change.new_name == "新名村村委会"


def test_a_bad_code_anywhere_writes_nothing():
    bad = copy.deepcopy(TREE)
    bad["children"][-1]["children"][-1]["code"] = "33048310799"  # not under 339999107: refused before any write
    with pytest.raises(ValidationFailed) as exc:
        services.load_regions(bad, actor=None)
    assert exc.value.code == "INVALID_REGION_CODE" and "33048310799" in exc.value.message
    assert not Region.objects.filter(code__startswith="339999").exists()


def test_a_code_outside_its_parent_is_refused():
    bad = copy.deepcopy(TREE)
    bad["children"][0]["children"][0]["code"] = "339999107201"
    with pytest.raises(ValidationFailed):
        services.load_regions(bad, actor=None)


def test_grids_sit_below_villages_with_prefix_codes():
    services.load_regions(TREE, actor=None)
    village = Region.objects.filter(level="village", code__startswith="339999").first()
    grid = services.add_grid(village, name="第一网格", actor=None)
    assert grid.code == village.code + "001" and grid.level == "grid" and grid.parent == village
    assert services.add_grid(village, name="第一网格", actor=None) == grid
    assert services.add_grid(village, name="第二网格", actor=None).code == village.code + "002"
    with pytest.raises(ValidationFailed):
        services.add_grid(village.parent, name="镇网格", actor=None)


def test_a_merge_keeps_the_old_village_for_history_and_resolves_to_the_new_one():
    services.load_regions(TREE, actor=None)
    a, b = Region.objects.filter(level="village", code__startswith="339999100").order_by("code")[:2]
    services.merge_regions(a, b, actor=None)
    a.refresh_from_db()
    assert not a.is_active and a.merged_into == b
    assert services.resolve_region(a.code) == b
    assert a.changes.filter(kind="merged").exists()
    services.load_regions(TREE, actor=None)  # reloading the old edition does not undo the merge
    a.refresh_from_db()
    assert not a.is_active


def test_the_command_reports_bad_files_clearly(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("load_regions", str(broken))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("load_regions", str(tmp_path / "missing.json"))


def test_history_rows_are_append_only():
    services.load_regions(TREE, actor=None)
    from xiangzhi.core.models import AppendOnlyError

    with pytest.raises(AppendOnlyError):
        RegionChange.objects.all().delete()
