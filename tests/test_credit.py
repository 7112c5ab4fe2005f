"""Credit grades (compute.credit, yibao credit, the 信用评价 page) under the demo scheme
PJ-2024-KLMY, worked by hand from the demo records:

- H65020300791: case AJ-2024-8QTAZE (decided 2024-08-12; 限期整改、暂停定点协议、责令退回、罚款; cites
  第四十条, whose fine is a multiple of 骗取金额) deducts fraud 30 + suspension 20 + fine 10 + recovery 5
  + warning 3 = 68; inspections JC-2024-PCJ3S3 (3 findings) and JC-2024-G12AS5 (1) deduct 4: score
  100 - 72 = 28, grade D (below C's 70), on the black list by grade from 2024-12-31 for at least 36
  months: until 2027-12-31.
- P65020300832: AJ-2024-GJP2QA (通报批评、责令退回、罚款 under 第三十八条: a loss, not fraud) deducts
  10 + 5 + 3, JC-2024-RBG6WE 1 finding: 100 - 19 = 81, grade C.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit

PROJECT = Path(__file__).resolve().parents[1]
SCHEME = "records/credit_scheme/PJ-2024-KLMY.yaml"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def grades(yibao, root: Path) -> dict[str, dict]:
    run = yibao("credit", "--format", "json", "--no-cache", cwd=root)
    assert run.rc == 0, run.out + run.err
    data = json.loads(run.out)
    assert data["scheme"] == "PJ-2024-KLMY" and data["year"] == 2024
    return {g["institution"]: g for g in data["grades"]}


def test_grades_worked_by_hand(demo, yibao):
    found = grades(yibao, demo)
    worst = found["H65020300791"]
    assert (worst["score"], worst["grade"], worst["black_list"], worst["red_list"]) == (28, "D", True, False)
    assert worst["black_until"] == "2027-12-31"
    assert sorted((d["item"], d["points"], d["record"]) for d in worst["deductions"]) == sorted([
        ("fraud", 30, "AJ-2024-8QTAZE"), ("suspension", 20, "AJ-2024-8QTAZE"), ("fine", 10, "AJ-2024-8QTAZE"),
        ("recovery", 5, "AJ-2024-8QTAZE"), ("warning", 3, "AJ-2024-8QTAZE"),
        ("finding", 3, "JC-2024-PCJ3S3"), ("finding", 1, "JC-2024-G12AS5")])
    assert "第四十条" in worst["deductions"][0]["fact"]
    pharmacy = found["P65020300832"]
    assert (pharmacy["score"], pharmacy["grade"], pharmacy["black_list"]) == (81, "C", False)
    assert len(found) == 160 and sum(g["black_list"] for g in found.values()) == 1


def test_an_institution_without_decisions_is_red_listed(demo, yibao):
    found = grades(yibao, demo)
    clean = [g for g in found.values() if not g["deductions"]]
    assert clean and all(g["grade"] == "A" and g["red_list"] and g["score"] == 100 for g in clean)


def test_thresholds_are_the_records_own(demo, yibao):
    edit(demo, SCHEME, "  - grade: C\n    min_score: 70", "  - grade: C\n    min_score: 20")
    worst = grades(yibao, demo)["H65020300791"]
    assert (worst["grade"], worst["black_list"]) == ("C", False)


def test_a_black_listing_action_lists_from_the_decision(demo, yibao):
    edit(demo, "records/case/2024/AJ-2024-8QTAZE.yaml", "actions: [限期整改, 暂停定点协议, 责令退回, 罚款]",
         "actions: [限期整改, 暂停定点协议, 解除定点协议, 责令退回, 罚款]")
    worst = grades(yibao, demo)["H65020300791"]
    assert worst["black_list"] and "AJ-2024-8QTAZE" in worst["black_reason"] and "解除定点协议" in worst["black_reason"]
    assert worst["black_until"] == "2027-08-12"  # 36 months after the decision of 2024-08-12


def test_the_table_names_every_deduction(demo, yibao):
    run = yibao("credit", "--no-cache", cwd=demo)
    assert run.rc == 0
    assert "160 家机构" in run.out and "黑名单 1 家" in run.out
    assert "H65020300791" in run.out and "-30 欺诈骗取医保基金" in run.out and "JC-2024-PCJ3S3" in run.out


def test_a_missing_scheme_is_a_usage_error(demo, yibao):
    run = yibao("credit", "--scheme", "PJ-2024-NONE", "--no-cache", cwd=demo)
    assert run.rc == 2 and "PJ-2024-NONE" in (run.out + run.err)


def test_the_portal_page_shows_grades_lists_and_facts():
    from portal_demo import project_records, site_as_of
    from yibao.publish.credit import credit_page

    schemas, records = project_records()
    page, text = credit_page(site_as_of(schemas, records, "2024-12-31"))
    assert page == "credit.md"
    assert "H65020300791" in text and "评价等级为 D" in text and "2027-12-31" in text
    assert 'href="cases/AJ-2024-8QTAZE.md"' in text or 'href="cases/AJ-2024-8QTAZE.html"' in text
    assert "结束的交叉检查发现问题 3 项" in text
    early, text_early = credit_page(site_as_of(schemas, records, "2024-06-30"))
    assert early == "credit.md" and "AJ-2024-8QTAZE" not in text_early  # decided 2024-08-12: not yet on 2024-06-30
