"""KPIs and deadlines against figures computed by hand on small fixture repositories.

Two contracts live in the fixture: HT-2024-TEST (Karamay-like rules, region 650203, plus the
Chengjiang-style counts) and HT-2020-TEST (Shapingba-like rules, region 500106). The comment next
to every expected number shows the hand computation. The real calendar records RL-2020 and
RL-2024 are copied in, so the working-day figures follow the published holidays.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path

import pytest

from yibao import cli
from yibao.core.codes import make_uscc
from yibao.speed.run import check_repository
from yibao.compute import deadlines as dl
from yibao.core.calendar import CalendarYearMissing, MissingCalendarYears, WorkCalendar
from yibao.compute.frames import case_status_as_of
from yibao.compute.view import case_stages
from yibao.compute.kpis import METRICS
from yibao.compute.report import build_report
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet

PROJECT = Path(__file__).resolve().parents[1]
D = dt.date.fromisoformat

# -- fixture ---------------------------------------------------------------------------------
A = "HT-2024-TEST"
B = "HT-2020-TEST"
H1, H2, H3, H4 = "H65020300001", "H65020300002", "H65020300003", "H65020300004"
P1, P2, P3 = "P65020300005", "P65020300006", "P65020300007"
J1 = "J65020300008"
OTHER = "H65020400009"  # another district: outside the rule scope
HB1, HB2, HB3 = "H50010600001", "H50010600002", "H50010600003"
STAFF = {"A": "RY-A00001", "B": "RY-A00002", "C": "RY-A00003", "D": "RY-A00004", "E": "RY-A00005",
         "F": "RY-B00001", "G": "RY-B00002"}

CONTRACT_A = f"""\
id: {A}
name: 测试区医疗保障基金监管服务项目
bureau: 测试区医疗保障局
contractor: 测试医保咨询有限公司
region_code: "650203"
period: {{start: 2024-03-01, end: 2024-11-20}}
scope:
  rule:
    region_codes: ["650203"]
    institution_types: [定点医疗机构, 定点零售药店, 医保经办机构]
targets:
  - {{metric: onsite_coverage, name: 现场检查率, target: 1, institution_types: [定点医疗机构, 定点零售药店, 医保经办机构]}}
  - {{metric: record_sampling_rate, name: 病历抽审比例, target: 0.025, institution_types: [定点医疗机构], sampling_basis: 病历, lookback_years: 2}}
  - {{metric: claim_sampling_rate, name: 手工报销材料抽审比例, target: 0.025, institution_types: [医保经办机构], sampling_basis: 手工报销申报材料, lookback_years: 2}}
  - {{metric: problem_discovery_rate, name: 问题病历发现率, target: 0.4, institution_types: [定点医疗机构], sampling_basis: 病历}}
  - {{metric: reports_on_time, name: 医疗机构报告三日内提交, target: 1, institution_types: [定点医疗机构], deadline: report-medical}}
  - {{metric: reports_on_time, name: 药店报告次日提交, target: 1, institution_types: [定点零售药店], deadline: report-pharmacy}}
  - {{metric: trainings_held, name: 线下培训, target: 4, training_kind: 线下培训}}
  - {{metric: training_topics_covered, name: 四项必训主题, target: 4, training_kind: 线下培训, topics: [常见违规行为, 合规收费, 现场巡查方法, 贯彻执行条例]}}
  - {{metric: study_trips, name: 疆内以干代训, target: 4, training_kind: 以干代训, place_scope: 省内, min_bureau_staff: 2}}
  - {{metric: study_trips, name: 疆外以干代训, target: 2, training_kind: 以干代训, place_scope: 省外, min_bureau_staff: 2}}
  - {{metric: team_composition, name: 团队配备, target: 1}}
  - {{metric: cases_on_time, name: 案件五个工作日内决定, target: 1, deadline: case-5wd}}
  - {{metric: institutions_audited, name: 检查稽核机构数, target: 113}}
  - {{metric: records_reviewed, name: 年度病历审核份数, target: 2000, sampling_basis: 病历}}
  - {{metric: special_inspection_institutions, name: 专项检查机构数, target: 12, institution_types: [定点医疗机构]}}
deadlines:
  - {{id: report-medical, name: 医疗机构三日内报告, applies_to: inspection, starts: end_date, ends: report.submitted_on, days: 3, day_type: 自然日, institution_types: [定点医疗机构]}}
  - {{id: report-pharmacy, name: 药店次日报告, applies_to: inspection, starts: end_date, ends: report.submitted_on, days: 1, day_type: 自然日, institution_types: [定点零售药店]}}
  - {{id: case-5wd, name: 检查结束后五个工作日内作出决定, applies_to: case, starts: inspection.end_date, ends: timeline.decided_on, days: 5, day_type: 工作日, on_site_only: true}}
milestones:
  - {{id: m1, name: 人员到位, due: 2024-06-30, completed_on: 2024-06-30}}
  - {{id: m2, name: 中期报告, due: 2024-09-30, completed_on: 2024-10-02}}
  - {{id: m3, name: 培训完成, due: 2024-10-20}}
  - {{id: m4, name: 验收, due: 2024-11-20}}
team_requirements:
  flight_inspection_experience: 1
  roles:
    - {{role: 项目负责人, min: 1}}
    - {{role: 医学, min: 1, qualifications: [执业医师, 执业药师, 护士]}}
    - {{role: 信息, min: 1}}
    - {{role: 财务审计, min: 1, qualifications: [会计师, 审计师, 注册会计师]}}
submitters: [test-user]
"""

CONTRACT_B = f"""\
id: {B}
name: 测试区2020年专项治理
bureau: 测试区医疗保障局
contractor: 测试数据服务有限公司
region_code: "500106"
period: {{start: 2020-05-01, end: 2020-11-30}}
scope:
  rule: {{region_codes: ["500106"], institution_types: [定点医疗机构]}}
targets:
  - {{metric: onsite_coverage, name: 住院医疗机构全覆盖, target: 1, institution_types: [定点医疗机构], inpatient_only: true}}
  - {{metric: record_sampling_rate, name: 住院病历抽取5%, target: 0.05, institution_types: [定点医疗机构], inpatient_only: true, sampling_basis: 住院病历, denominator_year_offset: 1}}
  - {{metric: cases_on_time, name: 二十个工作日内处理, target: 1, deadline: handling}}
deadlines:
  - {{id: handling, name: 现场检查结束后20个工作日内处理, applies_to: case, starts: inspection.end_date, ends: timeline.decided_on, days: 20, day_type: 工作日, on_site_only: true}}
milestones:
  - {{id: p1, name: 制定方案, due: 2020-05-15, completed_on: 2020-05-14}}
  - {{id: p2, name: 自查自纠, due: 2020-06-30, completed_on: 2020-06-30}}
  - {{id: p3, name: 专项治理, due: 2020-10-31, completed_on: 2020-11-06}}
  - {{id: p4, name: 迎接抽查复查, due: 2020-11-30}}
submitters: [test-user]
"""


def institution(ident: str, type_: str, region: str, volumes: str = "", history: str = "", inpatient: bool | None = None) -> str:
    body = ("12" if type_ != "定点零售药店" else "92") + region + "MB" + ident[-7:]
    lines = [f"id: {ident}", f"name: 测试机构{ident[-2:]}", f"type: {type_}", f'region_code: "{region}"',
             f'uscc: "{make_uscc(body)}"', "protocol_history:", "  - {status: 正常, since: 2019-01-01}"]
    if history:
        lines.append(history)
    if inpatient is not None:
        lines.append(f"inpatient_service: {'true' if inpatient else 'false'}")
    if volumes:
        lines.append("volumes:")
        lines += [f"  - {v}" for v in volumes.split(";")]
    return "\n".join(lines) + "\n"


def staff(ident: str, contract: str, role: str, extra: str = "") -> str:
    return f"id: {ident}\ncontractor: 测试医保咨询有限公司\ncontracts: [{contract}]\nrole: {role}\ntitle: 中级\neducation: 本科\n{extra}"


def inspection(ident: str, contract: str, inst: str, type_: str, start: str, end: str, status: str = "已提交报告",
               report: str | None = None, sampling: str = "", on_site: bool = True, extra: str = "") -> str:
    inspectors = "[RY-A00001, RY-A00002]" if contract == A else "[RY-B00001, RY-B00002]"
    text = (f"id: {ident}\ncontract: {contract}\ninstitution: {inst}\ntype: {type_}\non_site: {'true' if on_site else 'false'}\n"
            f"start_date: {start}\nend_date: {end}\ninspectors: {inspectors}\nstatus: {status}\n")
    if report:
        text += f"report: {{submitted_on: {report}, document: 测试〔2024〕1号}}\n"
    if sampling:
        text += f"sampling: {{{sampling}}}\n"
    return text + extra


def sampling(basis: str, population: int, sampled: int, problems: int, start: str = "2022-01-01", end: str = "2023-12-31") -> str:
    return (f"basis: {basis}, period_start: {start}, period_end: {end}, population: {population}, "
            f"sampled: {sampled}, problem_records: {problems}")


def case(ident: str, contract: str, source: str, subject: str, violations: str, timeline: str, status: str,
         related: str = "", money: str = "", extra: str = "") -> str:
    text = (f"id: {ident}\ncontract: {contract}\nsource: {source}\nsubject: {{{subject}}}\nviolation_types: [{violations}]\n"
            f"timeline: {{{timeline}}}\nstatus: {status}\ndisclosed: false\n")
    if related:
        text += f"related_inspections: [{related}]\n"
    if money:
        text += f"money: {{{money}}}\n"
    return text + extra


def training(ident: str, kind: str, start: str, topics: str, scope: str = "本地", bureau_staff: int | None = None, extra: str = "") -> str:
    text = (f"id: {ident}\ncontract: {A}\nkind: {kind}\ntitle: 医疗保障基金合规使用\nstart_date: {start}\nend_date: {start}\n"
            f"topics: [{topics}]\nplace: {{name: 测试会议室, scope: {scope}}}\nstatus: 有效\n")
    if bureau_staff is not None:
        text += f"bureau_staff: {bureau_staff}\n"
    return text + extra


WITHDRAWN = "withdrawal: {date: 2024-10-01, reason: 重复录入, requested_by: 测试区医疗保障局}\n"

FILES = {
    f"records/contract/{A}.yaml": CONTRACT_A,
    f"records/contract/{B}.yaml": CONTRACT_B,
    # contract A: 4 hospitals, 3 pharmacies (one terminated), 1 agency, 1 hospital of another district
    f"records/institution/{H1}.yaml": institution(H1, "定点医疗机构", "650203", "{year: 2022, medical_records: 4000};{year: 2023, medical_records: 6000}"),
    f"records/institution/{H2}.yaml": institution(H2, "定点医疗机构", "650203", "{year: 2022, medical_records: 2000};{year: 2023, medical_records: 2000}"),
    f"records/institution/{H3}.yaml": institution(H3, "定点医疗机构", "650203", "{year: 2023, medical_records: 3000}"),
    f"records/institution/{H4}.yaml": institution(H4, "定点医疗机构", "650203", "{year: 2022, medical_records: 1000};{year: 2023, medical_records: 1000}"),
    f"records/institution/{P1}.yaml": institution(P1, "定点零售药店", "650203"),
    f"records/institution/{P2}.yaml": institution(P2, "定点零售药店", "650203"),
    f"records/institution/{P3}.yaml": institution(P3, "定点零售药店", "650203", history="  - {status: 解除, since: 2024-06-01}"),
    f"records/institution/{J1}.yaml": institution(J1, "医保经办机构", "650203", "{year: 2022, manual_claims: 1000};{year: 2023, manual_claims: 1000}"),
    f"records/institution/{OTHER}.yaml": institution(OTHER, "定点医疗机构", "650204"),
    # contract A team: D joins after 2024-10-15, E left before it, C lacks the finance qualification
    f"records/staff/{STAFF['A']}.yaml": staff(STAFF["A"], A, "项目负责人", "flight_inspection_experience: true\n"),
    f"records/staff/{STAFF['B']}.yaml": staff(STAFF["B"], A, "医学", "qualifications: [执业医师]\n"),
    f"records/staff/{STAFF['C']}.yaml": staff(STAFF["C"], A, "财务审计"),
    f"records/staff/{STAFF['D']}.yaml": staff(STAFF["D"], A, "信息", "joined_on: 2024-11-01\n"),
    f"records/staff/{STAFF['E']}.yaml": staff(STAFF["E"], A, "信息", "joined_on: 2024-03-01\nleft_on: 2024-06-30\n"),
    # contract A inspections
    "records/inspection/2024/JC-2024-000001.yaml": inspection("JC-2024-000001", A, H1, "日常巡查", "2024-09-26", "2024-09-30", report="2024-10-03", sampling=sampling("病历", 10000, 300, 120)),
    "records/inspection/2024/JC-2024-000002.yaml": inspection("JC-2024-000002", A, H2, "日常巡查", "2024-09-27", "2024-09-27", report="2024-10-01", sampling=sampling("病历", 4000, 90, 30)),
    "records/inspection/2024/JC-2024-000003.yaml": inspection("JC-2024-000003", A, H3, "双随机抽查", "2024-05-06", "2024-05-07", report="2024-05-09", sampling=sampling("病历", 3000, 50, 25)),
    "records/inspection/2024/JC-2024-000004.yaml": inspection("JC-2024-000004", A, P1, "日常巡查", "2024-10-10", "2024-10-10", status="待报告"),
    "records/inspection/2024/JC-2024-000005.yaml": inspection("JC-2024-000005", A, P2, "日常巡查", "2024-10-14", "2024-10-14", status="待报告"),
    "records/inspection/2024/JC-2024-000006.yaml": inspection("JC-2024-000006", A, P3, "日常巡查", "2024-05-10", "2024-05-10", report="2024-05-11"),
    "records/inspection/2024/JC-2024-000007.yaml": inspection("JC-2024-000007", A, J1, "内部审核", "2024-07-01", "2024-07-05", report="2024-07-10", sampling=sampling("手工报销申报材料", 2000, 40, 5)),
    "records/inspection/2024/JC-2024-000008.yaml": inspection("JC-2024-000008", A, H4, "日常巡查", "2024-10-18", "2024-10-20", report="2024-10-22"),
    "records/inspection/2024/JC-2024-000009.yaml": inspection("JC-2024-000009", A, H1, "日常巡查", "2024-09-26", "2024-09-30", status="已撤回", sampling=sampling("病历", 10000, 100, 90), extra=WITHDRAWN),
    "records/inspection/2024/JC-2024-00000A.yaml": inspection("JC-2024-00000A", A, H2, "专项检查", "2024-08-01", "2024-08-02", report="2024-08-04"),
    # contract A cases
    "records/case/2024/AJ-2024-000001.yaml": case("AJ-2024-000001", A, "检查发现", f"type: 定点医疗机构, institution: {H1}", "重复收费, 分解收费",
                                                  "registered_on: 2024-10-02, filed_on: 2024-10-05, decided_on: 2024-10-14", "已决定",
                                                  related="JC-2024-000001", money="involved: 1000.10, refused: 1000.10"),
    "records/case/2024/AJ-2024-000002.yaml": case("AJ-2024-000002", A, "检查发现", f"type: 定点医疗机构, institution: {H2}", "重复收费",
                                                  "registered_on: 2024-09-28, decided_on: 2024-10-10, closed_on: 2024-10-12", "已结案",
                                                  related="JC-2024-000002", money="involved: 2000.20, recovered: 2000.20, fined: 4000.40"),
    "records/case/2024/AJ-2024-000003.yaml": case("AJ-2024-000003", A, "举报投诉", f"type: 定点零售药店, institution: {P1}", "聚敛倒刷医保卡",
                                                  "registered_on: 2024-10-12, filed_on: 2024-10-13", "调查中", money="involved: 0.30"),
    "records/case/2024/AJ-2024-000004.yaml": case("AJ-2024-000004", A, "上级交办", f"type: 定点零售药店, institution: {P2}", "聚敛倒刷医保卡",
                                                  "registered_on: 2024-10-20", "已登记", money="involved: 99.99"),
    "records/case/2024/AJ-2024-000005.yaml": case("AJ-2024-000005", A, "数据筛查", f"type: 定点医疗机构, institution: {H1}", "重复收费",
                                                  "registered_on: 2024-09-01", "已撤回", money="involved: 5000.00", extra=WITHDRAWN),
    # contract A trainings and study trips
    "records/training/2024/PX-2024-000001.yaml": training("PX-2024-000001", "线下培训", "2024-04-10", "常见违规行为, 合规收费"),
    "records/training/2024/PX-2024-000002.yaml": training("PX-2024-000002", "线下培训", "2024-06-12", "现场巡查方法"),
    "records/training/2024/PX-2024-000003.yaml": training("PX-2024-000003", "线下培训", "2024-10-20", "贯彻执行条例"),
    "records/training/2024/PX-2024-000004.yaml": training("PX-2024-000004", "线上培训", "2024-05-05", "贯彻执行条例"),
    "records/training/2024/PX-2024-000005.yaml": training("PX-2024-000005", "线下培训", "2024-07-01", "贯彻执行条例",
                                                          extra=WITHDRAWN).replace("status: 有效", "status: 已撤回"),
    "records/training/2024/PX-2024-000006.yaml": training("PX-2024-000006", "以干代训", "2024-05-20", "飞行检查实务", "省内", 2),
    "records/training/2024/PX-2024-000007.yaml": training("PX-2024-000007", "以干代训", "2024-06-20", "飞行检查实务", "省内", 1),
    "records/training/2024/PX-2024-000008.yaml": training("PX-2024-000008", "以干代训", "2024-07-15", "飞行检查实务", "省外", 2),
    # contract B: two hospitals with inpatient service, one without
    f"records/institution/{HB1}.yaml": institution(HB1, "定点医疗机构", "500106", "{year: 2019, inpatient_stays: 2000}", inpatient=True),
    f"records/institution/{HB2}.yaml": institution(HB2, "定点医疗机构", "500106", "{year: 2019, inpatient_stays: 1000}", inpatient=True),
    f"records/institution/{HB3}.yaml": institution(HB3, "定点医疗机构", "500106", inpatient=False),
    f"records/staff/{STAFF['F']}.yaml": staff(STAFF["F"], B, "项目负责人"),
    f"records/staff/{STAFF['G']}.yaml": staff(STAFF["G"], B, "医学"),
    "records/inspection/2020/JC-2020-000001.yaml": inspection("JC-2020-000001", B, HB1, "病历审核", "2020-09-21", "2020-09-25", report="2020-09-30",
                                                              sampling=sampling("住院病历", 2000, 100, 10, "2019-01-01", "2019-12-31")),
    "records/inspection/2020/JC-2020-000002.yaml": inspection("JC-2020-000002", B, HB2, "病历审核", "2020-10-12", "2020-10-16", report="2020-10-20",
                                                              sampling=sampling("住院病历", 1000, 40, 8, "2019-01-01", "2019-12-31")),
    "records/case/2020/AJ-2020-000001.yaml": case("AJ-2020-000001", B, "检查发现", f"type: 定点医疗机构, institution: {HB1}", "挂床住院",
                                                  "registered_on: 2020-09-28, decided_on: 2020-10-29", "已决定", related="JC-2020-000001"),
    "records/case/2020/AJ-2020-000002.yaml": case("AJ-2020-000002", B, "检查发现", f"type: 定点医疗机构, institution: {HB2}", "串换项目收费",
                                                  "registered_on: 2020-10-19, decided_on: 2020-11-16", "已决定", related="JC-2020-000002"),
}


def write_repo(root: Path, files: dict[str, str], calendars: tuple[int, ...] = (2020, 2024)) -> Path:
    shutil.copytree(PROJECT / "schemas", root / "schemas")
    for year in calendars:
        target = root / f"records/calendar/RL-{year}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(PROJECT / f"records/calendar/RL-{year}.yaml", target)
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def load(root: Path) -> tuple[list[Record], SchemaSet]:
    schemas = SchemaSet.load(root / "schemas")
    result = check_repository(root, schemas, jobs=1)
    assert result.ok, "\n".join(d.text() for d in result.errors)  # the fixture itself must be valid
    return result.records, schemas


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return load(write_repo(tmp_path_factory.mktemp("compute") / "repo", FILES))


def report(fixture, as_of: str, contract: str = A) -> dict:
    records, schemas = fixture
    [one] = build_report(records, schemas, D(as_of), contract)
    return one


def kpi(rep: dict, ident: str) -> dict:
    found = [k for k in rep["kpis"] if k["id"] == ident]
    assert len(found) == 1, (ident, [k["id"] for k in rep["kpis"]])
    return found[0]


def figures(rep: dict, ident: str) -> tuple:
    k = kpi(rep, ident)
    return k["numerator"], k["denominator"], k["value"], k["status"]


# -- calendar ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def calendar(fixture):
    records, _ = fixture
    return WorkCalendar.from_records(records)


def test_national_day_2024_with_makeup_workdays(calendar):
    assert calendar.is_workday(D("2024-09-29"))  # Sunday, worked (调休上班)
    assert calendar.is_workday(D("2024-10-12"))  # Saturday, worked
    assert not any(calendar.is_workday(D(f"2024-10-0{d}")) for d in range(1, 8))
    assert not calendar.is_workday(D("2024-10-13"))  # an ordinary Sunday
    assert calendar.add_workdays(D("2024-09-27"), 1) == D("2024-09-29")  # Fri -> the worked Sunday
    assert calendar.add_workdays(D("2024-09-30"), 1) == D("2024-10-08")  # across the whole holiday
    assert calendar.add_workdays(D("2024-09-30"), 5) == D("2024-10-12")  # 10/8, 9, 10, 11, worked Sat 12
    assert calendar.workdays_between(D("2024-10-12"), D("2024-10-14")) == 1  # Sunday 13 is off


def test_shapingba_20_working_days_across_national_day_2020(calendar):
    # 2020-09-25 (Fri) + 20 working days: 9/27 (worked Sun), 9/28-30, [10/1-10/8 off], 10/9,
    # 10/10 (worked Sat), 10/12-16, 10/19-23, 10/26-29 -> 2020-10-29
    assert calendar.add_workdays(D("2020-09-25"), 20) == D("2020-10-29")
    assert not calendar.is_workday(D("2020-02-01"))  # the extended Spring Festival cancelled this make-up day


def test_missing_calendar_year_is_an_error_naming_the_year(calendar):
    with pytest.raises(CalendarYearMissing) as caught:
        calendar.add_workdays(D("2024-12-27"), 5)
    assert caught.value.year == 2025
    assert "2025" in caught.value.message() and "RL-2025" in caught.value.message()
    with pytest.raises(CalendarYearMissing):
        calendar.is_workday(D("2023-06-01"))


@pytest.mark.parametrize("year", [2020, 2024, 2025])
def test_calendar_records_agree_with_chinesecalendar(year):
    chinese_calendar = pytest.importorskip("chinese_calendar")
    schemas = SchemaSet.load(PROJECT / "schemas")
    result = check_repository(PROJECT, schemas, [f"records/calendar/RL-{year}.yaml"], jobs=1)
    assert result.ok, [d.text() for d in result.errors]
    calendar = WorkCalendar.from_records(result.records)
    day = dt.date(year, 1, 1)
    mismatches = []
    while day.year == year:
        if calendar.is_workday(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += dt.timedelta(days=1)
    assert mismatches == []


# -- deadlines ---------------------------------------------------------------------------------
def test_report_on_the_deadline_day_is_on_time_and_the_day_after_is_late(fixture):
    rep = report(fixture, "2024-10-15")
    late = {d["record"]: d for d in rep["deadlines"]["late"]}
    # JC-2024-000001 ended 9/30, report 10/3 = 9/30 + 3 days: on time, not listed as late
    assert "JC-2024-000001" not in late
    # JC-2024-000002 ended 9/27, due 9/30, report 10/1: accepted, flagged late by 1 day
    assert late["JC-2024-000002"]["due"] == "2024-09-30"
    assert late["JC-2024-000002"]["days_late"] == 1 and late["JC-2024-000002"]["status"] == "逾期完成"


def test_overdue_and_due_soon_as_of(fixture):
    rep = report(fixture, "2024-10-15")
    overdue = [(d["record"], d["rule"], d["due"], d["days_late"]) for d in rep["deadlines"]["overdue"]]
    # pharmacy P1 ended 10/10, due 10/11, no report: 4 days overdue
    assert overdue == [("JC-2024-000004", "report-pharmacy", "2024-10-11", 4)]
    due_soon = [(d["record"], d["rule"], d["due"]) for d in rep["deadlines"]["due_soon"]]
    # pharmacy P2 ended 10/14, due today; milestone m3 due 10/20 (5 days)
    assert due_soon == [("JC-2024-000005", "report-pharmacy", "2024-10-15"), (A, "m3", "2024-10-20")]


def test_due_soon_window_is_seven_days(fixture):
    def soon(as_of):
        return [d["rule"] for d in report(fixture, as_of)["deadlines"]["due_soon"] if d["kind"] == "milestone"]
    assert soon("2024-10-13") == ["m3"]  # due 10/20: 7 days ahead
    assert soon("2024-10-12") == []  # 8 days ahead


def test_working_day_case_deadline_late_by_working_days(fixture):
    rep = report(fixture, "2024-10-15")
    late = {d["record"]: d for d in rep["deadlines"]["late"]}
    # AJ-2024-000001: inspection ended 9/30; 5 working days -> 10/8, 9, 10, 11, 12 (worked Sat) = 10/12;
    # decided Monday 10/14: 2 natural days, 1 working day late
    item = late["AJ-2024-000001"]
    assert (item["due"], item["done_on"], item["days_late"], item["workdays_late"]) == ("2024-10-12", "2024-10-14", 2, 1)


def test_a_report_after_as_of_is_not_yet_submitted(fixture):
    # H4 inspection ended 10/20, reported 10/22: as of 10/21 the report is due (10/23) and not yet in
    rep = report(fixture, "2024-10-21")
    assert ("JC-2024-000008", "2024-10-23") in [(d["record"], d["due"]) for d in rep["deadlines"]["due_soon"]]


def test_missing_calendar_year_in_a_report(tmp_path, capsys):
    files = dict(FILES)
    # work after the period's end (11-20) belongs to the contract only within a grace period it sets
    files[f"records/contract/{A}.yaml"] = CONTRACT_A.replace("end: 2024-11-20}", "end: 2024-11-20, grace_days: 40}")
    files["records/inspection/2024/JC-2024-00000B.yaml"] = inspection("JC-2024-00000B", A, H4, "日常巡查", "2024-12-26", "2024-12-27", report="2024-12-28")
    files["records/case/2024/AJ-2024-000006.yaml"] = case("AJ-2024-000006", A, "检查发现", f"type: 定点医疗机构, institution: {H4}", "重复收费",
                                                          "registered_on: 2024-12-28", "已登记", related="JC-2024-00000B")
    root = write_repo(tmp_path / "repo", files)
    records, schemas = load(root)
    with pytest.raises(MissingCalendarYears) as caught:
        build_report(records, schemas, D("2025-01-10"))
    assert caught.value.years == [2025]
    # the CLI turns it into error[calendar-year-missing], exit 1, no traceback
    rc = cli.main(["-C", str(root), "report", "--as-of", "2025-01-10", "--no-cache", "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert out.startswith("records/calendar/RL-2025.yaml:1:1: error[calendar-year-missing] 工作日历缺少 2025 年")
    assert "Traceback" not in err
    # before the clock reaches 2025 nothing is missing
    assert build_report(records, schemas, D("2024-12-20"))


# -- KPIs: contract A as of 2024-10-15 -----------------------------------------------------------
def test_onsite_coverage_per_type_and_overall(fixture):
    rep = report(fixture, "2024-10-15")
    # in scope: H1-H4, P1, P2, J1; P3 was terminated 6/1 but inspected 5/10, before: its facts keep
    # counting (the 650204 hospital is outside the rule). Pace: 3-01..10-14, the days wholly past,
    # are 228 of the period's 265 days, so 100% x 228/265 = 86.04% is expected: 3.44 of 4, whole: 3.
    assert figures(rep, "onsite_coverage/定点医疗机构") == (3, 4, 0.75, "进行中")  # H4 ends 10/20
    assert kpi(rep, "onsite_coverage/定点医疗机构")["pace"] == round(228 / 265, 6)
    assert figures(rep, "onsite_coverage/定点零售药店") == (3, 3, 1, "达标")
    assert figures(rep, "onsite_coverage/医保经办机构") == (1, 1, 1, "达标")
    assert figures(rep, "onsite_coverage") == (7, 8, 0.875, "进行中")  # 7 >= floor(6.88)
    assert kpi(rep, "onsite_coverage/定点零售药店")["records"] == ["JC-2024-000004", "JC-2024-000005", "JC-2024-000006"]
    final = report(fixture, "2024-11-20")
    assert figures(final, "onsite_coverage") == (8, 8, 1, "达标")


def test_record_sampling_rate_per_hospital_against_two_years(fixture):
    rep = report(fixture, "2024-10-15")
    assert figures(rep, f"record_sampling_rate/{H1}") == (300, 10000, 0.03, "达标")  # 4000 + 6000
    assert figures(rep, f"record_sampling_rate/{H2}") == (90, 4000, 0.0225, "进行中")  # withdrawn JC-...9 not counted
    assert figures(rep, f"record_sampling_rate/{H3}") == (50, None, None, "无数据")  # 2022 volume missing
    assert figures(rep, "record_sampling_rate") == (390, 14000, round(390 / 14000, 6), "达标")
    last_day = report(fixture, "2024-11-20")  # the period's last day runs to 24:00: still in progress
    assert figures(last_day, f"record_sampling_rate/{H4}") == (0, 2000, 0, "进行中")
    final = report(fixture, "2024-11-21")  # H4 inspected, nothing sampled; the period is over
    assert figures(final, f"record_sampling_rate/{H4}") == (0, 2000, 0, "未达标")
    assert figures(final, "record_sampling_rate") == (390, 16000, round(390 / 16000, 6), "未达标")
    # pooled 2.4375% governs; H2 (2.25%) and H4 (0%) fall short and are counted
    assert figures(final, "record_sampling_rate/institutions-short") == (2, None, 2, None)


def test_claim_sampling_rate(fixture):
    rep = report(fixture, "2024-10-15")
    assert figures(rep, f"claim_sampling_rate/{J1}") == (40, 2000, 0.02, "进行中")
    assert figures(rep, "claim_sampling_rate") == (40, 2000, 0.02, "进行中")
    assert figures(report(fixture, "2024-06-30"), "claim_sampling_rate") == (0, 0, None, "无数据")  # audit ends 7/5


def test_problem_discovery_rate(fixture):
    rep = report(fixture, "2024-10-15")
    assert figures(rep, f"problem_discovery_rate/{H1}") == (120, 300, 0.4, "达标")  # exactly 40%
    assert figures(rep, f"problem_discovery_rate/{H2}") == (30, 90, round(1 / 3, 6), "进行中")
    assert figures(rep, f"problem_discovery_rate/{H3}") == (25, 50, 0.5, "达标")
    assert figures(rep, "problem_discovery_rate") == (175, 440, round(175 / 440, 6), "进行中")


def test_reports_on_time_per_institution_type(fixture):
    rep = report(fixture, "2024-10-15")
    # medical: JC1 on time (deadline day), JC2 late, JC3 on time, JC-A on time; H4 not ended yet.
    # The target is 100%: with one late report it can no longer be met, so it is 未达标 already.
    assert figures(rep, "reports_on_time/定点医疗机构") == (3, 4, 0.75, "未达标")
    # pharmacy: P3's on time (5/11), P1's overdue; P2's due today is not counted yet
    assert figures(rep, "reports_on_time/定点零售药店") == (1, 2, 0.5, "未达标")
    # before JC2's report was late (due 9/30) nothing was lost yet
    assert figures(report(fixture, "2024-09-29"), "reports_on_time/定点医疗机构")[3] in ("进行中", "达标")
    assert kpi(rep, "reports_on_time/定点零售药店")["records"] == ["JC-2024-000004", "JC-2024-000006"]


def test_trainings_and_topics(fixture):
    rep = report(fixture, "2024-10-15")
    # offline trainings ended by 10/15: PX1, PX2 (PX3 on 10/20; PX4 online; PX5 withdrawn)
    # pace: 4 x 228/265 = 3.44 trainings expected by 10/15, whole: 3; 2 held is behind, 3 topics are not
    assert figures(rep, "trainings_held") == (2, None, 2, "落后进度")
    assert kpi(rep, "trainings_held")["pace"] == round(4 * 228 / 265, 6)
    assert figures(rep, "training_topics_covered") == (3, 4, 3, "进行中")
    assert figures(rep, "training_topics_covered/贯彻执行条例") == (0, None, 0, "进行中")
    assert figures(report(fixture, "2024-03-20"), "trainings_held") == (0, None, 0, "进行中")  # 4 x 19/265 = 0.29: not one due yet
    final = report(fixture, "2024-11-21")
    assert figures(final, "trainings_held") == (3, None, 3, "未达标")
    assert figures(final, "training_topics_covered") == (4, 4, 4, "达标")


def test_study_trips_need_two_bureau_staff(fixture):
    rep = report(fixture, "2024-10-15")
    # pace 4 x 228/265 = 3.44 (whole: 3) and 2 x 228/265 = 1.72 (whole: 1): one trip is behind inside, on pace outside
    assert figures(rep, "study_trips/省内") == (1, None, 1, "落后进度")  # the trip with 1 bureau staff does not count
    assert kpi(rep, "study_trips/省内")["records"] == ["PX-2024-000006"]
    assert figures(rep, "study_trips/省外") == (1, None, 1, "进行中")


def test_team_composition(fixture):
    rep = report(fixture, "2024-10-15")
    # on the team 10/15: A (lead, flight experience), B (medical, 执业医师), C (finance, no qualification)
    assert figures(rep, "team_composition") == (3, 5, 0.6, "进行中")
    assert figures(rep, "team_composition/信息") == (0, None, 0, "进行中")  # D joins 11/1, E left 6/30
    assert figures(rep, "team_composition/财务审计") == (0, None, 0, "进行中")
    assert figures(rep, "team_composition/flight_inspection_experience") == (1, None, 1, "达标")
    assert figures(report(fixture, "2024-11-20"), "team_composition/信息") == (1, None, 1, "达标")


def test_cases_by_source_status_and_violation_type(fixture):
    rep = report(fixture, "2024-10-15")
    # registered by 10/15 and not withdrawn: AJ1, AJ2, AJ3
    assert figures(rep, "cases_total") == (3, None, 3, None)
    assert kpi(rep, "cases_by_source/检查发现")["value"] == 2
    assert kpi(rep, "cases_by_source/举报投诉")["value"] == 1
    assert figures(rep, "cases_by_source/上级交办") == (0, None, 0, "无数据")  # AJ4 registered 10/20
    assert kpi(rep, "cases_by_status/已决定")["records"] == ["AJ-2024-000001"]
    assert kpi(rep, "cases_by_status/已结案")["records"] == ["AJ-2024-000002"]
    assert kpi(rep, "cases_by_status/调查中")["records"] == ["AJ-2024-000003"]
    assert kpi(rep, "cases_by_violation_type/重复收费")["records"] == ["AJ-2024-000001", "AJ-2024-000002"]
    assert kpi(rep, "cases_by_violation_type/分解收费")["value"] == 1
    earlier = report(fixture, "2024-10-11")  # statuses from the timeline as of that day
    assert kpi(earlier, "cases_by_status/已立案")["records"] == ["AJ-2024-000001"]
    assert kpi(earlier, "cases_by_status/已决定")["records"] == ["AJ-2024-000002"]
    assert kpi(earlier, "cases_total")["value"] == 2


def test_cases_on_time(fixture):
    # AJ2: inspection ended 9/27 (Fri); 5 working days: 9/29 (worked Sun), 9/30, 10/8, 9, 10 -> decided 10/10 on time
    # AJ1: due 10/12, decided 10/14 -> late
    # the target is 100%: one late decision and it can no longer be met
    assert figures(report(fixture, "2024-10-15"), "cases_on_time/case-5wd") == (1, 2, 0.5, "未达标")


def test_money_sums_are_exact(fixture):
    rep = report(fixture, "2024-10-15")
    assert kpi(rep, "money_involved")["value"] == 3000.60  # 1000.10 + 2000.20 + 0.30 (withdrawn and later cases out)
    assert kpi(rep, "money_refused")["value"] == 1000.10
    assert kpi(rep, "money_recovered")["value"] == 2000.20
    assert kpi(rep, "money_fined")["value"] == 4000.40
    assert kpi(rep, "money_involved/by_subject/定点医疗机构")["value"] == 3000.30
    assert kpi(rep, "money_involved/by_subject/定点零售药店")["value"] == 0.30
    assert kpi(rep, "money_involved/by_violation/重复收费")["value"] == 3000.30
    assert kpi(rep, "money_involved/by_violation/分解收费")["value"] == 1000.10
    # refused counts from the decision (10/14): not yet on 10/13
    assert figures(report(fixture, "2024-10-13"), "money_refused") == (None, None, None, "无数据")


def test_institutions_records_and_special_inspections(fixture):
    rep = report(fixture, "2024-10-15")
    # distinct institutions with an ended inspection: H1, H2, H3, P1, P2, J1, and P3 (inspected 5/10,
    # terminated 6/1: the inspection happened). Each is behind its pace (x 228/265 = 0.860):
    # 113 -> 97.2, 2000 -> 1720.8, 12 -> 10.3.
    assert figures(rep, "institutions_audited") == (7, None, 7, "落后进度")
    assert figures(rep, "records_reviewed") == (440, None, 440, "落后进度")  # 300 + 90 + 50 medical records
    assert figures(rep, "special_inspection_institutions") == (1, None, 1, "落后进度")  # H2's 专项检查
    assert figures(report(fixture, "2024-11-30"), "special_inspection_institutions") == (1, None, 1, "未达标")


def test_milestones_met_or_missed(fixture):
    rep = report(fixture, "2024-10-15")
    assert figures(rep, "milestones/m1") == (1, 1, 1, "达标")  # completed on the due day
    assert figures(rep, "milestones/m2") == (0, 1, 0, "未达标")  # two days late
    assert figures(rep, "milestones/m3") == (0, 1, 0, "进行中")
    assert figures(rep, "milestones") == (1, 4, 0.25, "进行中")
    final = report(fixture, "2024-12-01")
    assert figures(final, "milestones") == (1, 4, 0.25, "未达标")
    assert [d["rule"] for d in final["deadlines"]["overdue"] if d["kind"] == "milestone"] == ["m3", "m4"]


# -- KPIs: contract B (5% of the previous year's inpatient stays, 20 working days) ---------------
def test_shapingba_style_rules(fixture):
    rep = report(fixture, "2020-11-30", B)
    assert figures(rep, "onsite_coverage") == (2, 2, 1, "达标")  # HB3 has no inpatient service: not counted
    assert figures(rep, f"record_sampling_rate/{HB1}") == (100, 2000, 0.05, "达标")  # 5% of 2019 stays
    # 11-30 is the period's last day: it runs to 24:00, so the shortfall is not final yet
    assert figures(rep, f"record_sampling_rate/{HB2}") == (40, 1000, 0.04, "进行中")
    assert figures(rep, "record_sampling_rate") == (140, 3000, round(140 / 3000, 6), "进行中")
    after = report(fixture, "2020-12-01", B)
    assert figures(after, f"record_sampling_rate/{HB2}") == (40, 1000, 0.04, "未达标")
    assert figures(after, "record_sampling_rate") == (140, 3000, round(140 / 3000, 6), "未达标")
    # AJ1: due 10/29, decided 10/29 (on time). AJ2: inspection ended 10/16 -> due 11/13, decided Monday 11/16
    assert figures(rep, "cases_on_time/handling") == (1, 2, 0.5, "未达标")
    [late] = [d for d in rep["deadlines"]["late"] if d["kind"] == "case"]
    assert (late["record"], late["due"], late["days_late"], late["workdays_late"]) == ("AJ-2020-000002", "2020-11-13", 3, 1)
    assert figures(rep, "milestones") == (2, 4, 0.5, "进行中")  # p3 late; p4 due today, still open
    assert figures(report(fixture, "2020-12-01", B), "milestones") == (2, 4, 0.5, "未达标")
    assert figures(rep, "milestones/p2") == (1, 1, 1, "达标")


def test_a_contract_without_case_rules_says_so(fixture):
    rep = report(fixture, "2020-11-30", B)
    assert figures(rep, "reports_on_time") == (None, None, None, "无数据")


# -- empty contract ----------------------------------------------------------------------------
def test_empty_contract_reports_no_data_without_crashing(tmp_path, capsys):
    metrics = SchemaSet.load(PROJECT / "schemas").terms("metric")
    targets = "\n".join(f"  - {{metric: {m}, target: 1}}" for m in metrics)
    contract = CONTRACT_A.split("targets:")[0].replace(A, "HT-2024-EMPTY").replace('["650203"]', '["659999"]')
    contract += f"targets:\n{targets}\nsubmitters: [test-user]\n"
    root = write_repo(tmp_path / "repo", {"records/contract/HT-2024-EMPTY.yaml": contract}, calendars=(2024,))
    records, schemas = load(root)
    [rep] = build_report(records, schemas, D("2024-12-31"))
    # a count target with nothing done is a real zero: after the period it is missed; rates and
    # everything else have nothing to compute from
    counts = {"trainings_held", "training_topics_covered", "study_trips", "institutions_audited",
              "special_inspection_institutions", "records_reviewed"}
    assert {k["status"] for k in rep["kpis"] if k["id"] in counts} == {"未达标"}
    assert {k["status"] for k in rep["kpis"] if k["id"] not in counts} == {"无数据"}
    assert rep["deadlines"] == {"overdue": [], "due_soon": [], "late": []}
    for fmt in ("table", "json", "csv"):
        assert cli.main(["-C", str(root), "report", "--as-of", "2024-12-31", "--no-cache", "--format", fmt]) == 0
    assert "无数据" in capsys.readouterr().out


# -- the engine is driven by the records alone ---------------------------------------------------
def test_every_vocabulary_metric_has_a_function():
    assert set(SchemaSet.load(PROJECT / "schemas").terms("metric")) == set(METRICS)


def test_changing_a_target_in_the_record_changes_the_status(tmp_path):
    files = dict(FILES)
    files[f"records/contract/{A}.yaml"] = CONTRACT_A.replace("target: 0.4,", "target: 0.3,")
    records, schemas = load(write_repo(tmp_path / "repo", files))
    [rep] = build_report(records, schemas, D("2024-10-15"), A)
    assert figures(rep, f"problem_discovery_rate/{H2}") == (30, 90, round(1 / 3, 6), "达标")
    assert kpi(rep, "problem_discovery_rate")["target"] == 0.3


def test_case_status_as_of_follows_the_timeline(schemas):
    case_record = Record("case", "x", {"status": "已结案", "timeline": {
        "registered_on": "2024-01-02", "filed_on": "2024-01-05", "notified_on": "2024-02-01", "closed_on": "2024-03-01"}})
    stages = case_stages(schemas)
    assert case_status_as_of(case_record, D("2024-01-03"), stages) == "已登记"
    assert case_status_as_of(case_record, D("2024-01-20"), stages) == "已立案"
    assert case_status_as_of(case_record, D("2024-02-10"), stages) == "已告知"
    assert case_status_as_of(case_record, D("2024-03-01"), stages) == "已结案"


def test_deadline_status_sentence():
    due = D("2024-10-03")
    assert dl.status_of(due, D("2024-10-03"), D("2024-10-10")) == dl.DeadlineStatus.ON_TIME
    assert dl.status_of(due, D("2024-10-04"), D("2024-10-10")) == dl.DeadlineStatus.LATE
    assert dl.status_of(due, None, D("2024-10-04")) == dl.DeadlineStatus.OVERDUE
    assert dl.status_of(due, None, D("2024-10-03")) == dl.DeadlineStatus.DUE_SOON
    assert dl.status_of(due, None, D("2024-09-25")) == dl.DeadlineStatus.OPEN


def test_json_output_shape(fixture, tmp_path):
    rep = report(fixture, "2024-10-15")
    assert list(rep) == ["as_of", "contract", "kpis", "deadlines", "payments", "fee_caps", "team_breaches"]
    assert set(rep["deadlines"]) == {"overdue", "due_soon", "late"}
    for k in rep["kpis"]:
        assert set(k) == {"id", "name", "definition", "value", "target", "pace", "status", "numerator", "denominator", "records", "unit", "contract_target", "facts"}
        assert k["status"] in ("达标", "未达标", "落后进度", "进行中", "无数据", None)
    json.dumps(rep)  # plain JSON types only
