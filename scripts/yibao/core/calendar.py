"""Working days, from the repository's calendar records (``records/calendar/RL-<year>.yaml``).

A day is a working day when it is a Monday–Friday that is not inside a published holiday, or a
weekend day published as a make-up working day (调休上班). Only years that have a calendar record
are known: asking about any day of another year raises :class:`CalendarYearMissing` naming that
year. Nothing is guessed, not even "weekdays only" for an unpublished year.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable

from .diagnostics import Diagnostic
from .record import Record, as_date

ONE_DAY = _dt.timedelta(days=1)


class CalendarYearMissing(LookupError):
    """A working-day computation needs a year that has no calendar record."""

    def __init__(self, year: int, needed_for: str = "") -> None:
        self.year = year
        self.needed_for = str(needed_for)  # may be given as an object that writes itself out only now
        super().__init__(f"工作日历缺少 {year} 年（records/calendar/RL-{year}.yaml）" + (f"：{needed_for}" if needed_for else ""))

    def message(self) -> str:
        """The Chinese message for ``error[calendar-year-missing]``."""
        why = f"{self.needed_for}，" if self.needed_for else ""
        return (f"工作日历缺少 {self.year} 年：{why}需要 {self.year} 年的放假和调休安排；"
                f"请按国务院办公厅通知添加 records/calendar/RL-{self.year}.yaml，不能按普通周末推算")


class MissingCalendarYears(Exception):
    """Every :class:`CalendarYearMissing` of one run (a report stops only after collecting all)."""

    def __init__(self, errors: list[CalendarYearMissing]) -> None:
        self.errors = list(errors)
        super().__init__("；".join(e.message() for e in self.first_per_year()))

    @property
    def years(self) -> list[int]:
        return sorted({e.year for e in self.errors})

    def first_per_year(self) -> list[CalendarYearMissing]:
        first: dict[int, CalendarYearMissing] = {}
        for error in self.errors:
            first.setdefault(error.year, error)
        return [first[y] for y in sorted(first)]

    def diagnostics(self) -> list[Diagnostic]:
        """One ``error[calendar-year-missing]`` per missing year, at the file that needs it."""
        out = []
        for error in self.first_per_year():
            count = sum(e.year == error.year for e in self.errors)
            more = f"（共 {count} 项时限需要该年日历）" if count > 1 else ""
            out.append(Diagnostic(f"records/calendar/RL-{error.year}.yaml", 1, 1, "calendar-year-missing",
                                  error.message() + more))
        return out


to_date = as_date  # an ISO date string (as the loader keeps dates) as a date; anything else is None


def _days(start: _dt.date, end: _dt.date) -> Iterable[_dt.date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


@dataclass(frozen=True)
class WorkCalendar:
    years: frozenset[int]
    holidays: frozenset[_dt.date]
    makeup_workdays: frozenset[_dt.date]

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> "WorkCalendar":
        """Build from calendar records (other kinds and invalid records are ignored)."""
        years: set[int] = set()
        holidays: set[_dt.date] = set()
        makeup: set[_dt.date] = set()
        for record in records:
            if record.kind != "calendar" or not record.valid or not isinstance(record.get("year"), int):
                continue
            years.add(record.get("year"))
            for item in record.get("holidays") or []:
                start, end = to_date(item.get("start")), to_date(item.get("end"))
                if start and end:
                    holidays.update(_days(start, end))
            for item in record.get("makeup_workdays") or []:
                day = to_date(item.get("date"))
                if day:
                    makeup.add(day)
        return cls(frozenset(years), frozenset(holidays), frozenset(makeup))

    def covers(self, year: int) -> bool:
        return year in self.years

    def require(self, year: int, needed_for: str = "") -> None:
        if year not in self.years:
            raise CalendarYearMissing(year, needed_for)

    def is_workday(self, day: _dt.date, needed_for: str = "") -> bool:
        self.require(day.year, needed_for)
        if day in self.makeup_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_workdays(self, start: _dt.date, count: int, needed_for: str = "") -> _dt.date:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted).

        "Within 20 working days after the inspection ends" is ``add_workdays(end_date, 20)``;
        the work is on time when done on or before that day.
        """
        day = start
        remaining = count
        while remaining > 0:
            day += ONE_DAY
            if self.is_workday(day, needed_for):
                remaining -= 1
        return day

    def workdays_between(self, after: _dt.date, until: _dt.date, needed_for: str = "") -> int:
        """Working days in ``(after, until]``: how many working days late ``until`` is after ``after``."""
        return sum(1 for day in _days(after + ONE_DAY, until) if self.is_workday(day, needed_for))

    def add_days(self, start: _dt.date, count: int, working: bool, needed_for: str = "", roll: bool = True) -> _dt.date:
        """The last day of a period of ``count`` days after ``start``: working days when ``working``
        (a day type the vocabulary marks ``x-working-days``, 工作日), else natural days (自然日).

        《民法典》第二百零一条第一款: the day of the event is not counted, the period runs from the
        next day. 第二百零三条第一款: when the last day is a statutory rest day (法定休假日; courts
        read it to include weekends), the period ends on the day after the rest ends — here, the
        next working day of the calendar records (a make-up working day is a working day).
        第二百零四条: unless the parties agree otherwise — ``roll=False`` keeps the bare date.
        A working-day period ends on a working day by construction.
        """
        if working:
            return self.add_workdays(start, count, needed_for)
        due = start + _dt.timedelta(days=count)
        if roll:
            while not self.is_workday(due, needed_for):
                due += ONE_DAY
        return due
