"""Check-character arithmetic for Chinese identification codes.

Pure functions with no dependency on the rest of the package:

* 统一社会信用代码 (unified social credit code, USCC), GB 32100-2015;
* 公民身份号码 (resident identity number), GB 11643-1999, 18 digits,
  and the legacy 15-digit form; whether a number with a wrong check
  character still looks like a real one (province code of GB/T 2260 and
  a real birth date);
* the Luhn (mod 10) check used by bank card numbers.

The ``make_*`` helpers append the correct check character; tests and the
synthetic-data generator use them to build well-formed codes without
copying anybody's real number.
"""

from __future__ import annotations

import datetime as _dt

from . import clock

__all__ = [
    "PROVINCE_CODES",
    "USCC_CHARSET",
    "is_plausible_resident_id18",
    "is_valid_resident_id15",
    "is_valid_resident_id18",
    "is_valid_uscc",
    "luhn_ok",
    "make_resident_id18",
    "make_uscc",
    "resident_id18_check_char",
    "uscc_check_char",
]

def _is_ascii_digits(s: str) -> bool:
    """``str.isdigit`` restricted to ASCII (it also accepts e.g. "１", "²")."""
    return s.isascii() and s.isdigit()


# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------

#: The 31 characters a USCC may use: digits and upper-case letters
#: without I, O, Z, S, V.  The index of a character is its numeric value.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_CHARSET)}
#: Weight of position i (0-based) is 3**i mod 31.
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def uscc_check_char(first17: str) -> str | None:
    """Return the check character (position 18) for the first 17 USCC chars.

    Returns ``None`` when ``first17`` is not 17 characters long or contains
    a character outside :data:`USCC_CHARSET` (lower case is refused).
    """
    if len(first17) != 17:
        return None
    total = 0
    for ch, weight in zip(first17, _USCC_WEIGHTS):
        value = _USCC_VALUE.get(ch)
        if value is None:
            return None
        total += value * weight
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a well-formed 统一社会信用代码.

    Checks: exactly 18 characters from :data:`USCC_CHARSET`; positions 1-2
    (registration authority, organisation type) from the charset;
    positions 3-8 (administrative region) are digits; positions 9-17
    (organisation code) from the charset; position 18 is the check char.
    """
    if not isinstance(code, str) or len(code) != 18 or not _is_ascii_digits(code[2:8]):
        return False
    return uscc_check_char(code[:17]) == code[17]


def make_uscc(body17: str) -> str:
    """Append the check character to a 17-character USCC body.

    Raises ``ValueError`` if the body is not 17 charset characters.
    """
    check = uscc_check_char(body17)
    if check is None:
        raise ValueError(f"统一社会信用代码前 17 位无效：{body17!r}")
    return body17 + check


# --- 公民身份号码 (GB 11643-1999) -------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_MIN_BIRTH = _dt.date(1900, 1, 1)


def _birth_date_ok(year: int, month: int, day: int) -> bool:
    """Whether the date exists and lies between 1900-01-01 and today."""
    try:
        born = _dt.date(year, month, day)
    except ValueError:
        return False
    return _ID_MIN_BIRTH <= born <= clock.today()


def resident_id18_check_char(first17: str) -> str | None:
    """Return the check char ("0"-"9" or "X") for 17 ID digits, else ``None``."""
    if len(first17) != 17 or not _is_ascii_digits(first17):
        return None
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def is_valid_resident_id18(s: str) -> bool:
    """Whether ``s`` is a well-formed 18-digit resident identity number.

    17 ASCII digits (first one 1-9) plus the check character; the check
    character ``X`` must be upper case.  Positions 7-14 must be a real
    birth date between 1900-01-01 and today.
    """
    if not isinstance(s, str) or len(s) != 18 or s[0] == "0":
        return False
    if resident_id18_check_char(s[:17]) != s[17]:
        return False
    return _birth_date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


#: First two digits of the GB/T 2260 administrative division codes: the provinces, autonomous
#: regions and municipalities, Taiwan (71), Hong Kong (81) and Macao (82).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)


def is_plausible_resident_id18(s: str) -> bool:
    """Whether ``s`` looks like a real resident ID number, the check character aside.

    18 characters: 17 ASCII digits and a digit or upper-case ``X``; the first two digits a
    province code (:data:`PROVINCE_CODES`); positions 7-14 a real birth date in 19xx or 20xx,
    not in the future. A number that passes this but not :func:`is_valid_resident_id18` is most
    likely a resident ID number with one digit mistyped.
    """
    if not isinstance(s, str) or len(s) != 18 or not _is_ascii_digits(s[:17]):
        return False
    if not (s[17] == "X" or _is_ascii_digits(s[17])) or s[:2] not in PROVINCE_CODES:
        return False
    return s[6:8] in ("19", "20") and _birth_date_ok(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def is_valid_resident_id15(s: str) -> bool:
    """Whether ``s`` looks like a legacy 15-digit resident identity number.

    6-digit region code (first digit 1-9), birth date YYMMDD read as
    19YY that must exist, then a 3-digit sequence number.  The legacy
    format has no check digit.
    """
    if not isinstance(s, str) or len(s) != 15 or not _is_ascii_digits(s) or s[0] == "0":
        return False
    return _birth_date_ok(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))


def make_resident_id18(first17: str) -> str:
    """Append the check character to 17 ID digits.

    Only the checksum is computed; the date is not validated, so tests can
    also build numbers with a correct checksum but an impossible date.
    Raises ``ValueError`` if ``first17`` is not 17 ASCII digits.
    """
    check = resident_id18_check_char(first17)
    if check is None:
        raise ValueError(f"身份证号码前 17 位必须是 17 位数字：{first17!r}")
    return first17 + check


# --- Luhn (bank card numbers) ---------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Whether a string of at least two ASCII digits passes the Luhn check."""
    if len(digits) < 2 or not _is_ascii_digits(digits):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
