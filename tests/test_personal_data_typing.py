"""Personal data that survives ordinary typing, and the codes records hold that must stay quiet.

Every number here is synthetic: resident ID numbers are built with make_resident_id18 from a real
province code but the city code 99, which no administrative division has (so no person holds
them), mobiles are 138 1234 5678 style, card numbers are completed with a Luhn digit. Names are
common given-name patterns, nobody's in particular.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
import unicodedata

import pytest

from yibao.check import personal_data as pd
from yibao.core.codes import PROVINCE_CODES, USCC_CHARSET, is_valid_resident_id18, is_valid_uscc, luhn_ok, make_resident_id18, make_uscc
from yibao.check.personal_data import (
    PII_COMMENT_MESSAGES,
    PII_MESSAGES,
    find_person_names,
    find_personal_data,
    iter_comments,
    might_contain_person_name,
    might_contain_personal_data,
    scan_person_names,
)

from conftest import CJK, HOSPITAL, PROJECT, institution

H = f"records/institution/{HOSPITAL}.yaml"
HOSPITAL_TEXT = institution(HOSPITAL, "定点医疗机构", "测试区人民医院")

MOBILE = "13812345678"
ID18 = make_resident_id18("119901" + "19800101" + "123")  # province 11, no city 99: nobody's number
ID18_TYPO = ID18[:17] + ("0" if ID18[17] != "0" else "1")  # one character off: check fails


def luhn_complete(body: str) -> str:
    """``body`` plus the digit that makes it pass Luhn."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


CARD16 = luhn_complete("622202123456789")
CARD18 = luhn_complete("62220212345678901")
CARD19 = luhn_complete("622202123456789012")


def found(text: str) -> list[tuple[str, str]]:
    """``(code, matched)`` per finding; also checks that offsets point at the matched text."""
    out = find_personal_data(text)
    for _, matched, offset in out:
        assert text[offset:offset + len(matched)] == matched
    return [(code, matched) for code, matched, _ in out]


def in_context(value: str, code: str) -> None:
    """``value`` written in a sentence is found, as exactly the text written."""
    text = f"联系方式：{value}，请核实。"
    assert found(text) == [(code, value)], text


# -- 1. normalisation -------------------------------------------------------------------------------
def digits_in(block: int, text: str) -> str:
    """``text`` with its ASCII digits replaced by the digits starting at code point ``block``."""
    return "".join(chr(block + int(c)) if c.isdigit() else c for c in text)


DIGIT_BLOCKS = {
    "fullwidth": 0xFF10,
    "math-bold": 0x1D7CE,
    "math-double-struck": 0x1D7D8,
    "math-monospace": 0x1D7F6,
    "arabic-indic": 0x0660,
    "extended-arabic-indic": 0x06F0,
    "devanagari": 0x0966,
}


@pytest.mark.parametrize("block", DIGIT_BLOCKS.values(), ids=DIGIT_BLOCKS.keys())
@pytest.mark.parametrize("value, code", [(MOBILE, "pii-mobile"), (ID18, "pii-resident-id"), (CARD19, "pii-bank-card")])
def test_other_decimal_digits(block, value, code):
    assert all(unicodedata.decimal(c) == int(a) for c, a in zip(digits_in(block, value), value) if a.isdigit())
    in_context(digits_in(block, value), code)


FORMAT_CHARS = {"zwsp": "\u200b", "zwnj": "\u200c", "zwj": "\u200d", "word-joiner": "\u2060", "bom": "\ufeff",
                "soft-hyphen": "\u00ad"}


@pytest.mark.parametrize("char", FORMAT_CHARS.values(), ids=FORMAT_CHARS.keys())
def test_format_characters_are_removed(char):
    in_context(char.join(MOBILE), "pii-mobile")  # between every two digits
    in_context(ID18[:9] + char + ID18[9:], "pii-resident-id")
    in_context(CARD16[:4] + char * 5 + CARD16[4:], "pii-bank-card")  # any number of them


SEPARATORS = {
    "space": " ", "tab": "\t", "ideographic-space": "\u3000", "no-break-space": "\u00a0", "thin-space": "\u2009",
    "narrow-nbsp": "\u202f", "hyphen-minus": "-", "fullwidth-hyphen": "\uff0d", "en-dash": "\u2013",
    "em-dash": "\u2014", "hyphen": "\u2010", "non-breaking-hyphen": "\u2011", "figure-dash": "\u2012",
    "minus-sign": "\u2212", "katakana-long-vowel": "\u30fc", "dot": ".", "fullwidth-dot": "\uff0e",
    "middle-dot": "\u00b7", "ideographic-full-stop": "\u3002", "katakana-middle-dot": "\u30fb",
}


@pytest.mark.parametrize("sep", SEPARATORS.values(), ids=SEPARATORS.keys())
def test_every_kind_of_separator_between_groups(sep):
    in_context(f"138{sep}1234{sep}5678", "pii-mobile")
    in_context(f"{ID18[:6]}{sep}{ID18[6:14]}{sep}{ID18[14:]}", "pii-resident-id")
    in_context(sep.join(CARD16[i:i + 4] for i in range(0, 16, 4)), "pii-bank-card")


@pytest.mark.parametrize("value", [
    "138-1234 5678", "138.1234.5678", "138-12345678", "1381234-5678", "138 - 1234 - 5678", "138－1234\u30005678",
    "１３８\u200b１２３４ 5678", "138\u00a01234—5678", "１３８-１２３４-５６７８",
])
def test_mixed_separators_and_forms_in_one_number(value):
    in_context(value, "pii-mobile")


def test_separator_runs_are_short_and_line_breaks_are_not_separators():
    assert found("138    1234 5678") == []  # four spaces: two numbers
    assert found("138\n1234 5678") == []
    assert found("138\r\n1234\r\n5678") == []


def test_offsets_map_back_to_the_original_text():
    text = "\u200b\ufeff备注：手机１３８\u200b１２３４ ５６７８；身份证\u00ad" + ID18 + "；𝟏𝟑𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖。"
    out = find_personal_data(text)
    assert [(c, m) for c, m, _ in out] == [
        ("pii-mobile", "１３８\u200b１２３４ ５６７８"), ("pii-resident-id", ID18), ("pii-mobile", "𝟏𝟑𝟗𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖")]
    for _, matched, offset in out:
        assert text[offset:offset + len(matched)] == matched
    # a caller masks in place from the end, like Findings' redact does
    masked = text
    for _, matched, offset in reversed(out):
        masked = masked[:offset] + pd.mask(matched) + masked[offset + len(matched):]
    assert find_personal_data(masked) == [] and "身份证" in masked


def test_other_compatibility_forms_read_as_their_nfkc_text():
    in_context("①③⑧①②③④⑤⑥⑦⑧", "pii-mobile")  # circled digits
    assert found("Ｔｅｌ" + MOBILE) == [("pii-mobile", MOBILE)]
    assert found("Ｈ13010200001") == []  # a full-width letter still makes an institution code


def test_any_string_is_accepted():
    for text in ["", "1", "\u200b" * 40, "１" * 40, "\ud800" * 3 + MOBILE, "\x00" + MOBILE, "⑳" * 12, "𝟏" * 60]:
        find_personal_data(text)  # no exception, whatever the input
    assert found("\ud800" + MOBILE) == [("pii-mobile", MOBILE)]


# -- 2. letters and words next to a number ----------------------------------------------------------------
@pytest.mark.parametrize("text, code, matched", [
    ("Tel13812345678", "pii-mobile", MOBILE),
    ("TEL:13812345678", "pii-mobile", MOBILE),
    ("mobile13812345678abc", "pii-mobile", MOBILE),
    ("手机13812345678", "pii-mobile", MOBILE),
    ("电话:138 1234 5678", "pii-mobile", "138 1234 5678"),
    ("ID" + ID18, "pii-resident-id", ID18),
    ("ID110105194912310026", "pii-resident-id-typo", "110105194912310026"),
    ("身份证号" + ID18 + "号", "pii-resident-id", ID18),
    ("card" + CARD16 + "end", "pii-bank-card", CARD16),
    ("H18612345678", "pii-mobile", "18612345678"),  # 18 is no province: not an institution code
    ("h13812345678", "pii-mobile", MOBILE),  # lower case: not an institution code
    ("AB13812345678", "pii-mobile", MOBILE),  # two letters: not an institution code
    ("x" + MOBILE, "pii-mobile", MOBILE),
])
def test_letters_next_to_a_number_do_not_hide_it(text, code, matched):
    assert found(text) == [(code, matched)]


def institution_codes() -> list[str]:
    """Institution codes of every province, including 13/14/15 whose digits look like mobiles."""
    codes = [f"{letter}{province}0102{n:05d}" for letter in "HPJ" for province in sorted(PROVINCE_CODES)
             for n in (1, 12, 345)]
    return codes + ["H13010200001", "P13812345678", "J15912345678", "H14788889999"]


def record_ids() -> list[str]:
    return ["JC-2024-7K3QZP", "AJ-2024-000001", "PX-2024-138123", "JC-2020-188C26", "HT-2024-650203",
            "HT-2024-130102", "HT-2024-KLMY", "HT-2024-13812345678", "RY-3TTRT8", "RY-138123", "CB-A0000001", "CB-13812345", "YS-5HDZHYR0",
            "YS-86CQQVD4", "RL-2024"]


def uscc_codes() -> list[str]:
    """Valid 统一社会信用代码: from the tests and published examples, and built ones whose digits
    would otherwise look like a card (16 Luhn-valid digits, then letters)."""
    codes = ["91350100M000100Y43", "914403001922038216", "9144030071526726XG", "91330100799655058B",
             "52500106MJ0000101E"]
    rng = random.Random(5)
    while len(codes) < 12:  # 16 digits passing Luhn, then two letters
        body = "".join(rng.choice("0123456789") for _ in range(16)) + rng.choice("ABCDEFGHJKLMNPQRTUWXY")
        if luhn_ok(body[:16]) and (code := make_uscc(body)) and code[17].isalpha():
            codes.append(code)
    return codes


@pytest.mark.parametrize("text", institution_codes() + record_ids() + uscc_codes())
def test_legitimate_codes_stay_quiet(text):
    assert found(text) == []
    assert found(f"编号：{text}，") == []
    assert found(f"[{text}, {text}]") == []


@pytest.mark.parametrize("text", [
    "2024-10-01", "2024-10-01 2024-12-31", "20241001 20241231", "2024.10.01 2024.12.31", "2024-10-01 至 2024-12-31",
    "13812345678.50", "追回 13812345678.50 元", "0.13812345678", "13,812,345,678", "13 812 345 678",
    "克医保监〔2024〕12号", "涉及金额13812.50元", "150 2000 300", "第 2019 2020 2021 2022 年",
])
def test_dates_amounts_and_counts_stay_quiet(text):
    assert found(text) == []


def test_years_in_groups_of_four_are_not_a_card():
    years = next(f"{a} {b} {c} {d}" for a in range(2000, 2030) for b in range(2000, 2030) for c in range(2000, 2030)
                 for d in range(2000, 2030) if luhn_ok(f"{a}{b}{c}{d}"))
    assert found(years) == []  # Luhn-valid, but no card starts with 20
    control = groups(luhn_complete("4" + years.replace(" ", "")[1:15]), 4, 4, 4, 4)
    assert found(control) == [("pii-bank-card", control)]  # card networks start with 3-6, 9 or 22-27


def test_an_institution_code_next_to_a_mobile():
    assert found("H13010200001 13812345678") == [("pii-mobile", MOBILE)]
    assert found("机构H13010200001，联系人13912345678") == [("pii-mobile", "13912345678")]


# -- 3. country prefixes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [
    "+86 138 1234 5678", "+8613812345678", "+86-138-1234-5678", "(+86)13812345678", "(+86) 138 1234 5678",
    "（+86）138-1234-5678", "0086 13812345678", "0086-138-1234-5678", "86 13812345678", "8613812345678",
    "＋８６　１３８　１２３４　５６７８", "(86)13812345678",
])
def test_country_prefixes(value):
    in_context(value, "pii-mobile")


def test_a_prefix_glued_to_digits_is_no_prefix():
    assert found("5086" + MOBILE) == []  # 15 digits that are no ID: nothing
    assert found("0586" + MOBILE) == []


# -- 4. bank cards -------------------------------------------------------------------------------------------
def groups(number: str, *sizes: int, sep: str = " ") -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(number[pos:pos + size])
        pos += size
    return sep.join(out)


@pytest.mark.parametrize("value", [
    CARD16, CARD18, CARD19, luhn_complete("4" + "1" * 15), luhn_complete("5" * 16), luhn_complete("9558" + "1" * 13),
    groups(CARD16, 4, 4, 4, 4), groups(CARD19, 4, 4, 4, 4, 3), groups(luhn_complete("6222021234567890"), 4, 4, 4, 4, 1),
    groups(CARD18, 6, 4, 4, 4), groups(CARD19, 6, 4, 4, 4, 1), groups(CARD19, 6, 13), groups(CARD16, 6, 10),
    groups(CARD16, 4, 4, 4, 4, sep="-"), "4111 1111-1111 1111", groups(CARD16, 4, 4, 4, 4, sep="\u3000"),
    digits_in(0xFF10, groups(CARD19, 6, 13)),
])
def test_bank_card_groupings(value):
    in_context(value, "pii-bank-card")


@pytest.mark.parametrize("text", [
    CARD16[:-1] + str((int(CARD16[-1]) + 1) % 10),  # Luhn fails
    groups(CARD19, 5, 4, 4, 6), groups(CARD16, 3, 5, 4, 4), groups(CARD16, 2, 6, 8),  # no card grouping
    luhn_complete("6222021234567890123"),  # 20 digits
    luhn_complete("1" * 15), luhn_complete("2019" * 3 + "202"),  # no card network starts with 1 or 20
])
def test_not_bank_cards(text):
    assert found(text) == []


# -- 5. mistyped resident ID numbers ----------------------------------------------------------------------
def test_mistyped_resident_id_is_refused():
    assert not is_valid_resident_id18(ID18_TYPO)
    assert found(f"身份证号{ID18_TYPO}") == [("pii-resident-id-typo", ID18_TYPO)]
    spaced = f"{ID18_TYPO[:6]} {ID18_TYPO[6:14]} {ID18_TYPO[14:]}"
    assert found(spaced) == [("pii-resident-id-typo", spaced)]
    assert found(digits_in(0xFF10, ID18_TYPO)) == [("pii-resident-id-typo", digits_in(0xFF10, ID18_TYPO))]
    for province in sorted(PROVINCE_CODES):
        number = make_resident_id18(province + "9901" + "20011231" + "456")
        typo = number[:17] + ("X" if number[17] != "X" else "0")
        assert found(typo) == [("pii-resident-id-typo", typo)], province


@pytest.mark.parametrize("text", [
    "99000119800101123" + ("0" if make_resident_id18("99000119800101123")[17] != "0" else "1"),  # 99: no province
    "100105" + "19800101" + "1230",  # 10: no province
    "110105" + "19900230" + "1230",  # Feb 30
    "110105" + "18991231" + "1230",  # not 19xx/20xx
    "110105" + "29991231" + "1230",  # in the future
    "110105" + "19800101" + "123A",
])
def test_not_a_mistyped_resident_id(text):
    assert [c for c, _ in found(text)] in ([], ["pii-bank-card"])  # a Luhn-valid one is still a card
    assert "pii-resident-id-typo" not in [c for c, _ in found(text)]


def test_a_valid_all_digit_uscc_is_not_a_mistyped_id():
    uscc = next(u for u in (make_uscc(f"11990119800101{n:03d}") for n in range(1000))
                if u[-1].isdigit() and not is_valid_resident_id18(u) and not luhn_ok(u))
    assert is_valid_uscc(uscc)
    assert found(uscc) == [] and found(f"代码{uscc}。") == []
    broken = uscc[:17] + str((int(uscc[17]) + 1) % 10)  # no longer a USCC: a mistyped ID again
    assert not is_valid_uscc(broken) and found(broken) in ([("pii-resident-id-typo", broken)], [("pii-resident-id", broken)])


def test_typo_message_is_distinct():
    message = PII_MESSAGES["pii-resident-id-typo"].format(field="notes", masked=pd.mask(ID18_TYPO))
    assert "疑似输错的居民身份证号码" in message and ID18_TYPO not in message
    assert PII_COMMENT_MESSAGES["pii-resident-id-typo"].startswith("注释含有疑似输错的居民身份证号码")


def test_mistyped_id_refused_by_validate(repo, validate):
    repo.write(H, HOSPITAL_TEXT + f"notes: 联系人身份证 {ID18_TYPO}\n")
    run = validate()
    assert run.rc == 1
    hit = run.only("pii-resident-id-typo")
    assert hit.line == repo.line_of(H, "notes:") and "疑似输错的居民身份证号码" in hit.message
    assert ID18_TYPO not in run.out and pd.mask(ID18_TYPO) in run.out


# -- 6. YAML comments ----------------------------------------------------------------------------------------
def test_iter_comments_positions():
    text = "# head 1\nkey: value  # tail\nurl: a#b\n  - x #y\nq: 'a #b'\n#\n"
    assert list(iter_comments(text)) == [(1, 1, "# head 1"), (2, 13, "# tail"), (4, 7, "#y"), (5, 7, "#b'"), (6, 1, "#")]
    assert list(iter_comments("no comment here")) == []
    assert list(iter_comments("a: b # c\r\n")) == [(1, 6, "# c")]


def test_comments_are_scanned(repo, validate):
    text = HOSPITAL_TEXT.replace("type: 定点医疗机构\n", "type: 定点医疗机构  # 联系人手机１３８１２３４５６７８\n")
    text += f"# 院长身份证 {ID18}\n"
    repo.write(H, text)
    run = validate()
    assert run.rc == 1
    mobile = run.only("pii-mobile")
    line = repo.line_of(H, "联系人手机")
    assert (mobile.line, mobile.col) == (line, text.splitlines()[line - 1].index("１") + 1)
    assert mobile.message.startswith("注释含有疑似手机号码")
    ident = run.only("pii-resident-id")
    assert (ident.line, ident.col) == (repo.line_of(H, "院长身份证"), len("# 院长身份证 ") + 1)
    assert ID18 not in run.out and "１３８１２３４５６７８" not in run.out and MOBILE not in run.out


def test_comment_and_value_scans_are_both_needed(repo, validate):
    """A comment alone holds the number: the whole-file pre-check must let the file through."""
    repo.write(H, HOSPITAL_TEXT + "# 138\u200b1234\u200b5678\n")
    assert validate().codes == ["pii-mobile"]
    repo.write(H, HOSPITAL_TEXT + "# 备注：无\n")
    assert validate().rc == 0


# -- 7. likely person names ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, trigger, name", [
    ("患者张三住院期间", "患者", "张三"),
    ("参保人：李建平，", "参保人", "李建平"),
    ("参保人员周杰持卡", "参保人员", "周杰"),
    ("举报人王小明反映", "举报人", "王小明"),
    ("医师：陈红开具处方", "医师", "陈红"),
    ("医生 赵敏在岗", "医生", "赵敏"),
    ("药师孙丽娟", "药师", "孙丽娟"),
    ("病人刘洋住院", "病人", "刘洋"),
    ("患者欧阳娜娜", "患者", "欧阳娜娜"),
    ("患者王秀英住院", "患者", "王秀英"),
    ("患者谢欣怡出院", "患者", "谢欣怡"),
    ("患者张丽后转院", "患者", "张丽"),
])
def test_names_found(text, trigger, name):
    assert [(t, n) for t, n, _ in find_person_names(text)] == [(trigger, name)]
    assert might_contain_person_name(f"notes: {text}\n")


@pytest.mark.parametrize("text", [
    "参保人员购买生活用品", "患者住院期间仅有", "医师资格", "患者常规开展胸部CT", "患者同时使用布洛芬", "患者连续11天",
    "病人挂床住院", "参保人变现", "患者不在病房", "药师在岗情况", "医师（化名编码 YS-5HDZHYR0）", "举报人要求对其身份保密",
    "患者高血压", "患者陈述病情", "患者于次日出院", "病人向医生反映", "患者毛发", "患者麻醉后苏醒", "患者艾灸治疗",
    "患者黎明时分离院", "患者王某住院", "患者李某某", "医师张××", "患者石膏固定", "患者白蛋白偏低", "医生周末值班",
    "患者何时出院", "患者和家属", "患者全部出院", "患者王氏", "患者38人", "病人 52 人",
])
def test_ordinary_words_are_no_names(text):
    assert find_person_names(text) == []


def test_names_warned_by_validate_masked_with_the_fix(repo, validate):
    repo.write(H, HOSPITAL_TEXT + "notes: 患者张三住院期间医师李建平多开药\n# 举报人王小明\n")
    run = validate()
    assert run.rc == 0, run.out  # a warning, not an error
    hits = [d for d in run.diagnostics if d.code == "possible-person-name"]
    assert len(hits) == 3, run.out
    assert "warning[possible-person-name]" in run.out
    messages = " ".join(d.message for d in hits)
    assert "CB-" in messages and "YS-" in messages and "张*" in messages and "李**" in messages
    assert "张三" not in run.out and "李建平" not in run.out and "王小明" not in run.out
    line = repo.line_of(H, '举报人')
    assert any((d.line, d.col) == (line, 6) and "注释中" in d.message for d in hits), hits  # at the name itself
    assert all(CJK.search(d.message) for d in hits)


def test_scan_person_names_paths():
    data = {"notes": "患者张三", "list": ["医生李建平", 12], "uscc": "患者王五"}
    assert scan_person_names(data, {("uscc",)}) == [(("notes",), "患者", "张*"), (("list", 0), "医生", "李**")]


# -- 8. false positives on real and generated records ----------------------------------------------------------
def test_demo_records_hold_nothing():
    """Every value and comment of records/ (the demo data), by the scanners the check uses."""
    from yibao.load import strict_yaml

    paths = sorted((PROJECT / "records").rglob("*.yaml"))
    assert len(paths) > 100
    for path in paths:
        data = path.read_bytes()
        value, problems, text = strict_yaml.load_bytes(data)
        assert not problems, path
        assert pd.scan_record(value, {("uscc",)}) == [], path
        assert scan_person_names(value) == [], path
        for line, _, comment in iter_comments(text):
            assert find_personal_data(comment) == [] and find_person_names(comment) == [], (path, line)


def test_generated_repository_is_clean(tmp_path, yibao):
    from yibao.generate import generate_repository

    root = tmp_path / "synth"
    counts = generate_repository(root, 330, seed=11)
    assert sum(counts.values()) > 700
    run = yibao("-C", str(root), "validate", "--no-cache", "--format", "json")
    assert run.rc == 0, run.out[:2000]
    report = json.loads(run.out)
    assert report["diagnostics"] == []


# -- 8c. seeded random property tests ---------------------------------------------------------------------------
WORDS = ("检查", "发现", "串换药品", "重复收费", "住院病历", "参保人员", "医保基金", "追回", "违规费用", "整改", "定点医疗机构",
         "患者常规", "医师资格", "药师在岗", "病人挂床", "金额", "元", "人次", "份", "年", "月", "日", "第", "号")
SEPS = (" ", "，", "、", "。", "：", "；", "\n", "-", " - ", "（", "）", "", "　")


def random_date(rng: random.Random) -> str:
    day = rng.randint(0, 15000)
    d = dt.date(1990, 1, 1) + dt.timedelta(days=day)
    return rng.choice([d.isoformat(), d.strftime("%Y%m%d"), d.strftime("%Y.%m.%d"), f"{d.year}年{d.month}月{d.day}日"])


def random_clean_piece(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind == 0:
        return random_date(rng)
    if kind == 1:
        return f"{rng.randint(1, 9_999_999)}.{rng.randint(0, 99):02d}"  # an amount
    if kind == 2:
        return rng.choice(record_ids()[:5])[:3] + f"{rng.randint(2018, 2026)}-" + "".join(
            rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(6))
    if kind == 3:
        return rng.choice("HPJ") + rng.choice(sorted(PROVINCE_CODES)) + f"{rng.randint(0, 999999999):09d}"
    if kind == 4:
        body = rng.choice(["91", "92", "12", "52", "11"]) + f"{rng.randint(110000, 829999)}" + "".join(
            rng.choice(USCC_CHARSET) for _ in range(9))
        return make_uscc(body)
    if kind == 5:
        return str(rng.randint(0, 99999))  # a count
    if kind == 6:
        return f"克医保监〔{rng.randint(2018, 2026)}〕{rng.randint(1, 300)}号"
    return rng.choice(WORDS)


def clean_texts(seed: int, count: int) -> list[str]:
    """Pieces joined by separators; two codes or numbers are never glued (that makes one number)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = ""
        for _ in range(rng.randint(1, 12)):
            piece = random_clean_piece(rng)
            glued = text and text[-1].isalnum() and text[-1].isascii() and piece[0].isascii() and piece[0].isalnum()
            text += (rng.choice(SEPS[:-2]) if glued else rng.choice(SEPS)) + piece
        out.append(text)
    return out


def test_random_clean_texts_hold_nothing():
    for text in clean_texts(20241001, 4000):
        assert find_personal_data(text) == [], text


def random_id(rng: random.Random) -> str:
    born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))
    return make_resident_id18(rng.choice(sorted(PROVINCE_CODES)) + f"99{rng.randint(0, 99):02d}" + born.strftime("%Y%m%d")
                              + f"{rng.randint(0, 999):03d}")


def random_secret(rng: random.Random) -> tuple[str, str]:
    """A made-up number in the shape of a real one: (code, digits)."""
    kind = rng.randrange(4)
    if kind == 0:
        return "pii-mobile", "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
    if kind == 1:
        return "pii-resident-id", random_id(rng)
    if kind == 2:
        number = random_id(rng)
        wrong = rng.choice([c for c in "0123456789X" if c != number[17]])
        return "pii-resident-id-typo", number[:17] + wrong
    length = rng.choice([16, 16, 16, 19, 17, 18])
    body = rng.choice(["62", "4", "5", "9558", "35"])
    body += "".join(rng.choice("0123456789") for _ in range(length - 1 - len(body)))
    return "pii-bank-card", luhn_complete(body)


def card_groupings(length: int) -> list[list[int]]:
    out = [[length], [4, 4, 4, 4] + ([length - 16] if length > 16 else []), [6, length - 6]]
    if length in (18, 19):
        out.append([6, 4, 4, 4] + ([1] if length == 19 else []))
    return out


GROUPINGS = {
    "pii-mobile": [[11], [3, 4, 4], [3, 8], [7, 4]],
    "pii-resident-id": [[18], [6, 8, 4], [6, 4, 4, 4]],
    "pii-resident-id-typo": [[18], [6, 8, 4], [6, 4, 4, 4]],
}
SEP_CHOICES = [" ", "-", "\u3000", "\u00a0", "\u2009", "\t", "－", "–", "—", "‐", "‑", "‒", "−", ".", "．", "·", "。", " - "]
FORMAT_CHOICES = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
PREFIXES = ["", "", "电话", "手机：", "Tel", "ID", "身份证号", "卡号", "x", "联系人 ", "电话:", "（", "AB"]
SUFFIXES = ["", "", "。", "，", "abc", "号", "）", " ", "元整", "\n"]


def write_number(rng: random.Random, code: str, digits: str) -> str:
    """``digits`` grouped, separated, converted and interrupted the way people type."""
    sizes = rng.choice(card_groupings(len(digits)) if code == "pii-bank-card" else GROUPINGS[code])
    parts, pos = [], 0
    for size in sizes:
        parts.append(digits[pos:pos + size])
        pos += size
    text = ""
    for index, part in enumerate(parts):
        if index:
            text += rng.choice(SEP_CHOICES) if rng.random() < 0.8 else ""
        text += part
    block = rng.choice([None, None, None, 0xFF10, 0x1D7CE, 0x0660])
    if block is not None:
        text = digits_in(block, text)
    if rng.random() < 0.3:
        pos = rng.randint(1, len(text) - 1)
        text = text[:pos] + rng.choice(FORMAT_CHOICES) + text[pos:]
    if code == "pii-mobile" and rng.random() < 0.25:
        text = rng.choice(["+86 ", "+86-", "0086", "86", "(+86)", "（+86）"]) + text
    return text


def secret_texts(seed: int, count: int) -> list[tuple[str, str, str]]:
    """(text, code, written number) with one number among clean pieces."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        code, digits = random_secret(rng)
        written = write_number(rng, code, digits)
        before = random_clean_piece(rng) + rng.choice([sep for sep in SEPS if sep]) if rng.random() < 0.5 else ""
        after = rng.choice(("。", "，", "\n", "；")) + random_clean_piece(rng) if rng.random() < 0.5 else ""
        out.append((before + rng.choice(PREFIXES) + written + rng.choice(SUFFIXES) + after, code, written))
    return out


def test_random_real_looking_numbers_are_all_found():
    for text, code, written in secret_texts(7, 4000):
        hits = find_personal_data(text)
        compact = "".join(str(unicodedata.decimal(c, "")) or c for c in written if unicodedata.category(c) != "Cf")
        at = text.index(written)
        around = text[at - 1:at] + text[at + len(written):at + len(written) + 1]
        alone = not any(c.isascii() and c.isalnum() for c in around)
        if alone and is_valid_uscc(compact) and not is_valid_resident_id18(compact):
            assert hits == [], text  # by chance a valid 统一社会信用代码 (1 in 31): exempt
            continue
        if code in ("pii-bank-card", "pii-resident-id-typo"):  # a valid ID wins over a card, a card over a typo
            assert [(c, m) for c, m, _ in hits] in ([(code, written)], [("pii-resident-id", written)],
                                                    [("pii-bank-card", written)]), (text, hits)
        else:
            assert [(c, m) for c, m, _ in hits] == [(code, written)], (text, hits)


def test_prefilter_never_hides_a_finding():
    """might_contain_personal_data is False only where find_personal_data finds nothing."""
    texts = [t for t, _, _ in secret_texts(11, 1500)] + clean_texts(12, 1500)
    rng = random.Random(13)
    pieces = ["138", "1234", "5678", "\u200b", "１", "𝟏", "٣", " ", "-", "。", "H", "13", "+86", "\n", "  ", ID18[:9],
              ID18[9:], "①", "Tel", "2024-10-01", CARD16[:8], CARD16[8:], "\ufeff", "\u3000", "."]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(6000)]
    positives = 0
    for text in texts:
        if find_personal_data(text):
            positives += 1
            assert might_contain_personal_data(text), text
            assert might_contain_personal_data(f"notes: >\n  {text}\n"), text
    assert positives > 1200
    assert not might_contain_personal_data("id: H65020300001\ninstitution: H13010200001\n")  # cheap skip stays cheap
    assert might_contain_personal_data("notes: 电话 138 1234\n  5678\n")  # folded over lines in YAML
    assert might_contain_personal_data('notes: "\\u0031\\u0033\\u0038"\n')  # an escape can spell digits


def test_name_prefilter_never_hides_a_name():
    rng = random.Random(17)
    names = ["张三", "李建平", "王秀英", "欧阳娜娜", "谢欣怡"]
    triggers = ["患者", "参保人", "参保人员", "举报人", "医师", "医生", "病人", "药师"]
    for _ in range(300):
        text = (rng.choice(WORDS) + rng.choice(triggers) + rng.choice(["", "：", " ", ": "]) + rng.choice(names)
                + rng.choice(["住院", "反映", "，", "。", "称", "于2024年", "持卡", ""]))
        assert find_person_names(text), text
        assert might_contain_person_name(text) and might_contain_person_name(f"notes: >\n  {text}\n")
    assert not might_contain_person_name("notes: 患者常规开展胸部CT，参保人员购买生活用品\n")


# -- 9. the Unicode tables ----------------------------------------------------------------------------------------
def test_unicode_tables_match_unicodedata():
    assert pd._unicode_tables() == (pd._FORMAT_CHARS, pd._DIGIT_CHARS, pd._NFKC_CHARS)


def test_separator_class_covers_every_space_and_dash():
    sep = re.compile(f"[{pd._SEP}]")
    for cp in range(0x110000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Zs" or (category == "Pd" and char not in "\u301c\u3030\U00010ead"):
            assert sep.match(char), f"U+{cp:04X} {unicodedata.name(char, '')}"
    assert not sep.match("\n") and not sep.match("~") and not sep.match("/")


def test_pre_checks_skip_the_demo_files():
    """The cheap whole-file pre-checks let almost no demo file through to the walk."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((PROJECT / "records").rglob("*.yaml"))]
    assert sum(map(might_contain_personal_data, texts)) <= 5
    assert sum(map(might_contain_person_name, texts)) == 0
