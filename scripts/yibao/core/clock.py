"""Today's date for the checks, and whether a verdict read it.

Most verdicts depend on a file's content alone, and the check cache keeps them by content. A few
compare with today (a resident ID number's birth date must not lie in the future, see
``codes``): such a verdict holds for the day it was reached only. Checks read the date through
:func:`today`, which counts the reads; the runner compares :data:`reads` before and after a file
(and a whole run) and keeps a verdict that read the date for that day only (:func:`date_key`).
"""
from __future__ import annotations

import datetime as _dt

reads = 0  # how often a check asked for today's date in this process


def _system_today() -> _dt.date:  # the one source of the date (tests replace it)
    return _dt.date.today()


def today() -> _dt.date:
    """Today's date, for a check; the verdict that uses it is then valid for today only."""
    global reads
    reads += 1
    return _system_today()


def date_key() -> str:
    """The day a date-dependent verdict is valid for, as the cache stores it (not counted as a read)."""
    return _system_today().isoformat()
