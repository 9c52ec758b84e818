"""GB 11643 ID numbers, GB 32100 USCCs and masking, with every example of PROVINCIAL.md §2.8 and §3."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.federation import cnid

VALID_IDS = [
    "11010519491231002X",  # the standard's example
    "440524188001010014",
    "370702199003071230",  # zhangsan01
    "370705198511200021",  # lisi02
    "370783197512310040",  # wangwu03
    "370784200002290319",  # zhao04, born on a leap day
]
VALID_USCCS = ["91350100M000100Y43", "91370700MA3C4F2K2X", "91370705MA3C4F2K26", "12370700MA3C4F2K23",
               "11370700MA3C4F2K26"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_valid_id_numbers_from_the_spec_are_accepted(number):
    assert cnid.is_valid_id_number(number)
    assert cnid.id_check_char(number[:17]) == number[17]


def test_check_character_ten_is_written_x():
    assert cnid.id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("number, why", [
    ("370702199003071231", "bad check digit"),
    ("370702199902290015", "1999-02-29 is not a real date (check digit otherwise right)"),
    ("370702199913010014", "month 13"),
    ("11010519491231002x", "lowercase x"),
    ("000000199003071235", "address code of no province"),
    ("370002199003071230", "address code without prefecture"),
    ("37070219900307123", "17 characters"),
    ("3707021990030712300", "19 characters"),
    ("37070219900307123A", "letter other than X"),
    ("３７０７０２199003071230", "full-width digits"),
    ("", "empty"),
])
def test_invalid_id_numbers_are_refused(number, why):
    assert not cnid.is_valid_id_number(number), why


def test_future_birth_date_is_refused():
    body = "37070220990101001"
    assert not cnid.is_valid_id_number(body + cnid.id_check_char(body), today=dt.date(2026, 1, 1))


def test_leap_day_1999_body_is_refused_even_with_the_right_check_character():
    body = "37070219990229001"
    assert not cnid.is_valid_id_number(body + cnid.id_check_char(body))


def test_id_check_char_needs_17_digits():
    with pytest.raises(ValueError):
        cnid.id_check_char("3707021990030712")


@settings(deadline=None)  # timing varies on a loaded 2-core CI box
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_iso7064_recursive_form_agrees(first17):
    p = 0
    for d in first17:
        p = ((p + int(d)) * 2) % 11
    expected = (12 - p) % 11
    assert cnid.id_check_char(first17) == ("X" if expected == 10 else str(expected))


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_usccs_from_the_spec_are_accepted(code):
    assert cnid.is_valid_uscc(code)
    assert cnid.uscc_check_char(code[:17]) == code[17]
    assert cnid.org_code_check_char(code[8:16]) == code[16]


@pytest.mark.parametrize("code, why", [
    ("91370705MA3C4F2K27", "bad USCC check character"),
    ("91370705MA3C4F2KI6", "contains I"),
    ("91370705MA3C4F2KO6", "contains O"),
    ("91370705MA3C4F2KS6", "contains S"),
    ("91370705MA3C4F2KV6", "contains V"),
    ("91370705MA3C4F2KZ6", "contains Z"),
    ("9137070IMA3C4F2K26", "I in the division code"),
    ("91370705MA3C4F2K2", "17 characters"),
    ("91370705ma3c4f2k26", "lowercase"),
    ("", "empty"),
])
def test_invalid_usccs_are_refused(code, why):
    assert not cnid.is_valid_uscc(code), why


def test_uscc_with_right_outer_check_but_wrong_org_code_check_is_refused():
    first17 = "91370705MA3C4F2K3"  # org-code check should be 2
    code = first17 + cnid.uscc_check_char(first17)
    assert not cnid.is_valid_uscc(code)


def test_uscc_division_code_must_be_digits():
    first17 = "913707A5MA3C4F2K2"
    assert not cnid.is_valid_uscc(first17 + cnid.uscc_check_char(first17))


def test_masking():
    assert cnid.mask_id_number("370702199003071230") == "370702********1230"
    assert cnid.mask_mobile("13800000000") == "138****0000"
    assert cnid.mask_name("张三") == "*三"
    assert cnid.mask_name("欧阳明明") == "***明"
    assert cnid.mask_name("张") == "*"
    assert cnid.mask_name("") == cnid.mask_mobile("") == cnid.mask_id_number("") == ""
    assert cnid.mask_mobile("12345") == "*****"
