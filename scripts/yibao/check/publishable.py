"""What may be published of text that was never checked as a record: the one gate for history.

``yibao validate`` refuses personal data in the records as they are now. Everything else that the
portal, the search index, ``yibao diff`` or a report can show — every older version of every
record in git history, commit messages, author and committer names — was never judged by it, and a
value that was committed and removed again would otherwise be published from history. This module
is the single place that makes such text safe to show:

* :func:`mask_text` masks every personal-data finding in a string (same scanner as ``validate``);
* :func:`mask_data` does the same for every value of a parsed record version (an unquoted phone
  number that loaded as an integer becomes its masked text);
* :data:`UNREADABLE` is the neutral notice shown for a version that cannot be read as a record:
  the parse error itself is never shown, because it may quote the very value it refused.

Confidential fields are a separate, schema-driven filter (:mod:`yibao.publish.visible`) applied
to every version alike; this module only knows about personal data, so ``load`` can receive it as
a plain callable without depending on ``check``.
"""
from __future__ import annotations

import decimal
from dataclasses import dataclass
from typing import Any

from .personal_data import mask_text, might_contain_personal_data

__all__ = ["UNREADABLE", "Gate", "mask_data", "mask_text"]

#: Shown instead of the parse error of a version that is not a readable record.
UNREADABLE = "该版本无法按记录格式读取，内容不显示"


def _leaf(value: Any) -> tuple[Any, bool]:
    if isinstance(value, str):
        masked = mask_text(value)
        return masked, masked != value
    if isinstance(value, bool) or value is None:
        return value, False
    if isinstance(value, int) or (isinstance(value, decimal.Decimal) and value.is_finite()):
        text = str(value) if isinstance(value, int) else format(value, "f")
        masked = mask_text(text)
        return (masked, True) if masked != text else (value, False)
    return value, False


def mask_data(data: Any) -> tuple[Any, int]:
    """A copy of a parsed version with personal data masked, and how many values were masked.

    Keys are field names checked by the schema of their time; they are masked too, in case an old
    version used a number as a key.
    """
    count = 0

    def walk(node: Any) -> Any:
        nonlocal count
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                shown_key = mask_text(key) if isinstance(key, str) else key
                count += shown_key != key
                out[shown_key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        shown, hit = _leaf(node)
        count += hit
        return shown

    return walk(data), count


@dataclass
class Gate:
    """The gate handed to :mod:`yibao.load.history`: it sees every version and every commit's text."""

    def text(self, value: str) -> str:
        """Commit messages and names."""
        return mask_text(value)

    def version(self, text: str | None, data: dict | None, problems: tuple[str, ...]) -> tuple[dict | None, tuple[str, ...]]:
        """A version as it may be shown: masked data, or the neutral notice instead of any error."""
        if problems or data is None:
            return None, (UNREADABLE,)
        if text is not None and not might_contain_personal_data(text):
            return data, ()
        return mask_data(data)[0], ()
