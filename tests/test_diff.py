"""``yibao diff``: a change in business terms, for the pull-request summary (real git repos)."""
from __future__ import annotations

import json

import pytest

from conftest import CASE_ID, PHARMACY
from git_fixtures import CLOSED_CASE, CONTRACT_PATH, INSPECTION, NEW_INSPECTION, NEW_INSPECTION_TEXT, GitRepo

DEADLINES = """\
deadlines:
  - id: report-pharmacy
    name: 药店调查结束后次日形成调查报告
    applies_to: inspection
    starts: end_date
    ends: report.submitted_on
    days: 1
    day_type: 自然日
    institution_types: [定点零售药店]
"""

PHARMACY_INSPECTION = NEW_INSPECTION_TEXT.replace("institution: H65020300001", f"institution: {PHARMACY}")
CASE = f"records/case/2024/{CASE_ID}.yaml"


@pytest.fixture
def gitrepo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.append(CONTRACT_PATH, DEADLINES)
    repo.commit("a deadline rule")
    repo.branch("pr")
    return repo


def diff(yibao, repo, *args):
    run = yibao("diff", "main", *args, "--as-of", "2024-06-20", cwd=repo.root)
    assert run.rc == 0, run.err
    return run.out


def test_a_new_inspection_moves_the_coverage_kpi(gitrepo, yibao):
    gitrepo.write(NEW_INSPECTION, PHARMACY_INSPECTION)
    gitrepo.commit("inspect the pharmacy")
    out = diff(yibao, gitrepo)
    headline = out.splitlines()[2]
    # three institutions in scope; the hospital was inspected on site, now the pharmacy too
    assert headline.startswith("新增检查 1 条，")
    assert "33.33% → 66.66%" in headline
    # pace by 06-20: 172 of 366 days = 47.0% of 3 = 1.41 institutions, whole: 1; both sides on pace
    assert "| HT-2024-TEST |" in out and "| 33.33% | 66.66% | 进行中 |" in out
    assert "已逾期：JC-2024-0000N1 药店调查结束后次日形成调查报告（截止 2024-06-12，已逾期 8 天）" in out


def test_deadline_warnings_land_on_the_changed_file(gitrepo, yibao):
    gitrepo.write(NEW_INSPECTION, PHARMACY_INSPECTION)
    gitrepo.commit("inspect the pharmacy")
    out = diff(yibao, gitrepo, "--format", "github")
    assert out.splitlines()[0] == (f"::warning file={NEW_INSPECTION},line=1,title=deadline::"
                                   "已逾期：JC-2024-0000N1 药店调查结束后次日形成调查报告（截止 2024-06-12，已逾期 8 天）")
    gitrepo.append(NEW_INSPECTION, "report:\n  submitted_on: 2024-06-12\n  document: 测医保查〔2024〕9号\n")
    gitrepo.edit(NEW_INSPECTION, "status: 待报告", "status: 已提交报告")
    gitrepo.commit("report on time")
    assert "::warning" not in diff(yibao, gitrepo, "--format", "github")


def test_closing_withdrawing_and_amending_are_named(gitrepo, yibao):
    gitrepo.edit(CASE, "status: 已立案", "status: 已结案")
    gitrepo.edit(CASE, "  filed_on: 2024-05-15", "  filed_on: 2024-05-15\n  decided_on: 2024-06-01\n  closed_on: 2024-06-05")
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已撤回")
    gitrepo.append(INSPECTION, "withdrawal:\n  date: 2024-06-01\n  reason: 重复录入\n  requested_by: 项目负责人\n")
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.append(CLOSED_CASE, "amendments:\n  - date: 2024-06-10\n    reason: 部分退款\n    requested_by: 基金监管科\n    fields: [money.recovered]\n")
    gitrepo.commit("close, withdraw, amend")
    out = diff(yibao, gitrepo)
    headline = out.splitlines()[2]
    assert f"案件线索 {CASE_ID} 已结案" in headline and "撤回 JC-2024-000001" in headline and "更正 AJ-2024-0000C1" in headline
    assert f"- 办结：案件线索 {CASE_ID}（已立案 → 已结案）" in out
    assert "- 撤回：检查 JC-2024-000001（原因：重复录入）" in out
    assert "原因：部分退款；提出人：基金监管科" in out
    assert "| HT-2024-TEST | 追回金额（元） | 1,200.00 | 900.00 | -300.00 |" in out
    # the withdrawn inspection was the hospital's only on-site inspection … but the accepted one remains
    data = json.loads(diff(yibao, gitrepo, "--format", "json"))
    assert data["closed"] == [CASE_ID] and data["withdrawn"] == ["JC-2024-000001"]
    assert [a["id"] for a in data["amended"]] == ["AJ-2024-0000C1"]


def test_record_text_is_escaped_in_markdown(gitrepo, yibao):
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已撤回")
    gitrepo.append(INSPECTION, "withdrawal:\n  date: 2024-06-01\n  reason: \"<script>x</script> | [链接](http://x) *粗*\"\n  requested_by: 项目负责人\n")
    gitrepo.commit("withdraw with markup")
    out = diff(yibao, gitrepo)
    line = next(ln for ln in out.splitlines() if ln.startswith("- 撤回"))
    assert line == "- 撤回：检查 JC-2024-000001（原因：\\<script\\>x\\</script\\> \\| \\[链接\\](http://x) \\*粗\\*）"


def test_nothing_changed(gitrepo, yibao):
    gitrepo.commit("empty")
    out = diff(yibao, gitrepo)
    assert out.splitlines()[2] == "记录没有变化" and "考核指标没有变化" in out


def test_unknown_ref_is_a_usage_error(gitrepo, yibao):
    run = yibao("diff", "nope", cwd=gitrepo.root)
    assert run.rc == 2 and "找不到提交 nope" in run.err
