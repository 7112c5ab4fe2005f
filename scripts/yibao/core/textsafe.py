"""Record text on its way out: to a terminal, a workflow log or a spreadsheet, where it must not act.

Records and file names are written by contractors; what yibao prints is read by reviewers in a
terminal, by GitHub in a workflow log and by Excel in a report. So:

* :func:`visible` shows control characters (ESC starts terminal escape sequences), C1 controls,
  line and paragraph separators, bidirectional overrides and isolates (which reorder what a
  reviewer sees) and undecodable file-name bytes as escapes: ``\\x1b``, ``\\u202e``, ``\\xff``.
  Every command's terminal output goes through it once, where it formats the text.
* :func:`spreadsheet_text` neutralises a cell a spreadsheet would run as a formula, as OWASP's
  "CSV Injection" page recommends: text starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets a
  leading ``'``. Plain numbers written as text (``-12.50``, ``2.50%``) cannot run and stay as
  they are; number cells are never touched.
"""
from __future__ import annotations

import re

# C0 controls (but newline, see ``visible``), DEL, C1 controls, Arabic letter mark, LRM/RLM,
# line/paragraph separators, bidi embeddings/overrides (U+202A–U+202E) and isolates
# (U+2066–U+2069), and lone surrogates (undecodable bytes of a file name, Python's surrogateescape)
_CLASS = "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[{_CLASS}]")
_UNSAFE_OR_NEWLINE = re.compile(f"[{_CLASS}\n]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, newlines: bool = False) -> str:
    """``text`` with every character that could act on a terminal or hide text shown as an escape.

    A line break is escaped too (``\\n``: one line stays one line), unless ``newlines`` allows it
    for text that is multi-line on purpose. Text without such characters is returned as it is.
    """
    pattern = _UNSAFE if newlines else _UNSAFE_OR_NEWLINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_escape, text)


def log_line(text: str) -> str:
    """Plain text for a GitHub workflow log, as one line that cannot be read as a workflow command:
    escapes as :func:`visible`, and a leading ``::`` (GitHub ignores leading blanks) as ``%3A:``."""
    text = visible(text)
    stripped = text.lstrip()
    if stripped.startswith("::"):
        text = text[: len(text) - len(stripped)] + "%3A" + stripped[1:]
    return text


def has_undecodable(text: str) -> bool:
    """Whether ``text`` (file names as the OS or git gave them) holds bytes that are not UTF-8
    (kept as lone surrogates). Fast for the usual answer: 100k paths in a few milliseconds."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?")


def spreadsheet_text(text: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ``'`` when it would start a formula."""
    if text[:1] in FORMULA_START and _PLAIN_NUMBER.fullmatch(text) is None:
        return "'" + text
    return text


def spreadsheet_cell(value: object) -> object:
    """A cell value for CSV: text neutralised (:func:`spreadsheet_text`), anything else as it is."""
    return spreadsheet_text(value) if isinstance(value, str) else value


def excel_cell(value: object) -> object:
    """A cell value for an Excel sheet: text with control characters shown as escapes (openpyxl
    refuses most of them, Excel shows none of them) and then neutralised; numbers as they are."""
    if isinstance(value, str):
        return spreadsheet_text(visible(value, newlines=True))
    return value
