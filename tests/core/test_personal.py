"""身份证号 (GB 11643) and phone validation; masking of every kind of personal data."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import valid_id_number
from xiangzhi.core import personal


def test_it_accepts_a_number_with_the_right_check_digit():
    assert personal.validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    "bad",
    ["110105194912310021", "11010519491231002", "1101051949123100211", "11010519491331002X", "abcdefghijklmnopqr",
     "110105210012310028"],
)
def test_it_refuses_bad_id_numbers_with_a_chinese_message(bad):
    with pytest.raises(ValidationError) as exc:
        personal.validate_id_number(bad)
    assert "身份证号" in exc.value.messages[0]


@given(
    region=st.sampled_from(["330483", "110105", "440305"]),
    year=st.integers(1930, 2010), month=st.integers(1, 12), day=st.integers(1, 28), seq=st.integers(0, 999),
)
def test_every_generated_valid_number_passes_and_any_changed_digit_fails(region, year, month, day, seq):
    number = valid_id_number(f"{region}{year:04d}{month:02d}{day:02d}{seq:03d}")
    assert personal.validate_id_number(number) == number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError):
        personal.validate_id_number(wrong)


@pytest.mark.parametrize("phone,expected", [("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678")])
def test_it_normalises_valid_phones(phone, expected):
    assert personal.validate_phone(phone) == expected


@pytest.mark.parametrize("bad", ["12812345678", "1381234567", "138123456789", "0573-88000000", ""])
def test_it_refuses_bad_phones(bad):
    with pytest.raises(ValidationError):
        personal.validate_phone(bad)


def test_masks_follow_the_published_forms():
    assert personal.mask_id_number("33048319800101123X") == "330483********123X"
    assert personal.mask_phone("13812345678") == "138****5678"
    assert personal.mask_name("张三") == "张*"
    assert personal.mask_name("欧阳娜娜") == "欧***"


def test_mask_text_hides_numbers_typed_into_free_text():
    id_number = valid_id_number("33048319800101123")
    text = f"我叫张三，身份证{id_number}，电话13812345678，邻居欠钱不还"
    masked = personal.mask_text(text)
    assert id_number not in masked and "13812345678" not in masked
    assert "138****5678" in masked and "330483********" in masked
    assert "邻居欠钱不还" in masked


@pytest.mark.parametrize("text,expected", [
    ("电话13812345678", ["13812345678"]),
    ("电话 138 1234 5678。", ["13812345678"]),
    ("+8613812345678", ["13812345678"]),
    ("订单号 20240305123456789012", []),  # a longer digit run is no phone and no ID
    ("编号 123456789012345678", []),  # 18 digits without a valid birth date and check digit
    ("老证 330483751212345", ["330483751212345"]),  # first-generation 15 digits
    (valid_id_number("33048319800101123") + "和13912345678", [valid_id_number("33048319800101123"), "13912345678"]),
])
def test_it_finds_ids_with_a_valid_check_digit_and_phones_with_or_without_separators(text, expected):
    assert [f.value for f in personal.find_numbers(text)] == expected
