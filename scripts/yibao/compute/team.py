"""Teams by posting (派驻): where each team member is posted on a day, and the days a posting requirement is broken.

A staff record says where the person is posted (``postings``: a region code from a date on, a new
entry for each move; the city's own code for city level) and is on the team from ``joined_on`` to
the day before ``left_on``. A contract's ``team_requirements.postings`` asks for at least
``min_each`` people posted in each of its ``regions`` (the contract's scope regions when none are
written: "每县（市、区）至少派驻一名人员"; "市级不少于2名" names the city's code). A requirement
has to hold on every day of the service period, as does every other team requirement:
:func:`breaches` lists each run of days on which one was not met (asked on the days the team can
change: someone joins, leaves or moves). Nothing here reads a vocabulary term; the requirements
and the postings are data.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Callable, Iterable

from ..core.calendar import to_date
from ..core.record import Record

ONE_DAY = _dt.timedelta(days=1)


def on_team(person: Record, day: _dt.date) -> bool:
    """Joined on or before ``day`` and not yet left (the day of leaving is not on the team)."""
    joined, left = to_date(person.get("joined_on")), to_date(person.get("left_on"))
    return (joined is None or joined <= day) and (left is None or left > day)


def posted_region(person: Record, day: _dt.date) -> str | None:
    """The region the person is posted to on ``day``: the latest posting that started by then."""
    region, since = None, None
    for posting in person.get("postings") or []:
        start = to_date(posting.get("from")) if isinstance(posting, dict) else None
        if start is not None and start <= day and (since is None or start >= since):
            region, since = posting.get("region_code"), start
    return region


def requirement_regions(contract: Record, requirement: dict) -> list[str]:
    """The regions a posting requirement names, else the contract's scope regions."""
    regions = requirement.get("regions") or contract.get("scope.rule.region_codes") or []
    return [r for r in regions if isinstance(r, str)]


def posted_on(staff: Iterable[Record], day: _dt.date) -> dict[str, list[str]]:
    """Region code -> IDs of the team members posted there on ``day``."""
    out: dict[str, list[str]] = {}
    for person in staff:
        if on_team(person, day):
            region = posted_region(person, day)
            if region is not None:
                out.setdefault(region, []).append(person.id)
    return out


@dataclass(frozen=True)
class Breach:
    """A run of days on which the team fell short of one requirement (a posting region, a role …)."""

    qualifier: str  # the check's code: posting-441226, min_total, 医学 …
    requirement: str  # the check's name, as the team KPI names it
    start: _dt.date
    end: _dt.date  # inclusive
    have: int  # the fewest on any day of the run
    need: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_json(self) -> dict:
        return {"qualifier": self.qualifier, "requirement": self.requirement, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "days": self.days, "have": self.have, "need": self.need}


def change_days(staff: Iterable[Record], start: _dt.date, end: _dt.date) -> list[_dt.date]:
    """The days in ``[start, end]`` on which who is posted where can change (and ``start``)."""
    days = {start}
    for person in staff:
        for value in (person.get("joined_on"), person.get("left_on"),
                      *[p.get("from") for p in person.get("postings") or [] if isinstance(p, dict)]):
            day = to_date(value)
            if day is not None and start <= day <= end:
                days.add(day)
    return sorted(days)


Check = tuple[str, str, int, int, list[str]]  # (qualifier, name, have, need, staff IDs), as the team KPI's checks


def breaches(contract: Record, staff: list[Record], as_of: _dt.date,
             checks_on: Callable[[_dt.date], list[Check]]) -> list[Breach]:
    """Every run of days from the period's start to ``as_of`` (at most its end) on which a team
    requirement was not met, in date order. ``checks_on(day)`` gives the requirements' checks on a
    day; they are asked only on the days the team can change (:func:`change_days`)."""
    start, end = to_date(contract.get("period.start")), to_date(contract.get("period.end"))
    if start is None or as_of < start:
        return []
    last = min(as_of, end) if end is not None else as_of
    points = change_days(staff, start, last)
    open_runs: dict[str, list] = {}
    out: list[Breach] = []
    for i, day in enumerate(points):
        until = points[i + 1] - ONE_DAY if i + 1 < len(points) else last
        short = {qualifier: (name, have, need) for qualifier, name, have, need, _ in checks_on(day) if have < need}
        for qualifier in [q for q in open_runs if q not in short]:
            name, run_start, run_end, have, need = open_runs.pop(qualifier)
            out.append(Breach(qualifier, name, run_start, run_end, have, need))
        for qualifier, (name, have, need) in short.items():
            run = open_runs.get(qualifier)
            if run is None:
                open_runs[qualifier] = [name, day, until, have, need]
            else:
                run[2], run[3] = until, min(run[3], have)
    out.extend(Breach(q, name, run_start, run_end, have, need) for q, (name, run_start, run_end, have, need) in open_runs.items())
    return sorted(out, key=lambda b: (b.start, b.qualifier))


def posting_checks(contract: Record, staff: list[Record], day: _dt.date) -> list[tuple[str, str, int, int, list[str]]]:
    """(qualifier, name, have, need, staff IDs) per required region on ``day`` (for the team KPI)."""
    posted = posted_on(staff, day)
    out = []
    for requirement in contract.get("team_requirements.postings") or []:
        if not isinstance(requirement, dict) or not isinstance(requirement.get("min_each"), int):
            continue
        for region in requirement_regions(contract, requirement):
            ids = sorted(posted.get(region, []))
            out.append((f"posting-{region}", f"{requirement.get('name')}：派驻 {region} 的人数", len(ids),
                        requirement["min_each"], ids))
    return out

