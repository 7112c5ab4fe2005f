"""A record as of a date (yibao.compute.as_of), on hand-made records: what existed, what had
happened, what the status was — and that corrections hold on every date, as in ``yibao report``.
"""
from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import SCHEMAS

from yibao.compute import as_of as A
from yibao.compute.as_of import AsOfRules, record_as_of
from yibao.core.scope import protocol_status
from yibao.compute.view import RecordIndex
from yibao.load import strict_yaml
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet

D = date(2024, 10, 15)


@pytest.fixture(scope="module")
def rules(schemas) -> AsOfRules:
    return AsOfRules(schemas)


def record(kind: str, text: str) -> Record:
    data, problems, _ = strict_yaml.load_bytes(text.encode("utf-8"))
    assert not problems, problems
    return Record(kind, f"records/{kind}/test.yaml", data)


def case(timeline: str, status: str, extra: str = "") -> Record:
    return record("case", f"""\
id: AJ-2024-000001
contract: HT-2024-TEST
source: 举报投诉
subject: {{type: 定点医疗机构, institution: H65020300001}}
violation_types: [重复收费]
money: {{involved: 1000.00, recovered: 800.00}}
actions: [责令退回]
timeline:
{timeline}status: {status}
disclosed: false
{extra}""")


def inspection(status: str, dates: str, extra: str = "") -> Record:
    return record("inspection", f"""\
id: JC-2024-000001
contract: HT-2024-TEST
institution: H65020300001
type: 日常巡查
on_site: true
{dates}inspectors: [RY-A00001]
sampling: {{basis: 病历, period_start: 2022-01-01, period_end: 2023-12-31, population: 100, sampled: 3, problem_records: 1}}
status: {status}
{extra}""")


DECIDED_LATER = """\
  registered_on: 2024-09-01
  filed_on: 2024-09-05
  investigation_ended_on: 2024-09-20
  notified_on: 2024-10-10
  decided_on: 2024-10-20
  closed_on: 2024-10-25
"""


def test_a_case_decided_after_the_date_is_not_decided_on_it(rules):
    original = case(DECIDED_LATER, "已结案")
    before = json.dumps(original.data, sort_keys=True, default=str)
    state = rules.state(original, D)
    assert state.exists and state.later == 2
    assert state.record.get("timeline") == {"registered_on": "2024-09-01", "filed_on": "2024-09-05",
                                            "investigation_ended_on": "2024-09-20", "notified_on": "2024-10-10"}
    assert state.record.get("status") == "已告知"  # the stage of its latest date on or before D
    # what the decision settles is not known before it (amounts: from the day the report counts them)
    assert state.record.get("money") == {"involved": original.get("money.involved")}
    assert not {"actions", "legal_basis", "disclosed"} & set(state.record.data)
    assert rules.state(original, date(2024, 10, 20)).record.get("money.recovered") == original.get("money.recovered")
    assert rules.state(original, date(2024, 10, 20)).record.get("actions") == ["责令退回"]
    assert json.dumps(original.data, sort_keys=True, default=str) == before, "the record itself is never changed"
    # the day it was decided, it was decided; once closed, its recorded status holds
    assert rules.state(original, date(2024, 10, 20)).record.get("status") == "已决定"
    assert rules.state(original, date(2024, 10, 25)).record is original


def test_a_case_registered_after_the_date_does_not_exist_yet(rules):
    later = case("  registered_on: 2024-10-16\n", "已登记")
    assert not rules.state(later, D).exists
    assert rules.state(later, date(2024, 10, 16)).exists


def test_a_protocol_terminated_after_the_date_is_in_force_on_it(rules):
    institution = record("institution", """\
id: H65020300001
name: 测试区人民医院
type: 定点医疗机构
region_code: "650203"
uscc: "12650203MB0000001X"
protocol_history:
  - {status: 正常, since: 2020-01-01}
  - {status: 解除, since: 2024-11-01, document: 测医保协〔2024〕1号, note: 解除定点协议}
""")
    state = rules.state(institution, D)
    assert state.exists and state.later == 1
    assert state.record.get("protocol_history") == [{"status": "正常", "since": "2020-01-01"}]
    # whatever day a page then asks about, the record as of D knows only the status in force on D
    assert protocol_status(state.record, date(2099, 1, 1)) == "正常"
    assert protocol_status(rules.state(institution, date(2024, 11, 1)).record, date(2099, 1, 1)) == "解除"


WITHDRAWAL_LATER = "withdrawal: {date: 2024-11-05, reason: 重复录入, requested_by: 项目负责人}\n"


def test_a_record_withdrawn_after_the_date_stays_withdrawn_as_in_the_report(rules, schemas):
    """Withdrawal corrects the record (it was entered in error): ``yibao report`` never counts a
    withdrawn record, whatever the withdrawal date, and the portal agrees. The withdrawal itself
    (date, reason) is a later entry: not shown, but flagged."""
    checked = inspection("已撤回", "start_date: 2024-09-01\nend_date: 2024-09-02\n", WITHDRAWAL_LATER)
    state = rules.state(checked, D)
    assert state.exists and state.withdrawn_later and state.later == 0
    assert state.record.get("status") == "已撤回"
    assert "withdrawal" not in state.record.data
    index = RecordIndex.build([checked], schemas)
    assert index.live("inspection") == [], "the report's rule: a withdrawn record never counts"
    assert state.record.get("status") in index.withdrawn["inspection"], "and the page says so"
    # a withdrawn case keeps its status even while its timeline reaches past D
    withdrawn_case = case(DECIDED_LATER, "已撤回", WITHDRAWAL_LATER)
    state = rules.state(withdrawn_case, D)
    assert state.record.get("status") == "已撤回" and state.withdrawn_later and state.later == 2
    # withdrawn on or before D: shown as it is
    earlier = case(DECIDED_LATER.replace("10-20", "10-01").replace("10-25", "10-02").replace("10-10", "09-30"), "已撤回",
                   WITHDRAWAL_LATER.replace("2024-11-05", "2024-10-15"))
    assert rules.state(earlier, D).record is earlier


def test_a_training_after_the_date_does_not_exist_yet(rules):
    text = """\
id: PX-2024-000001
contract: HT-2024-TEST
kind: 线下培训
title: 医疗保障基金合规使用培训
start_date: {start}
end_date: {end}
topics: [常见违规行为]
place: {{name: 测试区医保局会议室, scope: 本地}}
status: 有效
"""
    assert not rules.state(record("training", text.format(start="2024-10-28", end="2024-10-28")), D).exists
    running = rules.state(record("training", text.format(start="2024-10-14", end="2024-10-17")), D)
    assert running.exists and running.later == 1 and "end_date" not in running.record.data
    done = record("training", text.format(start="2024-10-14", end="2024-10-15"))
    assert rules.state(done, D).record is done


@pytest.mark.parametrize("dates, report, expected, later", [
    ("start_date: 2024-10-01\nend_date: 2024-10-02\n", "report: {submitted_on: 2024-10-03, document: 测医保查〔2024〕1号, accepted_on: 2024-10-20}\n",
     "已提交报告", 1),
    ("start_date: 2024-10-01\nend_date: 2024-10-02\n", "report: {submitted_on: 2024-10-16, document: 测医保查〔2024〕1号, accepted_on: 2024-10-20}\n",
     "待报告", 1),
    ("start_date: 2024-10-14\nend_date: 2024-10-16\n", "report: {submitted_on: 2024-10-17, document: 测医保查〔2024〕1号}\n",
     "检查中", 2),
])
def test_an_inspection_is_at_the_stage_it_had_reached_on_the_date(rules, dates, report, expected, later):
    recorded = "报告已采纳" if "accepted_on" in report else "已提交报告"
    state = rules.state(inspection(recorded, dates, report), D)
    assert state.record.get("status") == expected and state.later == later
    shown = json.dumps(state.record.data, default=str)
    assert not any(day in shown for day in ("2024-10-16", "2024-10-17", "2024-10-20"))
    if expected == "已提交报告":
        assert state.record.get("report.document") == "测医保查〔2024〕1号"
    else:
        assert state.record.get("report") is None, "a report not yet submitted did not exist"


def test_a_planned_inspection_stays_planned(rules):
    planned = inspection("计划中", "start_date: 2024-10-10\nend_date: 2024-10-20\n")
    state = rules.state(planned, D)
    assert state.record.get("status") == "计划中" and "end_date" not in state.record.data


def test_the_inspection_stages_follow_the_vocabulary(rules):
    assert rules.inspection_stages == (("计划中", None), ("检查中", "start_date"), ("待报告", "end_date"),
                                       ("已提交报告", "report.submitted_on"), ("报告已采纳", "report.accepted_on"))


def test_later_amendments_are_named_and_their_values_kept(rules):
    """Amendments do not record the old values: the state shows the corrected ones (the report
    counts them too) and names the fields corrected after D; the later entries are not shown."""
    amended = case(DECIDED_LATER.replace("10-20", "10-01").replace("10-25", "10-02").replace("10-10", "09-30"), "已结案", """\
amendments:
  - {date: 2024-10-05, reason: 笔误, requested_by: 基金监管科, fields: [summary]}
  - {date: 2024-11-01, reason: 按入账凭证更正, requested_by: 基金监管科, fields: [money.recovered]}
""")
    state = rules.state(amended, D)
    assert state.corrected == ("money.recovered",) and state.later == 0 and state.changed_later
    assert state.record.get("money.recovered") == amended.get("money.recovered")
    assert [a["date"] for a in state.record.get("amendments")] == ["2024-10-05"]


def test_team_members_join_and_leave(rules):
    text = "id: RY-A00001\ncontractor: 测试医保咨询有限公司\ncontracts: [HT-2024-TEST]\nrole: 医学\ntitle: 中级\neducation: 本科\n"
    assert not rules.state(record("staff", text + "joined_on: 2024-10-16\n"), D).exists
    leaving = rules.state(record("staff", text + "joined_on: 2024-03-01\nleft_on: 2024-11-01\n"), D)
    assert leaving.exists and leaving.record.get("left_on") is None and leaving.later == 1
    always = record("staff", text)
    assert rules.state(always, D).record is always


def test_a_milestone_completed_after_the_date_is_not_completed_but_still_due(rules):
    contract = record("contract", """\
id: HT-2024-TEST
name: 测试区医疗保障基金监管服务项目
bureau: 测试区医疗保障局
contractor: 测试医保咨询有限公司
region_code: "650203"
period: {start: 2024-01-01, end: 2024-12-31}
scope: {institutions: [H65020300001]}
targets: []
milestones:
  - {id: plan, name: 提交工作方案, due: 2024-03-31, completed_on: 2024-03-20, evidence: 方案〔2024〕1号}
  - {id: final, name: 提交总结报告, due: 2024-12-31, completed_on: 2024-12-27, evidence: 总结〔2024〕2号}
submitters: [test-user]
""")
    state = rules.state(contract, D)
    assert state.later == 1
    assert state.record.get("milestones") == [
        {"id": "plan", "name": "提交工作方案", "due": "2024-03-31", "completed_on": "2024-03-20", "evidence": "方案〔2024〕1号"},
        {"id": "final", "name": "提交总结报告", "due": "2024-12-31"}]
    assert state.record.get("period.end") == "2024-12-31", "the service period is a term, not a fact"


def test_old_versions_of_any_shape_never_raise(rules):
    """The audit trail passes unvalidated versions from git history through :meth:`content`."""
    odd = [{"timeline": "2024-11-01"}, {"timeline": {"registered_on": 3, "decided_on": [1]}}, {"report": ["x"]},
           {"protocol_history": {"since": "2025-01-01"}}, {"protocol_history": ["x", None, {"since": 5}]},
           {"amendments": [{"date": "2025-01-01", "fields": "money"}]}, {"withdrawal": "2025-01-01"},
           {"status": ["已结案"], "timeline": {"decided_on": "2025-01-01"}}, {"milestones": [1, {"completed_on": "bad"}]}]
    for kind in ("case", "inspection", "institution", "contract", "training", "staff"):
        for data in odd:
            rules.state(Record(kind, "x", data), D)
            rules.content(Record(kind, "x", data), D)
    # a version whose planned start was later than D shows no start date
    moved = inspection("计划中", "start_date: 2024-11-01\nend_date: 2024-11-02\n")
    assert rules.content(moved, D).record.get("start_date") is None


def test_record_as_of_is_the_rules_for_the_schemas(schemas):
    assert A.rules_for(schemas) is A.rules_for(schemas)
    late = case("  registered_on: 2024-10-16\n", "已登记")
    assert record_as_of(late, D, schemas) == AsOfRules(schemas).state(late, D)


def _date_fields(node, path=()):
    """Every field of a raw schema that is a date ($ref to the vocabulary's date)."""
    if not isinstance(node, dict):
        return
    if node.get("$ref", "").endswith("/$defs/date"):
        yield ".".join(path)
    for name, sub in (node.get("properties") or {}).items():
        yield from _date_fields(sub, path + (name,))
    if isinstance(node.get("items"), dict):
        yield from _date_fields(node["items"], path)


def test_every_date_field_of_every_schema_is_classified():
    """A new date field must be put in one group of yibao.compute.as_of, or it could show a later date."""
    schemas = SchemaSet.load(SCHEMAS)
    vocabulary = json.loads((SCHEMAS / "vocabulary.schema.json").read_text(encoding="utf-8"))["$defs"]
    shared = {f"{name}.{field}" for name in ("amendments", "withdrawal") for field in _date_fields(vocabulary[name])}
    assert shared == {"amendments.date", "withdrawal.date"}
    for kind in schemas.kinds:
        if kind == "calendar":
            continue  # the calendar itself: every date in it is a term
        raw = schemas.schemas[kind]
        found = set(_date_fields(raw))
        if "documents" in raw.get("properties", {}):  # a case file's documents (vocabulary.schema.json#/$defs/documents)
            found |= {f"documents.{field}" for field in _date_fields(vocabulary["documents"])}
        for name in ("amendments", "withdrawal"):
            if name in raw.get("properties", {}):
                found |= {f"{name}.date"}
        groups = [{A.EXISTS_FROM[kind]} if kind in A.EXISTS_FROM else set(),
                  {f"{f.at}.{f.date}".lstrip(".") for f in A.FACTS.get(kind, ())},
                  {"amendments.date", "withdrawal.date"} & found,
                  set(A.TERMS.get(kind, ())), set(A.DATA_PERIODS.get(kind, ()))]
        classified = set().union(*groups)
        assert found == classified, f"{kind}: unclassified {found - classified}, unknown {classified - found}"
        assert sum(len(g) for g in groups) == len(classified), f"{kind}: a field in two groups"
