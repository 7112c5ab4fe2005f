"""What the contract pays for (issue 18): instalments, evaluation tied to payment, budget lines,
fee cap and teams by posting, worked by hand from the demo records.

Karamay (seed 000, "签订合同后且供应商人员配备到位，并满足采购方要求后30日内，采购方支付合同总金额的60%，
项目验收完毕后30日内支付剩余金额"), contract amount 350,000.00:

- first: 60% = 210,000.00; signed 2024-02-26, the team meets its requirements from 2024-02-27 (the
  generated roster), the bureau accepts the staffing on 2024-04-02 (SD-2024-KMY001): trigger
  2024-04-02; + 30 natural days = 2024-05-02, inside 劳动节 (2024-05-01 to 05-05), so due on the
  next working day 2024-05-06; paid 2024-04-30: on time;
- final: 350,000.00 - 210,000.00 = 140,000.00; accepted 2024-12-10 (SD-2024-KMY002); + 30 = 2025-01-09
  (a Thursday, a working day); paid 2025-01-15: 6 days late.

Chengjiang (illustrative terms): the final instalment is due 15 working days after the evaluation is
accepted on 2025-01-10 (a Friday): Jan 13–17 (5), 20–24 (10), Sunday Jan 26 is a make-up working
day (11), Jan 27 (12), 春节 Jan 28 – Feb 4, then Feb 5, 6, 7 (15): due 2025-02-07. Its evaluation
(KH-2024-CJ, seed 001's indicators): 15×0.90 + 10×0.85 + 15×0.88 + 10×0.95 (bureau scores) + 15×0.6
(15 of 20 inspections = 0.75, banded down to 0.6) + 15 + 10 + 10 (KPIs at target) = 88.7 → 良好 (≥ 85,
< 95) → 95% of 43,500.00 = 41,325.00.

Zhaoqing (seed 004): 2025 spending 48,000,000 + 36,500,000 + 41,200,000 = 125,700,000.00; × 2.5% =
3,142,500.00 > the ceiling 3,000,000.00, so the cap is 3,000,000.00. 德庆县 (441226) has its only
posted member leave on 2025-04-30 and the next posted from 2025-06-01 (a city member moved there, a new
one joins the city that day): no one posted 2025-04-30 to 2025-05-31 (32 days), and the team is 11 of
its 12 for the same days.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from demo_copy import copy_demo, edit

from yibao.compute import evaluation as ev
from yibao.compute import kpis, payments
from yibao.compute.view import ContractView, RecordIndex
from yibao.core.record import Record
from yibao.core.schemas import SchemaSet
from yibao.load.strict_yaml import load_bytes

PROJECT = Path(__file__).resolve().parents[1]
SCHEMAS = SchemaSet.load(PROJECT / "schemas")


def load_all(root: Path) -> list[Record]:
    out = []
    for path in sorted((root / "records").rglob("*.yaml")):
        data, problems, _ = load_bytes(path.read_bytes())
        rel = path.relative_to(root).as_posix()
        out.append(Record(rel.split("/")[1], rel, data))
    return out


@pytest.fixture(scope="module")
def index() -> RecordIndex:
    return RecordIndex.build(load_all(PROJECT), SCHEMAS)


def view(index: RecordIndex, cid: str, day: str) -> ContractView:
    return ContractView(index.get("contract", cid), index, dt.date.fromisoformat(day), SCHEMAS)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


# -- instalments ----------------------------------------------------------------------------------------
def test_karamay_instalments_worked_by_hand(index):
    first, final = payments.instalments(view(index, "HT-2024-KLMY", "2025-03-01"))
    assert (first.id, first.amount, first.trigger_date, first.due, first.rolled_from) == (
        "first", Decimal("210000.00"), dt.date(2024, 4, 2), dt.date(2024, 5, 6), dt.date(2024, 5, 2))
    assert [c["date"] for c in first.conditions] == ["2024-02-26", "2024-04-02"]
    assert "2024-02-27 起满足" in first.conditions[1]["note"] and first.conditions[1]["record"] == "SD-2024-KMY001"
    assert (first.paid, first.paid_on, first.status, first.days_late) == (
        Decimal("210000.00"), dt.date(2024, 4, 30), payments.PaymentStatus.PAID_ON_TIME, None)
    assert (final.amount, final.trigger_date, final.due, final.rolled_from) == (
        Decimal("140000.00"), dt.date(2024, 12, 10), dt.date(2025, 1, 9), None)
    assert (final.paid_on, final.status, final.days_late) == (dt.date(2025, 1, 15), payments.PaymentStatus.PAID_LATE, 6)


def test_before_acceptance_the_final_instalment_is_not_triggered_and_later_overdue(index):
    _, final = payments.instalments(view(index, "HT-2024-KLMY", "2024-10-15"))
    assert (final.trigger_date, final.due, final.status) == (None, None, payments.PaymentStatus.NOT_TRIGGERED)
    assert final.conditions[0]["note"] == "尚无审定通过的记录"
    _, final = payments.instalments(view(index, "HT-2024-KLMY", "2025-01-12"))  # accepted, not yet paid
    assert (final.status, final.days_late, final.paid) == (payments.PaymentStatus.OVERDUE, 3, Decimal(0))


def test_team_in_place_waits_for_the_team_and_for_the_bureau(demo):
    """Without the bureau's acceptance of the staffing, the team alone does not trigger the first instalment."""
    (demo / "records/acceptance/SD-2024-KMY001.yaml").unlink()
    index = RecordIndex.build(load_all(demo), SCHEMAS)
    first, _ = payments.instalments(view(index, "HT-2024-KLMY", "2025-03-01"))
    assert first.trigger_date is None and first.status is payments.PaymentStatus.PAID_EARLY
    assert "尚无医保局认可人员配备" in first.conditions[1]["note"]


def test_working_day_due_date_across_the_spring_festival(index):
    first, final = payments.instalments(view(index, "HT-2024-CJ", "2025-03-01"))
    assert (first.amount, first.due, first.status) == (Decimal("43500.00"), dt.date(2024, 1, 24), payments.PaymentStatus.PAID_ON_TIME)
    assert (final.base, final.trigger_date, final.due) == (Decimal("43500.00"), dt.date(2025, 1, 10), dt.date(2025, 2, 7))
    assert (final.amount, final.paid_on, final.status) == (Decimal("41325.00"), dt.date(2025, 2, 6), payments.PaymentStatus.PAID_ON_TIME)
    assert final.evaluation == {"scheme": "KH-2024-CJ", "period": "2024", "score": "88.70", "tier": "良好",
                                "payment_share": 0.95, "complete": True, "text": "88.70 分，良好"}


# -- evaluation -------------------------------------------------------------------------------------------
def test_evaluation_worked_by_hand(index):
    result = ev.evaluate_scheme(index.get("evaluation_scheme", "KH-2024-CJ"), index, SCHEMAS, "2024")
    points = {i.id: i.points for i in result.indicators}
    assert points == {"process": Fraction(27, 2), "method": Fraction(17, 2), "satisfaction": Fraction(66, 5),
                      "staffing": Fraction(19, 2), "business": 9, "records": 15, "recovered": 10, "refused": 10}
    business = next(i for i in result.indicators if i.id == "business")
    assert (business.value, business.attainment, business.share, len(business.inputs)) == (15, Fraction(3, 4), Fraction(3, 5), 15)
    assert (result.score, result.tier, result.payment_share, result.missing) == (Fraction(887, 10), "良好", Fraction(19, 20), [])


def test_bands_and_tiers_pick_the_highest_reached():
    bands = [{"min": Decimal(1), "share": Decimal(1)}, {"min": Decimal("0.8"), "share": Decimal("0.8")}, {"min": Decimal(0), "share": Decimal(0)}]
    assert [ev.banded(Fraction(x, 100), bands) for x in (100, 99, 80, 79, 0)] == [1, Fraction(4, 5), Fraction(4, 5), 0, 0]
    tiers = [{"name": "优秀", "min_score": 95, "payment_share": Decimal(1)}, {"name": "良好", "min_score": 85, "payment_share": Decimal("0.95")},
             {"name": "不合格", "min_score": 0, "payment_share": Decimal("0.6")}]
    assert ev.tier_of(tiers, Fraction(95)) == ("优秀", 1)
    assert ev.tier_of(tiers, Fraction(9499, 100)) == ("良好", Fraction(19, 20))
    assert ev.tier_of(tiers, Fraction(8499, 100)) == ("不合格", Fraction(3, 5))


def test_a_missing_score_leaves_the_evaluation_and_the_payment_open(index):
    """Before the bureau scored (2025-01-08), the evaluation is incomplete and implies no amount."""
    result = ev.evaluate_scheme(index.get("evaluation_scheme", "KH-2024-CJ"), index, SCHEMAS, "2024", dt.date(2025, 1, 7))
    assert result.missing == ["process", "method", "satisfaction", "staffing"] and not result.complete


def test_a_lower_score_lowers_the_payment(demo, yibao):
    """Satisfaction scored 30 instead of 88: 88.7 - 15 × 0.58 = 80.0 → 合格 (≥ 70): 85% of 43,500.00 = 36,975.00."""
    edit(demo, "records/evaluation_scheme/KH-2024-CJ.yaml", 'indicator: satisfaction, period: "2024", score: 88,',
         'indicator: satisfaction, period: "2024", score: 30,')
    edit(demo, "records/payment/ZF-2025-CJ0002.yaml", "amount: 41325.00", "amount: 36975.00")
    run = yibao("evaluate", "--contract", "HT-2024-CJ", "--period", "2024", "--as-of", "2025-03-01", "--format", "json", "--no-cache", cwd=demo)
    assert run.rc == 0, run.out + run.err
    data = json.loads(run.out)
    assert (data["score"], data["tier"], data["payment_share"]) == (80.0, "合格", 0.85)
    [final] = data["instalments"]
    assert (final["amount"], final["paid"], final["status"]) == (36975.0, 36975.0, "按时支付")


def test_evaluate_prints_every_indicator_and_the_payment(yibao):
    run = yibao("evaluate", "--contract", "HT-2024-CJ", "--period", "2024", "--as-of", "2025-03-01", "--inputs", "0", cwd=PROJECT)
    assert run.rc == 0, run.out + run.err
    for text in ("监管流程规范性", "社会评价满意度", "拒付追回医保基金数", "JC-2024-1FEJPX：稽核，2024-05-17 结束",
                 "总分 88.70 分，档次：良好，付款比例：95.00%", "按考核应付 41,325.00 元", "应付日 2025-02-07"):
        assert text in run.out, text
    bad = yibao("evaluate", "--contract", "HT-2024-CJ", "--period", "2023", cwd=PROJECT)
    assert bad.rc == 2 and "没有考核期 2023" in bad.err


# -- fee cap and postings (seed 004) ----------------------------------------------------------------------
def test_fee_cap_is_the_lower_of_share_and_ceiling(index, demo):
    [cap] = payments.fee_caps(view(index, "HT-2025-ZQYJ", "2026-12-01"))
    assert (cap.year, cap.spending, cap.by_rate, cap.ceiling, cap.cap, cap.capped_by_ceiling) == (
        2025, Decimal("125700000.00"), Decimal("3142500.00"), Decimal("3000000.00"), Decimal("3000000.00"), True)
    assert payments.fee_caps(view(index, "HT-2025-ZQYJ", "2026-01-21"))[0].missing == ["441226"]  # recorded on 01-22
    edit(demo, "records/contract/HT-2025-ZQYJ.yaml", "ceiling: 3000000.00", "ceiling: 4000000.00")
    [cap] = payments.fee_caps(view(RecordIndex.build(load_all(demo), SCHEMAS), "HT-2025-ZQYJ", "2026-12-01"))
    assert (cap.cap, cap.capped_by_ceiling) == (Decimal("3142500.00"), False)


def test_a_county_without_posted_staff_is_flagged_with_its_dates(index):
    found = kpis.team_breaches(view(index, "HT-2025-ZQYJ", "2026-12-01"))
    assert [(b.qualifier, b.start, b.end, b.days, b.have, b.need) for b in found] == [
        ("min_total", dt.date(2025, 4, 30), dt.date(2025, 5, 31), 32, 11, 12),  # RY-ZQ0013 joins 2025-06-01
        ("posting-441226", dt.date(2025, 4, 30), dt.date(2025, 5, 31), 32, 0, 1)]
    assert found[1].requirement == "每县（市、区）至少派驻一名人员：派驻 441226 的人数"
    running = kpis.team_breaches(view(index, "HT-2025-ZQYJ", "2025-05-15"))
    assert {(b.start, b.end) for b in running} == {(dt.date(2025, 4, 30), dt.date(2025, 5, 15))}
    assert kpis.team_breaches(view(index, "HT-2025-ZQYJ", "2025-04-29")) == []
    assert kpis.team_breaches(view(index, "HT-2024-KLMY", "2024-12-31")) == []  # the generated roster keeps every requirement


def test_the_city_minimum_is_checked_too(demo):
    """The city has RY-ZQ0001, 0002, 0003 and (from 2025-06-01) 0013. Moving 0003 to 端州区 from 2025-09-01
    leaves 3; moving 0002 to 封开县 and 0013 to 端州区 from 2025-10-01 leaves 1 < 2: short from 2025-10-01."""
    edit(demo, "records/staff/RY-ZQ0003.yaml", '  - {region_code: "441200", from: 2025-01-01}\n',
         '  - {region_code: "441200", from: 2025-01-01}\n  - {region_code: "441202", from: 2025-09-01}\n')
    edit(demo, "records/staff/RY-ZQ0002.yaml", '  - {region_code: "441200", from: 2025-01-01}\n',
         '  - {region_code: "441200", from: 2025-01-01}\n  - {region_code: "441225", from: 2025-10-01}\n')
    edit(demo, "records/staff/RY-ZQ0013.yaml", '  - {region_code: "441200", from: 2025-06-01}\n',
         '  - {region_code: "441200", from: 2025-06-01}\n  - {region_code: "441202", from: 2025-10-01}\n')
    index = RecordIndex.build(load_all(demo), SCHEMAS)
    found = kpis.team_breaches(view(index, "HT-2025-ZQYJ", "2025-12-31"))
    assert [(b.qualifier, b.start, b.end, b.have) for b in found if b.qualifier == "posting-441200"] == [
        ("posting-441200", dt.date(2025, 10, 1), dt.date(2025, 12, 31), 1)]


def test_a_title_requirement_broken_for_some_days_is_dated_too(demo):
    """Every team requirement is checked day by day, not only postings: the only 项目负责人 of the
    medical-assistance contract leaving on 2025-08-01 breaks the role and its employment requirement."""
    edit(demo, "records/staff/RY-ZQ0001.yaml", "joined_on: 2025-01-01\n", "joined_on: 2025-01-01\nleft_on: 2025-08-01\n")
    index = RecordIndex.build(load_all(demo), SCHEMAS)
    found = {b.qualifier: (b.start, b.end, b.have, b.need) for b in kpis.team_breaches(view(index, "HT-2025-ZQYJ", "2025-08-31"))}
    assert found["项目负责人"] == (dt.date(2025, 8, 1), dt.date(2025, 8, 31), 0, 1)
    assert found["项目负责人-employment"] == (dt.date(2025, 8, 1), dt.date(2025, 8, 31), 0, 1)


def test_the_docking_deadline_moves_by_the_granted_extension_only_once_granted(yibao):
    before = yibao("report", "--contract", "HT-2025-ZQYJ", "--as-of", "2025-03-20", "--format", "json", cwd=PROJECT)
    after = yibao("report", "--contract", "HT-2025-ZQYJ", "--as-of", "2025-12-31", "--format", "json", cwd=PROJECT)
    assert before.rc == 0 and after.rc == 0, before.err + after.err
    names = {k["name"]: k["status"] for k in json.loads(after.out)["kpis"] if k["id"].startswith("milestones/")}
    assert names == {"完成医疗救助“一站式”结算系统对接（原定 2025-03-31，延期至 2025-04-30）（2025-04-30 前）": "达标"}
    assert "延期" not in before.out


# -- checks ----------------------------------------------------------------------------------------------
def test_the_demo_budget_adds_up_to_ten_thousand_yuan_lines(index):
    budget = index.get("budget", "ZJ-2024-CJ")
    lines = {l["id"]: (l.get("quantity"), l.get("unit_price"), l["amount"]) for l in budget.get("lines")}
    assert lines == {"legal": (None, None, Decimal("5000.00")), "bags": (4000, Decimal("2.00"), Decimal("8000.00")),
                     "audit-service": (None, None, Decimal("45000.00")), "supervision-service": (None, None, Decimal("42000.00"))}
    assert sum(a for _, _, a in lines.values()) == budget.get("total") == Decimal("100000.00")


@pytest.mark.parametrize("relpath, old, new, code, words", [
    ("records/budget/ZJ-2024-CJ.yaml", "    amount: 8000.00\n", "    amount: 8800.00\n", "budget-line-mismatch", "数量 4000 × 单价 2.00 元 = 8,000.00 元"),
    ("records/budget/ZJ-2024-CJ.yaml", "total: 100000.00", "total: 100100.00", "budget-total-mismatch", "相差 100.00 元"),
    ("records/budget/ZJ-2024-CJ.yaml", "    amount: 42000.00\n", "    amount: 32000.00\n", "budget-contract-mismatch", "预算金额 87,000.00 元"),
    ("records/contract/HT-2024-KLMY.yaml", "    remainder: true\n", "    share: 0.3\n", "instalment-total-mismatch", "与合同金额 350,000.00 元不符"),
    ("records/payment/ZF-2025-KMY002.yaml", "amount: 140000.00", "amount: 140000.01", "payment-exceeds-instalment", "超过合同约定的 140,000.00 元"),
    ("records/payment/ZF-2024-KMY001.yaml", "instalment: first", "instalment: frist", "unknown-instalment", "现有：first、final"),
    ("records/evaluation_scheme/KH-2024-CJ.yaml", "  - id: process\n    name: 监管流程规范性\n    group: 质量指标\n    weight: 15", "  - id: process\n    name: 监管流程规范性\n    group: 质量指标\n    weight: 16", "evaluation-weights", "101 分"),
    ("records/evaluation_scheme/KH-2024-CJ.yaml", "  - {name: 不合格, min_score: 0, payment_share: 0.6}\n", "", "evaluation-tiers", "最低分为 0"),
    ("records/contract/HT-2025-ZQYJ.yaml", "    max_extension_days: 30", "    max_extension_days: 20", "extension-too-long", "最多 20 日"),
    ("records/payment/ZF-2026-ZQ0001.yaml", "amount: 3000000.00", "amount: 3000000.01", "payment-exceeds-instalment", "超过合同约定的 3,000,000.00 元"),
    ("records/contract/HT-2024-KLMY.yaml", "    evaluation_scheme: KH-2024-KLMY\n", "    evaluation_scheme: KH-2024-CJ\n", "evaluation-scheme-mismatch", "属于项目 HT-2024-CJ"),
    ("records/contract/HT-2024-KLMY.yaml", '    period: "2024"\n', '    period: "2023"\n', "unknown-period", "不在 KH-2024-KLMY 的考核期中"),
    ("records/contract/HT-2024-KLMY.yaml", '    period: "2024"\n', "", "instalment-evaluation-missing", "须一起写"),
    ("records/evaluation_scheme/KH-2025-ZQYJ.yaml", "member: 星湖健康", "member: 星河健康", "peer-not-in-consortium", "不在项目 HT-2025-ZQYJ 的承办机构"),
    ("records/evaluation_scheme/KH-2025-ZQYJ.yaml", "member: 星湖健康保险股份有限公司肇庆中心支公司（虚构）", "member: 西江人寿保险股份有限公司肇庆中心支公司（虚构）", "peer-is-contractor", "由本办法计算"),
    ("records/contract/HT-2025-ZQYJ.yaml", "fee_cap:\n  rate: 0.025\n", "fee_cap_terms:\n  rate: 0.025\n", "fee-cap-missing", "须写服务费上限"),
])
def test_checks_refuse_money_that_does_not_add_up(demo, yibao, relpath, old, new, code, words):
    assert yibao("validate", "--no-cache", cwd=demo).rc == 0
    edit(demo, relpath, old, new)
    run = yibao("validate", "--no-cache", cwd=demo)
    assert run.rc == 1
    hits = [d for d in run.diagnostics if d.code == code]
    assert hits and hits[0].path == relpath and words in hits[0].message, run.out


# -- report and portal -------------------------------------------------------------------------------------
def test_report_table_shows_instalments_breaches_and_fee_caps(yibao):
    run = yibao("report", "--as-of", "2026-12-01", cwd=PROJECT)
    assert run.rc == 0, run.err
    for text in ("【付款进度】", "2024-05-06（2024-05-02 遇休息日顺延）", "逾期支付", "88.70 分，良好",
                 "【团队缺员】", "派驻 441226 的人数 2025-04-30 2025-05-31 32 0 1", "【服务费上限】", "3,142,500.00 3,000,000.00 3,000,000.00 年度封顶"):
        assert text in " ".join(run.out.split()), text


def _later_dates_outside_due_spans(text: str, day: str) -> list[str]:
    import re

    text = re.sub(r'<span class="yb-date-due">\d{4}-\d{2}-\d{2}</span>', "", text)
    return [d for d in re.findall(r"(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)", text) if d > day]


def test_the_contract_page_shows_money_as_of_its_date():
    from portal_demo import project_records, site_as_of
    from yibao.publish.money import contract_money

    schemas, records = project_records()
    site = site_as_of(schemas, records, "2025-03-01")
    cj = contract_money(site, site.get("contract", "HT-2024-CJ"), "contracts/HT-2024-CJ.md")
    for text in ("## 付款进度", "41,325.00 元（约定 43,500.00 元，考核 88.70 分，良好）", '<span class="yb-date-due">2025-02-07</span>',
                 "## 绩效考核", "总分 88.70 分，档次 良好，付款比例 95.00%", "JC-2024-1FEJPX", "## 预算明细",
                 "法律顾问咨询费", "4000个", "2.00 元", "8,000.00 元", "100,000.00 元", "与预算总额一致", "合 10.00 万元"):
        assert text in cj, text
    klmy = contract_money(site, site.get("contract", "HT-2024-KLMY"), "contracts/HT-2024-KLMY.md")
    assert "逾期支付" in klmy and "6 天" in klmy and "2024-05-02" in klmy and "为休息日，顺延" in klmy
    zq = contract_money(site_as_of(schemas, records, "2026-12-01"), site.get("contract", "HT-2025-ZQYJ"), "contracts/HT-2025-ZQYJ.md")
    for text in ("## 服务费上限", "3,142,500.00 元", "<strong>3,000,000.00 元</strong>", "年度封顶", "## 团队要求逐日核对",
                 "2 段时间不满足", "派驻 441226 的人数", "2025-04-30", "2025-05-31", "32 天", "0 / 1", "11 / 12", "## 合同金额与承办机构", "441203、441284、441223"):
        assert text in zq, text
    early = site_as_of(schemas, records, "2024-10-15")
    page = contract_money(early, early.get("contract", "HT-2024-CJ"), "contracts/HT-2024-CJ.md")
    assert "考核期 2024（尚未结束，按 2024-10-15 已知的数据计）" in page and "评分不全" in page  # not yet scored by the bureau
    assert not _later_dates_outside_due_spans(page, "2024-10-15")
    assert not _later_dates_outside_due_spans(cj, "2025-03-01")


def test_a_kpi_indicator_quoting_a_later_due_date_marks_it_as_one(demo):
    """An indicator on an on-time KPI: its facts say "应于 … 前完成", which may lie after the page's date."""
    from portal_demo import site_as_of
    from yibao.publish.money import contract_money
    from yibao.speed.run import check_repository

    edit(demo, "records/evaluation_scheme/KH-2024-CJ.yaml", "    kpi: money_refused\n    target: 20000\n",
         "    kpi: milestones\n    target: 1\n")
    result = check_repository(demo, SCHEMAS, want_data=True)
    assert not result.errors
    site = site_as_of(SCHEMAS, result.records, "2024-02-27")  # the plan milestone: done 02-26, due 02-29
    page = contract_money(site, site.get("contract", "HT-2024-CJ"), "contracts/HT-2024-CJ.md")
    assert '应于 <span class="yb-date-due">2024-02-29</span> 前完成，2024-02-26 完成' in page
    assert not _later_dates_outside_due_spans(page, "2024-02-27")


# -- every contract: instalments and the evaluation behind them (issue 18's "done when") -------------------
#
# Karamay's acceptance (KH-2024-KLMY, as of 2024-11-20): onsite 15 × 151/161 = 14.068, record and claim
# sampling 10 + 5, problems 10, hospital reports 5 × 21/22 = 4.773, pharmacy reports 5 × 134/150 = 4.467,
# trainings, topics and the two kinds of study trips 4 × 5, the team on all 265 days 10, the bureau's
# 90 and 85 on 10 each: 95.808 → 通过 (≥ 80) → 100% of 140,000.00.
# Shapingba (KH-2020-SPB, as of 2020-11-30): night rounds 12.5 × 3/5 = 7.5, day rounds 12.5 × 1/5 = 2.5,
# records 20 × 0.048864/0.05 = 19.546, handling 15 × 1/2 = 7.5, self-inspection reports 10 × 6/7 = 8.571,
# rectifications 10 × 1/3 = 3.333, the bureau's 80 on 20 = 16: 64.95 → 合格 (≥ 60) → 85% of 200,000.00
# = 170,000.00.
# Zhaoqing (KH-2025-ZQYJ, 2025): 40 × 0.92 + 40 × 0.90 = 72.8; the team met every requirement on 333
# of 365 days (德庆县 unposted and the team 11 of 12 on the same 32 days) = 0.912, banded to 0.6 → 6;
# docking within its extension 10: 88.80 → 良好 → 100% of the year's fee cap 3,000,000.00; accepted
# 2026-02-27 + 30 days = Sunday 2026-03-29, so due Monday 2026-03-30; paid 2026-03-20.
@pytest.mark.parametrize("cid, ident, score, tier, base, amount, due, paid_on", [
    ("HT-2024-KLMY", "final", "95.81", "通过", "140000.00", "140000.00", dt.date(2025, 1, 9), dt.date(2025, 1, 15)),
    ("HT-2020-SPB", "lump-sum", "64.95", "合格", "200000.00", "170000.00", dt.date(2020, 12, 21), dt.date(2020, 12, 18)),
    ("HT-2024-CJ", "final", "88.70", "良好", "43500.00", "41325.00", dt.date(2025, 2, 7), dt.date(2025, 2, 6)),
    ("HT-2025-ZQYJ", "fee-2025", "88.80", "良好", "3000000.00", "3000000.00", dt.date(2026, 3, 30), dt.date(2026, 3, 20)),
])
def test_every_contract_has_an_evaluated_instalment_worked_by_hand(index, cid, ident, score, tier, base, amount, due, paid_on):
    items = {i.id: i for i in payments.instalments(view(index, cid, "2026-12-01"))}
    item = items[ident]
    assert (item.evaluation["score"], item.evaluation["tier"], item.evaluation["complete"]) == (score, tier, True)
    assert (item.base, item.amount, item.due, item.paid_on, item.paid) == (Decimal(base), Decimal(amount), due, paid_on, Decimal(amount))
    assert not item.notes


def test_every_demo_contract_has_instalments_and_an_evaluation_scheme(index):
    for contract in index.contracts:
        assert contract.get("instalments"), contract.id
        assert ev.schemes_of(index, contract.id), contract.id


def test_team_days_counts_each_day_once_and_bands_it(index):
    result = ev.evaluate_scheme(index.get("evaluation_scheme", "KH-2025-ZQYJ"), index, SCHEMAS, "2025")
    team = next(i for i in result.indicators if i.id == "team")
    assert (team.value, team.target, team.share, team.points) == (333, 365, Fraction(3, 5), 6)
    assert [i.note for i in team.inputs] == ["2025-04-30 至 2025-05-31，32 天，11 / 12 人", "2025-04-30 至 2025-05-31，32 天，0 / 1 人"]
    assert (result.score, result.tier, result.consequence) == (Fraction(888, 10), "良好", "下一年度原则上维持服务区域")


def test_later_fee_instalments_wait_for_spending_and_scores(index):
    items = {i.id: i for i in payments.instalments(view(index, "HT-2025-ZQYJ", "2026-12-01"))}
    assert (items["fee-2026"].amount, items["fee-2026"].evaluation["text"]) == (None, "评分不全（尚缺 2 项）")
    assert "2026 年各区实际支出尚未登记齐全" in items["fee-2026"].notes[0]
    assert items["fee-2027"].evaluation["text"] == "考核期尚未开始"
    early = {i.id: i for i in payments.instalments(view(index, "HT-2025-ZQYJ", "2026-01-21"))}  # 德庆县 recorded on 01-22
    assert early["fee-2025"].base is None and early["fee-2025"].status is payments.PaymentStatus.NOT_TRIGGERED


def test_allocation_ranks_the_insurers_and_flags_regions_against_the_ranking(index, demo):
    from yibao.compute import allocation

    [result] = allocation.allocations(index.get("evaluation_scheme", "KH-2025-ZQYJ"), index, SCHEMAS, dt.date(2026, 12, 1))
    assert [(m.rank, m.name[:2], ev.score_text(m.score), len(m.regions_before), len(m.regions_after)) for m in result.members] == [
        (1, "西江", "88.80", 3, 3), (2, "星湖", "86.00", 2, 3), (3, "鼎湖", "78.50", 3, 2)]
    assert result.year == 2026 and result.flags == []
    # before the bureau recorded the scores and decided, only the 2025 regions are known
    [before] = allocation.allocations(index.get("evaluation_scheme", "KH-2025-ZQYJ"), index, SCHEMAS, dt.date(2026, 2, 9))
    assert all(m.score is None and m.regions_after is None for m in before.members) and not before.complete
    # 广宁县 given back to the insurer that scored lowest: 鼎湖 (78.50) holds 3 regions, 星湖 (86.00) 2
    edit(demo, "records/contract/HT-2025-ZQYJ.yaml", 'regions: ["441204", "441224", "441223"]', 'regions: ["441204", "441224"]')
    edit(demo, "records/contract/HT-2025-ZQYJ.yaml", 'regions: ["441203", "441284"]\n', 'regions: ["441203", "441284", "441223"]\n')
    moved = RecordIndex.build(load_all(demo), SCHEMAS)
    [result] = allocation.allocations(moved.get("evaluation_scheme", "KH-2025-ZQYJ"), moved, SCHEMAS, dt.date(2026, 12, 1))
    assert len(result.flags) == 1 and result.flags[0].startswith("鼎湖") and "78.50 分" in result.flags[0] and "星湖" in result.flags[0]


def test_evaluate_shows_the_allocation_and_the_fee(yibao):
    run = yibao("evaluate", "--contract", "HT-2025-ZQYJ", "--period", "2025", "--as-of", "2026-12-01", cwd=PROJECT)
    assert run.rc == 0, run.out + run.err
    for text in ("总分 88.80 分，档次：良好，付款比例：100.00%", "这一档的其他后果：下一年度原则上维持服务区域",
                 "2026 年度服务区域分配", "2. 星湖健康保险股份有限公司肇庆中心支公司（虚构）：86.00 分",
                 "按考核应付 3,000,000.00 元；应付日 2026-03-30", "团队要求逐日核对：2025-01-01 至 2025-12-31 共 365 天，32 天有要求未满足"):
        assert text in run.out, text
    running = yibao("evaluate", "--contract", "HT-2025-ZQYJ", "--period", "2026", "--as-of", "2026-12-01", cwd=PROJECT)
    assert running.rc == 0 and "考核结果未定" in running.out and "档次：" not in running.out


def test_the_contract_page_shows_the_allocation_and_no_tier_for_a_partial_score():
    from portal_demo import project_records, site_as_of
    from yibao.publish.money import contract_money

    schemas, records = project_records()
    site = site_as_of(schemas, records, "2026-12-01")
    page = contract_money(site, site.get("contract", "HT-2025-ZQYJ"), "contracts/HT-2025-ZQYJ.md")
    for text in ("2026 年度服务区域分配（按考核期 2025 的得分）", "78.50 分", "441204、441224、441223", "与考核排名一致",
                 "总分 88.80 分，档次 良好，付款比例 100.00%；下一年度原则上维持服务区域", "3,000,000.00 元（约定 3,000,000.00 元，考核 88.80 分，良好）",
                 "考核期 2026（尚未结束，按 2026-12-01 已知的数据计），评分不全，考核结果未定"):
        assert text in page, text
    assert "档次 不合格" not in page
