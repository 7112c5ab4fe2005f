"""Procedure deadlines from the law (``deadlines`` of provision records, evaluated by
compute.deadlines for every contract's cases on the working-day calendar).

Worked by hand on the 2024 calendar (records/calendar/RL-2024.yaml: 国庆节 10-01 … 10-07 off,
09-29 (Sun) and 10-12 (Sat) worked): a lead registered on Friday 2024-09-27 must be decided on
(filed, or closed without filing) within 15 working days: 09-29 (1), 09-30 (2), 10-08 … 10-11 (3-6),
10-12 (7), 10-14 … 10-18 (8-12), 10-21 (13), 10-22 (14), 10-23 (15) -> due 2024-10-23. Filing on
10-24 is one working day late. A decision is due 90 natural days after filing: filed 2024-07-21,
due 2024-10-19, a Saturday, so the period runs to Monday 2024-10-21 (《民法典》第二百零三条).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit

PROJECT = Path(__file__).resolve().parents[1]
LEAD = "records/case/2024/AJ-2024-2J6E7G.yaml"          # registered 2024-10-11, filed 2024-10-13
NOT_FILED = "AJ-2024-0TKC99"                             # 不予立案: registered 09-08, closed 09-14
NOTIFIED = "records/case/2024/AJ-2024-8D7J6S.yaml"      # filed 2024-07-21, not decided
FILING = "FT-L4-LA:filing-decision"
DECISION = "FT-XZCFF-60:decision-90-days"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def items(yibao, root: Path, as_of: str = "2024-12-31") -> dict[tuple[str, str], dict]:
    run = yibao("report", "--contract", "HT-2024-KLMY", "--as-of", as_of, "--format", "json", "--no-cache", cwd=root)
    assert run.rc == 0, run.out + run.err
    data = json.loads(run.out)
    report = data[0] if isinstance(data, list) else data
    out = {}
    for status, listed in report["deadlines"].items():
        for item in listed if isinstance(listed, list) else []:
            out[(item["record"], item["rule"])] = {**item, "listed_as": status}
    return out


def test_filing_across_national_day_on_the_fifteenth_working_day_is_on_time(demo, yibao):
    edit(demo, LEAD, "registered_on: 2024-10-11", "registered_on: 2024-09-27")
    edit(demo, LEAD, "filed_on: 2024-10-13", "filed_on: 2024-10-23")
    assert ("AJ-2024-2J6E7G", FILING) not in items(yibao, demo)  # on time: neither late nor overdue


def test_filing_one_working_day_late_is_flagged_with_its_provision(demo, yibao):
    edit(demo, LEAD, "registered_on: 2024-10-11", "registered_on: 2024-09-27")
    edit(demo, LEAD, "filed_on: 2024-10-13", "filed_on: 2024-10-24")
    item = items(yibao, demo)[("AJ-2024-2J6E7G", FILING)]
    assert item["listed_as"] == "late" and item["due"] == "2024-10-23" and item["done_on"] == "2024-10-24"
    assert item["days_late"] == 1 and item["workdays_late"] == 1
    assert "国家医疗保障局令第4号" in item["name"] and "十五个工作日" in item["name"]


def test_a_lead_closed_without_filing_stops_its_clocks(demo, yibao):
    found = items(yibao, demo)
    assert not [key for key in found if key[0] == NOT_FILED]  # decided (not filed) in time, no 90-day clock


def test_the_ninety_day_decision_rolls_past_a_weekend_and_names_the_article(demo, yibao):
    item = items(yibao, demo)[("AJ-2024-8D7J6S", DECISION)]
    assert item["listed_as"] == "overdue" and item["starts_on"] == "2024-07-21"
    assert item["due"] == "2024-10-21" and item["rolled_from"] == "2024-10-19"
    assert "《中华人民共和国行政处罚法》第六十条" in item["name"]


def test_the_ninety_days_are_not_for_agreement_handling(demo, yibao):
    edit(demo, NOTIFIED, "provisions: [FT-L735-40, FT-FWXY-0]", "provisions: [FT-FWXY-0]")
    assert ("AJ-2024-8D7J6S", DECISION) not in items(yibao, demo)


def test_a_decision_in_time_is_not_flagged(demo, yibao):
    edit(demo, NOTIFIED, "  notified_on: 2024-08-06\n", "  notified_on: 2024-08-06\n  decided_on: 2024-10-21\n")
    assert ("AJ-2024-8D7J6S", DECISION) not in items(yibao, demo)


def test_the_report_counts_cases_handled_within_the_legal_deadlines(yibao):
    """As of 2024-12-31 Karamay has 32 leads whose filing decision was due or made (3 still overdue:
    29 on time) and 14 filed cases whose 90-day decision was due or made (AJ-2024-8D7J6S overdue: 13);
    Shapingba's 2020 cases came before both provisions took effect and get no such rate."""
    run = yibao("report", "--as-of", "2024-12-31", "--format", "json", cwd=PROJECT)
    assert run.rc == 0, run.err
    legal = {(r["contract"]["id"], k["id"].split("/", 1)[1]): (k["numerator"], k["denominator"], k["status"])
             for r in json.loads(run.out) for k in r["kpis"] if k["id"].startswith("legal_on_time/")}
    assert legal[("HT-2024-KLMY", FILING)] == (29, 32, None)
    assert legal[("HT-2024-KLMY", DECISION)] == (13, 14, None)
    assert not [key for key in legal if key[0] == "HT-2020-SPB"]
    kpi = next(k for r in json.loads(run.out) if r["contract"]["id"] == "HT-2024-KLMY" for k in r["kpis"]
               if k["id"] == f"legal_on_time/{DECISION}")
    late = [f for f in kpi["facts"] if not f["counts"]]
    assert [f["record"] for f in late] == ["AJ-2024-8D7J6S"] and "第六十条" in kpi["name"]
