"""Records bound to their contract: institutions in its scope, dates in its service period (plus a
grace period the contract may set), the contract's stated counts, and case amounts that add up.

Each rule has a failing and a clean case; errors fail ``yibao validate`` (exit 1), warnings are
shown but pass (exit 0). Every message is Chinese and sits on the line of the field concerned.
"""
from __future__ import annotations

import os
import shutil

from yibao.speed import cache as cache_module
from yibao.speed import run as runner
from yibao.speed.cache import Cache
from yibao.core.schemas import SchemaSet

from conftest import (
    AGENCY, CASE, CASE_ID, CJK, CONTRACT, CONTRACT_ID, HOSPITAL, INSPECTION, INSPECTION_ID, PHARMACY, PROJECT,
    TRAINING, USCC, institution,
)

CT = f"records/contract/{CONTRACT_ID}.yaml"
I = f"records/inspection/2024/{INSPECTION_ID}.yaml"
CS = f"records/case/2024/{CASE_ID}.yaml"
T = "records/training/2024/PX-2024-000001.yaml"
OTHER = "H65020300009"  # a hospital the contract does not list
OTHER_TEXT = institution(HOSPITAL, "定点医疗机构", "测试区第二人民医院").replace(HOSPITAL, OTHER)
RULE_SCOPE = CONTRACT.replace(f"  institutions: [{HOSPITAL}, {PHARMACY}, {AGENCY}]\n",
                              '  rule:\n    region_codes: ["650203"]\n    institution_types: [定点医疗机构, 医保经办机构]\n')


def diagnostics(run, code: str, severity: str = "error") -> list:
    """(path, line, message) of every ``severity[code]`` line."""
    return [d for d in run.diagnostics if d.code == code and f"{severity}[{code}]" in _line_of(run, d)]


def _line_of(run, d) -> str:
    return next(line for line in run.out.splitlines() if line.startswith(f"{d.path}:{d.line}:{d.col}: ") and f"[{d.code}]" in line)


def only(run, code: str, severity: str = "error"):
    hits = diagnostics(run, code, severity)
    assert len(hits) == 1, f"expected one {severity}[{code}]:\n{run.out}"
    assert CJK.search(hits[0].message)
    return hits[0]


# -- scope ------------------------------------------------------------------------------------------------
def test_inspection_of_an_institution_outside_the_listed_scope(full_repo, yibao):
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    full_repo.write(I, INSPECTION.replace(f"institution: {HOSPITAL}", f"institution: {OTHER}"))
    full_repo.remove(CS)  # the case names the hospital of the inspection
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1
    hit = only(run, "out-of-scope")
    assert hit.path == I and hit.line == full_repo.line_of(I, f"institution: {OTHER}")
    assert OTHER in hit.message and CONTRACT_ID in hit.message and "范围内机构 3 家" in hit.message


def test_listed_and_rule_scopes_that_hold_pass(full_repo, yibao):
    assert yibao("validate", cwd=full_repo.root).rc == 0  # listed scope: the hospital is listed
    full_repo.write(CT, RULE_SCOPE)  # rule scope: a hospital of 650203
    full_repo.remove(T)  # its participants are not named; the training has nothing to say here
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    assert not diagnostics(run, "out-of-scope")


def test_rule_scope_names_region_and_types(full_repo, yibao):
    full_repo.write(CT, RULE_SCOPE)
    full_repo.write(I, INSPECTION.replace(f"institution: {HOSPITAL}", f"institution: {PHARMACY}"))
    full_repo.remove(CS)
    run = yibao("validate", cwd=full_repo.root)
    hit = only(run, "out-of-scope")
    assert hit.line == full_repo.line_of(I, f"institution: {PHARMACY}")
    assert "行政区划 650203" in hit.message and "机构类型 定点医疗机构、医保经办机构" in hit.message
    assert "定点零售药店" in hit.message  # what the institution is


def test_case_subject_outside_the_scope(full_repo, yibao):
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    full_repo.write(CS, CASE.replace(f"  institution: {HOSPITAL}", f"  institution: {OTHER}")
                    .replace(f"related_inspections: [{INSPECTION_ID}]\n", ""))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1
    hit = only(run, "out-of-scope")
    assert hit.path == CS and hit.line == full_repo.line_of(CS, f"institution: {OTHER}") and "涉事对象" in hit.message


def test_training_participants_outside_the_scope(full_repo, yibao):
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    full_repo.write(T, TRAINING + f"participant_institutions: [{HOSPITAL}, {OTHER}]\n")
    run = yibao("validate", cwd=full_repo.root)
    hit = only(run, "out-of-scope")
    assert hit.path == T and hit.line == full_repo.line_of(T, OTHER) and OTHER in hit.message and HOSPITAL not in hit.message
    full_repo.write(T, TRAINING + f"participant_institutions: [{HOSPITAL}, {PHARMACY}]\n")
    assert yibao("validate", cwd=full_repo.root).rc == 0


def test_a_withdrawn_record_is_not_judged(full_repo, yibao):
    """Withdrawal is how a record entered under the wrong contract is taken back (never deleted)."""
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    text = INSPECTION.replace(f"institution: {HOSPITAL}", f"institution: {OTHER}").replace("start_date: 2024-05-06", "start_date: 2023-12-20")
    text = text.replace("status: 已提交报告", "status: 已撤回")
    text += "withdrawal:\n  date: 2024-05-10\n  reason: 录入到错误的项目\n  requested_by: 项目负责人\n"
    full_repo.write(I, text)
    full_repo.remove(CS)
    run = yibao("validate", cwd=full_repo.root)
    assert not diagnostics(run, "out-of-scope") and not diagnostics(run, "outside-period"), run.out


# -- service period ---------------------------------------------------------------------------------------
def test_inspection_dates_outside_the_period(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("start_date: 2024-05-06", "start_date: 2023-12-28"))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1
    hit = only(run, "outside-period")
    assert hit.path == I and hit.line == full_repo.line_of(I, "start_date")
    assert "2023-12-28" in hit.message and "2024-01-01 至 2024-12-31" in hit.message and "早于" in hit.message


def test_period_end_and_grace_days(full_repo, yibao):
    late = (INSPECTION.replace("start_date: 2024-05-06", "start_date: 2024-12-30").replace("end_date: 2024-05-07", "end_date: 2025-01-03")
            .replace("submitted_on: 2024-05-08", "submitted_on: 2025-01-04"))
    full_repo.write(I, late)
    full_repo.remove(CS)
    hit = only(yibao("validate", cwd=full_repo.root), "outside-period")
    assert hit.line == full_repo.line_of(I, "end_date") and "晚于" in hit.message
    # a grace period the contract sets: five days after the end still count, the sixth does not
    full_repo.write(CT, CONTRACT.replace("  end: 2024-12-31\n", "  end: 2024-12-31\n  grace_days: 5\n"))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    full_repo.write(I, late.replace("end_date: 2025-01-03", "end_date: 2025-01-06").replace("2025-01-04", "2025-01-07"))
    hit = only(yibao("validate", cwd=full_repo.root), "outside-period")
    assert "宽限 5 天" in hit.message and "2025-01-05" in hit.message


def test_grace_days_must_be_a_whole_number_of_days(full_repo, yibao):
    full_repo.write(CT, CONTRACT.replace("  end: 2024-12-31\n", "  end: 2024-12-31\n  grace_days: -3\n"))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1 and [d for d in run.diagnostics if d.path == CT and d.line == full_repo.line_of(CT, "grace_days")]


def test_case_registration_outside_the_period(full_repo, yibao):
    full_repo.write(CS, CASE.replace("registered_on: 2024-05-10", "registered_on: 2025-01-10").replace("filed_on: 2024-05-15", "filed_on: 2025-01-15"))
    hit = only(yibao("validate", cwd=full_repo.root), "outside-period")
    assert hit.path == CS and hit.line == full_repo.line_of(CS, "registered_on") and "登记日期（2025-01-10）" in hit.message


def test_training_start_outside_the_period(full_repo, yibao):
    full_repo.write(T, TRAINING.replace("2024-06-03", "2023-11-03"))
    hit = only(yibao("validate", cwd=full_repo.root), "outside-period")
    assert hit.path == T and hit.line == full_repo.line_of(T, "start_date")


# -- the contract's stated counts ----------------------------------------------------------------------------
def test_expected_counts_that_disagree_are_a_warning(full_repo, yibao):
    full_repo.write(CT, RULE_SCOPE.replace("targets:", "  expected_counts:\n    定点医疗机构: 2\n    医保经办机构: 1\n    合计: 3\ntargets:"))
    full_repo.remove(T)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out  # a warning: shown, not failing
    hits = diagnostics(run, "expected-count-mismatch", "warning")
    assert sorted(d.line for d in hits) == [full_repo.line_of(CT, "定点医疗机构: 2"), full_repo.line_of(CT, "合计: 3")]
    assert any("定点医疗机构 2 家" in d.message and "有 1 家" in d.message and "行政区划 650203" in d.message for d in hits)
    # one more hospital in the region: the counts agree
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0 and not diagnostics(run, "expected-count-mismatch", "warning"), run.out


def test_expected_counts_of_a_listed_scope_skip_withdrawn_institutions(full_repo, yibao):
    full_repo.write(CT, CONTRACT.replace("targets:", "  expected_counts:\n    定点零售药店: 1\n    合计: 3\ntargets:"))
    assert yibao("validate", cwd=full_repo.root).rc == 0
    pharmacy = institution(PHARMACY, "定点零售药店", "测试大药房")
    full_repo.write(f"records/institution/{PHARMACY}.yaml", pharmacy + "status: 已撤回\nwithdrawal:\n  date: 2024-03-01\n  reason: 重复录入\n  requested_by: 医保局\n")
    run = yibao("validate", cwd=full_repo.root)
    assert {d.line for d in diagnostics(run, "expected-count-mismatch", "warning")} == \
        {full_repo.line_of(CT, "定点零售药店: 1"), full_repo.line_of(CT, "合计: 3")}, run.out


def test_a_withdrawn_institution_of_a_rule_scope_is_not_counted(full_repo, yibao):
    full_repo.write(CT, RULE_SCOPE.replace("targets:", "  expected_counts:\n    定点医疗机构: 1\ntargets:"))
    full_repo.remove(T)
    assert yibao("validate", cwd=full_repo.root).rc == 0
    withdrawn = OTHER_TEXT + "status: 已撤回\nwithdrawal:\n  date: 2024-03-01\n  reason: 重复录入\n  requested_by: 医保局\n"
    full_repo.write(f"records/institution/{OTHER}.yaml", withdrawn)
    run = yibao("validate", cwd=full_repo.root)
    assert not diagnostics(run, "expected-count-mismatch", "warning"), run.out
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)
    assert diagnostics(yibao("validate", cwd=full_repo.root), "expected-count-mismatch", "warning")


def test_checking_some_files_does_not_count_what_it_did_not_load(full_repo, yibao):
    full_repo.write(CT, RULE_SCOPE.replace("targets:", "  expected_counts:\n    合计: 2\ntargets:"))
    assert diagnostics(yibao("validate", cwd=full_repo.root), "expected-count-mismatch", "warning") == []
    run = yibao("validate", CT, cwd=full_repo.root)
    assert run.rc == 0 and "expected-count-mismatch" not in run.out, run.out


def test_counts_after_a_small_change_equal_a_whole_run(full_repo, tmp_path, monkeypatch):
    """The incremental re-check asks the contract again when an institution in its scope changes."""
    monkeypatch.setattr(cache_module, "_RACY_NS", 0)
    full_repo.write(CT, RULE_SCOPE.replace("targets:", "  expected_counts:\n    合计: 2\ntargets:"))
    old = 1_600_000_000
    for path in (full_repo.root / "records").rglob("*.yaml"):
        os.utime(path, (old, old))
    schemas = SchemaSet.load(full_repo.root / "schemas")

    def run(cached: bool):
        cache = Cache(full_repo.root, schemas.fingerprint, tmp_path / "cache") if cached else None
        result = runner.check_repository(full_repo.root, schemas, cache=cache, jobs=1, want_data=False)
        return [d.text() for d in result.diagnostics]

    assert run(True) == run(False) == []
    full_repo.write(f"records/institution/{OTHER}.yaml", OTHER_TEXT)  # added: 3 in scope
    assert run(True) == run(False) and any("expected-count-mismatch" in line for line in run(False))
    full_repo.remove(f"records/institution/{OTHER}.yaml")
    assert run(True) == run(False) == []
    hospital = full_repo.root / f"records/institution/{HOSPITAL}.yaml"
    hospital.write_text(hospital.read_text(encoding="utf-8").replace("type: 定点医疗机构", "type: 定点零售药店"), encoding="utf-8")
    assert run(True) == run(False) and any("expected-count-mismatch" in line for line in run(False))


# -- money ----------------------------------------------------------------------------------------------------
CLOSED_CASE = CASE.replace("status: 已立案", "status: 已决定").replace("  filed_on: 2024-05-15\n", "  filed_on: 2024-05-15\n  decided_on: 2024-06-20\n")


def test_refused_and_recovered_beyond_the_money_involved(full_repo, yibao):
    full_repo.write(CS, CLOSED_CASE + "money:\n  involved: 0.30\n  refused: 0.10\n  recovered: 0.21\n")
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out  # a warning
    hit = only(run, "money-exceeds-involved", "warning")
    assert hit.path == CS and hit.line == full_repo.line_of(CS, "recovered")
    assert "0.31 元" in hit.message and "0.30 元" in hit.message


def test_amounts_that_add_up_exactly_pass(full_repo, yibao):
    # 0.1 + 0.2 > 0.3 in binary floating point; in yuan and fen it is exactly 0.30
    full_repo.write(CS, CLOSED_CASE + "money:\n  involved: 0.3\n  refused: 0.1\n  recovered: 0.2\n")
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0 and "money-exceeds-involved" not in run.out, run.out
    full_repo.write(CS, CLOSED_CASE + "money:\n  involved: 100\n  refused: 101\n")
    hit = only(yibao("validate", cwd=full_repo.root), "money-exceeds-involved", "warning")
    assert hit.line == full_repo.line_of(CS, "refused")


# -- the demo -------------------------------------------------------------------------------------------------
def test_the_demo_is_bound_to_its_contracts(yibao):
    run = yibao("validate", cwd=PROJECT)
    assert run.rc == 0, run.out
    for code in ("out-of-scope", "outside-period", "expected-count-mismatch", "money-exceeds-involved"):
        assert f"[{code}]" not in run.out, run.out
