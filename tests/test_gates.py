"""``yibao check-changes``: each gate refuses what it must and lets through what it must.

Every test builds a real git repository in a temp dir (see git_fixtures.py): ``main`` holds the
base records, the change is committed on a branch, and the gates compare the branch with main.
"""
from __future__ import annotations

import json

import pytest

from conftest import CONTRACT_ID, STAFF_B
from git_fixtures import (
    ACCEPTED, BUREAU, CLOSED_CASE, CONTRACT_PATH, INSPECTION, NEW_INSPECTION, NEW_INSPECTION_TEXT,
    OTHER_CONTRACT_PATH, OTHER_HOSPITAL, OTHER_SUBMITTER, SUBMITTER, GitRepo,
)
from yibao.check.changes import changed_paths, check_changes as run_gates
from yibao.speed.run import check_repository

AMENDMENT = """\
amendments:
  - date: 2024-05-20
    reason: 医院补退款，追回金额更正
    requested_by: 测试区医疗保障局基金监管科
    fields: [money.recovered]
"""


def check_changes(*args, **kwargs):
    """The gates, validating with the repository check (as ``yibao check-changes`` does)."""
    return run_gates(*args, validate=check_repository, **kwargs)


WITHDRAWAL = """\
withdrawal:
  date: 2024-06-01
  reason: 重复录入，与另一条检查记录为同一次检查
  requested_by: 项目负责人
"""


@pytest.fixture
def gitrepo(tmp_path) -> GitRepo:
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    return repo


def gates(repo: GitRepo, *actors: str):
    report = check_changes(repo.root, "main", "HEAD", actors)
    return report, [d.code for d in report.diagnostics if d.severity == "error"]


# -- the base repository is valid, and an empty change passes ----------------------------------
def test_base_repository_is_valid_and_unchanged_passes(gitrepo, yibao):
    assert yibao("validate", cwd=gitrepo.root).rc == 0
    gitrepo.commit("nothing")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == [] and report.files == 0


# -- refused --------------------------------------------------------------------------------
def test_deleting_a_record_is_refused(gitrepo):
    gitrepo.remove(INSPECTION)
    gitrepo.commit("delete")
    report, errors = gates(gitrepo, SUBMITTER)
    assert "record-deleted" in errors
    [d] = [d for d in report.diagnostics if d.code == "record-deleted"]
    assert d.path == INSPECTION and "已撤回" in d.message and "withdrawal" in d.message


def test_renaming_or_moving_a_record_is_refused(gitrepo):
    gitrepo.git("mv", INSPECTION, "records/inspection/2024/JC-2024-000009.yaml")
    gitrepo.commit("rename")
    report, errors = gates(gitrepo, SUBMITTER)
    assert "record-renamed" in errors
    [d] = [d for d in report.diagnostics if d.code == "record-renamed"]
    assert d.path == "records/inspection/2024/JC-2024-000009.yaml" and INSPECTION in d.message


def test_changing_an_id_is_refused(gitrepo):
    gitrepo.edit(INSPECTION, "id: JC-2024-000001", "id: JC-2024-000002")
    gitrepo.commit("id")
    report, errors = gates(gitrepo, SUBMITTER)
    assert "id-changed" in errors
    [d] = [d for d in report.diagnostics if d.code == "id-changed"]
    assert (d.path, d.line) == (INSPECTION, 1)


def test_changing_a_fact_fixed_at_creation_is_refused(gitrepo):
    gitrepo.edit(INSPECTION, "type: 日常巡查", "type: 专项检查")
    gitrepo.commit("type")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["fixed-field-changed"]
    [d] = report.diagnostics
    assert d.line == 4 and "检查类型" in d.message and "日常巡查" in d.message and "专项检查" in d.message


def test_nested_fixed_facts_come_from_the_schema_annotation(gitrepo):
    gitrepo.edit("records/case/2024/AJ-2024-000001.yaml", "registered_on: 2024-05-10", "registered_on: 2024-05-11")
    gitrepo.commit("registered later")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["fixed-field-changed"]
    assert "timeline.registered_on" in report.diagnostics[0].message


def test_editing_a_closed_case_without_amendment_is_refused(gitrepo):
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.commit("edit closed")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["closed-record-changed"]
    [d] = report.diagnostics
    assert d.path == CLOSED_CASE and "已结案" in d.message and "money.recovered" in d.message
    assert d.line == gitrepo.line_of(CLOSED_CASE, "recovered:")


def test_editing_an_accepted_inspection_without_amendment_is_refused(gitrepo):
    gitrepo.edit(ACCEPTED, "end_date: 2024-04-02", "end_date: 2024-04-03")
    gitrepo.commit("edit accepted")
    _, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["closed-record-changed"]


def test_an_amendment_must_name_every_changed_field(gitrepo):
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.edit(CLOSED_CASE, "involved: 1200.00", "involved: 1500.00")
    gitrepo.append(CLOSED_CASE, AMENDMENT)
    gitrepo.commit("amend partly")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["amendment-fields-missing"]
    assert "money.involved" in report.diagnostics[0].message and "money.recovered" not in report.diagnostics[0].message


def test_existing_amendments_cannot_be_rewritten(tmp_path):
    repo = GitRepo.create(tmp_path)
    repo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    repo.append(CLOSED_CASE, AMENDMENT)
    repo.commit("amended on main")
    repo.branch("pr")
    repo.edit(CLOSED_CASE, "reason: 医院补退款，追回金额更正", "reason: 另一个原因")
    repo.commit("rewrite amendment")
    _, errors = gates(repo, SUBMITTER)
    assert "amendment-altered" in errors


def test_withdrawing_a_closed_case_also_needs_an_amendment(gitrepo):
    gitrepo.edit(CLOSED_CASE, "status: 已结案", "status: 已撤回")
    gitrepo.append(CLOSED_CASE, WITHDRAWAL)
    gitrepo.commit("withdraw closed")
    _, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["closed-record-changed"]


def test_a_withdrawn_record_without_amendments_stays_as_it_is(tmp_path):
    repo = GitRepo.create(tmp_path)
    staff = f"records/staff/{STAFF_B}.yaml"
    repo.append(staff, "status: 已撤回\n" + WITHDRAWAL)
    repo.commit("withdraw staff on main")
    repo.branch("pr")
    repo.edit(staff, "title: 中级", "title: 高级")
    repo.commit("edit withdrawn")
    _, errors = gates(repo, SUBMITTER)
    assert "withdrawn-record-changed" in errors


# -- the actor rule, both ways ------------------------------------------------------------------
def test_a_submitter_may_change_records_of_their_contract(gitrepo):
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已提交报告\nsummary: 现场核查住院病历 30 份")
    gitrepo.commit("summary")
    _, errors = gates(gitrepo, SUBMITTER)
    assert errors == []


def test_an_actor_outside_the_contract_is_refused(gitrepo):
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已提交报告\nsummary: 现场核查住院病历 30 份")
    gitrepo.commit("summary")
    report, errors = gates(gitrepo, OTHER_SUBMITTER)
    assert errors == ["actor-not-submitter"]
    assert OTHER_SUBMITTER in report.diagnostics[0].message and CONTRACT_ID in report.diagnostics[0].message


def test_a_contractor_cannot_add_records_to_another_contract(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("new inspection")
    assert gates(gitrepo, SUBMITTER)[1] == []
    assert gates(gitrepo, OTHER_SUBMITTER)[1] == ["actor-not-submitter"]


def test_institutions_belong_to_the_contracts_whose_scope_takes_them_in(gitrepo):
    gitrepo.edit(f"records/institution/{OTHER_HOSPITAL}.yaml", "name: 另一区人民医院", "name: 另一区第一人民医院")
    gitrepo.commit("rename hospital")
    assert gates(gitrepo, OTHER_SUBMITTER)[1] == []  # in HT-2024-OTHR's scope rule (region 650204)
    assert gates(gitrepo, SUBMITTER)[1] == ["actor-not-submitter"]


def test_every_actor_given_must_be_allowed(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("new inspection")
    assert gates(gitrepo, SUBMITTER, BUREAU)[1] == []
    assert gates(gitrepo, SUBMITTER, OTHER_SUBMITTER)[1] == ["actor-not-submitter"]


def test_contracts_are_changed_by_the_bureau_only(gitrepo):
    gitrepo.edit(CONTRACT_PATH, f"reviewers: [{BUREAU}]", f"reviewers: [{BUREAU}, {SUBMITTER}]")
    gitrepo.commit("make myself a reviewer")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["actor-not-bureau"]
    assert gates(gitrepo, BUREAU)[1] == []


def test_files_outside_records_are_changed_by_the_bureau_only(gitrepo):
    gitrepo.edit("schemas/inspection.schema.json", ', "x-immutable": true}', "}")
    gitrepo.commit("loosen the rules")
    report, errors = gates(gitrepo, SUBMITTER)
    assert "protected-path" in errors
    assert gates(gitrepo, BUREAU)[1] == []


def test_a_bureau_account_may_change_every_contract(gitrepo):
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已提交报告\nnotes: 医保局复核")
    gitrepo.edit(f"records/institution/{OTHER_HOSPITAL}.yaml", "name: 另一区人民医院", "name: 另一区第一人民医院")
    gitrepo.edit(OTHER_CONTRACT_PATH, "target: 1", "target: 0.9")
    gitrepo.commit("bureau edits")
    assert gates(gitrepo, BUREAU)[1] == []
    assert sorted(gates(gitrepo, SUBMITTER)[1]) == ["actor-not-bureau", "actor-not-submitter"]


def test_without_actor_the_actor_rule_is_skipped_and_said_so(gitrepo, yibao):
    gitrepo.edit(f"records/institution/{OTHER_HOSPITAL}.yaml", "name: 另一区人民医院", "name: 另一区第一人民医院")
    gitrepo.commit("edit")
    report, errors = gates(gitrepo)
    assert errors == [] and not report.actor_checked
    run = yibao("check-changes", "--base", "main", cwd=gitrepo.root)
    assert run.rc == 0 and "未指定 --actor" in run.out


# -- let through ------------------------------------------------------------------------------
def test_a_new_inspection_passes(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    gitrepo.commit("new inspection")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == [] and report.files == 1


def test_a_withdrawal_passes(gitrepo):
    gitrepo.edit(INSPECTION, "status: 已提交报告", "status: 已撤回")
    gitrepo.append(INSPECTION, WITHDRAWAL)
    gitrepo.commit("withdraw")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == [], report.diagnostics


def test_an_amendment_with_a_reason_passes(gitrepo):
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.append(CLOSED_CASE, AMENDMENT)
    gitrepo.commit("amend")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == [], report.diagnostics


def test_an_amendment_without_a_reason_is_refused_by_the_schema(gitrepo):
    gitrepo.edit(CLOSED_CASE, "recovered: 1200.00", "recovered: 900.00")
    gitrepo.append(CLOSED_CASE, AMENDMENT.replace("    reason: 医院补退款，追回金额更正\n", ""))
    gitrepo.commit("amend without reason")
    _, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["missing-field"]


def test_filling_in_an_empty_fact_is_not_changing_it(tmp_path):
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    repo.edit("records/case/2024/AJ-2024-000001.yaml", "status: 已立案", "status: 已立案\nsummary: 补充案情")
    repo.commit("summary")
    assert gates(repo, SUBMITTER)[1] == []


# -- validation of the changed records and of the records that reference them ------------------
def test_changed_records_are_validated(gitrepo):
    gitrepo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT.replace("type: 日常巡查", "type: 日常检查"))
    gitrepo.commit("typo")
    report, errors = gates(gitrepo, SUBMITTER)
    assert errors == ["unknown-term"]
    assert report.diagnostics[0].path == NEW_INSPECTION


def test_records_that_reference_a_changed_record_are_validated(gitrepo):
    gitrepo.edit(f"records/staff/{STAFF_B}.yaml", f"contracts: [{CONTRACT_ID}]", "contracts: [HT-2024-OTHR]")
    gitrepo.commit("move staff to the other contract")
    report, errors = gates(gitrepo)
    paths = {d.path for d in report.diagnostics if d.code == "staff-not-on-contract"}
    assert paths == {INSPECTION, ACCEPTED}  # unchanged files, but they name RY-A00002 as inspector


def test_a_duplicate_id_from_a_parallel_pull_request_is_caught(tmp_path):
    # Same ID, same path: git itself refuses the second merge (add/add conflict). Same ID in
    # another allowed place (a record typed by hand into records/inspection/): the gates catch it.
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    repo.commit("mine")
    repo.git("checkout", "-q", "main")
    repo.write("records/inspection/JC-2024-0000N1.yaml", NEW_INSPECTION_TEXT.replace("status: 待报告", "status: 计划中"))
    repo.commit("theirs, merged first")
    repo.git("checkout", "-q", "pr")
    repo.git("merge", "-q", "--no-edit", "main")
    report, errors = gates(repo, SUBMITTER)
    assert errors == ["duplicate-id"]


# -- comparing with the merge base ------------------------------------------------------------
def test_main_moving_on_does_not_look_like_deletions(tmp_path):
    repo = GitRepo.create(tmp_path)
    repo.branch("pr")
    repo.write(NEW_INSPECTION, NEW_INSPECTION_TEXT)
    repo.commit("pr adds one")
    repo.git("checkout", "-q", "main")
    repo.write("records/inspection/2024/JC-2024-0000M1.yaml", NEW_INSPECTION_TEXT.replace("0000N1", "0000M1"))
    repo.commit("main adds another")
    repo.git("checkout", "-q", "pr")
    report, errors = gates(repo, SUBMITTER)
    assert errors == [] and [c.path for c in report.changes] == [NEW_INSPECTION]


def test_head_other_than_the_checkout_is_read_from_git(gitrepo):
    gitrepo.edit(INSPECTION, "type: 日常巡查", "type: 专项检查")
    gitrepo.commit("type")
    gitrepo.git("checkout", "-q", "main")
    report = check_changes(gitrepo.root, "main", "pr", [SUBMITTER])
    assert [d.code for d in report.diagnostics] == ["fixed-field-changed"]


# -- the command line ---------------------------------------------------------------------------
def test_cli_formats_and_exit_codes(gitrepo, yibao):
    gitrepo.remove(INSPECTION)
    gitrepo.commit("delete")
    text = yibao("check-changes", "--base", "main", "--actor", SUBMITTER, cwd=gitrepo.root)
    assert text.rc == 1 and text.only("record-deleted").path == INSPECTION
    github = yibao("check-changes", "--base", "main", "--actor", SUBMITTER, "--format", "github", cwd=gitrepo.root)
    assert github.rc == 1 and f"::error file={INSPECTION},line=1,col=1,title=record-deleted::" in github.out
    data = json.loads(yibao("check-changes", "--base", "main", "--format", "json", cwd=gitrepo.root).out)
    assert data["ok"] is False and data["actor_checked"] is False and data["changed_files"] == [INSPECTION]


def test_cli_unknown_ref_is_a_usage_error(gitrepo, yibao):
    run = yibao("check-changes", "--base", "no-such-branch", cwd=gitrepo.root)
    assert run.rc == 2 and "找不到提交 no-such-branch" in run.err and "Traceback" not in run.err


def test_changed_paths_compares_mappings_key_by_key():
    before = {"a": 1, "m": {"x": 1, "y": 2}, "l": [1, 2], "amendments": []}
    after = {"a": 1, "m": {"x": 1, "y": 3, "z": 0}, "l": [1, 2, 3], "amendments": [{}], "b": True}
    assert changed_paths(before, after, skip=("amendments",)) == [("m", "y"), ("m", "z"), ("l",), ("b",)]
    assert changed_paths({"flag": 1}, {"flag": True}) == [("flag",)]


def test_a_records_repository_in_a_subfolder_of_the_git_repository(tmp_path):
    from git_fixtures import base_records
    from conftest import make_repo

    outer = tmp_path / "outer"
    outer.mkdir()
    inner = make_repo(outer, base_records())  # outer/repo is the records repository
    repo = GitRepo(outer)
    (outer / "README.md").write_text("其他内容\n", encoding="utf-8")
    repo.git("init", "-q", "-b", "main")
    repo.commit("base")
    repo.branch("pr")
    (inner.root / INSPECTION).unlink()
    repo.commit("delete in the subfolder")
    report = check_changes(inner.root, "main", "HEAD", [SUBMITTER])
    assert [(d.code, d.path) for d in report.diagnostics if d.code == "record-deleted"] == [("record-deleted", INSPECTION)]
