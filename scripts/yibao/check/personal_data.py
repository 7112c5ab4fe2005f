"""Detect personal data (身份证号、手机号、银行卡号、姓名) in record values, comments and any text.

Records in the repository must not contain personal information. :func:`find_personal_data`
finds likely resident ID numbers, mainland mobile numbers and bank card numbers in any string
(record values, YAML comments, commit messages, old versions of files) and hands back the
original text of each match with its offset, so callers can mask it in place with :func:`mask`.
:func:`find_person_names` finds likely real names after words such as 患者 or 医师 (a warning,
not an error: names cannot be recognised for certain).

Normalisation (what ordinary typing does to a number)
-----------------------------------------------------
The scanner matches on a normalised copy of the text and maps every match back to the original
offsets:

* format characters (Unicode category Cf: zero-width space U+200B, U+200C, U+200D, word joiner
  U+2060, BOM U+FEFF, soft hyphen U+00AD, …) are removed;
* every Unicode decimal digit (full-width ``１``, mathematical ``𝟏``, Arabic-Indic ``١``, …)
  becomes its ASCII digit, and other characters whose NFKC form holds a digit, an ASCII letter
  or ``+`` (``①``, ``²``, ``Ｈ``, ``＋``) are replaced by that NFKC form;
* between the digit groups of a number, a run of up to three separator characters is allowed,
  mixed freely (``138-1234 5678``, ``138.1234.5678``): any kind of space (tab, U+3000
  ideographic, U+00A0 no-break, U+2009 thin, … every Zs character), any dash (``-``, ``－``,
  ``–``, ``—``, ``‐``, ``‑``, ``‒``, ``−``, ``ー``, … every Pd character of the BMP except the
  wave dashes ``〜`` ``〰`` used for ranges) and dots (``.``, ``．``, ``·``, ``・``, ``。``, ``•``, …).
  Line breaks are not separators: a number is written on one line.

Shapes of a number (groups, each boundary optionally separated)
----------------------------------------------------------------
* mobile: ``1[3-9]X XXXX XXXX`` (3-4-4), optionally after ``+86``, ``86``, ``0086`` or
  ``(+86)``;
* resident ID: 18 characters 6-8-4 or 6-4-4-4 (last one a digit or X), legacy 15 digits 6-6-3;
* bank card: 16-19 digits as 4-4-4-4(-1..3), 6-4-4-4(-1) or 6-(10..13), starting with 3-6, 9
  or 22-27 (card networks; years such as ``2019 2020 2021 2022`` are not cards).

Boundary rules
--------------
A number must not be glued to another digit on either side (``138123456789`` is no mobile) nor
be the integer or fraction part of a decimal number (``13812345678.50`` is an amount). Letters
and words next to a number do not switch detection off (``Tel13812345678``,
``ID110105194912310026``, ``手机13812345678``). Codes that legitimately mix letters and
digits are excluded explicitly; each exclusion is a shape, not a guess:

* 定点医药机构代码: one upper-case letter, not glued to another letter or digit, followed by
  exactly 11 digits whose first two are a GB/T 2260 province code (``H13010200001``,
  ``P65020300012``). Mobiles starting 13, 14 or 15 have this shape after a single capital
  letter (``T13812345678``) and are not reported; 16-19 are no province, so ``H18612345678``
  is a mobile;
* record and pseudonym IDs of the schemas: ``JC-``/``AJ-``/``PX-`` + year + 6 characters,
  ``HT-`` + year + 2-12 characters, ``RY-`` + 6, ``YS-``/``CB-`` + 8, ``RL-`` + year;
* 统一社会信用代码: an unseparated candidate inside a valid 18-character USCC (GB 32100 check
  character) is a company code, not a card, mobile or mistyped ID. A *valid* resident ID number
  is still reported even if it also passes as an all-digit USCC.

Checks on a candidate
---------------------
An 18-character ID with a valid GB 11643 check character and birth date is ``pii-resident-id``;
one with a wrong check character but a province code (GB/T 2260: 11-15, 21-23, 31-37, 41-46,
50-54, 61-65, 71, 81, 82) and a real birth date (19xx/20xx, not in the future) is
``pii-resident-id-typo``; a card must pass Luhn (``pii-bank-card``); a 15-digit ID must hold a
real 19YY birth date. Overlapping candidates are resolved in favour of the longest, then the most
certain (valid ID, card, mistyped ID, legacy ID, mobile).
"""

from __future__ import annotations

import bisect
import decimal
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping

from ..core.codes import PROVINCE_CODES, is_plausible_resident_id18, is_valid_resident_id15, is_valid_resident_id18, is_valid_uscc, luhn_ok

__all__ = [
    "PERSON_NAME",
    "PII_COMMENT_MESSAGES",
    "PII_LABELS",
    "PII_MESSAGES",
    "mask_text",
    "find_person_names",
    "find_personal_data",
    "format_path",
    "iter_comments",
    "mask",
    "mask_name",
    "might_contain_person_name",
    "might_contain_personal_data",
    "person_name_message",
    "scan_person_names",
    "scan_record",
]

PII_RESIDENT_ID = "pii-resident-id"
PII_RESIDENT_ID_TYPO = "pii-resident-id-typo"
PII_MOBILE = "pii-mobile"
PII_BANK_CARD = "pii-bank-card"
PERSON_NAME = "possible-person-name"

_ADVICE = "个人信息不得提交到仓库，请删除或改用化名编号"

#: What each finding code is, in the words every message uses.
PII_LABELS: dict[str, str] = {
    PII_RESIDENT_ID: "疑似居民身份证号码",
    PII_RESIDENT_ID_TYPO: "疑似输错的居民身份证号码",
    PII_MOBILE: "疑似手机号码",
    PII_BANK_CARD: "疑似银行卡号",
}
#: Message templates per finding code; placeholders ``{field}`` (see
#: :func:`format_path`) and ``{masked}`` (see :func:`mask`).
PII_MESSAGES: dict[str, str] = {
    code: f"字段 {{field}} 含有{label}（{{masked}}）" + ("：校验位不对，但地区码和出生日期像真实号码；" if code == PII_RESIDENT_ID_TYPO else "；")
    + _ADVICE
    for code, label in PII_LABELS.items()
}
#: The same for a YAML comment (comments go into git too); placeholder ``{masked}``.
PII_COMMENT_MESSAGES: dict[str, str] = {
    code: template.replace("字段 {field} ", "注释") for code, template in PII_MESSAGES.items()
}

# --- Unicode tables -------------------------------------------------------------------------
# Generated by _unicode_tables() for the Unicode version of Python 3.11 (14.0); a test checks
# that they still match unicodedata.
_FORMAT_CHARS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
_DIGIT_CHARS = (
    "\u00b2\u00b3\u00b9\u00bc-\u00be\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f"
    "\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef\u0b66-\u0b6f\u0be6-\u0bef\u0c66-\u0c6f"
    "\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def\u0e50-\u0e59\u0ed0-\u0ed9\u0f20-\u0f29"
    "\u1040-\u1049\u1090-\u1099\u17e0-\u17e9\u1810-\u1819\u1946-\u194f\u19d0-\u19d9"
    "\u1a80-\u1a89\u1a90-\u1a99\u1b50-\u1b59\u1bb0-\u1bb9\u1c40-\u1c49\u1c50-\u1c59\u2070"
    "\u2074-\u2079\u2080-\u2089\u2150-\u215f\u2189\u2460-\u249b\u24ea\u3251-\u325f"
    "\u32b1-\u32cb\u3358-\u3370\u3378\u3379\u339f-\u33a6\u33a8\u33af\u33e0-\u33fe"
    "\ua620-\ua629\ua8d0-\ua8d9\ua900-\ua909\ua9d0-\ua9d9\ua9f0-\ua9f9\uaa50-\uaa59"
    "\uabf0-\uabf9\uff10-\uff19\U000104a0-\U000104a9\U00010d30-\U00010d39"
    "\U00011066-\U0001106f\U000110f0-\U000110f9\U00011136-\U0001113f\U000111d0-\U000111d9"
    "\U000112f0-\U000112f9\U00011450-\U00011459\U000114d0-\U000114d9\U00011650-\U00011659"
    "\U000116c0-\U000116c9\U00011730-\U00011739\U000118e0-\U000118e9\U00011950-\U00011959"
    "\U00011c50-\U00011c59\U00011d50-\U00011d59\U00011da0-\U00011da9\U00016a60-\U00016a69"
    "\U00016ac0-\U00016ac9\U00016b50-\U00016b59\U0001d7ce-\U0001d7ff\U0001e140-\U0001e149"
    "\U0001e2f0-\U0001e2f9\U0001e950-\U0001e959\U0001f100-\U0001f10a\U0001fbf0-\U0001fbf9"
)
_NFKC_CHARS = (
    "\u00aa\u00ba\u0132\u0133\u013f\u0140\u0149\u017f\u01c4-\u01cc\u01f1-\u01f3\u02b0"
    "\u02b2\u02b3\u02b7\u02b8\u02e1-\u02e3\u1d2c\u1d2e\u1d30\u1d31\u1d33-\u1d3a\u1d3c"
    "\u1d3e-\u1d43\u1d47-\u1d49\u1d4d\u1d4f\u1d50\u1d52\u1d56-\u1d58\u1d5b\u1d62-\u1d65\u1d9c"
    "\u1da0\u1dbb\u1e9a\u2071\u207a\u207f\u208a\u2090-\u2093\u2095-\u209c\u20a8\u2100-\u2103"
    "\u2105\u2106\u2109-\u210e\u2110-\u2113\u2115\u2116\u2119-\u211d\u2120-\u2122\u2124\u2128"
    "\u212a\u212c\u212d\u212f-\u2131\u2133\u2134\u2139\u213b\u2145-\u2149\u2160-\u217f"
    "\u249c-\u24e9\u2c7c\u2c7d\u3250\u32cc-\u32cf\u3371-\u3377\u337a\u3380-\u339e\u33a7"
    "\u33a9-\u33ae\u33b0-\u33df\u33ff\ua7f2-\ua7f4\ufb00-\ufb06\ufb29\ufe62\uff0b"
    "\uff21-\uff3a\uff41-\uff5a\U000107a5\U0001d400-\U0001d454\U0001d456-\U0001d49c"
    "\U0001d49e\U0001d49f\U0001d4a2\U0001d4a5\U0001d4a6\U0001d4a9-\U0001d4ac"
    "\U0001d4ae-\U0001d4b9\U0001d4bb\U0001d4bd-\U0001d4c3\U0001d4c5-\U0001d505"
    "\U0001d507-\U0001d50a\U0001d50d-\U0001d514\U0001d516-\U0001d51c\U0001d51e-\U0001d539"
    "\U0001d53b-\U0001d53e\U0001d540-\U0001d544\U0001d546\U0001d54a-\U0001d550"
    "\U0001d552-\U0001d6a3\U0001f110-\U0001f12e\U0001f130-\U0001f14f\U0001f16a-\U0001f16c"
    "\U0001f190"
)


def _unicode_tables() -> tuple[str, str, str]:
    """Recompute the three tables above from :mod:`unicodedata` (slow: every code point).

    Format characters (Cf); characters that are a decimal digit or whose NFKC form holds an ASCII
    digit; other characters whose NFKC form holds an ASCII letter or ``+``. ASCII is left out.
    """
    groups: tuple[list[int], list[int], list[int]] = ([], [], [])
    for cp in range(0x80, 0x110000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Cf":
            groups[0].append(cp)
            continue
        nfkc = unicodedata.normalize("NFKC", char)
        if category == "Nd" or re.search("[0-9]", nfkc):
            groups[1].append(cp)
        elif nfkc != char and re.search("[A-Za-z+]", nfkc):
            groups[2].append(cp)

    def ranges(cps: list[int]) -> str:
        out, start, prev = [], cps[0], cps[0]
        for cp in cps[1:] + [-1]:
            if cp != prev + 1:
                out.append(chr(start) if start == prev else chr(start) + ("-" if prev > start + 1 else "") + chr(prev))
                start = cp
            prev = cp
        return "".join(out)

    return ranges(groups[0]), ranges(groups[1]), ranges(groups[2])


_SPACES = "\t\v\f \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_DASHES = ("\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2043\u207b\u208b\u2212\u2e17\u2e1a\u2e3a\u2e3b"
           "\u2e40\u2e5d\u30a0\u30fc\ufe31\ufe32\ufe58\ufe63\uff0d\uff70")
_DOTS = ".\u00b7\u2022\u2024\u2027\u2219\u22c5\u3002\u30fb\ufe52\uff0e\uff61\uff65"
#: Characters allowed between the digit groups of one number (a class body for regexes).
_SEP = _SPACES + _DASHES + _DOTS



def _bmp_or_astral(chars: str) -> re.Pattern[str]:
    """A fast superset of the class ``chars``: its BMP part, and any character beyond the BMP.

    A class with many ranges beyond the BMP is checked range by range (slow on every string); the
    BMP part is a bitmap, and one range covers every astral character (rare in records).
    """
    bmp = "".join(part for part in re.findall(".-.|.", chars, re.S) if part[-1] <= "\uffff")
    return re.compile(f"[{bmp}\U00010000-\U0010ffff]")


#: Characters the normaliser replaces; anything else is kept as it is.
_NEEDS_NORM = re.compile(f"[{_FORMAT_CHARS}{_DIGIT_CHARS}{_NFKC_CHARS}]")
_MAY_NEED_NORM = _bmp_or_astral(_FORMAT_CHARS + _DIGIT_CHARS + _NFKC_CHARS)
_NORM_CACHE: dict[str, str] = {}


def _normal_char(char: str) -> str:
    out = _NORM_CACHE.get(char)
    if out is None:
        if unicodedata.category(char) == "Cf":
            out = ""
        else:
            digit = unicodedata.decimal(char, None)
            out = str(digit) if digit is not None else unicodedata.normalize("NFKC", char)
        _NORM_CACHE[char] = out
    return out


def _normalise(value: str) -> tuple[str, list[int] | None]:
    """The text to match on, and for each of its characters the offset in ``value`` it came from.

    ``None`` instead of the list means the text is ``value`` itself (the usual case).
    """
    if value.isascii() or not _MAY_NEED_NORM.search(value) or not _NEEDS_NORM.search(value):
        return value, None
    parts: list[str] = []
    origin: list[int] = []
    pos = 0
    for m in _NEEDS_NORM.finditer(value):
        start = m.start()
        if start > pos:
            parts.append(value[pos:start])
            origin.extend(range(pos, start))
        replacement = _normal_char(value[start])
        parts.append(replacement)
        origin.extend([start] * len(replacement))
        pos = start + 1
    parts.append(value[pos:])
    origin.extend(range(pos, len(value)))
    return "".join(parts), origin


# --- Number patterns (on normalised text) ------------------------------------------------------------
_D = "[0-9]"
_S = f"[{_SEP}]{{0,3}}"  # an optional separator run between two digit groups
_L = r"(?<![0-9])(?<![0-9][.．])"  # not glued to a digit, not the fraction of a decimal number
_R = r"(?![0-9])(?![.．][0-9])"  # not glued to a digit, not the integer part of a decimal number
_CARD_START = "(?:[3-69][0-9]|2[2-7])"
# A prefix that starts with a digit (86, 0086) takes the left boundary; "+86" and "(+86)" need none.
_MOBILE_PREFIX = rf"(?:\+86|[(（]\s?(?:\+|00)?86\s?[)）]|{_L}(?:00)?86)"

# (code, pattern); the code of an 18-character ID is decided by its checks.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((code, re.compile(body + _R)) for code, body in (
    (PII_RESIDENT_ID, rf"{_L}[1-9]{_D}{{5}}{_S}{_D}{{8}}{_S}{_D}{{3}}[0-9Xx]"),  # 6-8-4
    (PII_RESIDENT_ID, rf"{_L}[1-9]{_D}{{5}}{_S}{_D}{{4}}{_S}{_D}{{4}}{_S}{_D}{{3}}[0-9Xx]"),  # 6-4-4-4
    (PII_RESIDENT_ID, rf"{_L}[1-9]{_D}{{5}}{_S}{_D}{{6}}{_S}{_D}{{3}}"),  # legacy 15 digits, 6-6-3
    (PII_BANK_CARD, rf"{_L}{_CARD_START}{_D}{{2}}{_S}{_D}{{4}}{_S}{_D}{{4}}{_S}{_D}{{4}}(?:{_S}{_D}{{1,3}})?"),
    (PII_BANK_CARD, rf"{_L}{_CARD_START}{_D}{{4}}{_S}{_D}{{4}}{_S}{_D}{{4}}{_S}{_D}{{4}}(?:{_S}{_D})?"),
    (PII_BANK_CARD, rf"{_L}{_CARD_START}{_D}{{4}}{_S}{_D}{{10,13}}"),
    (PII_MOBILE, rf"(?:{_MOBILE_PREFIX}{_S}|{_L})1[3-9]{_D}{_S}{_D}{{4}}{_S}{_D}{{4}}"),
))

#: Every finding holds at least 11 digits in one run of digit groups (matched whole); ``_LONG``
#: is a faster test that every such run passes (a simple repeat of one character class).
_LONG = re.compile(f"[0-9][0-9{_SEP}]{{9,}}[0-9]")
_QUICK = re.compile(f"[0-9](?:{_S}[0-9]){{10,}}")
_SEPARATORS = re.compile(f"[{_SEP}]+")

_PROVINCES = "|".join(sorted(PROVINCE_CODES))
_EXCLUDED = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    rf"[A-Z](?:{_PROVINCES})[0-9]{{9}}(?![0-9])"  # 定点医药机构代码 H13010200001
    r"|(?:JC|AJ|PX)-[0-9]{4}-[0-9A-Z]{6}(?![0-9A-Za-z])"
    r"|HT-[0-9]{4}-[0-9A-Z]{2,12}(?![0-9A-Za-z])"
    r"|RY-[0-9A-Z]{6}(?![0-9A-Za-z])"
    r"|(?:YS|CB)-[0-9A-Z]{8}(?![0-9A-Za-z])"
    r"|RL-[0-9]{4}(?![0-9A-Za-z])"
    r"|[0-9a-f]{64}(?![0-9A-Za-z])"  # a SHA-256 digest (a case-file document's checksum): hex, not a number
    r")"
)
_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
#: Priority between overlapping candidates of the same length (lower wins).
_PRIORITY = {PII_RESIDENT_ID: 0, PII_BANK_CARD: 1, PII_RESIDENT_ID_TYPO: 2, PII_MOBILE: 4}


def _in_uscc(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (no separators) lies inside a valid 18-character USCC that
    stands on its own (no ASCII letter or digit glued to either end)."""
    if end - start > 18:
        return False
    lo, hi = start, end
    while lo > 0 and text[lo - 1] in _ASCII_ALNUM:
        lo -= 1
    while hi < len(text) and text[hi] in _ASCII_ALNUM:
        hi += 1
    return hi - lo == 18 and is_valid_uscc(text[lo:hi])


def _classify(code: str, text: str, start: int, end: int) -> str | None:
    """The finding code of a regex candidate, or ``None`` when its checks fail."""
    raw = text[start:end]
    digits = _SEPARATORS.sub("", raw)
    if code == PII_MOBILE:
        code_ok = True
    elif code == PII_BANK_CARD:
        code_ok = luhn_ok(digits)
    elif len(digits) == 15:
        code_ok = is_valid_resident_id15(digits)
    else:
        digits = digits.upper()
        if is_valid_resident_id18(digits):
            return PII_RESIDENT_ID  # reported even if it also passes as an all-digit USCC
        code, code_ok = PII_RESIDENT_ID_TYPO, is_plausible_resident_id18(digits)
    if not code_ok:
        return None
    if len(digits) == len(raw) and _in_uscc(text, start, end):
        return None  # part of a 统一社会信用代码
    return code


def find_personal_data(value: str) -> list[tuple[str, str, int]]:
    """Scan one string; return ``(code, matched_text, offset)`` per finding.

    ``code`` is one of ``pii-resident-id``, ``pii-resident-id-typo``, ``pii-mobile`` and
    ``pii-bank-card``; ``matched_text`` is the original text of the match (format characters,
    full-width digits and separators included) and ``offset`` its start index in ``value``.
    Overlapping candidates are resolved in favour of the longest, then the most certain, so no
    two findings overlap. Results are in text order. Works on any string.
    """
    if value.isascii() or not _MAY_NEED_NORM.search(value):
        text, origin = value, None  # nothing to normalise: the usual case
    else:
        text, origin = _normalise(value)
    long = _LONG.search(text)
    run = _QUICK.search(text, long.start()) if long is not None else None
    if run is None:
        return []
    if _institution_code(text, *run.span()) and all(
        _institution_code(text, *later.span()) for later in _QUICK.finditer(text, run.end())
    ):
        return []  # only institution codes
    candidates: list[tuple[int, int, int, str]] = []
    for kind, pattern in _PATTERNS:
        pos = 0
        while (m := pattern.search(text, pos)) is not None:
            code = _classify(kind, text, m.start(), m.end())
            if code is not None:
                candidates.append((m.start(), m.end(), _PRIORITY[code], code))
            pos = m.start() + 1
    if not candidates:
        return []
    excluded = [m.span() for m in _EXCLUDED.finditer(text)]
    if excluded:
        candidates = [c for c in candidates if all(c[1] <= a or b <= c[0] for a, b in excluded)]
    if len(candidates) > 1:
        candidates.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))  # longest first
        chosen: list[tuple[int, int, int, str]] = []
        for cand in candidates:
            if all(cand[1] <= c[0] or c[1] <= cand[0] for c in chosen):
                chosen.append(cand)
        candidates = sorted(chosen)
    if origin is None:
        return [(code, value[start:end], start) for start, end, _, code in candidates]
    out = []
    for start, end, _, code in candidates:
        begin, finish = origin[start], origin[end - 1] + 1
        out.append((code, value[begin:finish], begin))
    return out


#: A file can hold a finding only if it has 11 digits in one run, with separators, format
#: characters and line breaks (YAML folds a line break inside a value into a space) between them.
_BETWEEN = f"{_SEP}{_bmp_or_astral(_FORMAT_CHARS).pattern[1:-1]}\r\n"
_LOOSE_RUN = re.compile(f"[0-9](?:[{_BETWEEN}]*[0-9]){{10,}}")
_LOOSE_LONG = re.compile(f"[0-9][0-9{_BETWEEN}]{{9,}}[0-9]")  # blocks a loose run lies in (fast to find)
_DIGIT_LIKE = _bmp_or_astral(_DIGIT_CHARS)  # a superset: any astral character says "maybe"


def _institution_code(text: str, start: int, end: int) -> bool:
    """Whether the digit run ``text[start:end]`` is exactly the 11 digits of an institution code.

    The same shape as the exclusion in ``_EXCLUDED``, read on the raw text: an upper-case ASCII
    letter before the run, and before the letter neither a letter or digit nor a character the
    normaliser could change (which might turn into one).
    """
    if end - start != 11 or start == 0 or not "A" <= text[start - 1] <= "Z":
        return False
    if text[start:start + 2] not in PROVINCE_CODES or not text[start:end].isdigit():
        return False
    before = text[start - 2] if start >= 2 else " "
    return before not in _ASCII_ALNUM and not _MAY_NEED_NORM.match(before)


_HEX = frozenset("0123456789abcdef")


def _in_digest(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies inside a 64-digit lowercase hex token (a SHA-256 digest),
    the token that :data:`_EXCLUDED` leaves out of the scan."""
    lo, hi = start, end
    while lo > 0 and text[lo - 1] in _HEX:
        lo -= 1
    while hi < len(text) and text[hi] in _HEX:
        hi += 1
    return (hi - lo == 64 and all(c in _HEX for c in text[start:end])
            and (lo == 0 or not text[lo - 1].isalnum()) and (hi == len(text) or not text[hi].isalnum()))


def might_contain_personal_data(text: str) -> bool:
    """Cheap test on a file's (or any) text: False means no value or comment in it can match.

    True when the text has 11 ASCII digits in one loose run (see ``_LOOSE_RUN``) that is not just
    an institution code like ``H65020300001``, any other character that stands for a digit
    (``１``, ``𝟏``, ``①``, ``²``…), or a backslash (an escape in a quoted YAML string can spell
    digits). No NFKC pass over the whole text.
    """
    if "\\" in text or (not text.isascii() and _DIGIT_LIKE.search(text)):
        return True
    for block in _LOOSE_LONG.finditer(text):  # every loose run lies inside one of these blocks
        start, end = block.span()
        if end - start == 11 and _institution_code(text, start, end):
            continue  # the usual case: an institution code, nothing else
        if _in_digest(text, start, end):
            continue  # digits inside a SHA-256 digest (a document's checksum): not a number
        if any(not _institution_code(text, *m.span()) for m in _LOOSE_RUN.finditer(text, start, end)):
            return True
    return False


def mask(text: str) -> str:
    """Keep the first 3 and last 2 characters, replace the rest by ``*``.

    ``"11010519491231002X"`` becomes ``"110*************2X"``.  Text of five
    characters or fewer is masked completely.
    """
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def mask_text(text: str) -> str:
    """``text`` with every personal-data finding masked in place (``138******78``): for anything
    shown that quotes text no check judged (messages, old versions, commit messages)."""
    if not isinstance(text, str) or not text:
        return text
    for _, matched, start in reversed(find_personal_data(text)):
        text = text[:start] + mask(matched) + text[start + len(matched):]
    return text


# --- Person names --------------------------------------------------------------------------------
_NAME_TRIGGERS = ("参保人员", "参保人", "举报人", "患者", "病人", "医师", "医生", "药师")
_DOCTORS = frozenset({"医师", "医生", "药师"})
#: Common single-character surnames (about the 250 most frequent) and compound surnames.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯"
    "纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪"
    "简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎"
    "甄丛仲虞敖巩明佘池麻苑迟邝"
)
_COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯", "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "万俟", "申屠", "澹台",
})
_SURNAME_CLASS = "".join(sorted(_SURNAMES | {s[0] for s in _COMPOUND_SURNAMES}))
#: Ordinary words after a trigger that start with a surname character; they skip the segmenter
#: (a speed-up only: the segmenter would not take them for names either).
_ORDINARY = frozenset({
    "常规", "连续", "高血压", "高龄", "高热", "陈述", "方便", "管理", "白天", "金额", "周末", "夏季", "马上", "石膏",
    "时间", "全部", "全程", "和家属", "应当", "应该", "明确", "文化", "成功", "安全", "单位", "司机", "温度", "康复",
    "任何", "关于", "于次日", "于当日", "于同日", "向医生", "曾经", "严重", "万元",
})
_NAME_CANDIDATE = re.compile(
    "(?P<trigger>" + "|".join(_NAME_TRIGGERS) + ")"
    r"(?P<sep>[ \t\u3000]*[：:]?[ \t\u3000]*)"
    f"(?=(?P<name>[{_SURNAME_CLASS}][\u4e00-\u9fff]{{1,3}}))"  # looked at, not consumed: 患者常规参保人…
)
#: The same, loosely, for a whole file: a line break may sit between the word and the name.
_LOOSE_NAME_CANDIDATE = re.compile(
    "(?:" + "|".join(_NAME_TRIGGERS) + r")\s*[：:]?\s*" + f"(?=(?P<name>[{_SURNAME_CLASS}])[\u4e00-\u9fff])"
)
_CJK_WORD = re.compile("[\u4e00-\u9fff]+")
_POSSEG = None


def _posseg():
    """jieba's part-of-speech segmenter, imported on first use (its dictionary takes ~1 s)."""
    global _POSSEG
    if _POSSEG is None:
        logging.getLogger("jieba").setLevel(logging.WARNING)  # no "Building prefix dict" chatter
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)
        _POSSEG = jieba.posseg
    return _POSSEG


def _ordinary(name_text: str) -> bool:
    return name_text[:2] in _ORDINARY or name_text[:3] in _ORDINARY


def might_contain_person_name(text: str) -> bool:
    """Cheap test on a file's text: False means :func:`find_person_names` finds nothing in it."""
    if "\\" in text:
        return True  # an escape in a quoted YAML string can spell any character
    return any(
        not _ordinary(text[m.start("name"):m.start("name") + 3]) for m in _LOOSE_NAME_CANDIDATE.finditer(text)
    )


def find_person_names(value: str) -> list[tuple[str, str, int]]:
    """Likely real names after 参保人/患者/举报人/医师/医生/病人/药师; ``(trigger, name, offset)``.

    A candidate is a common surname and at least one more Chinese character right after the
    word (optionally after ``：`` or spaces) that does not start an ordinary word; jieba then
    segments the text from the surname on and :func:`_name_at` decides. ``name`` is the original
    text, ``offset`` its start. jieba (~1 s to load its dictionary) is imported only when a
    candidate is found. Anonymised forms (王某, 李××) are not names.
    """
    out = []
    for m in _NAME_CANDIDATE.finditer(value):
        if _ordinary(m.group("name")):
            continue
        start = m.start("name")
        # segmented from the name on: with the trigger in front, jieba may glue 参保人王 into 人王
        words = [(pair.word, pair.flag) for pair in _posseg().cut(value[start:start + 6])]
        name = _name_at(words)
        if name:
            out.append((m.group("trigger"), name, start))
    return out


#: Tags of jieba's segmenter: person names, function words (never a surname), a given name.
_NAME_TAGS = frozenset({"nr", "nrt", "nrfg"})
_NOT_IN_NAMES = frozenset("后前的在于和与及等称说是因到去来也都就又被把将对从向已未不了着过时里中上下")
_FUNCTION_TAGS = frozenset({"p", "c", "u", "uj", "ul", "uz", "ud", "ug", "uv", "d", "m", "q", "f", "x"})
#: Characters common in given names (a single surname character followed only by these is a name
#: even when jieba tags the pair otherwise: 谢/欣怡, 高/建军, 何/红梅).
_GIVEN_CHARS = frozenset(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍志红梅海燕鹏辉玲婷晓东建国淑珍俊峰立新丹宇"
    "浩涵欣怡春荣德福林云凤琴雪莉斌波宁飞鑫亮健龙晨琳颖佳嘉雨思诗梓轩博泽睿航瑞昊雅馨悦彬毅翔凯琪瑶倩"
    "蕾璐薇茜菲露婉娴淑慧惠琼珊秋菊莲荷兵武威豪杰彪虎鹤松柏卫民庆祥贵富宝喜顺利永长广忠诚信义仁礼智勤"
    "俭恩泉江河湖山川石峰岩森丰达远志坚毅刚力文斌彦君如若冰清洁素琦瑾璇琛瑜璟珏"
)
_GIVEN_TAGS = frozenset({"nr", "nrt", "nrfg", "nz", "ns"})
_RARE = 10  # dictionary entries tagged as names below this count are names (王小明 3, 李建国 9)


def _name_at(words: list) -> str | None:
    """The name that starts at the first of the segmented ``words``, if it is one.

    * a word of 2-4 characters tagged as a name and starting with a common surname, that jieba's
      dictionary does not hold (its HMM found it) or holds as a rare name: the dictionary also
      tags many ordinary words as names (毛发 258, 陈述 763, 艾灸 18, 桂枝 23);
    * a compound surname (欧阳, tagged a place) or a single surname character that jieba does
      not take for a function word, followed by a given name of one or two characters that jieba
      tags as a name or proper noun (王/秀英, 孙/建华, 刘/桂兰) or that is made of characters
      common in given names (谢/欣怡, 何/红梅).

    Anonymised forms (王某, 李××) and 王氏 are not names.
    """
    word, flag = words[0]
    after = words[1] if len(words) > 1 else ("", "")
    given, given_flag = after
    given_ok = 1 <= len(given) <= 2 and (given_flag in _GIVEN_TAGS or all(char in _GIVEN_CHARS for char in given))
    if word in _COMPOUND_SURNAMES:
        name = word + given if given_ok else ""
    elif len(word) == 1:
        name = word + given if given_ok and word in _SURNAMES and flag not in _FUNCTION_TAGS else ""
    elif flag in _NAME_TAGS and word[0] in _SURNAMES and len(word) <= 4:
        name = word if _posseg().dt.FREQ.get(word, 0) < _RARE else ""
        if len(name) == 3 and name[2] in _NOT_IN_NAMES:
            name = name[:2]  # the HMM took a following word in: 张丽/后
    else:
        name = ""
    if not name or not _CJK_WORD.fullmatch(name) or "某" in name or name.endswith("氏"):
        return None
    return name


def mask_name(name: str) -> str:
    """``张三`` becomes ``张*``: the surname stays, the given name is hidden."""
    return name[:1] + "*" * (len(name) - 1)


def person_name_message(field: str, trigger: str, masked: str) -> str:
    """The Chinese warning for a likely name after ``trigger`` in ``field`` (``""``: a comment)."""
    where = f"字段 {field} 中" if field else "注释中"
    code = "YS-" if trigger in _DOCTORS else "CB-"
    who = "医师、药师" if trigger in _DOCTORS else "参保人、患者"
    return (f"{where}“{trigger}”后面疑似写有真实姓名（{masked}）；姓名属于个人信息，"
            f"{who}请改用 {code} 开头的化名编码（{code}加 8 位字母数字），举报人不要写姓名")


# --- Records and comments ------------------------------------------------------------------------
Path = tuple[str | int, ...]


def _scalar_text(value: object) -> str | None:
    """The text to scan for a scalar, or ``None`` if it cannot hold PII."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)  # an unquoted phone number loads as int
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return format(value, "f")  # fractional amounts never match
    return None


def _walk(data: object, path: Path, skip_paths: frozenset[Path], out: list[tuple[Path, str]]) -> None:
    """Append ``(path, text)`` for every scalar under ``data`` (located at ``path``) to ``out``."""
    if skip_paths and path in skip_paths:
        return
    if isinstance(data, Mapping):
        for key, item in data.items():
            _walk(item, path + (key,), skip_paths, out)
    elif isinstance(data, (list, tuple)):
        for index, item in enumerate(data):
            _walk(item, path + (index,), skip_paths, out)
    else:
        text = _scalar_text(data)
        if text is not None:
            out.append((path, text))


def _scalars(data: object, skip_paths: frozenset[Path] | set[Path]) -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    _walk(data, (), frozenset(skip_paths), out)
    return out


def scan_record(
    data: object, skip_paths: frozenset[Path] | set[Path] = frozenset()
) -> list[tuple[Path, str, str]]:
    """Find personal data anywhere in a loaded record.

    Walks nested dicts and lists; scans str values and int / Decimal values
    (as text).  Dict keys are field names and are not scanned.  Returns
    ``(path, code, masked_text)`` per finding, where ``path`` is the tuple
    of keys and indices from the root, e.g. ``("findings", 0,
    "description")``.  Nodes whose exact path is in ``skip_paths`` are
    skipped together with everything below them (used for 统一社会信用代码
    fields, which are validated as USCC instead).
    """
    return [
        (path, code, mask(matched))
        for path, text in _scalars(data, skip_paths)
        for code, matched, _ in find_personal_data(text)
    ]


def scan_person_names(
    data: object, skip_paths: frozenset[Path] | set[Path] = frozenset()
) -> list[tuple[Path, str, str]]:
    """Likely real names in a loaded record: ``(path, trigger, masked_name)`` per finding."""
    return [
        (path, trigger, mask_name(name))
        for path, text in _scalars(data, skip_paths)
        if isinstance(text, str) and not text.isascii()
        for trigger, name, _ in find_person_names(text)
    ]


_COMMENT = re.compile(r"(?:^|(?<=[ \t]))#[^\n]*", re.MULTILINE)


def iter_comments(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line, col, comment)`` for every YAML comment in a file's text (1-based, ``#`` included).

    A comment is a ``#`` at the start of a line or after a space or tab, up to the end of the
    line. A ``#`` after a space inside a quoted string is taken for a comment too (harmless:
    the value is scanned as well).
    """
    if "#" not in text:
        return
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    for m in _COMMENT.finditer(text):
        line = bisect.bisect_right(line_starts, m.start())
        yield line, m.start() - line_starts[line - 1] + 1, m.group().rstrip("\r")


def format_path(path: Path) -> str:
    """Render ``("findings", 0, "description")`` as ``findings[0].description``.

    The empty path (the record itself) renders as ``""``.
    """
    parts: list[str] = []
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            parts.append(f"[{key}]")
        else:
            parts.append(f".{key}" if parts else str(key))
    return "".join(parts)
