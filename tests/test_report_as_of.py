"""``yibao report`` and ``yibao diff`` as of a date show nothing dated after it: no record that did
not exist yet in a KPI's records or a deadline, no amount before the day it counts.
"""
from __future__ import annotations

import json

import pytest

from conftest import CASE_ID, CONTRACT_ID, RECORDS, make_repo
from git_fixtures import CLOSED_CASE, GitRepo

CASE = f"records/case/2024/{CASE_ID}.yaml"
CONTRACT = f"records/contract/{CONTRACT_ID}.yaml"
LATER_CASE = "records/case/2024/AJ-2024-00000X.yaml"
LATER_CASE_TEXT = RECORDS[CASE].replace(CASE_ID, "AJ-2024-00000X").replace(
    "  registered_on: 2024-05-10\n  filed_on: 2024-05-15\n",
    "  registered_on: 2024-07-01\n  filed_on: 2024-07-02\n  decided_on: 2024-07-05\n").replace(
    "status: 已立案", "status: 已决定").replace("disclosed: false", "disclosed: false\nmoney: {involved: 5000.00, recovered: 5000.00}")
HANDLING = """\
deadlines:
  - id: handling
    name: 现场检查结束后20个工作日内完成处理
    applies_to: case
    starts: inspection.end_date
    ends: timeline.decided_on
    days: 20
    day_type: 工作日
"""


def report(yibao, root, as_of: str) -> dict:
    run = yibao("report", "--as-of", as_of, "--format", "json", "--no-cache", cwd=root)
    assert run.rc == 0, run.out + run.err
    [found] = json.loads(run.out)
    return found


def test_a_case_registered_later_is_in_no_kpi_and_no_amount(tmp_path, yibao):
    repo = make_repo(tmp_path, {**RECORDS, LATER_CASE: LATER_CASE_TEXT})
    early, late = report(yibao, repo.root, "2024-06-20"), report(yibao, repo.root, "2024-07-05")
    named = {ident for kpi in early["kpis"] for ident in kpi["records"]}
    assert CASE_ID in named and "AJ-2024-00000X" not in named
    assert "AJ-2024-00000X" in {ident for kpi in late["kpis"] for ident in kpi["records"]}
    money = {k["id"]: k["value"] for k in early["kpis"] if k["id"] in ("money_involved", "money_recovered")}
    assert money == {"money_involved": None, "money_recovered": None}


def test_a_handling_deadline_names_no_case_registered_later(tmp_path, yibao):
    later = RECORDS[CASE].replace("registered_on: 2024-05-10", "registered_on: 2024-07-10").replace(
        "filed_on: 2024-05-15", "filed_on: 2024-07-15")
    repo = make_repo(tmp_path, {**RECORDS, CONTRACT: RECORDS[CONTRACT] + HANDLING, CASE: later})
    found = report(yibao, repo.root, "2024-06-20")
    named = [item["record"] for items in found["deadlines"].values() for item in items]
    assert CASE_ID not in named, found["deadlines"]


@pytest.fixture
def gitrepo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    return repo


def diff(yibao, repo, as_of: str) -> str:
    run = yibao("diff", "main", "--as-of", as_of, cwd=repo.root)
    assert run.rc == 0, run.err
    return run.out


def test_diff_counts_a_later_case_and_its_money_only_from_its_dates(gitrepo, yibao):
    gitrepo.write(LATER_CASE, LATER_CASE_TEXT)
    gitrepo.commit("a case registered in July")
    before = diff(yibao, gitrepo, "2024-06-20")
    assert "新增案件线索 1 条" in before, "the change itself is named: it describes the commit"
    assert "### 案件金额" not in before, before
    after = diff(yibao, gitrepo, "2024-07-05")
    assert "| HT-2024-TEST | 涉及金额（元） | 1,200.00 | 6,200.00 | +5,000.00 |" in after
    assert "| HT-2024-TEST | 追回金额（元） | 1,200.00 | 6,200.00 | +5,000.00 |" in after


def test_diff_counts_an_amended_amount_only_from_the_decision(gitrepo, yibao):
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.append(CLOSED_CASE, "amendments:\n  - date: 2024-06-10\n    reason: 部分退款\n    requested_by: 基金监管科\n"
                                "    fields: [money.recovered]\n")
    gitrepo.commit("amend")
    assert "### 案件金额" not in diff(yibao, gitrepo, "2024-03-20"), "decided 2024-04-01: nothing recovered yet"
    assert "| HT-2024-TEST | 追回金额（元） | 1,200.00 | 900.00 | -300.00 |" in diff(yibao, gitrepo, "2024-04-01")
