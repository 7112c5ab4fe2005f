"""Periods by the Civil Code, with figures worked out by hand from the State Council's notices.

《民法典》第二百零一条第一款: the day of the event is not counted. 第二百零三条第一款: a period whose
last day is a statutory rest day ends on the day after the rest (weekends included, as courts read
法定休假日); a make-up working day (调休上班) is a working day. 第二百零四条: parties may agree
otherwise (``roll: false``).

The calendars are the repository's own records (RL-2020, RL-2024, from 国办发明电〔2019〕16号 and
〔2023〕7号). By hand, 2024: 国庆 10-01..10-07 off, 09-29 (Sun) and 10-12 (Sat) worked; 端午 06-10
(Mon) off; 中秋 09-15..09-17 off, 09-14 (Sat) worked. 2020: 国庆/中秋 10-01..10-08 off, 09-27 (Sun)
and 10-10 (Sat) worked.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from conftest import PROJECT
from yibao.core.calendar import WorkCalendar

NATURAL_DAYS = "自然日"
from yibao.load import strict_yaml
from yibao.core.record import Record


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    records = []
    for year in (2020, 2024):
        path = PROJECT / "records" / "calendar" / f"RL-{year}.yaml"
        data, problems, _ = strict_yaml.load_bytes(path.read_bytes())
        assert not problems
        records.append(Record("calendar", path.relative_to(PROJECT).as_posix(), data))
    return WorkCalendar.from_records(records)


D = dt.date.fromisoformat

# (event day, days, expected last day, why) — natural days, rolled
ROLLED = [
    ("2024-09-26", 3, "2024-09-29", "ends on a make-up Sunday: a working day, not rolled"),
    ("2024-09-27", 3, "2024-09-30", "ends on an ordinary Monday"),
    ("2024-09-28", 3, "2024-10-08", "ends on 10-01, inside National Day: rolled to 10-08, the first working day after"),
    ("2024-09-30", 1, "2024-10-08", "pharmacy next day after 09-30: 10-01 is a holiday"),
    ("2024-10-05", 1, "2024-10-08", "the event itself inside the holiday"),
    ("2024-06-05", 3, "2024-06-11", "ends on Saturday 06-08; Sunday, then 端午 Monday 06-10: rolled to Tuesday"),
    ("2024-10-09", 3, "2024-10-12", "ends on the make-up Saturday 10-12: a working day"),
    ("2024-09-11", 3, "2024-09-14", "ends on the make-up Saturday 09-14 before 中秋"),
    ("2024-09-12", 3, "2024-09-18", "ends on 09-15 (Sunday, 中秋): rolled past 09-16 and 09-17 to 09-18"),
    ("2020-09-28", 3, "2020-10-09", "2020: ends on 10-01, holiday to 10-08: rolled to Friday 10-09"),
    ("2020-09-24", 3, "2020-09-27", "2020: ends on the make-up Sunday 09-27"),
    ("2020-10-07", 3, "2020-10-10", "2020: ends on the make-up Saturday 10-10"),
]


@pytest.mark.parametrize("event, days, expected, why", ROLLED, ids=[r[0] + f"+{r[1]}" for r in ROLLED])
def test_natural_day_period_ends_on_a_working_day(calendar, event, days, expected, why):
    assert calendar.add_days(D(event), days, working=False) == D(expected), why


def test_a_contract_may_agree_not_to_roll(calendar):
    assert calendar.add_days(D("2024-09-28"), 3, working=False, roll=False) == D("2024-10-01")
    assert calendar.add_days(D("2024-06-05"), 3, working=False, roll=False) == D("2024-06-08")


def test_working_day_periods_are_unchanged(calendar):
    # 20 working days after Monday 2020-09-21, counted by hand: 09-22..09-25 (4), Sunday 09-27
    # (worked, 5), 09-28..09-30 (8), holiday to 10-08, 10-09 (9), Saturday 10-10 (worked, 10),
    # 10-12..10-16 (15), 10-19..10-23 (20).
    assert calendar.add_days(D("2020-09-21"), 20, working=True) == D("2020-10-23")


# -- the rule applied to records ------------------------------------------------------------------
DEADLINE = """\
deadlines:
  - id: report-3d
    name: 调查结束后三日内形成调查报告
    applies_to: inspection
    starts: end_date
    ends: report.submitted_on
    days: 3
    day_type: 自然日
"""


def _late_items(tmp_path: Path, yibao, submitted: str, roll: bool = True) -> list[dict]:
    import json

    from conftest import CONTRACT, CONTRACT_ID, INSPECTION, INSPECTION_ID, RECORDS, make_repo

    records = dict(RECORDS)
    records["records/calendar/RL-2024.yaml"] = (PROJECT / "records" / "calendar" / "RL-2024.yaml").read_text(encoding="utf-8")
    inspection = (INSPECTION.replace("start_date: 2024-05-06", "start_date: 2024-09-27")
                  .replace("end_date: 2024-05-07", "end_date: 2024-09-28")
                  .replace("submitted_on: 2024-05-08", f"submitted_on: {submitted}"))
    assert inspection.count("2024-09-2") == 2 and submitted in inspection, "fixture dates changed: update this test"
    [ipath] = [p for p, t in records.items() if t == INSPECTION]
    [cpath] = [p for p, t in records.items() if t == CONTRACT]
    records[ipath] = inspection
    records[cpath] = CONTRACT + DEADLINE + ("" if roll else "    roll: false\n")
    repo = make_repo(tmp_path / f"{submitted}-{roll}", records)
    result = yibao("-C", str(repo.root), "report", "--as-of", "2024-10-20", "--contract", CONTRACT_ID, "--format", "json")
    assert result.rc == 0, result.out + result.err
    data = json.loads(result.out)
    report = data[0] if isinstance(data, list) else data
    return [d for group in report["deadlines"].values() for d in group if d["record"] == INSPECTION_ID]


def test_report_due_on_a_holiday_is_on_time_on_the_next_working_day(tmp_path: Path, yibao):
    """A hospital investigation ending Saturday 2024-09-28: three days end on 10-01, inside National
    Day, so the report is due 10-08. Submitted 10-08: on time. Submitted 10-09: one day late (not 8)."""
    assert _late_items(tmp_path, yibao, "2024-10-08") == []
    [item] = _late_items(tmp_path, yibao, "2024-10-09")
    assert (item["due"], item["rolled_from"], item["status"], item["days_late"]) == ("2024-10-08", "2024-10-01", "逾期完成", 1)
    # the contract says the period does not roll (第二百零四条): due 10-01, eight days late
    [item] = _late_items(tmp_path, yibao, "2024-10-09", roll=False)
    assert (item["due"], item["rolled_from"], item["days_late"]) == ("2024-10-01", None, 8)


def test_no_demo_report_is_late_against_a_due_date_on_a_rest_day(calendar):
    """The demo, as the bureau would read it at the end of Karamay's period: every due date of a
    natural-day rule is a working day (rolled where needed), so nothing is late for a closed office."""
    import json

    from yibao.cli import main
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["-C", str(PROJECT), "report", "--as-of", "2024-11-21", "--format", "json"]) == 0
    items = [d for report in json.loads(out.getvalue()) for group in report["deadlines"].values() for d in group
             if d["kind"] != "milestone" and d["day_type"] == NATURAL_DAYS]
    assert items, "the demo has natural-day deadline items"
    for item in items:
        assert calendar.is_workday(D(item["due"])), item
    rolled = [d for d in items if d["rolled_from"]]
    assert all(not calendar.is_workday(D(d["rolled_from"])) for d in rolled)


def test_shapingba_demo_shows_night_and_day_rounds_separately():
    import json

    from yibao.cli import main
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["-C", str(PROJECT), "report", "--as-of", "2020-12-01", "--contract", "HT-2020-SPB", "--format", "json"]) == 0
    kpis = {k["id"]: k for k in json.loads(out.getvalue())["kpis"]}
    night, day = kpis["onsite_coverage/夜间查房"], kpis["onsite_coverage/日间查房"]
    assert night["denominator"] == day["denominator"] == kpis["onsite_coverage"]["denominator"]
    assert kpis["onsite_coverage"]["numerator"] <= min(night["numerator"], day["numerator"])


def test_the_deadline_tables_say_when_a_due_date_was_rolled():
    from yibao.publish import pages

    item = {"name": "三日内形成调查报告", "starts_on": "2024-09-28", "days": 3, "day_type": NATURAL_DAYS,
            "due": "2024-10-08", "rolled_from": "2024-10-01", "done_on": None, "status": "未到期", "days_late": None,
            "workdays_late": None}
    [(row, _)], _ = pages._deadline_rows(None, [item], "deadlines.md")
    cell = str(row[3])
    assert "2024-10-08" in cell and "2024-10-01" in cell and "顺延" in cell
    [(row, _)], _ = pages._deadline_rows(None, [{**item, "rolled_from": None, "due": "2024-10-01"}], "deadlines.md")
    assert "顺延" not in str(row[3])
