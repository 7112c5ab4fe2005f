"""``yibao validate`` end to end: every class of bad input gives exit 1, the file and line, and a
Chinese message; cross-record rules; personal data; output formats; exit codes; PATH mode.

Repositories are written as text in a temporary directory (see ``conftest.py``); the CLI runs
in-process, and a few times as the installed ``yibao`` console script.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from yibao.core.codes import make_resident_id18, make_uscc

from conftest import (
    AGENCY, CASE, CASE_ID, CJK, CONTRACT_ID, HOSPITAL, INSPECTION, INSPECTION_ID, PHARMACY,
    PROJECT, RECORDS, STAFF_A, STAFF_B, TRAINING, USCC, Run, institution, staff,
)

H = f"records/institution/{HOSPITAL}.yaml"
P = f"records/institution/{PHARMACY}.yaml"
CT = f"records/contract/{CONTRACT_ID}.yaml"
I = f"records/inspection/2024/{INSPECTION_ID}.yaml"
CS = f"records/case/2024/{CASE_ID}.yaml"
T = "records/training/2024/PX-2024-000001.yaml"
HOSPITAL_TEXT = institution(HOSPITAL, "定点医疗机构", "测试区人民医院")

# synthetic personal data: region 990001 does not exist, card numbers are test numbers
ID18 = make_resident_id18("990001" + "19800101" + "123")
ID18_X = next(i for i in (make_resident_id18(f"99000119850615{n:03d}") for n in range(1000)) if i.endswith("X"))
ID15 = "990001" + "800101" + "123"
MOBILE = "13812345678"
CARD = "6222021234567890128"


def check(run: Run, relpath: str, code: str, line: int | None = None, *words: str):
    """The run failed with exit 1, and reported ``code`` for ``relpath`` at ``line``, in Chinese."""
    assert run.rc == 1, run.out + run.err
    assert "Traceback" not in run.err
    hits = [d for d in run.diagnostics if d.path == relpath and d.code == code]
    assert hits, f"no {code} for {relpath} in:\n{run.out}"
    if line is not None:
        assert line in [d.line for d in hits], f"{code} not on line {line}:\n{run.out}"
    for d in hits:
        assert CJK.search(d.message), d.message
    for word in words:
        assert any(word in d.message for d in hits), f"{word!r} not in {[d.message for d in hits]}"
    return hits[0]


# -- the valid repositories ----------------------------------------------------------------------------
def test_valid_repository(full_repo, yibao):
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out
    assert run.diagnostics == []
    assert "检查通过：10 个记录文件" in run.out
    assert "检查 1" in run.out and "案件线索 1" in run.out  # counts per kind, in Chinese
    assert run.err == ""


def test_project_records_are_valid(yibao):
    """The "done when" of the records core: the repository's own records pass."""
    run = yibao("validate", cwd=PROJECT)
    assert run.rc == 0, run.out
    assert "检查通过" in run.out


# -- file-level refusals through the CLI ------------------------------------------------------------
def _with(text: str, line: str) -> str:
    return text + line


LOADER_CASES = [
    # (id, content of the hospital's file, code, line)
    ("not-utf8", HOSPITAL_TEXT.encode("gbk"), "not-utf8", 2),
    ("empty", b"", "empty-file", 1),
    ("comments-only", "# 还没有写\n", "empty-file", 1),
    ("several-documents", HOSPITAL_TEXT + "---\n" + HOSPITAL_TEXT, "multiple-documents", 9),
    ("top-level-list", "- " + HOSPITAL_TEXT.replace("\n", "\n  ").rstrip() + "\n", "not-a-mapping", 1),
    ("top-level-scalar", "H65020300001\n", "not-a-mapping", 1),
    ("duplicate-key", _with(HOSPITAL_TEXT, "name: 另一个名称\n"), "duplicate-key", 9),
    ("anchor", HOSPITAL_TEXT.replace("name: 测试区人民医院", "name: &n 测试区人民医院"), "yaml-anchor", 2),
    ("alias", HOSPITAL_TEXT.replace("name: 测试区人民医院", "name: &n 测试区人民医院") + "notes: *n\n", "yaml-alias", 9),
    ("tag", _with(HOSPITAL_TEXT, "notes: !!str 备注\n"), "yaml-tag", 9),
    ("merge-key", _with(HOSPITAL_TEXT, "<<: {notes: 备注}\n"), "yaml-merge", 9),
    ("syntax", _with(HOSPITAL_TEXT, "notes: [未闭合\n"), "yaml-syntax", 10),
    ("control-character", _with(HOSPITAL_TEXT, "notes: 备\x07注\n"), "control-character", 9),
    ("impossible-date", HOSPITAL_TEXT.replace("since: 2020-01-01", "since: 2024-02-30"), "invalid-date", 8),
    ("timestamp", HOSPITAL_TEXT.replace("since: 2020-01-01", "since: 2024-01-05T10:00:00"), "invalid-date", 8),
] + [
    (f"yaml11-{v}", _with(HOSPITAL_TEXT, f"category: {v}\n"), "ambiguous-value", 9)
    for v in ("no", "on", "yes", "On", "0123", "0x1F", "1_000", "+5", "1e3", ".inf")
]


@pytest.mark.parametrize("content, code, line", [c[1:] for c in LOADER_CASES], ids=[c[0] for c in LOADER_CASES])
def test_file_level_refusal(repo, validate, content, code, line):
    repo.write(H, content)
    run = validate()
    check(run, H, code, line)
    # only the broken file is reported: records that refer to it are not told it is missing
    assert {d.path for d in run.diagnostics} == {H}, run.out


def test_unquoted_decimal_in_a_text_field(repo, validate):
    repo.write(H, _with(HOSPITAL_TEXT, "category: 3.10\n"))
    hit = check(validate(), H, "unquoted-value", 9, '"3.10"')
    assert "3.1 " not in hit.message and "3.1；" not in hit.message  # the value is shown as written


@pytest.mark.parametrize("value", ["2024-1-5", '"2024-02-30"', "2024-02-30", "2024-01-05T10:00:00", '"20240105"', '"2024-01-05 "'])
def test_bad_dates_in_a_date_field(repo, validate, value):
    repo.write(H, HOSPITAL_TEXT.replace("since: 2020-01-01", f"since: {value}"))
    check(validate(), H, "invalid-date", 8)


@pytest.mark.parametrize("value, code", [("-5", "negative-amount"), ("-0.01", "negative-amount"), ("12.345", "fen-fraction"), ("0.001", "fen-fraction")])
def test_bad_amounts(full_repo, yibao, value, code):
    full_repo.write(I, INSPECTION + f"findings:\n  - violation_type: 重复收费\n    description: 重复收取检查费\n    amount: {value}\n")
    check(yibao("validate", cwd=full_repo.root), I, code, 23, value)


def test_good_amounts(full_repo, yibao):
    full_repo.write(I, INSPECTION + "findings:\n  - violation_type: 重复收费\n    description: 重复收取检查费\n    amount: 12480.50\n"
                    "  - violation_type: 超标准收费\n    description: 超标准收取床位费\n    amount: 300\n")
    assert yibao("validate", cwd=full_repo.root).rc == 0


def test_unknown_field_with_nearest_hint(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("  sampled: 30", "  sampeld: 30"))
    run = yibao("validate", cwd=full_repo.root)
    check(run, I, "unknown-field", 14, "sampeld", "是不是 sampled（抽审数）")


def test_unknown_field_without_a_near_name_lists_the_fields(repo, validate):
    repo.write(H, _with(HOSPITAL_TEXT, "zzz: 1\n"))
    check(validate(), H, "unknown-field", 9, "zzz", "可用字段", "protocol_history")


@pytest.mark.parametrize(
    "relpath, old, new, term, nearest",
    [
        (CS, "[重复收费]", "[重复收]", "重复收", "重复收费"),
        (H, "type: 定点医疗机构", "type: 定点医疗机", "定点医疗机", "定点医疗机构"),
        (I, "type: 日常巡查", "type: 日常巡检", "日常巡检", "日常巡查"),
    ],
)
def test_mistyped_term_names_the_nearest(full_repo, yibao, relpath, old, new, term, nearest):
    text = full_repo.root.joinpath(relpath).read_text(encoding="utf-8")
    full_repo.write(relpath, text.replace(old, new))
    line = full_repo.line_of(relpath, term)
    check(yibao("validate", cwd=full_repo.root), relpath, "unknown-term", line, f"“{term}”", f"最接近的是“{nearest}”")


# -- cross-record rules ----------------------------------------------------------------------------------
def test_id_must_equal_file_name(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace(f"id: {INSPECTION_ID}", "id: JC-2024-000009"))
    run = yibao("validate", cwd=full_repo.root)
    check(run, I, "id-mismatch", 1, "JC-2024-000009", f"{INSPECTION_ID}.yaml")
    # the case that refers to the file by its name is not told the record is missing
    assert [d.path for d in run.diagnostics] == [I]


def test_id_unique_across_year_folders(full_repo, yibao):
    other = f"records/inspection/2023/{INSPECTION_ID}.yaml"
    full_repo.write(other, INSPECTION)
    run = yibao("validate", cwd=full_repo.root)
    hit = check(run, I, "duplicate-id", 1, INSPECTION_ID)
    assert other in hit.message
    check(run, other, "wrong-folder", 1)


def test_id_unique_with_and_without_year_folder(full_repo, yibao):
    other = f"records/inspection/{INSPECTION_ID}.yaml"
    full_repo.write(other, INSPECTION)
    run = yibao("validate", cwd=full_repo.root)
    assert run.codes == ["duplicate-id"], run.out
    assert run.rc == 1


@pytest.mark.parametrize(
    "relpath, text, old, new, missing",
    [
        (I, INSPECTION, f"contract: {CONTRACT_ID}", "contract: HT-2024-NONE", "HT-2024-NONE"),
        (I, INSPECTION, f"institution: {HOSPITAL}", "institution: H65020300099", "H65020300099"),
        (I, INSPECTION, f"{STAFF_B}]", "RY-A00099]", "RY-A00099"),
        (CS, CASE, f"institution: {HOSPITAL}", "institution: H65020300099", "H65020300099"),
        (CS, CASE, f"[{INSPECTION_ID}]", "[JC-2024-000099]", "JC-2024-000099"),
        (CS, CASE, f"contract: {CONTRACT_ID}", "contract: HT-2024-NONE", "HT-2024-NONE"),
        (T, TRAINING, f"contract: {CONTRACT_ID}", "contract: HT-2023-TEST", "HT-2023-TEST"),
        (T, TRAINING, f"[{STAFF_A}]", "[RY-A00099]", "RY-A00099"),
        (CT, RECORDS[CT], f"{AGENCY}]", "J65020300099]", "J65020300099"),
    ],
    ids=["inspection-contract", "inspection-institution", "inspection-staff", "case-institution", "case-inspection",
         "case-contract", "training-contract", "training-staff", "contract-scope"],
)
def test_references_resolve(full_repo, yibao, relpath, text, old, new, missing):
    assert old in text
    full_repo.write(relpath, text.replace(old, new))
    run = yibao("validate", cwd=full_repo.root)
    check(run, relpath, "unresolved-reference", full_repo.line_of(relpath, missing), missing, "不存在")


@pytest.mark.parametrize(
    "relpath, text, old, new, later",
    [
        (I, INSPECTION, "end_date: 2024-05-07", "end_date: 2024-05-01", "end_date"),
        (I, INSPECTION, "submitted_on: 2024-05-08", "submitted_on: 2024-05-06", "submitted_on"),
        (I, INSPECTION, "period_end: 2023-12-31", "period_end: 2021-12-31", "period_end"),
        (CS, CASE, "filed_on: 2024-05-15", "filed_on: 2024-05-09", "filed_on"),
        (T, TRAINING, "end_date: 2024-06-03", "end_date: 2024-06-02", "end_date"),
        (CT, RECORDS[CT], "end: 2024-12-31", "end: 2023-12-31", "end:"),
    ],
    ids=["inspection-end", "inspection-report", "inspection-sampling-period", "case-timeline", "training", "contract-period"],
)
def test_dates_in_order(full_repo, yibao, relpath, text, old, new, later):
    full_repo.write(relpath, text.replace(old, new))
    check(yibao("validate", cwd=full_repo.root), relpath, "date-order", full_repo.line_of(relpath, later), "早于")


def test_case_timeline_in_order_over_gaps(full_repo, yibao):
    text = CASE.replace("  filed_on: 2024-05-15\n", "  filed_on: 2024-05-15\n  decided_on: 2024-06-30\n  closed_on: 2024-06-01\n")
    full_repo.write(CS, text.replace("status: 已立案", "status: 已结案"))
    check(yibao("validate", cwd=full_repo.root), CS, "date-order", full_repo.line_of(CS, "closed_on"), "结案", "决定")


def test_equal_dates_are_in_order(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("end_date: 2024-05-07", "end_date: 2024-05-06").replace("submitted_on: 2024-05-08", "submitted_on: 2024-05-06"))
    assert yibao("validate", cwd=full_repo.root).rc == 0


def test_sample_fits_population(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("population: 1000", "population: 20"))
    check(yibao("validate", cwd=full_repo.root), I, "sample-exceeds-population", 14, "30", "20")


def test_problems_fit_sample(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("problem_records: 12", "problem_records: 31"))
    check(yibao("validate", cwd=full_repo.root), I, "problems-exceed-sample", 15, "31", "30")


def test_on_site_inspection_needs_two_inspectors(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace(f"[{STAFF_A}, {STAFF_B}]", f"[{STAFF_A}]"))
    check(yibao("validate", cwd=full_repo.root), I, "too-few-inspectors", 8, "2 人")
    # a desk review (not on site) may be done by one person
    full_repo.write(I, INSPECTION.replace(f"[{STAFF_A}, {STAFF_B}]", f"[{STAFF_A}]").replace("on_site: true", "on_site: false"))
    assert yibao("validate", cwd=full_repo.root).rc == 0


FINDING = "findings:\n  - violation_type: {term}\n    description: 检查发现的问题\n"


@pytest.mark.parametrize(
    "institution_id, inspection_type, violation, code",
    [
        (PHARMACY, "内部审核", None, "inspection-type-mismatch"),
        (HOSPITAL, "内部审核", None, "inspection-type-mismatch"),
        (AGENCY, "夜间查房", None, "inspection-type-mismatch"),
        (HOSPITAL, "日常巡查", "聚敛倒刷医保卡", "violation-type-mismatch"),
        (PHARMACY, "日常巡查", "挂床住院", "violation-type-mismatch"),
        (AGENCY, "稽核", "重复收费", "violation-type-mismatch"),
    ],
)
def test_inspection_types_fit_the_institution(full_repo, yibao, institution_id, inspection_type, violation, code):
    text = INSPECTION.replace(f"institution: {HOSPITAL}", f"institution: {institution_id}").replace("type: 日常巡查", f"type: {inspection_type}")
    if violation:
        text += FINDING.format(term=violation)
    full_repo.write(I, text)
    full_repo.remove(CS)  # the case names the hospital as its subject
    word = violation or inspection_type
    check(yibao("validate", cwd=full_repo.root), I, code, full_repo.line_of(I, word), word)


@pytest.mark.parametrize(
    "institution_id, inspection_type, violation",
    [(AGENCY, "内部审核", "制度审核不全"), (PHARMACY, "进销存核查", "聚敛倒刷医保卡"), (HOSPITAL, "夜间查房", "挂床住院")],
)
def test_inspection_types_that_fit(full_repo, yibao, institution_id, inspection_type, violation):
    text = INSPECTION.replace(f"institution: {HOSPITAL}", f"institution: {institution_id}").replace("type: 日常巡查", f"type: {inspection_type}")
    full_repo.write(I, text + FINDING.format(term=violation))
    full_repo.remove(CS)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 0, run.out


def test_case_violation_types_fit_the_subject(full_repo, yibao):
    person = CASE.replace(f"  type: 定点医疗机构\n  institution: {HOSPITAL}\n", "  type: 参保人员\n  person_code: CB-A0000001\n")
    person = person.replace(f"related_inspections: [{INSPECTION_ID}]\n", "")
    full_repo.write(CS, person.replace("[重复收费]", "[人证不符]"))
    check(yibao("validate", cwd=full_repo.root), CS, "violation-type-mismatch", full_repo.line_of(CS, "人证不符"), "人证不符", "参保人员")
    full_repo.write(CS, person.replace("[重复收费]", "[冒卡（名）就医]"))
    assert yibao("validate", cwd=full_repo.root).rc == 0


def test_case_subject_type_fits_the_institution(full_repo, yibao):
    full_repo.write(CS, CASE.replace("  type: 定点医疗机构", "  type: 定点零售药店").replace("[重复收费]", "[聚敛倒刷医保卡]"))
    check(yibao("validate", cwd=full_repo.root), CS, "subject-type-mismatch", 5, HOSPITAL)


def test_inspector_must_be_on_the_contract(full_repo, yibao):
    full_repo.write(f"records/staff/{STAFF_B}.yaml", staff(STAFF_B).replace(CONTRACT_ID, "HT-2024-KLMY"))
    full_repo.write("records/contract/HT-2024-KLMY.yaml", RECORDS[CT].replace(CONTRACT_ID, "HT-2024-KLMY"))
    check(yibao("validate", cwd=full_repo.root), I, "staff-not-on-contract", 8, STAFF_B)


# -- personal data -----------------------------------------------------------------------------------------
PII_CASES = [
    # (id, relpath, base text, appended lines, field shown, code, secret)
    ("id18-notes", H, HOSPITAL_TEXT, f"notes: 联系人身份证号 {ID18}\n", "notes", "pii-resident-id", ID18),
    ("id18-X", H, HOSPITAL_TEXT, f"notes: 证件 {ID18_X}。\n", "notes", "pii-resident-id", ID18_X),
    ("id18-unquoted", H, HOSPITAL_TEXT, f"category: {ID18}\n", "category", "pii-resident-id", ID18),
    ("id15", H, HOSPITAL_TEXT, f"notes: 旧证号{ID15}\n", "notes", "pii-resident-id", ID15),
    ("mobile", f"records/staff/{STAFF_A}.yaml", staff(STAFF_A, "项目负责人"), f"notes: 电话{MOBILE}\n", "notes", "pii-mobile", MOBILE),
    ("mobile-spaced", f"records/staff/{STAFF_A}.yaml", staff(STAFF_A, "项目负责人"), "notes: 手机 138 1234 5678\n", "notes", "pii-mobile", "138 1234 5678"),
    ("bank-card", T, TRAINING, f"summary: 退款至银行卡 {CARD}\n", "summary", "pii-bank-card", CARD),
    ("finding", I, INSPECTION, f"findings:\n  - violation_type: 重复收费\n    description: 患者 {ID18} 重复收费\n",
     "findings[0].description", "pii-resident-id", ID18),
    ("confidential-field", CS, CASE, f"lead_text: 举报人电话 {MOBILE}\n", "lead_text", "pii-mobile", MOBILE),
    ("in-a-list", I, INSPECTION,
     f"amendments:\n  - date: 2024-06-01\n    reason: 更正\n    requested_by: 医保局\n    fields: [\"{MOBILE}\"]\n",
     "amendments[0].fields[0]", "pii-mobile", MOBILE),
]


@pytest.mark.parametrize("relpath, text, extra, field, code, secret", [c[1:] for c in PII_CASES], ids=[c[0] for c in PII_CASES])
@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_personal_data_is_refused_and_masked(full_repo, yibao, relpath, text, extra, field, code, secret, fmt):
    full_repo.write(relpath, text + extra)
    run = yibao("validate", "--format", fmt, cwd=full_repo.root)
    assert run.rc == 1
    assert secret not in run.out and secret not in run.err  # never printed in full, in any format
    digits = secret.replace(" ", "")
    assert digits not in run.out
    if fmt == "text":
        line = full_repo.line_of(relpath, secret.split()[0])
        hit = check(run, relpath, code, line, f"字段 {field}")
        masked = re.search(r"（([0-9Xx*+ -]+)）", hit.message)[1]
        assert masked[:3] == secret[:3] and masked[-2:] == secret[-2:] and "*" in masked
    elif fmt == "json":
        report = json.loads(run.out)
        assert code in [d["code"] for d in report["diagnostics"]]
    else:
        assert f"title={code}::" in run.out


def test_a_valid_uscc_is_not_a_resident_id(repo, validate):
    # an all-digit 统一社会信用代码 that also passes the resident-ID checksum and date test
    code = next(u for u in (make_uscc(f"12650119800101{n:03d}") for n in range(1000))
                if u[-1].isdigit() and make_resident_id18(u[:17]) == u)
    repo.write(H, HOSPITAL_TEXT.replace(USCC[HOSPITAL], code))
    assert validate().rc == 0
    # control: the same number in free text is taken for a resident ID
    repo.write(H, HOSPITAL_TEXT + f"notes: 代码 {code}\n")
    check(validate(), H, "pii-resident-id", 9)


@pytest.mark.parametrize("bad", ["wrong-check", "lower-case", "letter-I", "short"])
def test_invalid_uscc_is_refused(repo, validate, bad):
    good = USCC[HOSPITAL]
    value = {
        "wrong-check": good[:17] + ("0" if good[17] != "0" else "1"),
        "lower-case": good.lower(),
        "letter-I": good[:8] + "I" + good[9:],
        "short": good[:17],
    }[bad]
    repo.write(H, HOSPITAL_TEXT.replace(good, value))
    run = validate()
    assert run.rc == 1
    assert {"invalid-uscc", "invalid-format"} & set(run.codes), run.out
    assert all(d.line == 5 for d in run.diagnostics), run.out


# -- output formats -------------------------------------------------------------------------------------
def _two_bad_files(repo):
    repo.write(H, HOSPITAL_TEXT.replace("type: 定点医疗机构", "type: 定点医疗机"))
    repo.write(P, institution(PHARMACY, "定点零售药店", "测试大药房") + "foo: 1\n")


def test_json_format(repo, yibao):
    _two_bad_files(repo)
    run = yibao("validate", "--format", "json", cwd=repo.root)
    assert run.rc == 1
    report = json.loads(run.out)
    assert report["ok"] is False and report["errors"] == 2 and report["files"] == 6
    assert [(d["path"], d["line"], d["col"], d["code"]) for d in report["diagnostics"]] == [
        (H, 3, 7, "unknown-term"), (P, 9, 1, "unknown-field")]
    for d in report["diagnostics"]:
        assert CJK.search(d["message"]) and d["severity"] == "error"
    assert report["diagnostics"][0]["field"] == "type"


def test_json_format_when_valid(repo, yibao):
    report = json.loads(yibao("validate", "--format", "json", cwd=repo.root).out)
    assert report == {"ok": True, "files": 6, "errors": 0, "warnings": 0, "diagnostics": []}


def test_github_format(repo, yibao):
    _two_bad_files(repo)
    run = yibao("validate", "--format", "github", cwd=repo.root)
    assert run.rc == 1
    lines = [line for line in run.out.splitlines() if line.startswith("::")]
    pattern = re.compile(r"^::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),title=(?P<code>[a-z-]+)::(?P<msg>.+)$")
    parsed = [pattern.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["file"], m["line"], m["col"], m["code"]) for m in parsed] == [(H, "3", "7", "unknown-term"), (P, "9", "1", "unknown-field")]
    assert all(CJK.search(m["msg"]) for m in parsed)


def test_github_format_escapes_line_breaks(repo, yibao):
    repo.write(CT, RECORDS[CT].replace('region_code: "650203"', 'region_code: "650203\\n"'))
    run = yibao("validate", "--format", "github", cwd=repo.root)
    annotations = [line for line in run.out.splitlines() if line.startswith("::error")]
    assert len(annotations) == 1 and "650203%0A" in annotations[0]


def test_text_format_keeps_one_problem_per_line(repo, yibao):
    repo.write(CT, RECORDS[CT].replace('region_code: "650203"', 'region_code: "650203\\n"'))
    run = yibao("validate", cwd=repo.root)
    check(run, CT, "invalid-format", 5, "650203\\n")
    assert len(run.out.splitlines()) == 3  # one problem, the summary, the counts


# -- exit codes -----------------------------------------------------------------------------------------
def test_usage_errors_exit_2(repo, yibao, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cases = [
        (yibao("validate", cwd=elsewhere), "不在 yibao 记录仓库内"),
        (yibao("-C", str(elsewhere), "validate", cwd=repo.root), "不在 yibao 记录仓库内"),
        (yibao("validate", str(tmp_path / "outside.yaml"), cwd=repo.root), "不在仓库"),
        (yibao("validate", "--bogus", cwd=repo.root), "用法错误"),
        (yibao("validate", "--format", "xml", cwd=repo.root), "用法错误"),
        (yibao(cwd=repo.root), ""),
    ]
    for run, words in cases:
        assert run.rc == 2, run
        assert words in run.err
        assert "Traceback" not in run.err


def test_broken_schema_is_a_usage_error(repo, yibao):
    (repo.root / "schemas" / "inspection.schema.json").write_text("{not json", encoding="utf-8")
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 2
    assert "schema" in run.err and "Traceback" not in run.err


def test_repo_option_finds_the_root_from_a_subfolder(repo, yibao, tmp_path):
    run = yibao("-C", str(repo.root / "records" / "institution"), "validate", cwd=tmp_path)
    assert run.rc == 0, run.out + run.err


YIBAO = shutil.which("yibao")


def _cli(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([YIBAO, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ})


@pytest.mark.skipif(YIBAO is None, reason="console script not installed (pip install -e .)")
def test_console_script_exit_codes(full_repo, tmp_path):
    ok = _cli("validate", cwd=full_repo.root)
    assert ok.returncode == 0 and "检查通过" in ok.stdout, ok.stderr

    marker = tmp_path / "PWNED"
    full_repo.write(H, _with(HOSPITAL_TEXT, f'notes: !!python/object/apply:os.system ["touch {marker}"]\n'))
    full_repo.write(P, b"\xff\xfe" + "乱码".encode("gbk"))
    full_repo.write(I, INSPECTION + "findings:\n  - {violation_type: 重复收费, description: x, amount: -1}\n")
    full_repo.write(T, "- 不是映射\n")
    full_repo.write(CS, CASE + f"notes: {ID18}\n")
    bad = _cli("validate", cwd=full_repo.root)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert not marker.exists()
    assert "Traceback" not in bad.stderr and bad.stderr == ""
    assert ID18 not in bad.stdout
    paths = {line.split(":")[0] for line in bad.stdout.splitlines() if "error[" in line}
    assert paths == {H, P, I, T, CS}

    outside = tmp_path / "outside"
    outside.mkdir()
    usage = _cli("validate", cwd=outside)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr and CJK.search(usage.stderr)
    option = _cli("validate", "--no-such-option", cwd=full_repo.root)
    assert option.returncode == 2 and "Traceback" not in option.stderr


@pytest.mark.skipif(YIBAO is None, reason="console script not installed")
def test_module_entry_point(full_repo):
    run = subprocess.run([sys.executable, "-m", "yibao", "validate", "--format", "json"], cwd=full_repo.root,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and json.loads(run.stdout)["ok"] is True


# -- PATH mode: a file and what it references -----------------------------------------------------------
def test_path_mode_ignores_unrelated_broken_files(full_repo, yibao):
    full_repo.write(T, TRAINING + "foo: 1\n")  # not referenced by the inspection
    run = yibao("validate", I, cwd=full_repo.root)
    assert run.rc == 0, run.out
    assert T not in run.out
    assert yibao("validate", cwd=full_repo.root).rc == 1  # control: the whole repository is not valid


def test_path_mode_reports_missing_references(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace(f"{STAFF_B}]", "RY-A00099]"))
    full_repo.write(T, "broken: [\n")
    run = yibao("validate", I, cwd=full_repo.root)
    check(run, I, "unresolved-reference", 8, "RY-A00099")
    assert T not in run.out


def test_path_mode_checks_referenced_records(full_repo, yibao):
    full_repo.write(H, _with(HOSPITAL_TEXT, "notes: yes\n"))
    run = yibao("validate", I, cwd=full_repo.root)
    check(run, H, "ambiguous-value", 9)
    assert not [d for d in run.diagnostics if d.code == "unresolved-reference"], run.out


def test_path_mode_relative_to_the_current_folder(full_repo, yibao):
    run = yibao("validate", f"{INSPECTION_ID}.yaml", cwd=full_repo.root / "records" / "inspection" / "2024")
    assert run.rc == 0, run.out
    assert "检查通过：1 个记录文件" in run.out


def test_path_mode_duplicate_ids(full_repo, yibao):
    full_repo.write(f"records/inspection/{INSPECTION_ID}.yaml", INSPECTION)
    run = yibao("validate", I, cwd=full_repo.root)
    assert run.rc == 1 and "duplicate-id" in run.codes


def test_path_mode_names_a_path_that_is_not_a_record(full_repo, yibao):
    run = yibao("validate", "schemas/case.schema.json", cwd=full_repo.root)
    assert run.rc == 1
    assert [d.path for d in run.diagnostics] == ["schemas/case.schema.json"]
    assert set(run.codes) == {"not-a-record-file"}


def test_path_mode_refuses_a_missing_file_as_usage_error(full_repo, yibao):
    run = yibao("validate", "records/inspection/2024/JC-2024-999999.yaml", cwd=full_repo.root)
    assert run.rc == 2
    assert "文件不存在：records/inspection/2024/JC-2024-999999.yaml" in run.err


def test_path_mode_paths_are_relative_to_dash_c(full_repo, yibao, tmp_path):
    run = yibao("-C", str(full_repo.root), "validate", I, cwd=tmp_path)
    assert run.rc == 0, run


# -- all errors in one run ------------------------------------------------------------------------------
def test_every_problem_in_one_run(full_repo, yibao):
    text = INSPECTION.replace("type: 日常巡查", "type: 日常巡").replace("population: 1000", "population: 10")
    full_repo.write(I, text.replace("on_site: true", "on_site: true\nfoo: 1"))
    full_repo.write(T, TRAINING.replace("kind: 线下培训", "kind: 线下"))
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1
    assert [(d.path, d.line, d.code) for d in run.diagnostics] == [
        (I, 4, "unknown-term"), (I, 6, "unknown-field"), (I, 15, "sample-exceeds-population"), (T, 3, "unknown-term")]
    assert "10 个记录文件中有 2 个有问题，共 4 个错误" in run.out


def test_stray_files_under_records(repo, yibao):
    repo.write("records/institution/notes.txt", "说明")
    repo.write("records/hospital/H1.yaml", "id: H1\n")
    repo.write("records/README.md", "说明")  # allowed
    run = yibao("validate", cwd=repo.root)
    assert sorted((d.path, d.code) for d in run.diagnostics) == [
        ("records/hospital/H1.yaml", "unknown-kind"), ("records/institution/notes.txt", "not-a-record-file")]


# -- the check cache never changes an answer -------------------------------------------------------------
def _age(repo) -> None:
    """Files older than the cache's racy window, so the cache trusts their stat."""
    for path in (repo.root / "records").rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))


def test_cached_runs_see_new_stray_files(full_repo, yibao):
    _age(full_repo)
    assert yibao("validate", cwd=full_repo.root).rc == 0
    assert yibao("validate", cwd=full_repo.root).rc == 0  # served from the cache
    full_repo.write("records/institution/notes.txt", "说明")
    _age(full_repo)
    run = yibao("validate", cwd=full_repo.root)
    assert run.rc == 1 and run.codes == ["not-a-record-file"]
    full_repo.remove("records/institution/notes.txt")
    assert yibao("validate", cwd=full_repo.root).rc == 0


def test_cached_and_uncached_runs_agree(full_repo, yibao):
    full_repo.write(I, INSPECTION.replace("type: 日常巡查", "type: 日常巡"))
    full_repo.write(H, _with(HOSPITAL_TEXT, "notes: no\n"))
    _age(full_repo)
    first = yibao("validate", cwd=full_repo.root)
    cached = yibao("validate", cwd=full_repo.root)
    fresh = yibao("validate", "--no-cache", cwd=full_repo.root)
    assert first.rc == cached.rc == fresh.rc == 1
    assert first.out == cached.out == fresh.out
    full_repo.write(I, INSPECTION)  # fixed: the cache notices
    run = yibao("validate", cwd=full_repo.root)
    assert [d.path for d in run.diagnostics] == [H]


def test_summary_with_only_warnings_says_the_check_passed():
    """Warnings do not fail a run (exit 0), so the summary must not say it failed."""
    from yibao.core.diagnostics import Diagnostic, summary_line

    warning = Diagnostic("records/case/2024/AJ-2024-000001.yaml", 1, 1, "case-file-incomplete", "案卷不完整", "warning")
    error = Diagnostic("records/case/2024/AJ-2024-000001.yaml", 1, 1, "unknown-field", "未知字段", "error")
    assert summary_line([warning], 3).startswith("检查通过：3 个记录文件") and "1 个提醒" in summary_line([warning], 3)
    assert summary_line([warning, error], 3).startswith("检查未通过")
