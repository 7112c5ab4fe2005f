"""Tests for yibao.core.codes and yibao.check.personal_data.

Resident ID numbers are built with make_resident_id18 from the fake
region 990001 (no such administrative division exists), so no real
person's number appears here.  Bank card numbers are well-known test
numbers or built to pass Luhn.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yibao.core.codes import PROVINCE_CODES, USCC_CHARSET, is_plausible_resident_id18, is_valid_resident_id15, is_valid_resident_id18, is_valid_uscc, luhn_ok, make_resident_id18, make_uscc, uscc_check_char
from yibao.check.personal_data import (
    PII_MESSAGES,
    find_personal_data,
    format_path,
    mask,
    scan_record,
)

FAKE_REGION = "990001"
ID_A = make_resident_id18(FAKE_REGION + "19800101" + "123")
ID_X = next(  # one whose check character is X
    make_resident_id18(FAKE_REGION + "19850615" + f"{n:03d}")
    for n in range(1000)
    if make_resident_id18(FAKE_REGION + "19850615" + f"{n:03d}").endswith("X")
)
CARD16 = "4111111111111111"  # the classic Visa test number
CARD19 = "6222021234567890128"  # UnionPay-style prefix, Luhn check digit computed


def codes(text: str) -> list[str]:
    return [code for code, _, _ in find_personal_data(text)]


# --- USCC -------------------------------------------------------------------


def test_uscc_charset_and_weights():
    assert len(USCC_CHARSET) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example cited in GB 32100 explanations
        "914403001922038216",  # published codes of large companies
        "9144030071526726XG",
        "91330100799655058B",
        "91110108551385082Q",
    ],
)
def test_uscc_valid(code):
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_computed_check_chars():
    # (31 - sum % 31) % 31; the all-zero body has sum 0 -> check "0".
    assert make_uscc("0" * 17) == "0" * 18
    # Only position 1 = "1": sum = 1 * 1 -> 30 -> "Y".
    assert uscc_check_char("1" + "0" * 16) == "Y"
    # Only position 2 = "1": sum = 1 * 3 -> 28 -> "W" (index 28 of the charset).
    assert uscc_check_char("01" + "0" * 15) == "W"
    # Only position 17 = "1": weight 28 -> 3 -> "3".
    assert uscc_check_char("0" * 16 + "1") == "3"
    body = "12653001MB1234567"
    assert is_valid_uscc(make_uscc(body))


def test_uscc_invalid():
    good = "91350100M000100Y43"
    assert not is_valid_uscc(good[:17] + "4")  # wrong check char
    assert not is_valid_uscc(good[:17])  # too short
    assert not is_valid_uscc(good + "3")  # too long
    assert not is_valid_uscc("")
    assert not is_valid_uscc(good.lower())  # lower case refused
    assert not is_valid_uscc("91350100m000100Y43")
    for letter in "IOZSV":  # forbidden letters, whatever the check char
        body = "91350100" + letter + "00010043"
        assert uscc_check_char(body) is None
        assert not any(is_valid_uscc(body + c) for c in USCC_CHARSET)
    # Region code (positions 3-8) must be digits.
    body = "9135A100M000100Y4"
    assert not is_valid_uscc(body + uscc_check_char(body))
    assert not is_valid_uscc(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_uscc("91350100O00010043")


# --- Resident ID numbers --------------------------------------------------------


def test_resident_id18_valid():
    assert ID_A.startswith(FAKE_REGION) and len(ID_A) == 18
    assert is_valid_resident_id18(ID_A)
    assert ID_X.endswith("X") and is_valid_resident_id18(ID_X)
    # The public GB 11643 worked example (region 110105) -> check char X.
    assert make_resident_id18("11010519491231002") == "11010519491231002X"


def test_resident_id18_invalid():
    wrong = ID_A[:17] + str((int(ID_A[17]) + 1) % 10) if ID_A[17] != "X" else ID_A[:17] + "0"
    assert not is_valid_resident_id18(wrong)  # checksum
    assert not is_valid_resident_id18(ID_X[:17] + "x")  # check char must be upper case X
    assert not is_valid_resident_id18(make_resident_id18(FAKE_REGION + "19900230" + "123"))  # Feb 30
    assert not is_valid_resident_id18(make_resident_id18(FAKE_REGION + "18991231" + "123"))  # before 1900
    future = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    assert not is_valid_resident_id18(make_resident_id18(FAKE_REGION + future + "123"))
    assert not is_valid_resident_id18(make_resident_id18("090001" + "19800101" + "123"))  # leading 0
    assert not is_valid_resident_id18(ID_A[:17])
    assert not is_valid_resident_id18("")
    with pytest.raises(ValueError):
        make_resident_id18("9900011980010112X")


def test_resident_id18_plausible():
    """Province code and birth date of a real number, whatever the check character."""
    real_shape = "11010519491231002"
    assert is_plausible_resident_id18(real_shape + "X")  # the valid one
    assert all(is_plausible_resident_id18(real_shape + c) for c in "0123456789")
    assert not is_plausible_resident_id18(real_shape + "x")  # lower case: callers upper() it
    assert not is_plausible_resident_id18(FAKE_REGION + "19800101" + "1230")  # 99: no province
    assert not is_plausible_resident_id18("10" + "0105" + "19800101" + "1230")  # 10: no province
    assert not is_plausible_resident_id18("110105" + "19900230" + "1230")  # Feb 30
    assert not is_plausible_resident_id18("110105" + "18991231" + "1230")  # not 19xx/20xx
    future = (dt.date.today() + dt.timedelta(days=1)).strftime("%Y%m%d")
    assert not is_plausible_resident_id18("110105" + future + "1230")
    assert not is_plausible_resident_id18(real_shape)  # 17 characters
    assert not is_plausible_resident_id18("１１０１０５" + "19800101" + "1230")  # full-width digits
    assert PROVINCE_CODES >= {"11", "13", "15", "44", "65", "71", "81", "82"}
    assert not PROVINCE_CODES & {"10", "16", "17", "18", "19", "20", "24", "30", "38", "47", "55", "60", "66", "99"}


def test_resident_id15():
    assert is_valid_resident_id15(FAKE_REGION + "800101" + "123")
    assert is_valid_resident_id15(FAKE_REGION + "960229" + "123")  # 1996 is a leap year
    assert not is_valid_resident_id15(FAKE_REGION + "000229" + "123")  # 1900 is not
    assert not is_valid_resident_id15(FAKE_REGION + "801301" + "123")  # month 13
    assert not is_valid_resident_id15(FAKE_REGION + "800132" + "123")  # day 32
    assert not is_valid_resident_id15("090001" + "800101" + "123")  # leading 0
    assert not is_valid_resident_id15(FAKE_REGION + "800101" + "12")
    assert not is_valid_resident_id15(FAKE_REGION + "800101" + "12X")


# --- Luhn ---------------------------------------------------------------------


def test_luhn():
    assert luhn_ok(CARD16)
    assert luhn_ok(CARD19)
    assert luhn_ok("79927398713")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("79927398710")
    assert not luhn_ok("")
    assert not luhn_ok("4111 1111 1111 1111")
    assert not luhn_ok("１２")


# --- find_personal_data -----------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13812345678", "13812345678"),
        ("电话13812345678", "13812345678"),
        ("tel: 13812345678。", "13812345678"),
        ("联系人手机 138-1234-5678", "138-1234-5678"),
        ("手机：138 1234 5678", "138 1234 5678"),
        ("+86 138 1234 5678", "+86 138 1234 5678"),
        ("+8613812345678", "+8613812345678"),
        ("8613912345678", "8613912345678"),
        ("（19912345678）", "19912345678"),
        ("１３８１２３４５６７８", "１３８１２３４５６７８"),  # full-width digits
    ],
)
def test_mobile_found(text, expected):
    assert find_personal_data(text) == [("pii-mobile", expected, text.index(expected))]


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # second digit 2
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "138-1234-56789",
        "0138 1234 5678",  # glued to another digit
        "138\n1234 5678",  # a line break is no separator
    ],
)
def test_mobile_not_found(text):
    assert find_personal_data(text) == []


def test_resident_id_found():
    assert find_personal_data(f"身份证号{ID_A}，") == [("pii-resident-id", ID_A, 4)]
    assert codes(ID_X) == ["pii-resident-id"]
    assert codes(ID_X.lower()) == ["pii-resident-id"]  # lower-case x in free text
    grouped = f"{ID_A[:6]} {ID_A[6:14]} {ID_A[14:]}"
    assert find_personal_data(grouped) == [("pii-resident-id", grouped, 0)]
    legacy = FAKE_REGION + "800101" + "123"
    assert find_personal_data(f"旧证{legacy}") == [("pii-resident-id", legacy, 2)]


def non_luhn(digits: str) -> str:
    """``digits`` with the last digit changed so that the Luhn check fails."""
    return next(digits[:-1] + d for d in "0123456789" if not luhn_ok(digits[:-1] + d))


def test_resident_id_not_found():
    bad_date = non_luhn(make_resident_id18(FAKE_REGION + "19900230" + "123"))
    assert not is_valid_resident_id18(bad_date)
    assert codes(bad_date) == []  # checksum would be fine, 1990-02-30 is not
    bad_check = non_luhn(ID_A)  # also breaks the ID checksum unless by luck
    if bad_check != ID_A:
        assert codes(bad_check) == []
    assert codes("X" + ID_A) == ["pii-resident-id"]  # a letter next to it does not hide it
    assert codes(ID_A + "Y") == ["pii-resident-id"]
    assert codes("1" + ID_A) == [] and codes(ID_A + "1") == []  # glued to digits: 19 digits
    assert codes(non_luhn(ID_A + "5")) == []  # 19 digits: neither ID nor card
    assert codes(FAKE_REGION + "801301" + "123") == []  # 15 digits, month 13


def test_id_that_is_also_luhn_valid_reported_once():
    ids = (make_resident_id18(FAKE_REGION + "19800101" + f"{n:03d}") for n in range(1000))
    both = next(i for i in ids if luhn_ok(i))
    assert find_personal_data(both) == [("pii-resident-id", both, 0)]


@pytest.mark.parametrize(
    "card",
    [
        CARD16,
        CARD19,
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "6222 0212 3456 7890 128",
        "5555555555554444",
    ],
)
def test_bank_card_found(card):
    text = f"退款至银行卡 {card}。"
    assert find_personal_data(text) == [("pii-bank-card", card, text.index(card))]


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "4111 1111 1111 1112",
        "41111 1111 1111 111",  # wrong grouping
        "41111111111111111111",  # 20 digits
        "0000000000000000",  # placeholder, cannot be a card number
        "914403001922038216",  # all-digit 统一社会信用代码
    ],
)
def test_bank_card_not_found(text):
    assert find_personal_data(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "H13010200001",
        "P65020300012",
        "定点医疗机构 H13010200001、P65020300012",
        "JC-2024-7K3QZP",
        "克医保监〔2024〕12号",
        "涉及金额13812.50元",
        "追回 13812345678.50 元",  # an amount, not a phone number
        "2024-10-01",
        "2024-10-01 至 2024-12-31",
        "91350100M000100Y43",
        "20241001",
        "",
    ],
)
def test_no_false_positives(text):
    assert find_personal_data(text) == []


def test_several_findings_in_order_without_overlap():
    text = f"患者{ID_A}，电话 13812345678 / +86 139-1234-5678，卡号{CARD16}。"
    found = find_personal_data(text)
    assert [c for c, _, _ in found] == ["pii-resident-id", "pii-mobile", "pii-mobile", "pii-bank-card"]
    assert [m for _, m, _ in found] == [ID_A, "13812345678", "+86 139-1234-5678", CARD16]
    for _, matched, offset in found:
        assert text[offset : offset + len(matched)] == matched
    spans = [(o, o + len(m)) for _, m, o in found]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


# --- mask and messages ------------------------------------------------------------


def test_mask():
    assert mask("11010519491231002X") == "110*************2X"
    assert mask("13812345678") == "138******78"
    assert mask("12345") == "*****"
    assert mask("") == ""


def test_messages():
    assert set(PII_MESSAGES) == {"pii-resident-id", "pii-resident-id-typo", "pii-mobile", "pii-bank-card"}
    assert "疑似输错的居民身份证号码" in PII_MESSAGES["pii-resident-id-typo"]
    msg = PII_MESSAGES["pii-resident-id"].format(field="a.b", masked=mask(ID_A))
    assert "居民身份证号码" in msg and ID_A not in msg and "a.b" in msg
    for template in PII_MESSAGES.values():
        assert "{field}" in template and "{masked}" in template


# --- scan_record and format_path ------------------------------------------------------


def test_scan_record():
    record = {
        "id": "JC-2024-7K3QZP",
        "institution": {"code": "H13010200001", "uscc": "914403001922038216", "name": "某县人民医院"},
        "document": "克医保监〔2024〕12号",
        "date": "2024-10-01",
        "findings": [
            {"description": "串换药品，涉及金额13812.50元", "amount": Decimal("13812.50"), "closed": True},
            {"description": f"举报人电话138-1234-5678，身份证{ID_A}", "count": 12, "note": None},
        ],
        "contact": 13912345678,  # unquoted in YAML -> int
        "refund": Decimal("13712345678"),
        "13812345678": "keys are not scanned",
    }
    found = scan_record(record, skip_paths=frozenset({("institution", "uscc")}))
    assert found == [
        (("findings", 1, "description"), "pii-mobile", "138********78"),
        (("findings", 1, "description"), "pii-resident-id", mask(ID_A)),
        (("contact",), "pii-mobile", "139******78"),
        (("refund",), "pii-mobile", "137******78"),
    ]
    for _, _, masked in found:
        assert masked != ID_A and "1234" not in masked


def test_scan_record_skip_paths():
    # A digit-only value may look like a card; skipped paths are validated elsewhere.
    record = {"org": {"uscc": CARD16}, "other": [CARD16]}
    assert scan_record(record, skip_paths=frozenset({("org", "uscc")})) == [
        (("other", 0), "pii-bank-card", mask(CARD16))
    ]
    assert scan_record(record, skip_paths=frozenset({("org",), ("other",)})) == []
    assert scan_record(record, skip_paths={("org", "uscc"), ("other", 0)}) == []
    assert len(scan_record(record)) == 2


def test_scan_record_scalars_and_bools():
    assert scan_record("13812345678") == [((), "pii-mobile", "138******78")]
    assert scan_record([True, None, 1, Decimal("NaN"), 1.5]) == []
    assert scan_record([13812345678]) == [((0,), "pii-mobile", "138******78")]


def test_format_path():
    assert format_path(("findings", 0, "description")) == "findings[0].description"
    assert format_path(("a", "b", 2, 3)) == "a.b[2][3]"
    assert format_path(("contact",)) == "contact"
    assert format_path((0, "x")) == "[0].x"
    assert format_path(()) == ""


def test_text_prefilter_never_hides_personal_data():
    """The whole-file prefilter may say "maybe" too often, never "no" when a value holds PII."""
    import random

    from yibao.core.codes import make_resident_id18
    from yibao.check.personal_data import might_contain_personal_data

    rng = random.Random(20241001)
    pieces = ["13812345678", "+86 138 1234 5678", "86-139-8765-4321", "6222021234567890123",
              "6222 0212 3456 7890", make_resident_id18("99000119900101123"), "990001900101123",
              "电话", "H", "JC-2024-", "-", " ", ".", "：", "１３８１２３４５６７８", "2024-10-01", "12480.50", "x"]
    found = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        if find_personal_data(text):
            found += 1
            assert might_contain_personal_data(f"notes: {text}\n"), text
    assert found > 500  # the sample really exercises the positive side
