"""Detect personal data (身份证号、手机号、银行卡号) in record values.

Records in the repository must not contain personal information.  This
module finds likely resident ID numbers, mainland mobile numbers and bank
card numbers in free text, and never hands back the full text: callers get
it masked by :func:`mask`.

A candidate is a digit run delimited by non-alphanumeric boundaries: a
run glued to ASCII letters or other digits (e.g. the institution code
``H13010200001``) is never a match, while Chinese text or punctuation
next to it is a boundary (``电话13812345678``).  Digits that belong to a
decimal number (``13812345678.50``) are not matched either.  Full-width
digits and letters are treated like their ASCII forms.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping

from .codes import is_valid_resident_id15, is_valid_resident_id18, is_valid_uscc, luhn_ok

__all__ = [
    "PII_MESSAGES",
    "might_contain_personal_data",
    "find_personal_data",
    "format_path",
    "mask",
    "scan_record",
]

PII_RESIDENT_ID = "pii-resident-id"
PII_MOBILE = "pii-mobile"
PII_BANK_CARD = "pii-bank-card"

_ADVICE = "个人信息不得提交到仓库，请删除或改用化名编号"

#: Message templates per finding code; placeholders ``{field}`` (see
#: :func:`format_path`) and ``{masked}`` (see :func:`mask`).
PII_MESSAGES: dict[str, str] = {
    PII_RESIDENT_ID: "字段 {field} 含有疑似居民身份证号码（{masked}）；" + _ADVICE,
    PII_MOBILE: "字段 {field} 含有疑似手机号码（{masked}）；" + _ADVICE,
    PII_BANK_CARD: "字段 {field} 含有疑似银行卡号（{masked}）；" + _ADVICE,
}

# Left/right boundaries: no ASCII letter or digit next to the match, and
# not the integer or fraction part of a decimal number.
_L = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_R = r"(?![0-9A-Za-z])(?!\.[0-9])"

# (code, priority, pattern).  The lower priority number wins between
# equally long overlapping candidates (an 18-digit valid ID is an ID, not
# a bank card).  ``(?P<s>[ -]?)`` is an optional separator that must be
# the same throughout one number.
_PATTERNS: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    # 18-digit ID, also written 6-8-4 (110105 19491231 002X).
    (PII_RESIDENT_ID, 0, re.compile(_L + r"[1-9][0-9]{5}(?P<s>[ -]?)[0-9]{8}(?P=s)[0-9]{3}[0-9Xx]" + _R)),
    # Legacy 15-digit ID.
    (PII_RESIDENT_ID, 1, re.compile(_L + r"[1-9][0-9]{14}" + _R)),
    # Bank card: 16-19 digits, contiguous or in groups of 4.
    (PII_BANK_CARD, 2, re.compile(
        _L + r"[1-9][0-9]{3}(?P<s>[ -]?)[0-9]{4}(?P=s)[0-9]{4}(?P=s)[0-9]{4}(?:(?P=s)[0-9]{1,3})?" + _R)),
    # Mobile: 1[3-9]X XXXX XXXX, optionally prefixed +86 / 86.
    (PII_MOBILE, 3, re.compile(_L + r"(?:\+?86[ -]?)?1[3-9][0-9](?P<s>[ -]?)[0-9]{4}(?P=s)[0-9]{4}" + _R)),
)

#: Cheap pre-check: every match contains a run of at least 11 characters
#: made of digits, spaces and hyphens.
_HAS_CANDIDATE = re.compile(r"[0-9][0-9 \-]{9}[0-9]")
_HAS_FULLWIDTH_DIGIT = re.compile("[\uff10-\uff19]")
#: Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space map
#: one-to-one onto ASCII, so offsets are unchanged by the translation.
_FULLWIDTH_TO_ASCII = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = str.maketrans("", "", " -")


def _is_pii(code: str, text: str) -> bool:
    """Validate a regex candidate (already converted to ASCII)."""
    digits = text.translate(_SEPARATORS)
    if code == PII_RESIDENT_ID:
        if len(digits) == 15:
            return is_valid_resident_id15(digits)
        return is_valid_resident_id18(digits.upper())
    if code == PII_BANK_CARD:
        # An 18-digit run that is a valid 统一社会信用代码 is a company code.
        return luhn_ok(digits) and not (len(digits) == 18 and is_valid_uscc(digits))
    return True  # mobile: the pattern is the whole check


#: A whole file's text can hold personal data only if it has 11 or more digits in a run (single
#: spaces or hyphens allowed between them) not glued to a letter or digit on its left, full-width
#: digits, or a backslash (an escape in a quoted string can spell digits).
_DIGIT_RUN = re.compile(r"[0-9](?:[ \-]?[0-9]){10,}")
_BOUNDED_RUN = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ \-]?[0-9]){10,}")
_FULLWIDTH_DIGIT = re.compile("[\uff10-\uff19]")


def might_contain_personal_data(text: str) -> bool:
    """Cheap test on a file's text: False means no value in it can match (skip the walk).

    The quick scan finds long digit runs; only those are checked again with the left boundary
    (a run glued to a code like ``H65020300001`` may still hold a number after a separator).
    """
    if "\\" in text or (not text.isascii() and _FULLWIDTH_DIGIT.search(text)):
        return True
    return any(_BOUNDED_RUN.search(text, m.start(), m.end()) for m in _DIGIT_RUN.finditer(text))


def find_personal_data(value: str) -> list[tuple[str, str, int]]:
    """Scan one string; return ``(code, matched_text, offset)`` per finding.

    ``code`` is one of ``pii-resident-id``, ``pii-mobile`` and
    ``pii-bank-card``; ``matched_text`` is the original text of the match
    and ``offset`` its start index.  Overlapping candidates are resolved in
    favour of the longest, then the most specific (ID before bank card
    before mobile), so no two findings overlap.  Results are in text order.
    """
    if len(value) < 11:
        return []
    text = value
    if not text.isascii() and _HAS_FULLWIDTH_DIGIT.search(text):
        text = text.translate(_FULLWIDTH_TO_ASCII)
    if not _HAS_CANDIDATE.search(text):
        return []

    candidates: list[tuple[int, int, int, str]] = []
    for code, priority, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if _is_pii(code, m.group()):
                candidates.append((m.start(), m.end(), priority, code))
    if not candidates:
        return []
    if len(candidates) > 1:
        candidates.sort(key=lambda c: (c[0] - c[1], c[2], c[0]))  # longest first
        chosen: list[tuple[int, int, int, str]] = []
        for cand in candidates:
            if all(cand[1] <= c[0] or c[1] <= cand[0] for c in chosen):
                chosen.append(cand)
        candidates = sorted(chosen)
    return [(code, value[start:end], start) for start, end, _, code in candidates]


def mask(text: str) -> str:
    """Keep the first 3 and last 2 characters, replace the rest by ``*``.

    ``"11010519491231002X"`` becomes ``"110*************2X"``.  Text of five
    characters or fewer is masked completely.
    """
    if len(text) <= 5:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


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


def _walk(
    data: object, path: Path, skip_paths: frozenset[Path], out: list[tuple[Path, str, str]]
) -> None:
    """Append the findings under ``data`` (located at ``path``) to ``out``."""
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
            for code, matched, _ in find_personal_data(text):
                out.append((path, code, mask(matched)))


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
    out: list[tuple[Path, str, str]] = []
    _walk(data, (), frozenset(skip_paths), out)
    return out


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
