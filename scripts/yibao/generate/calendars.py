"""Holiday calendars (国务院办公厅 notices) and working days."""
from __future__ import annotations

import datetime as dt

from .common import DAY


# -- calendars: 国务院办公厅 holiday notices ------------------------------------------------------
#: year -> (notice, holidays (name, first day, last day), make-up working days (day, holiday)).
CALENDARS: dict[int, tuple[str, tuple, tuple]] = {
    2021: ("国务院办公厅关于2021年部分节假日安排的通知（国办发明电〔2020〕27号）",
           (("元旦", "2021-01-01", "2021-01-03"), ("春节", "2021-02-11", "2021-02-17"), ("清明节", "2021-04-03", "2021-04-05"),
            ("劳动节", "2021-05-01", "2021-05-05"), ("端午节", "2021-06-12", "2021-06-14"), ("中秋节", "2021-09-19", "2021-09-21"),
            ("国庆节", "2021-10-01", "2021-10-07")),
           (("2021-02-07", "春节"), ("2021-02-20", "春节"), ("2021-04-25", "劳动节"), ("2021-05-08", "劳动节"),
            ("2021-09-18", "中秋节"), ("2021-09-26", "国庆节"), ("2021-10-09", "国庆节"))),
    2022: ("国务院办公厅关于2022年部分节假日安排的通知（国办发明电〔2021〕11号）",
           (("元旦", "2022-01-01", "2022-01-03"), ("春节", "2022-01-31", "2022-02-06"), ("清明节", "2022-04-03", "2022-04-05"),
            ("劳动节", "2022-04-30", "2022-05-04"), ("端午节", "2022-06-03", "2022-06-05"), ("中秋节", "2022-09-10", "2022-09-12"),
            ("国庆节", "2022-10-01", "2022-10-07"), ("元旦", "2022-12-31", "2022-12-31")),
           (("2022-01-29", "春节"), ("2022-01-30", "春节"), ("2022-04-02", "清明节"), ("2022-04-24", "劳动节"),
            ("2022-05-07", "劳动节"), ("2022-10-08", "国庆节"), ("2022-10-09", "国庆节"))),
    2023: ("国务院办公厅关于2023年部分节假日安排的通知（国办发明电〔2022〕16号）",
           (("元旦", "2023-01-01", "2023-01-02"), ("春节", "2023-01-21", "2023-01-27"), ("清明节", "2023-04-05", "2023-04-05"),
            ("劳动节", "2023-04-29", "2023-05-03"), ("端午节", "2023-06-22", "2023-06-24"),
            ("中秋节、国庆节", "2023-09-29", "2023-10-06"), ("元旦", "2023-12-30", "2023-12-31")),
           (("2023-01-28", "春节"), ("2023-01-29", "春节"), ("2023-04-23", "劳动节"), ("2023-05-06", "劳动节"),
            ("2023-06-25", "端午节"), ("2023-10-07", "国庆节"), ("2023-10-08", "国庆节"))),
    2024: ("国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）",
           (("元旦", "2024-01-01", "2024-01-01"), ("春节", "2024-02-10", "2024-02-17"), ("清明节", "2024-04-04", "2024-04-06"),
            ("劳动节", "2024-05-01", "2024-05-05"), ("端午节", "2024-06-10", "2024-06-10"), ("中秋节", "2024-09-15", "2024-09-17"),
            ("国庆节", "2024-10-01", "2024-10-07")),
           (("2024-02-04", "春节"), ("2024-02-18", "春节"), ("2024-04-07", "清明节"), ("2024-04-28", "劳动节"),
            ("2024-05-11", "劳动节"), ("2024-09-14", "中秋节"), ("2024-09-29", "国庆节"), ("2024-10-12", "国庆节"))),
    2025: ("国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
           (("元旦", "2025-01-01", "2025-01-01"), ("春节", "2025-01-28", "2025-02-04"), ("清明节", "2025-04-04", "2025-04-06"),
            ("劳动节", "2025-05-01", "2025-05-05"), ("端午节", "2025-05-31", "2025-06-02"),
            ("国庆节、中秋节", "2025-10-01", "2025-10-08")),
           (("2025-01-26", "春节"), ("2025-02-08", "春节"), ("2025-04-27", "劳动节"), ("2025-09-28", "国庆节"),
            ("2025-10-11", "国庆节"))),
}
SUPPORTED_YEARS = tuple(sorted(CALENDARS))


class Workdays:
    """Working days of the years in :data:`CALENDARS` (weekdays minus holidays plus make-up days)."""

    def __init__(self) -> None:
        self.off: set[dt.date] = set()
        self.on: set[dt.date] = set()
        for _, holidays, makeups in CALENDARS.values():
            for _, first, last in holidays:
                day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
                while day <= end:
                    self.off.add(day)
                    day += DAY
            self.on.update(dt.date.fromisoformat(day) for day, _ in makeups)

    def is_workday(self, day: dt.date) -> bool:
        return day in self.on or (day.weekday() < 5 and day not in self.off)

    def between(self, first: dt.date, last: dt.date) -> list[dt.date]:
        days, day = [], first
        while day <= last:
            if self.is_workday(day):
                days.append(day)
            day += DAY
        return days

    def next(self, day: dt.date) -> dt.date:
        """The first working day on or after ``day``."""
        while not self.is_workday(day):
            day += DAY
        return day

    def previous(self, day: dt.date) -> dt.date:
        """The last working day on or before ``day``."""
        while not self.is_workday(day):
            day -= DAY
        return day

    def add(self, day: dt.date, count: int) -> dt.date:
        """``count`` working days after ``day``."""
        while count > 0:
            day += DAY
            if self.is_workday(day):
                count -= 1
        return day


def calendar_record(year: int) -> dict:
    source, holidays, makeups = CALENDARS[year]
    return {
        "id": f"RL-{year}", "year": year, "source": source,
        "holidays": [{"name": n, "start": dt.date.fromisoformat(a), "end": dt.date.fromisoformat(b)} for n, a, b in holidays],
        "makeup_workdays": [{"date": dt.date.fromisoformat(d), "name": n} for d, n in makeups],
    }
