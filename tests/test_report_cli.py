"""``yibao report`` on the repository's demo records: every KPI, every format, and two KPIs
recomputed independently straight from the YAML files (plain PyYAML, no yibao code)."""
from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import yaml

from yibao import cli

PROJECT = Path(__file__).resolve().parents[1]
AS_OF = "2024-10-15"
KLMY = "HT-2024-KLMY"

#: KPI ids the issue asks for, on the Karamay demo contract (its targets plus the descriptive ones).
KLMY_KPIS = [
    "onsite_coverage", "onsite_coverage/定点医疗机构", "onsite_coverage/定点零售药店", "onsite_coverage/医保经办机构",
    "record_sampling_rate", "claim_sampling_rate", "problem_discovery_rate",
    "reports_on_time/定点医疗机构", "reports_on_time/定点零售药店",
    "trainings_held", "training_topics_covered", "training_topics_covered/常见违规行为", "training_topics_covered/合规收费",
    "training_topics_covered/现场巡查方法", "training_topics_covered/贯彻执行条例",
    "study_trips/省内", "study_trips/省外", "team_composition", "cases_on_time", "milestones",
    "cases_total", "money_involved", "money_refused", "money_recovered", "money_fined",
    *[f"cases_by_source/{t}" for t in ("举报投诉", "上级交办", "部门移交", "数据筛查", "检查发现")],
    *[f"cases_by_status/{t}" for t in ("已登记", "已立案", "调查中", "已告知", "已决定", "已结案", "不予立案", "已撤回")],
]


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    rc = cli.main(["-C", str(PROJECT), "report", "--no-cache", *args])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def reports():
    """``yibao report --format json`` for every contract, as of AS_OF (run once for the module)."""
    capture = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(capture):
        rc = cli.main(["-C", str(PROJECT), "report", "--no-cache", "--as-of", AS_OF, "--format", "json"])
    assert rc == 0
    return {r["contract"]["id"]: r for r in json.loads(capture.getvalue())}


def test_every_contract_is_reported(reports):
    contracts = sorted(p.stem for p in (PROJECT / "records/contract").glob("*.yaml"))
    assert sorted(reports) == contracts
    assert {"HT-2024-KLMY", "HT-2020-SPB", "HT-2024-CJ"} <= set(reports)


def test_every_kpi_of_the_issue_is_present_on_the_demo(reports):
    ids = {k["id"] for k in reports[KLMY]["kpis"]}
    assert [k for k in KLMY_KPIS if k not in ids] == []
    spb = {k["id"] for k in reports["HT-2020-SPB"]["kpis"]}
    assert {"record_sampling_rate", "cases_on_time/handling-20wd", "milestones/phase3-rectification"} <= spb
    cj = {k["id"] for k in reports["HT-2024-CJ"]["kpis"]}
    assert {"institutions_audited", "records_reviewed", "special_inspection_institutions"} <= cj


def test_json_shape_is_exact(reports):
    for report in reports.values():
        assert list(report) == ["as_of", "contract", "kpis", "deadlines", "payments", "fee_caps", "team_breaches"]
        for item in report["payments"]:
            assert list(item) == ["contract", "id", "name", "base", "amount", "conditions", "trigger_date", "due", "rolled_from",
                                  "days", "day_type", "paid", "paid_on", "payments", "status", "days_late", "evaluation",
                                  "source", "notes"]
        assert report["as_of"] == AS_OF
        assert list(report["contract"]) == ["id", "name", "bureau", "contractor", "period"]
        assert list(report["deadlines"]) == ["overdue", "due_soon", "late"]
        for kpi in report["kpis"]:
            assert list(kpi) == ["id", "name", "definition", "value", "target", "pace", "status", "numerator", "denominator", "records", "unit", "contract_target", "facts"]
            assert kpi["status"] in ("达标", "未达标", "落后进度", "进行中", "无数据", None)
            assert kpi["unit"] in ("rate", "count", "yuan")
            assert kpi["definition"] and all(isinstance(r, str) for r in kpi["records"])
        for items in report["deadlines"].values():
            for item in items:
                assert list(item) == ["rule", "name", "kind", "record", "path", "institution", "institution_type", "starts_on",
                                      "due", "done_on", "days", "day_type", "status", "days_late", "workdays_late", "rolled_from"]


def test_single_contract_json_is_one_object(capsys):
    rc, out, _ = run(capsys, "--as-of", AS_OF, "--contract", KLMY, "--format", "json")
    assert rc == 0
    data = json.loads(out)
    assert data["contract"]["id"] == KLMY and isinstance(data["kpis"], list)


def test_table_shows_every_kpi(capsys, reports):
    rc, out, _ = run(capsys, "--as-of", AS_OF, "--contract", KLMY)
    assert rc == 0
    for title in ("考核指标", "机构明细", "阶段节点", "案件统计", "金额统计", "已逾期", "7日内到期", "逾期完成"):
        assert f"【{title}】" in out
    for kpi in reports[KLMY]["kpis"]:
        family = kpi["id"].split("/")[0]
        if family.startswith(("cases_by", "cases_total", "money_")):
            label = kpi["id"].split("/")[-1] if "/" in kpi["id"] else None
            assert label is None or label in out, kpi["id"]
        else:
            assert kpi["name"] in out, kpi["id"]


def test_csv(capsys, reports):
    rc, out, _ = run(capsys, "--as-of", AS_OF, "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["as_of", "contract", "id", "name", "definition", "value", "target", "pace", "status", "numerator",
                             "denominator", "records", "unit"]
    assert len(rows) == sum(len(r["kpis"]) for r in reports.values())
    first = reports[rows[0]["contract"]]["kpis"][0]
    assert rows[0]["id"] == first["id"] and rows[0]["records"] == " ".join(first["records"])


def test_xlsx_has_one_sheet_per_table_with_chinese_headers(capsys, tmp_path, reports):
    target = tmp_path / "考核报告.xlsx"
    rc, _, _ = run(capsys, "--as-of", AS_OF, "--format", "xlsx", "-o", str(target))
    assert rc == 0
    book = openpyxl.load_workbook(target, read_only=True)
    assert book.sheetnames == ["考核指标", "机构明细", "阶段节点", "案件统计", "金额统计", "已逾期", "7日内到期", "逾期完成", "付款进度", "团队缺员", "服务费上限", "指标说明"]
    headers = [c.value for c in next(book["考核指标"].iter_rows(max_row=1))]
    assert headers == ["项目编号", "指标编码", "指标", "数值", "目标", "进度目标", "状态", "分子", "分母", "依据记录数", "依据记录"]
    for name in book.sheetnames:
        row = [c.value for c in next(book[name].iter_rows(max_row=1))]
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in str(h)) for h in row), (name, row)
    kpi_rows = list(book["考核指标"].iter_rows(min_row=2, values_only=True))
    assert {r[1] for r in kpi_rows} >= {"onsite_coverage", "trainings_held"}
    assert len(list(book["指标说明"].iter_rows(min_row=2))) == sum(len(r["kpis"]) for r in reports.values())


def test_usage_errors(capsys):
    assert run(capsys, "--as-of", "2024-13-01")[0] == 2
    rc, _, err = run(capsys, "--contract", "HT-2099-NONE")
    assert rc == 2 and "HT-2099-NONE" in err and "现有项目" in err
    rc, _, err = run(capsys, "--format", "xlsx")
    assert rc == 2 and "-o" in err


def test_invalid_records_are_left_out_with_a_warning(tmp_path, capsys):
    root = tmp_path / "repo"
    shutil.copytree(PROJECT / "schemas", root / "schemas")
    (root / "records/contract").mkdir(parents=True)
    (root / "records/contract/HT-2024-KLMY.yaml").write_bytes((PROJECT / "records/contract/HT-2024-KLMY.yaml").read_bytes())
    bad = root / "records/training/2024/PX-2024-000001.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(textwrap.dedent(f"""\
        id: PX-2024-000001
        contract: {KLMY}
        kind: 线下培训
        title: 合规使用培训
        start_date: 2024-04-10
        end_date: 2024-04-10
        topics: [常见违规行为]
        place: {{name: 会议室, scope: 本地}}
        status: 有效
        participants: 很多
        """), encoding="utf-8")
    capsys.readouterr()
    rc = cli.main(["-C", str(root), "report", "--no-cache", "--as-of", AS_OF, "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "警告" in err and "1 个记录未计入统计" in err
    kpis = {k["id"]: k for k in json.loads(out)[0]["kpis"]}
    assert kpis["trainings_held"]["value"] == 0  # the invalid training is not counted: none held


# -- independent recomputation from the raw YAML files --------------------------------------------
@functools.lru_cache(maxsize=None)
def raw(kind: str) -> list[dict]:
    """Every record of a kind, read with plain PyYAML (dates become datetime.date)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [yaml.load(p.read_text(encoding="utf-8"), Loader=loader) for p in sorted((PROJECT / "records" / kind).rglob("*.yaml"))]


def day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def independent_coverage(contract: dict, target: dict, as_of: dt.date) -> dict[str, tuple[int, int]]:
    """(covered, in scope) per institution type, computed without yibao.

    In scope: designated on the scope day; or terminated during the period after being designated
    in it, and covered (its inspection's facts keep counting). With ``each_inspection_type``, covered
    means covered by every inspection type of the target.
    """
    start, cutoff = day(contract["period"]["start"]), min(as_of, day(contract["period"]["end"]))
    rule = contract["scope"].get("rule", {})
    listed = set(contract["scope"].get("institutions", []))

    def matches(inst: dict) -> bool:
        if inst["id"] in listed:
            return True
        pairs = (("region_codes", "region_code"), ("institution_types", "type"), ("levels", "level"))
        return bool(rule) and all(inst.get(field) in rule[key] for key, field in pairs if key in rule)

    kinds = target.get("inspection_types")
    ended = [i for i in raw("inspection")
             if i["contract"] == contract["id"] and i.get("on_site") is True and i["status"] not in ("计划中", "已撤回")
             and day(i["end_date"]) <= as_of and (not kinds or i["type"] in kinds)]
    if target.get("each_inspection_type") and kinds and len(kinds) > 1:
        covered = set.intersection(*({i["institution"] for i in ended if i["type"] == k} for k in kinds))
    else:
        covered = {i["institution"] for i in ended}
    any_covered = {i["institution"] for i in ended}

    def in_scope(inst: dict) -> bool:
        if inst.get("status") == "已撤回" or not matches(inst):
            return False
        if target.get("inpatient_only") and inst.get("inpatient_service") is not True:
            return False
        history = [h for h in inst["protocol_history"] if day(h["since"]) <= cutoff]
        if not history:
            return False
        if history[-1]["status"] != "解除":
            return True
        ended_on = day(history[-1]["since"])
        before = [h for h in history if day(h["since"]) < ended_on]
        return ended_on > start and bool(before) and before[-1]["status"] != "解除" and inst["id"] in any_covered

    institutions = [i for i in raw("institution") if in_scope(i)]
    out = {}
    for itype in target.get("institution_types") or sorted({i["type"] for i in institutions}):
        members = [i["id"] for i in institutions if i["type"] == itype]
        out[itype] = (len([m for m in members if m in covered]), len(members))
    return out


def test_onsite_coverage_recomputed_from_raw_records(reports):
    as_of = dt.date.fromisoformat(AS_OF)
    checked = 0
    for contract in raw("contract"):
        for target in [t for t in contract["targets"] if t["metric"] == "onsite_coverage"]:
            expected = independent_coverage(contract, target, as_of)
            kpis = {k["id"]: k for k in reports[contract["id"]]["kpis"]}
            for itype, (num, den) in expected.items():
                kpi = kpis[f"onsite_coverage/{itype}"]
                assert (kpi["numerator"], kpi["denominator"]) == (num, den), (contract["id"], itype)
            total = (sum(n for n, _ in expected.values()), sum(d for _, d in expected.values()))
            assert (kpis["onsite_coverage"]["numerator"], kpis["onsite_coverage"]["denominator"]) == total
            checked += 1
    assert checked >= 2  # Karamay and Shapingba


def test_money_and_case_counts_recomputed_from_raw_records(reports):
    as_of = dt.date.fromisoformat(AS_OF)
    for contract_id, report in reports.items():
        cases = [c for c in raw("case") if c["contract"] == contract_id and c["status"] != "已撤回"
                 and day(c["timeline"]["registered_on"]) <= as_of]
        # money as written in the files (PyYAML reads 12480.50 as a float: take the text instead)
        involved = []
        for c in cases:
            path = next((PROJECT / "records/case").rglob(f"{c['id']}.yaml"))
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip().startswith("involved:"):
                    involved.append(Decimal(line.split(":", 1)[1].strip()))
        kpis = {k["id"]: k for k in report["kpis"]}
        assert kpis["cases_total"]["value"] == len(cases)
        expected = sum(involved, Decimal("0"))
        if involved:
            assert Decimal(str(kpis["money_involved"]["value"])) == expected, contract_id
        else:
            assert kpis["money_involved"]["status"] == "无数据"
        by_source = {}
        for c in cases:
            by_source[c["source"]] = by_source.get(c["source"], 0) + 1
        for source, n in by_source.items():
            assert kpis[f"cases_by_source/{source}"]["value"] == n


def test_problem_discovery_rate_recomputed_from_raw_records(reports):
    as_of = dt.date.fromisoformat(AS_OF)
    contract = next(c for c in raw("contract") if c["id"] == KLMY)
    target = next(t for t in contract["targets"] if t["metric"] == "problem_discovery_rate")
    types = target.get("institution_types", ["定点医疗机构"])
    institutions = {i["id"]: i for i in raw("institution")}
    # institutions in scope on AS_OF (Karamay's scope is a rule: region and type)
    rule = contract["scope"]["rule"]

    def in_scope(ident: str) -> bool:
        inst = institutions.get(ident)
        if inst is None or inst.get("status") == "已撤回" or inst["type"] not in types:
            return False
        if inst["region_code"] not in rule["region_codes"] or inst["type"] not in rule["institution_types"]:
            return False
        current = [h["status"] for h in inst["protocol_history"] if day(h["since"]) <= as_of]
        return bool(current) and current[-1] != "解除"

    sampled = problems = 0
    for i in raw("inspection"):
        if (i["contract"] == KLMY and i["status"] not in ("计划中", "已撤回") and day(i["end_date"]) <= as_of
                and in_scope(i["institution"]) and i.get("sampling", {}).get("basis") == target.get("sampling_basis", "病历")):
            sampled += i["sampling"]["sampled"]
            problems += i["sampling"]["problem_records"]
    kpi = next(k for k in reports[KLMY]["kpis"] if k["id"] == "problem_discovery_rate")
    assert (kpi["numerator"], kpi["denominator"]) == (problems, sampled)
    assert kpi["value"] == (round(problems / sampled, 6) if sampled else None)
