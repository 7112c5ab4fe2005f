"""Every schema and every vocabulary, exercised from the schema files themselves.

The cases are generated from ``schemas/*.schema.json``: a new kind, field, required field or term
is covered without editing this file (a new field only needs a value in the full record of its
kind, which ``test_full_records_fill_every_field`` asks for). Checks run through
``check_text`` -- the real per-file pipeline: strict loader, schema, personal data, record rules.
"""
from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from yibao.core.codes import make_uscc
from yibao.check.personal_data import format_path
from yibao.check.references import Index, check_references
from yibao.check.runner import check_text
from yibao.load import strict_yaml
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet

from conftest import CJK, RECORDS, SCHEMAS, make_repo

VOCAB = json.loads((SCHEMAS / "vocabulary.schema.json").read_text(encoding="utf-8"))
DEFS = VOCAB["$defs"]
KIND_FILES = sorted(p for p in SCHEMAS.glob("*.schema.json") if p.name != "vocabulary.schema.json")
KIND_SCHEMAS = {p.name.removesuffix(".schema.json"): json.loads(p.read_text(encoding="utf-8")) for p in KIND_FILES}
KINDS = sorted(KIND_SCHEMAS)
ENUMS = {name: d["enum"] for name, d in DEFS.items() if "enum" in d}

# -- one record of every kind with every optional field filled ------------------------------------------
# They refer to each other (inspection -> institution, staff; case -> inspection; staff -> contract), so a
# broken value in one of them is also seen by the cross-record rules of the others.
FULL = {
    "contract": ("records/contract/HT-2024-FULL.yaml", """\
id: HT-2024-FULL
name: 全字段测试项目
bureau: 测试区医疗保障局
contractor: 测试医保咨询有限公司
region_code: "650203"
source_document: 采购需求方案
period:
  start: 2024-03-01
  end: 2024-11-20
  grace_days: 10
budget: 350000.00
signed_on: 2024-02-20
contract_amount: 350000.00
term_years: 1
consortium:
  - name: 测试医保咨询有限公司
    rank: 1
    regions: ["650203"]
    share: 1
    year: 2024
    decided_on: 2024-01-15
    note: 牵头
  - name: 测试第二成员
    regions: ["650204"]
instalments:
  - id: first
    name: 签订后支付一半
    share: 0.5
    after: [signing]
    days: 30
    day_type: 自然日
    roll: false
    source: 测试
  - id: second
    name: 人员到位和验收后支付固定金额
    amount: 100000.00
    after: [team_in_place, acceptance]
    days: 10
    day_type: 工作日
  - id: final
    name: 考核后支付剩余金额
    remainder: true
    after: [evaluation]
    evaluation_scheme: KH-2024-FULL
    period: "2024"
    days: 15
    day_type: 工作日
  - id: fee-2024
    name: 2024年度服务费（按上限）
    fee_cap_year: 2024
    after: [acceptance]
    days: 30
    day_type: 自然日
fee_cap:
  rate: 0.025
  ceiling: 3000000.00
  spending:
    - {year: 2024, region_code: "650203", amount: 1000000.00, recorded_on: 2024-11-30, source: 测试}
  source: 测试
scope:
  institutions: [H65020300001, P65020300002, J65020300003]
  rule:
    region_codes: ["650203"]
    institution_types: [定点医疗机构, 定点零售药店]
    levels: [一级, 二级]
  expected_counts:  # the institutions of these records in its scope (the withdrawn H65020300004 is not)
    定点医疗机构: 1
    定点零售药店: 1
    医保经办机构: 1
    合计: 3
targets:
  - metric: record_sampling_rate
    name: 病历抽审比例
    target: 0.025
    institution_types: [定点医疗机构]
    inspection_types: [日常巡查, 病历审核]
    sampling_basis: 病历
    lookback_years: 2
    denominator_year_offset: 1
    topics: [常见违规行为]
    training_kind: 线下培训
    place_scope: 省内
    min_bureau_staff: 2
    inpatient_only: true
    deadline: report-medical
    each_inspection_type: true
    governed_by: each
deadlines:
  - id: report-medical
    name: 医疗机构调查结束后三日内形成调查报告
    applies_to: inspection
    starts: end_date
    ends: report.submitted_on
    days: 3
    day_type: 自然日
    institution_types: [定点医疗机构]
    inspection_types: [日常巡查]
    on_site_only: true
    roll: false
    source: 采购需求方案 二（一）1（3）
milestones:
  - id: midterm
    name: 中期报告
    due: 2024-07-31
    completed_on: 2024-07-30
    evidence: 测医保〔2024〕5号
    max_extension_days: 10
    extension:
      days: 5
      granted_on: 2024-07-25
      reason: 测试延期
    consequence: 逾期可解除合同
team_requirements:
  min_total: 4
  min_education: 本科
  flight_inspection_experience: 1
  roles:
    - role: 医学
      min: 1
      min_title: 中级
      min_with_title: 1
      qualifications: [执业医师]
      employment: 正式员工
  postings:
    - name: 每县至少一名
      regions: ["650203"]
      min_each: 1
      source: 测试
submitters: [test-user]
reviewers: [test-reviewer]
archive:
  retention:
    - document_type: 报销材料
      years: 15
      source: 合同约定
  handover: 服务期结束后全部移交
notes: 全部字段都填写的合同
"""),
    "institution": ("records/institution/H65020300004.yaml", f"""\
id: H65020300004
name: 测试区第二人民医院
type: 定点医疗机构
level: 二级
category: 公立医院
inpatient_service: true
region_code: "650203"
uscc: "{make_uscc('12650203MB0000004')}"
protocol_history:
  - status: 正常
    since: 2020-01-01
    document: 测医保协〔2020〕1号
    note: 首次签订
  - status: 暂停
    since: 2024-03-01
volumes:
  - year: 2022
    medical_records: 12000
    inpatient_stays: 3000
    manual_claims: 0
  - year: 2023
    medical_records: 12400
    inpatient_stays: 3100
    manual_claims: 0
risk_assessments:
  - tier: 中
    since: 2023-12-20
    source: 测试区医疗保障局 2023 年定点医药机构风险评估
  - tier: 高
    since: 2024-05-20
    source: 测试区医疗保障局 2024 年定点医药机构风险评估
status: 已撤回
withdrawal:
  date: 2024-06-01
  reason: 重复录入
  requested_by: 项目组
notes: 全字段机构
"""),
    "staff": ("records/staff/RY-A00003.yaml", """\
id: RY-A00003
contractor: 测试医保咨询有限公司
contracts: [HT-2024-TEST, HT-2024-FULL]
role: 药学
title: 高级
education: 硕士研究生
qualifications: [执业药师]
flight_inspection_experience: true
years_experience: 8
employment: 劳务派遣
postings:
  - {region_code: "650203", from: 2024-03-01}
conflicts:
  - {institution: H65020300001, declared_on: 2024-03-01, reason: 曾在该机构任职}
joined_on: 2024-03-01
left_on: 2024-10-31
status: 已撤回
withdrawal:
  date: 2024-11-01
  reason: 录入错误
  requested_by: 项目负责人
notes: 全字段人员
"""),
    "inspection": ("records/inspection/2024/JC-2024-000002.yaml", """\
id: JC-2024-000002
contract: HT-2024-TEST
institution: H65020300004
type: 专项检查
on_site: true
start_date: 2024-06-03
end_date: 2024-06-05
draw: CQ-2024-000001  # withdrawn: not held to the draw
inspectors: [RY-A00001, RY-A00002, RY-A00003]
bureau_staff: 1
sampling:
  basis: 住院病历
  period_start: 2023-01-01
  period_end: 2023-12-31
  population: 3000
  sampled: 75
  problem_records: 20
findings:
  - violation_type: 不合理诊疗
    description: 无指征检查
    amount: 1200.50
    evidence: 病历号（内部）
report:
  submitted_on: 2024-06-06
  document: 测医保查〔2024〕2号
  accepted_on: 2024-06-10
documents:
  - type: 调查报告
    title: 全字段文书
    number: 测医保〔2024〕9号
    date: 2024-07-20
    sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    size: 1024
    path: HT-2024-TEST/JC-2024-000002/01-doc.txt
    personal_data: true
    generated: false
    disposal:
      date: 2044-08-01
      approval: 测医保档〔2044〕1号
      approved_by: 测试区医疗保障局
status: 已撤回
summary: 专项检查
withdrawal:
  date: 2024-06-20
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-06-12
    reason: 更正金额
    requested_by: 医保局
    fields: [findings]
notes: 全字段检查
"""),
    "case": ("records/case/2024/AJ-2024-000002.yaml", """\
id: AJ-2024-000002
contract: HT-2024-TEST
source: 数据筛查
subject:
  type: 医保医师
  institution: H65020300004
  person_code: YS-A0000001
related_inspections: [JC-2024-000002]
violation_types: [不合理诊疗]
summary: 医师不合理诊疗
lead_text: 举报原文（保密）
whistleblower_reward: 500.00
money:
  involved: 12000.00
  refused: 1000.00
  recovered: 11000.00
  fined: 2000.00
  extrapolation: JS-2024-000001
  extrapolated: 1050.27
actions: [责令退回, 罚款]
legal_basis: [《医疗保障基金使用监督管理条例》第三十八条]
provisions: [FT-L735-38]
screening:
  rule: GZ-900
  run: 20240705-091500-duckdb
  lead: XS-4K7M2Q9TR1
reward_policy: JL-2024-TEST
timeline:
  registered_on: 2024-06-11
  filed_on: 2024-06-15
  investigation_ended_on: 2024-07-15
  notified_on: 2024-07-20
  decided_on: 2024-08-01
  closed_on: 2024-08-10
documents:
  - type: 处理决定书
    title: 全字段文书
    number: 测医保〔2024〕9号
    date: 2024-07-20
    sha256: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
    size: 1024
    path: HT-2024-TEST/AJ-2024-000002/01-doc.txt
    personal_data: true
    generated: false
    disposal:
      date: 2044-08-01
      approval: 测医保档〔2044〕1号
      approved_by: 测试区医疗保障局
status: 已撤回
disclosed: true
withdrawal:
  date: 2024-08-20
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-08-12
    reason: 更正金额
    requested_by: 医保局
    fields: [money.recovered]
notes: 全字段案件
"""),
    "training": ("records/training/2024/PX-2024-000002.yaml", """\
id: PX-2024-000002
contract: HT-2024-TEST
kind: 以干代训
title: 飞行检查以干代训
start_date: 2024-09-02
end_date: 2024-09-06
topics: [飞行检查实务]
place:
  name: 乌鲁木齐市
  scope: 省内
  region_code: "650100"
trainers: [RY-A00003]
participants: 3
participant_institutions: [H65020300004]
bureau_staff: 2
host: 自治区医疗保障局
status: 已撤回
summary: 参与飞行检查
withdrawal:
  date: 2024-09-20
  reason: 重复录入
  requested_by: 医保局
notes: 全字段培训
"""),
    "calendar": ("records/calendar/RL-2025.yaml", """\
id: RL-2025
year: 2025
source: 国务院办公厅关于2025年部分节假日安排的通知
holidays:
  - {name: 春节, start: 2025-01-28, end: 2025-02-04}
makeup_workdays:
  - {date: 2025-01-26, name: 春节}
  - {date: 2025-02-08, name: 春节}
notes: 全字段日历
"""),
    # made with: yibao draw --contract HT-2024-TEST --date 2024-06-10 --seed "2024-06-10 上证综指收盘 3051.28" --types 定点医疗机构 定点零售药店 医保经办机构
    #   --per-type 定点医疗机构=1 定点零售药店=1 医保经办机构=1 --levels 二级 未定级 --not-inspected-months 1
    #   (over TOGETHER and the other FULL records)
    "draw": ("records/draw/CQ-2024-000001.yaml", """\
id: CQ-2024-000001
contract: HT-2024-TEST
date: 2024-06-10
purpose: 双随机抽查
seed: 2024-06-10 上证综指收盘 3051.28
seed_source: 抽取前一日在局网站公告：以抽取当日上证综指收盘点位为种子
algorithm: sha256-rank-v1
frame:
  description: 项目 HT-2024-TEST 在 2024-06-10 的监管范围内的定点医疗机构、定点零售药店、医保经办机构（等级为二级、未定级，抽取日前 1 个月内未开始过检查）
  institution_types: [定点医疗机构, 定点零售药店, 医保经办机构]
  count: 3
  levels: [二级, 未定级]
  risk_tiers: [高, 中]
  not_inspected_months: 1
  per_type: {定点医疗机构: 1, 定点零售药店: 1, 医保经办机构: 1}
  strata: {医保经办机构: 1, 定点医疗机构: 1, 定点零售药店: 1}
  ids_sha256: 782adb991b4b9391cf49c0430cbd6c01d452a0e037f236377bb2445480397a2e
  size: 3
pool:
  ids_sha256: e4f49b3f9a76bff3767077e825ab3db8c04534dfda89173ef02c4379c6ede79e
  size: 2
  min_per_target: 2
  exclude_last_inspectors: false
  roles: [{role: 医学, min: 1}]
result:
- institution: J65020300003
  inspectors: [RY-A00002, RY-A00001]
- institution: H65020300001
  inspectors: [RY-A00001, RY-A00002]
- institution: P65020300002
  inspectors: [RY-A00001, RY-A00002]
notes: 全字段抽取
"""),
    "rule": ("records/rule/GZ-900.yaml", """\
id: GZ-900
name: 全字段测试规则
category: 政策类
violation_type: 不合理诊疗
description: 单价超过限价
legal_basis: [《医疗保障基金使用监督管理条例》第十五条]
source_document: 采购需求方案
severity: 中
tables: [fee, catalogue]
parameters:
  - name: tolerance
    title: 允许误差（元）
    value: 0
amount_basis: 超出限价的金额
sql: |
  SELECT f.fixmedins_code, CAST(NULL AS VARCHAR) AS psn_no, MIN(f.fee_ocur_date) AS begin_date,
         MAX(f.fee_ocur_date) AS end_date, CAST(SUM((f.pric - c.price_cap) * f.cnt) AS DECIMAL(18,2)) AS amount,
         COUNT(*) AS hits, STRING_AGG(f.feedetl_sn, ',' ORDER BY f.feedetl_sn) AS evidence
  FROM fee f JOIN catalogue c ON c.hilist_code = f.hilist_code
  WHERE f.pric > c.price_cap + {{tolerance}}
  GROUP BY f.fixmedins_code, f.hilist_code
status: 已撤回
withdrawal:
  date: 2024-06-20
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-06-12
    reason: 更正参数
    requested_by: 医保局
    fields: [parameters]
notes: 全字段规则
"""),
}
# special campaigns (专项治理): one of each kind with every optional field filled
FULL["campaign"] = ("records/campaign/ZX-2024-FULL.yaml", """\
id: ZX-2024-FULL
contract: HT-2024-FULL
name: 全字段专项治理
source_document: 测试通知
period:
  start: 2024-03-01
  end: 2024-11-30
phases:
  - id: p1
    name: 第一阶段：制定方案
    due: 2024-03-15
    completed_on: 2024-03-14
    evidence: 测试文号
    source: 第一阶段，制定方案
self_inspections:
  - id: agency
    name: 经办机构自查自纠
    institution_types: [医保经办机构]
    data_period:
      start: 2023-01-01
      end: 2024-02-29
      as_written: 2023年1月1日—2024年2月29日
    report_due: 2024-06-30
    source: 测试原文
    checklist:
      - {seq: 1, area: 制度建设, standard: 建立完善的组织决策控制制度, lead: 综合组}
status: 已撤回
withdrawal:
  date: 2024-06-20
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-06-12
    reason: 更正名称
    requested_by: 医保局
    fields: [name]
notes: 全字段专项治理
""")
FULL["self_inspection"] = ("records/self_inspection/2024/ZC-2024-000001.yaml", """\
id: ZC-2024-000001
contract: HT-2024-FULL
campaign: ZX-2024-FULL
requirement: agency
institution: J65020300003
data_period:
  start: 2023-01-01
  end: 2024-02-29
submitted_on: 2024-06-28
checklist:
  - {seq: 1, rating: 较好, note: 制度待修订}
problems:
  - seq: 1
    description: 手工结算缺少复核
    violation_type: 制度审核不全
    amount: 100.50
    refunded: 100.50
summary: 已整改
status: 已撤回
withdrawal:
  date: 2024-06-29
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-06-28
    reason: 更正金额
    requested_by: 医保局
    fields: [problems]
notes: 全字段自查报告
""")
FULL["rectification"] = ("records/rectification/2024/ZG-2024-000001.yaml", """\
id: ZG-2024-000001
contract: HT-2024-FULL
campaign: ZX-2024-FULL
institution: J65020300003
self_inspection: ZC-2024-000001
problem_seq: 1
item: 补齐手工结算复核记录
issued_on: 2024-07-01
deadline: 2024-08-31
follow_ups:
  - {date: 2024-08-01, note: 正在补齐}
review:
  date: 2024-09-20
  conclusion: 整改到位
  note: 已补齐
closed_on: 2024-08-30
status: 已撤回
withdrawal:
  date: 2024-09-21
  reason: 重复录入
  requested_by: 医保局
amendments:
  - date: 2024-09-01
    reason: 更正期限
    requested_by: 医保局
    fields: [deadline]
notes: 全字段整改事项
""")
MINIMAL = {path.split("/")[1]: (path, text) for path, text in RECORDS.items() if path.split("/")[1] != "institution" or "H65" in path}
# a draw is re-run from the records of its date (see test_draw.py), so the shared RECORDS carry none;
# its minimal form is the full one without the optional fields
MINIMAL["draw"] = (FULL["draw"][0], re.sub(r"(?m)^(  per_type:.*|  levels:.*|  risk_tiers:.*|  not_inspected_months:.*|  roles:.*|notes:.*)\n", "", FULL["draw"][1]))
# the records checked together: the shared RECORDS with their institutions graded and assessed, so that the full
# draw's level and risk tier filters keep them
TOGETHER = {**RECORDS, **{f"records/institution/{ident}.yaml": RECORDS[f"records/institution/{ident}.yaml"] + f"level: {level}\n"
                          f"risk_assessments:\n  - {{tier: {tier}, since: 2024-01-10, source: 测试区医疗保障局风险评估}}\n"
                          for ident, level, tier in (("H65020300001", "二级", "高"), ("P65020300002", "未定级", "中"),
                                                     ("J65020300003", "未定级", "中"))}}
# fields one full record cannot fill together: a draw is stratified by type (per_type, in FULL) or by risk tier
# (per_risk_tier, tests/test_draw_rules.py)
EITHER_OR = {"draw": [("frame", "per_risk_tier"), *(("frame", "strata", tier) for tier in ("高", "中", "低"))]}
# rules are the bureau's, shared by every contract: none in the shared RECORDS; the minimal one is in force
MINIMAL["rule"] = (FULL["rule"][0], """\
id: GZ-900
name: 最少字段测试规则
category: 政策类
violation_type: 超标准收费
legal_basis: [《医疗保障基金使用监督管理条例》第十五条]
severity: 中
tables: [fee]
amount_basis: 明细金额
sql: |
  SELECT fixmedins_code, CAST(NULL AS VARCHAR) AS psn_no, fee_ocur_date AS begin_date, fee_ocur_date AS end_date,
         det_item_fee_sumamt AS amount, 1 AS hits, feedetl_sn AS evidence
  FROM fee
status: 有效
""")

MINIMAL["campaign"] = (FULL["campaign"][0], """\
id: ZX-2024-FULL
contract: HT-2024-FULL
name: 最少字段专项治理
period: {start: 2024-03-01, end: 2024-11-30}
phases:
  - {id: p1, name: 第一阶段, due: 2024-03-15}
self_inspections:
  - id: hospitals
    name: 定点医疗机构自查自纠
    institution_types: [定点医疗机构]
    data_period: {end: 2024-02-29, as_written: 至2024年2月29日}
    report_due: 2024-06-30
status: 有效
""")
MINIMAL["self_inspection"] = (FULL["self_inspection"][0], """\
id: ZC-2024-000001
contract: HT-2024-FULL
campaign: ZX-2024-FULL
requirement: hospitals
institution: H65020300001
data_period: {start: 2023-01-01, end: 2024-02-29}
submitted_on: 2024-06-28
status: 有效
""")
MINIMAL["rectification"] = (FULL["rectification"][0], """\
id: ZG-2024-000001
contract: HT-2024-FULL
campaign: ZX-2024-FULL
institution: H65020300001
item: 退回多收费用
issued_on: 2024-07-01
deadline: 2024-08-31
status: 有效
""")

# planning records: a sampling plan of the full contract (2.5% of 2022–2023) and an extrapolation the
# full case cites (its figures as yibao extrapolate writes them; tests/test_planning.py checks them)
FULL["sampling_plan"] = ("records/sampling_plan/CY-2024-000001.yaml", """\
id: CY-2024-000001
contract: HT-2024-FULL
institution: H65020300004
period: {start: 2022-01-01, end: 2023-12-31}
metric: record_sampling_rate
sampling_basis: 病历
volume_years: [2022, 2023]
volume: 24400
rate: 0.025
target_count: 0
scope_volume: 0
required_count: 610
statistical: {confidence: 0.95, margin: 50, expected: 0.4, std_dev: 300.00, size: 138}
planned_count: 610
selection:
  selected_on: 2024-03-10
  seed: 2024-03-10 测试种子
  seed_source: 抽取前一日书面告知医院
  algorithm: sha256-rank-v1
  list_sha256: "5f0c6a1e2d3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5"
  list_size: 24400
  count: 610
inspection: JC-2024-000001
notes: 全字段抽样计划
""")
FULL["provision"] = ("records/provision/FT-L735-38.yaml", """\
id: FT-L735-38
law: 《医疗保障基金使用监督管理条例》
document: 国务院令第735号
article: 38
paragraph: 1
citation: 《医疗保障基金使用监督管理条例》第三十八条
effective_from: 2021-05-01
applies_to: [定点医疗机构, 定点零售药店]
procedure: 行政处罚
actions: [限期整改, 责令退回, 罚款, 暂停科室结算]
deadlines:
  - id: decision-90-days
    name: 九十日内作出决定
    starts: timeline.filed_on
    ends: [timeline.decided_on, timeline.closed_on]
    days: 90
    day_type: 自然日
    only_procedure: 行政处罚
fine:
  multiple_of: 造成损失金额
  min_multiple: 1
  max_multiple: 2
  min_yuan: 10000
  max_yuan: 50000
suspension:
  action: 暂停科室结算
  min_months: 6
  max_months: 12
text: 条文摘录
source:
  official: false
  where: 非官方转载
  note: 未核对官方原文
status: 已撤回
withdrawal:
  date: 2024-08-20
  reason: 测试
  requested_by: 医保局
notes: 全字段条款
""")
FULL["reward_policy"] = ("records/reward_policy/JL-2024-TEST.yaml", """\
id: JL-2024-TEST
title: 举报奖励办法（测试）
effective_from: 2024-01-01
base: 骗取金额
minimum: 200
maximum: 200000
tiers:
  - grade: 一级
    rate: 0.05
    condition: 证据充分
claim_within_months: 2
source:
  official: true
  where: 测试
  note: 测试
status: 已撤回
withdrawal:
  date: 2024-08-20
  reason: 测试
  requested_by: 医保局
notes: 全字段办法
""")
FULL["extrapolation"] = ("records/extrapolation/JS-2024-000001.yaml", """\
id: JS-2024-000001
contract: HT-2024-TEST
institution: H65020300004
inspection: JC-2024-000001
sampling_plan: CY-2024-000001
date: 2024-06-20
sampling_unit: 住院病案
period: {start: 2023-01-01, end: 2023-12-31}
strata:
  - name: 普通住院
    population_size: 100
    population_amount: 350000.00
    overpayments: [0.00, 120.50, 0.00, 35.00, 0.00, 0.00, 80.25, 0.00, 0.00, 10.00]
  - name: 高额住院
    population_size: 5
    population_amount: 60000.00
    overpayments: [500.00, 0.00, 250.00, 0.00, 100.00]
result:
  method: sample-total-v1
  sample_size: 15
  population_size: 105
  degrees_of_freedom: 13
  point_estimate: 3307.50
  standard_error: 1274.60
  limits:
    - {confidence: 80, t_value: 1.3502, lower: 1586.57, upper: 5028.43}
    - {confidence: 90, t_value: 1.7709, lower: 1050.27, upper: 5564.73}
    - {confidence: 95, t_value: 2.1604, lower: 553.89, upper: 6061.11}
  demand: 1050.27
notes: 全字段外推
""")
MINIMAL["sampling_plan"] = (FULL["sampling_plan"][0], """\
id: CY-2024-000001
contract: HT-2024-FULL
institution: H65020300004
period: {start: 2022-01-01, end: 2023-12-31}
metric: record_sampling_rate
sampling_basis: 病历
volume_years: [2022, 2023]
volume: 24400
required_count: 610
planned_count: 610
""")
FULL["credit_scheme"] = ("records/credit_scheme/PJ-2024-TEST.yaml", """\
id: PJ-2024-TEST
title: 信用评价办法（测试）
region_code: "650203"
year: 2024
institution_types: [定点医疗机构]
base_score: 100
deductions:
  - id: fine
    name: 罚款
    actions: [罚款]
    fine_basis: [骗取金额]
    per_finding: false
    points: 10
    max_points: 20
grades:
  - grade: A
    min_score: 90
red_list:
  grades: [A]
  without_cases: true
  exit: 测试
black_list:
  grades: [A]
  actions: [解除定点协议]
  exit_after_months: 36
  exit: 测试
source:
  official: false
  where: 测试
  note: 测试
status: 已撤回
withdrawal:
  date: 2024-08-20
  reason: 测试
  requested_by: 医保局
notes: 全字段办法
""")
MINIMAL["credit_scheme"] = (FULL["credit_scheme"][0], """\
id: PJ-2024-TEST
title: 信用评价办法（测试）
region_code: "650203"
year: 2024
institution_types: [定点医疗机构]
base_score: 100
deductions:
  - id: fine
    name: 罚款
    points: 10
grades:
  - grade: A
    min_score: 0
source:
  official: true
  where: 测试
status: 有效
""")
MINIMAL["provision"] = (FULL["provision"][0], """\
id: FT-L735-38
law: 《医疗保障基金使用监督管理条例》
document: 国务院令第735号
article: 38
citation: 第三十八条
effective_from: 2021-05-01
applies_to: [定点医疗机构]
actions: [限期整改]
text: 条文摘录
source:
  official: true
  where: 官方文本
status: 有效
""")
MINIMAL["reward_policy"] = (FULL["reward_policy"][0], """\
id: JL-2024-TEST
title: 举报奖励办法（测试）
effective_from: 2024-01-01
base: 骗取金额
minimum: 200
maximum: 200000
tiers:
  - grade: 一级
    rate: 0.05
source:
  official: true
  where: 测试
status: 有效
""")
MINIMAL["extrapolation"] = (FULL["extrapolation"][0], """\
id: JS-2024-000001
contract: HT-2024-TEST
institution: H65020300004
date: 2024-06-20
sampling_unit: 住院病案
strata:
  - name: 全部
    population_size: 2
    overpayments: [0.00, 10.00]
result:
  method: sample-total-v1
  sample_size: 2
  population_size: 2
  degrees_of_freedom: 1
  point_estimate: 10.00
  standard_error: 0.00
  limits:
    - {confidence: 80, t_value: 0.0000, lower: 10.00, upper: 10.00}
    - {confidence: 90, t_value: 0.0000, lower: 10.00, upper: 10.00}
    - {confidence: 95, t_value: 0.0000, lower: 10.00, upper: 10.00}
  demand: 10.00
""")

# what the contract pays for: budgets, acceptances, payments, evaluation schemes (check.money)
FULL["budget"] = ("records/budget/ZJ-2024-FULL.yaml", """\
id: ZJ-2024-FULL
title: 测试预算项目
bureau: 测试区医疗保障局
year: 2024
total: 358000.00
lines:
  - id: bags
    name: 宣传袋
    quantity: 4000
    unit: 个
    unit_price: 2.00
    amount: 8000.00
    source: 测试
  - id: service
    name: 监管服务
    amount: 350000.00
    contract: HT-2024-FULL
spent:
  - {line: bags, date: 2024-03-22, amount: 8000.00, evidence: 测付〔2024〕1号}
source: 测试预算文本
status: 已撤回
withdrawal:
  date: 2024-12-01
  reason: 测试
  requested_by: 医保局
notes: 全字段预算
""")
MINIMAL["budget"] = (FULL["budget"][0], """\
id: ZJ-2024-FULL
title: 测试预算项目
bureau: 测试区医疗保障局
year: 2024
total: 5000.00
lines:
  - {id: legal, name: 法律顾问, amount: 5000.00}
source: 测试预算文本
status: 有效
""")
FULL["acceptance"] = ("records/acceptance/SD-2025-000001.yaml", """\
id: SD-2025-000001
contract: HT-2024-FULL
accepts: evaluation
period: "2024"
date: 2025-01-10
accepted_by: 测试区医疗保障局
passed: true
conditions: [补交材料]
basis: 考核结果
document_number: 测医保审〔2025〕1号
status: 已撤回
withdrawal:
  date: 2025-01-11
  reason: 测试
  requested_by: 医保局
notes: 全字段审定
""")
MINIMAL["acceptance"] = (FULL["acceptance"][0], """\
id: SD-2025-000001
contract: HT-2024-TEST
accepts: acceptance
date: 2025-01-10
accepted_by: 测试区医疗保障局
passed: false
basis: 验收资料
status: 有效
""")
FULL["payment"] = ("records/payment/ZF-2024-000001.yaml", """\
id: ZF-2024-000001
contract: HT-2024-FULL
instalment: first
amount: 175000.00
paid_on: 2024-03-15
voucher: 测财付〔2024〕1号
status: 已撤回
withdrawal:
  date: 2024-03-16
  reason: 测试
  requested_by: 医保局
notes: 全字段付款
""")
MINIMAL["payment"] = (FULL["payment"][0], """\
id: ZF-2024-000001
contract: HT-2024-FULL
instalment: first
amount: 1.00
paid_on: 2024-03-15
voucher: 测财付〔2024〕1号
status: 有效
""")
FULL["evaluation_scheme"] = ("records/evaluation_scheme/KH-2024-FULL.yaml", """\
id: KH-2024-FULL
contract: HT-2024-FULL
title: 测试考核办法
periods:
  - {id: "2024", start: 2024-03-01, end: 2024-11-20, allocation_year: 2025}
indicators:
  - id: quality
    name: 满意度
    group: 质量指标
    weight: 40
    source: manual
    source_text: 测试
  - id: checks
    name: 检查数
    group: 数量指标
    weight: 30
    source: inspections
    inspection_types: [日常巡查]
    target: 10
    bands:
      - {min: 0.8, share: 1}
      - {min: 0, share: 0.5}
  - id: money
    name: 追回金额
    group: 数量指标
    weight: 30
    source: kpi
    kpi: money_recovered
    target: 1000
scores:
  - {indicator: quality, period: "2024", score: 90, evidence: 问卷, assessed_on: 2024-11-25}
peer_scores:
  - {member: 测试第二成员, period: "2024", score: 80, evidence: 评估报告, assessed_on: 2024-11-26}
tiers:
  - {name: 合格, min_score: 60, payment_share: 1, consequence: 下一年度维持区域}
  - {name: 不合格, min_score: 0, payment_share: 0.8}
source: 测试办法
status: 已撤回
withdrawal:
  date: 2024-12-01
  reason: 测试
  requested_by: 医保局
notes: 全字段办法
""")
MINIMAL["evaluation_scheme"] = (FULL["evaluation_scheme"][0], """\
id: KH-2024-FULL
contract: HT-2024-TEST
title: 测试考核办法
periods:
  - {id: "2024", start: 2024-03-01, end: 2024-11-20}
indicators:
  - {id: quality, name: 满意度, group: 质量指标, weight: 100, source: manual}
tiers:
  - {name: 合格, min_score: 0, payment_share: 1}
source: 测试办法
status: 有效
""")


# -- helpers ------------------------------------------------------------------------------------------------------
class _Dumper(yaml.CSafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False)


def loaded(kind: str) -> dict:
    value, problems, _ = strict_yaml.load_bytes(FULL[kind][1].encode("utf-8"))
    assert not problems, problems
    return value


def run_check(schemas, kind: str, data: dict):
    relpath = FULL[kind][0]
    text = dump(data)
    return text, check_text(relpath, kind, text.encode("utf-8"), schemas).diagnostics


def resolve(node: dict) -> dict:
    """A schema node with its ``$ref`` into the vocabulary merged in (the node's own keys win)."""
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = {**DEFS[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def walk(node: dict, data, path: tuple = ()):
    """Schema objects found in ``data``: ``(path, node)`` for each object, first list items only."""
    node = resolve(node)
    if isinstance(data, dict) and ("properties" in node or node.get("type") == "object"):
        yield path, node
        for name, sub in node.get("properties", {}).items():
            if name in data:
                yield from walk(sub, data[name], path + (name,))
    elif isinstance(data, list) and data and isinstance(node.get("items"), dict):
        yield from walk(node["items"], data[0], path + (0,))


def get(data, path: tuple):
    for step in path:
        data = data[step]
    return data


def line_of(text: str, path: tuple) -> int:
    """Line of the key (or list item) at ``path``, found with PyYAML's own composer."""
    node, line = yaml.compose(text, Loader=yaml.SafeLoader), 1
    for step in path:
        if isinstance(step, int):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            key, node = next(pair for pair in node.value if pair[0].value == step)
            line = key.start_mark.line + 1
    return line


def field_paths(schemas: SchemaSet, kind: str) -> list[tuple]:
    return list(schemas.fields[kind])


def values_at(data, path: tuple) -> list:
    """Values at an item-agnostic field path (lists on the way are expanded)."""
    if isinstance(data, list):
        return [v for item in data for v in values_at(item, path)]
    if not path:
        return [data]
    if isinstance(data, dict) and path[0] in data:
        return values_at(data[path[0]], path[1:])
    return []


def required_cases():
    for kind in KINDS:
        data = loaded(kind)
        for path, node in walk(KIND_SCHEMAS[kind], data):
            for name in node.get("required", []):
                yield pytest.param(kind, path, name, id=f"{kind}:{'.'.join(map(str, path + (name,)))}")


def object_cases():
    for kind in KINDS:
        data = loaded(kind)
        for path, node in walk(KIND_SCHEMAS[kind], data):
            if node.get("additionalProperties") is False:
                yield pytest.param(kind, path, id=f"{kind}:{'.'.join(map(str, path)) or '(top)'}")


# -- kinds and files -----------------------------------------------------------------------------------------
def test_record_kinds_are_the_schema_files():
    assert sorted(ENUMS["record_kind"]) == KINDS
    assert sorted(FULL) == KINDS, "add a full record for the new kind to FULL"
    assert sorted(MINIMAL) == KINDS, "add a minimal record for the new kind to conftest.RECORDS"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_well_formed(kind):
    schema = KIND_SCHEMAS[kind]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert CJK.search(schema["title"])
    assert schema.get("additionalProperties") is False
    for path, node in walk(schema, loaded(kind)):
        missing = set(node.get("required", [])) - set(node.get("properties", {}))
        assert not missing, f"{kind} {path}: required but not defined: {missing}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("which", ["minimal", "full"])
def test_valid_records(schemas, kind, which):
    relpath, text = (MINIMAL if which == "minimal" else FULL)[kind]
    result = check_text(relpath, kind, text.encode("utf-8"), schemas)
    assert result.diagnostics == []
    assert result.record.valid


def test_full_records_are_valid_together(tmp_path, yibao):
    repo = make_repo(tmp_path, {**TOGETHER, **dict(FULL.values())})
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 0, run.out
    assert f"检查通过：{len(RECORDS) + len(FULL)} 个记录文件" in run.out


@pytest.mark.parametrize("kind", KINDS)
def test_full_records_fill_every_field(schemas, kind):
    data = loaded(kind)
    empty = [p for p in field_paths(schemas, kind) if not values_at(data, p)
             and not any(p[:len(e)] == e for e in EITHER_OR.get(kind, []))]
    assert not empty, f"give these fields a value in FULL[{kind!r}]: {empty}"


# -- required and unknown fields, from the schema files ------------------------------------------------------
@pytest.mark.parametrize("kind, parent, name", list(required_cases()))
def test_missing_required_field(schemas, kind, parent, name):
    data = loaded(kind)
    del get(data, parent)[name]
    text, diagnostics = run_check(schemas, kind, data)
    hits = [d for d in diagnostics if d.code == "missing-field" and f"缺少必填字段 {name}（" in d.message]
    assert len(hits) == 1, diagnostics
    assert CJK.search(hits[0].message)
    assert hits[0].line == (line_of(text, parent) if parent else 1)
    assert not [d for d in diagnostics if d.code == "internal-error"]


@pytest.mark.parametrize("kind, path", list(object_cases()))
def test_unknown_field(schemas, kind, path):
    data = loaded(kind)
    get(data, path)["bogus_field"] = "x"
    text, diagnostics = run_check(schemas, kind, data)
    hits = [d for d in diagnostics if d.code == "unknown-field"]
    assert len(hits) == 1, diagnostics
    assert "bogus_field" in hits[0].message
    assert hits[0].line == line_of(text, path + ("bogus_field",))


# -- vocabularies ----------------------------------------------------------------------------------------------------
def _referenced_defs() -> set[str]:
    names: set[str] = set()
    for schema in KIND_SCHEMAS.values():
        names |= set(re.findall(r'"\$ref":\s*"vocabulary\.schema\.json#/\$defs/([A-Za-z_]+)"', json.dumps(schema)))
    # definitions used inside other definitions (withdrawal uses date and text, …)
    for name in list(names):
        names |= set(re.findall(r'"\$ref":\s*"#/\$defs/([A-Za-z_]+)"', json.dumps(DEFS[name])))
    return names


def test_no_orphan_vocabularies():
    orphans = set(ENUMS) - _referenced_defs()
    # record_kind lists the kinds themselves (checked against the schema files above)
    assert orphans == {"record_kind"}


def _usage(schemas: SchemaSet, name: str) -> tuple[str, tuple]:
    """The first field (kind, path) that takes its values from vocabulary ``name``."""
    for kind in KINDS:
        for path, info in schemas.fields[kind].items():
            if info.vocabulary == name:
                return kind, path
    raise AssertionError(f"vocabulary {name} is used by no field")


def _set_term(data: dict, path: tuple, value) -> tuple:
    """Put ``value`` in the field (the first item of lists on the way); returns its data path."""
    node, at = data, ()
    for step in path[:-1]:
        node, at = node[step], at + (step,)
        if isinstance(node, list):
            node, at = node[0], at + (0,)
    if isinstance(node[path[-1]], list):
        node[path[-1]][0] = value
        return at + (path[-1], 0)
    node[path[-1]] = value
    return at + (path[-1],)


@pytest.mark.parametrize("name", sorted(set(ENUMS) - {"record_kind"}))
def test_every_term_is_accepted_and_a_non_term_refused(schemas, name):
    kind, path = _usage(schemas, name)
    for term in ENUMS[name]:
        data = loaded(kind)
        at = _set_term(data, path, term)
        _, diagnostics = run_check(schemas, kind, data)
        schema_errors = [d for d in diagnostics if d.field == format_path(at) and d.code in ("unknown-term", "wrong-type", "schema")]
        assert not schema_errors, (term, schema_errors)
        assert not [d for d in diagnostics if d.code == "internal-error"]

        data = loaded(kind)
        wrong = term + "X"
        at = _set_term(data, path, wrong)
        text, diagnostics = run_check(schemas, kind, data)
        hits = [d for d in diagnostics if d.code == "unknown-term"]
        assert len(hits) == 1, (wrong, diagnostics)
        assert hits[0].field == format_path(at)
        assert f"最接近的是“{term}”" in hits[0].message and name in hits[0].message
        assert hits[0].line == line_of(text, at)


@pytest.mark.parametrize("name", sorted(set(ENUMS) - {"record_kind"}))
def test_every_vocabulary_field_reports_its_vocabulary(schemas, name):
    """Each field whose schema refers to a vocabulary knows it (used in messages and the portal)."""
    for kind in KINDS:
        text = json.dumps(KIND_SCHEMAS[kind])
        if f"#/$defs/{name}\"" in text:
            assert any(info.vocabulary == name for info in schemas.fields[kind].values()), (kind, name)


def test_terms_are_unique_and_plain():
    for name, terms in ENUMS.items():
        assert len(terms) == len(set(terms)), name
        assert all(isinstance(t, str) and t == t.strip() and t for t in terms), name


def test_annotations_name_only_terms():
    """Every ``x-…`` map or list in a vocabulary names terms of that vocabulary only."""
    seen = 0
    for name, d in DEFS.items():
        if "enum" not in d:
            continue
        for key, value in d.items():
            if key.startswith("x-") and isinstance(value, (dict, list)):
                seen += 1
                unknown = set(value) - set(d["enum"])
                assert not unknown, f"{name}.{key}: not terms: {unknown}"
    assert seen >= 10


#: which enum the values of each ``x-applies-to`` map are terms of
APPLIES_TO = {"inspection_type": "institution_type", "violation_type": "subject_type"}


def test_applies_to_maps_cover_every_term_with_known_types():
    with_map = {name for name, d in DEFS.items() if "x-applies-to" in d}
    assert with_map == set(APPLIES_TO), "say which enum a new x-applies-to map's values belong to"
    for name, target in APPLIES_TO.items():
        mapping = DEFS[name]["x-applies-to"]
        assert set(mapping) == set(ENUMS[name]), f"{name}: terms without x-applies-to: {set(ENUMS[name]) - set(mapping)}"
        for term, types in mapping.items():
            assert types and len(types) == len(set(types)), (name, term)
            assert set(types) <= set(ENUMS[target]), f"{name}.{term}: {set(types) - set(ENUMS[target])}"
    # every institution type can be inspected, every subject type can violate something
    assert set().union(*DEFS["inspection_type"]["x-applies-to"].values()) == set(ENUMS["institution_type"])
    assert set().union(*DEFS["violation_type"]["x-applies-to"].values()) == set(ENUMS["subject_type"])


def test_institution_types_are_subject_types():
    assert set(ENUMS["institution_type"]) <= set(ENUMS["subject_type"])
    assert set(DEFS["subject_type"]["x-person"]) == set(ENUMS["subject_type"]) - set(ENUMS["institution_type"])


def test_labels_and_ranks():
    for name, d in DEFS.items():
        labels = d.get("x-labels", {})
        assert all(isinstance(v, str) and v for v in labels.values()), name
        ranks = d.get("x-rank")
        if ranks is not None:
            assert [ranks[t] for t in d["enum"]] == sorted(set(ranks.values())), f"{name}: ranks follow the enum order"
    assert set(DEFS["record_kind"]["x-labels"]) == set(KINDS)
    assert all(CJK.search(v) for v in DEFS["record_kind"]["x-labels"].values())


def test_volume_fields_exist_on_institutions():
    volume_fields = set(KIND_SCHEMAS["institution"]["properties"]["volumes"]["items"]["properties"]) - {"year"}
    mapping = DEFS["sampling_basis"]["x-volume-field"]
    assert set(mapping) == set(ENUMS["sampling_basis"])
    assert set(mapping.values()) <= volume_fields


def test_id_prefixes_match_id_patterns():
    for kind, prefix in DEFS["record_kind"]["x-id-prefix"].items():
        pattern = resolve(KIND_SCHEMAS[kind]["properties"]["id"])["pattern"]
        assert pattern.startswith(f"^{prefix}-"), (kind, pattern)
    assert set(KINDS) - set(DEFS["record_kind"]["x-id-prefix"]) == {"institution"}  # national codes, no prefix
    institution_id = DEFS["institution_id"]["pattern"]
    prefixes = DEFS["institution_type"]["x-id-prefix"]
    assert set(prefixes) == set(ENUMS["institution_type"])
    assert len(set(prefixes.values())) == len(prefixes)
    for prefix in prefixes.values():
        assert re.fullmatch(institution_id.strip("^$"), f"{prefix}65020300001"), prefix


def test_closed_and_withdrawn_states():
    for name, d in DEFS.items():
        for key in ("x-closed", "x-withdrawn"):
            assert set(d.get(key, [])) <= set(d.get("enum", [])), (name, key)
    # every kind that can be withdrawn has a withdrawn state in its status vocabulary
    for kind, schema in KIND_SCHEMAS.items():
        if "withdrawal" in schema["properties"]:
            status = resolve(schema["properties"]["status"])
            assert status.get("x-withdrawn"), kind


# -- titles: the portal's labels --------------------------------------------------------------------------------------
def _properties(node: dict, path: tuple = ()):
    node = resolve(node)
    for name, sub in node.get("properties", {}).items():
        yield path + (name,), sub
        yield from _properties(sub, path + (name,))
    if isinstance(node.get("items"), dict):
        yield from _properties(node["items"], path)


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_chinese_title(schemas, kind):
    untitled = []
    for path, sub in _properties(KIND_SCHEMAS[kind]):
        title = resolve(sub).get("title")
        if title is None and CJK.search(path[-1]):
            continue  # a property named in Chinese (expected_counts.定点医疗机构) is its own label
        if not (title and CJK.search(title)):
            untitled.append(path)
    assert not untitled, f"{kind}: properties without a Chinese title: {untitled}"
    for path in schemas.fields[kind]:
        assert CJK.search(schemas.title(kind, path)), (kind, path)


# -- the fast validator agrees with the reference, and no value crashes a check --------------------------------------
BAD_VALUES = [None, [], {}, -1, "x", True, [{}], ["x"], Decimal("30.0"), "650203\n"]


def _data_paths(data, path: tuple = ()):
    if path:
        yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _data_paths(value, path + (key,))
    elif isinstance(data, list) and data:  # the first item stands for all (same schema)
        yield from _data_paths(data[0], path + (0,))


def _all_records() -> list[Record]:
    """The minimal and the full records, all valid together."""
    records = []
    for relpath, text in [*TOGETHER.items(), *FULL.values()]:
        records.append(Record(relpath.split("/")[1], relpath, strict_yaml.load_bytes(text.encode())[0]))
    return records


@pytest.mark.parametrize("kind", KINDS)
def test_wrongly_typed_values_never_crash_and_both_validators_agree(schemas, kind):
    base = loaded(kind)
    others = [r for r in _all_records() if r.path != FULL[kind][0]]
    found = []
    check_references(others + [Record(kind, FULL[kind][0], base)], Index.build(others + [Record(kind, FULL[kind][0], base)]),
                     schemas, lambda *args: found.append(args))
    assert found == [], "the records are valid together: a crash below is the bad value's doing"

    for path in list(_data_paths(base)):
        for bad in BAD_VALUES:
            data = copy.deepcopy(base)
            get(data, path[:-1])[path[-1]] = bad
            if not schemas.errors(kind, data):  # the fast validator said valid: so must the reference
                assert not schemas.slow_errors(kind, data), (path, bad)
            text, diagnostics = run_check(schemas, kind, data)
            assert not [d for d in diagnostics if d.code == "internal-error"], (path, bad, diagnostics)
            assert all("\n" not in d.text() for d in diagnostics)
            record = Record(kind, FULL[kind][0], strict_yaml.load_bytes(text.encode())[0])
            records = others + [record]
            found = []
            check_references(records, Index.build(records), schemas, lambda *args: found.append(args))


@pytest.mark.parametrize(
    "kind, path, value, code",
    [
        ("inspection", ("sampling", "sampled"), Decimal("30.0"), "wrong-type"),  # a count is a whole number
        ("calendar", ("year",), Decimal("2025.0"), "wrong-type"),
        ("contract", ("region_code",), "650203\n", "invalid-format"),  # a pattern's $ is the very end
        ("staff", ("contracts", 0), "HT-2024-TEST\n", "invalid-format"),
        ("case", ("subject", "person_code"), "YS-A0000001\n", "invalid-format"),
    ],
)
def test_values_the_fast_validator_could_miss(schemas, kind, path, value, code):
    data = loaded(kind)
    get(data, path[:-1])[path[-1]] = value
    assert schemas.errors(kind, data) and schemas.slow_errors(kind, data)
    _, diagnostics = run_check(schemas, kind, data)
    assert code in [d.code for d in diagnostics], diagnostics


# -- calendar rules ------------------------------------------------------------------------------------------------------
CAL = "records/calendar/RL-2024.yaml"
CAL_HEAD = "id: RL-2024\nyear: 2024\nsource: 国务院办公厅关于2024年部分节假日安排的通知\n"


@pytest.mark.parametrize(
    "body, code, needle, words",
    [
        ("holidays: []\nmakeup_workdays:\n  - {date: 2024-02-05, name: 春节}\n", "makeup-not-weekend", "2024-02-05", ("星期一",)),
        ("holidays:\n  - {name: 春节, start: 2024-02-10, end: 2024-02-17}\n  - {name: 元宵, start: 2024-02-17, end: 2024-02-18}\n"
         "makeup_workdays: []\n", "overlapping-holidays", "元宵", ("2024-02-17",)),
        ("holidays:\n  - {name: 春节, start: 2024-02-10, end: 2024-02-17}\nmakeup_workdays:\n  - {date: 2024-02-11, name: 春节}\n",
         "overlapping-holidays", "2024-02-11", ("调休上班日",)),
        ("holidays:\n  - {name: 元旦, start: 2024-12-31, end: 2025-01-01}\nmakeup_workdays: []\n", "date-outside-year", "元旦", ("2025-01-01", "2024 年")),
        ("holidays: []\nmakeup_workdays:\n  - {date: 2023-12-31, name: 元旦}\n", "date-outside-year", "2023-12-31", ("2024 年",)),
        ("holidays:\n  - {name: 春节, start: 2024-02-17, end: 2024-02-10}\nmakeup_workdays: []\n", "date-order", "春节", ("放假止",)),
    ],
    ids=["makeup-on-a-weekday", "overlapping-holidays", "makeup-inside-a-holiday", "holiday-outside-the-year",
         "makeup-outside-the-year", "holiday-ends-before-it-starts"],
)
def test_calendar_rules(tmp_path, yibao, body, code, needle, words):
    repo = make_repo(tmp_path, {CAL: CAL_HEAD + body})
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 1
    assert run.codes == [code], run.out
    hit = run.only(code)
    assert hit.path == CAL and hit.line == repo.line_of(CAL, needle)
    assert all(word in hit.message for word in words), hit.message


def test_calendar_year_must_match_id(tmp_path, yibao):
    repo = make_repo(tmp_path, {CAL: CAL_HEAD.replace("year: 2024", "year: 2025") + "holidays: []\nmakeup_workdays: []\n"})
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 1 and "RL-2025" in run.only("id-mismatch").message


def test_project_calendar_is_consistent(tmp_path, yibao):
    """The repository's real 2024 calendar passes the calendar rules on its own."""
    source = Path(__file__).resolve().parents[1] / CAL
    repo = make_repo(tmp_path, {CAL: source.read_text(encoding="utf-8")})
    run = yibao("validate", cwd=repo.root)
    assert run.rc == 0, run.out


def test_a_vocabulary_without_the_attributes_rules_decide_by_is_refused(tmp_path):
    import json
    import shutil

    from yibao.core.schemas import SchemaError, SchemaSet

    project = Path(__file__).resolve().parent.parent
    shutil.copytree(project / "schemas", tmp_path / "schemas")
    path = tmp_path / "schemas" / "vocabulary.schema.json"
    vocabulary = json.loads(path.read_text(encoding="utf-8"))
    del vocabulary["$defs"]["inspection_status"]["x-planned"]
    del vocabulary["$defs"]["protocol_status"]["x-terminated"]
    path.write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SchemaError) as refused:
        SchemaSet.load(tmp_path / "schemas")
    assert "inspection_status.x-planned" in str(refused.value) and "protocol_status.x-terminated" in str(refused.value)
    vocabulary["$defs"]["inspection_status"]["x-planned"] = []  # present and empty: no planned status, said so
    vocabulary["$defs"]["protocol_status"]["x-terminated"] = []
    path.write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
    SchemaSet.load(tmp_path / "schemas")


def test_every_vocabulary_attribute_the_code_names_is_classified():
    """A new x- attribute in the code must be listed as required (refused when missing) or optional."""
    import ast

    import yibao
    from yibao.core.schemas import OPTIONAL_ATTRIBUTES, REQUIRED_ATTRIBUTES

    required = {a for attributes in REQUIRED_ATTRIBUTES.values() for a in attributes}
    named = set()
    for path in Path(yibao.__file__).resolve().parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"x-[a-z-]+", node.value):
                named.add(node.value)
    assert named - required - OPTIONAL_ATTRIBUTES == set()
