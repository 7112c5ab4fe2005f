"""The contract report: KPIs and deadlines as of a date, as JSON-shaped dicts and as tables.

:func:`build_report` is the one entry point other modules use (``yibao report``, the portal home
page, the pull-request summary), so they all show the same numbers::

    from yibao.compute.report import build_report
    reports = build_report(records, schemas, as_of=date(2024, 10, 15))          # every contract
    [report] = build_report(records, schemas, as_of, contract_id="HT-2024-KLMY")

Each report is::

    {"as_of": "2024-10-15",
     "contract": {"id", "name", "bureau", "contractor", "period": {"start", "end"}},
     "kpis": [{"id", "name", "definition", "value", "target", "status", "numerator",
               "denominator", "records", "unit"}, …],
     "deadlines": {"overdue": [item, …], "due_soon": [item, …], "late": [item, …]},
     "payments": [instalment, …], "fee_caps": [year, …], "team_breaches": [run, …]}

Values are JSON numbers: rates as fractions rounded to 6 places (0.025 is 2.5%), counts as
integers, money (unit ``yuan``) in yuan rounded to the fen; ``status`` is 达标 / 未达标 / 落后进度 / 进行中 /
无数据, or None for a descriptive KPI that has data. A deadline item is
``{"rule", "name", "kind", "record", "path", "institution", "institution_type", "starts_on",
"due", "done_on", "days", "day_type", "status", "days_late", "workdays_late", "rolled_from"}`` (``rolled_from``: the bare last day when a natural-day period ended on a rest day and ran to the next working day).

A payment instalment (:mod:`.payments`) is ``{"id", "name", "base", "amount", "conditions",
"trigger_date", "due", "rolled_from", "days", "day_type", "paid", "paid_on", "payments", "status",
"days_late", "evaluation", "source", "notes"}``; a fee cap ``{"year", "regions", "spending", "rate",
"by_rate", "ceiling", "cap", …}``; a team breach (:mod:`.team`: a run of days on which a team
requirement was not met) ``{"qualifier", "requirement", "start", "end", "days", "have", "need"}``.

A working-day deadline that needs a year without a calendar record raises
:class:`~yibao.core.calendar.MissingCalendarYears` after every contract was evaluated, so all
missing years are named at once. The table writers (terminal, CSV, Excel) work from the same
dicts, with pandas.
"""
from __future__ import annotations

import datetime as _dt
import io
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable

import orjson
import pandas as pd

from ..speed.gc import gc_paused
from ..core.money import rate_text, yuan
from ..core.labelled import Labelled
from ..core.textsafe import excel_cell, spreadsheet_cell, visible
from ..core.record import Record
from ..core.schemas import SchemaSet
from . import deadlines as dl
from . import payments
from ..core.calendar import MissingCalendarYears
from .kpis import COUNT, RATE, YUAN, Kpi, contract_kpis, team_breaches
from .view import ContractView, RecordIndex

KPI_KEYS = ("id", "name", "definition", "value", "target", "pace", "status", "numerator", "denominator", "records", "unit")
DEADLINE_KEYS = ("rule", "name", "kind", "record", "path", "institution", "institution_type", "starts_on", "due",
                 "done_on", "days", "day_type", "status", "days_late", "workdays_late", "rolled_from")


class UnknownContract(LookupError):
    def __init__(self, contract_id: str, known: list[str]) -> None:
        self.contract_id, self.known = contract_id, known
        listed = "、".join(known) if known else "（仓库中没有项目记录）"
        super().__init__(f"没有编号为 {contract_id} 的项目；现有项目：{listed}")


# -- building ----------------------------------------------------------------------------------
def build_report(records: Iterable[Record], schemas: SchemaSet, as_of: _dt.date, contract_id: str | None = None,
                 due_soon_days: int = dl.DUE_SOON_DAYS) -> list[dict]:
    """One JSON-shaped report per contract (or for ``contract_id`` only), as of ``as_of``.

    Invalid records (``Record.valid`` False) are left out.
    """
    with gc_paused():  # ~100k records and their report dicts: no cycles, collections only cost time
        return _build_report(records, schemas, as_of, contract_id, due_soon_days)


def _build_report(records: Iterable[Record], schemas: SchemaSet, as_of: _dt.date, contract_id: str | None,
                  due_soon_days: int) -> list[dict]:
    index = RecordIndex.build(records, schemas)
    contracts = index.contracts
    if contract_id is not None:
        contracts = [c for c in contracts if c.id == contract_id]
        if not contracts:
            raise UnknownContract(contract_id, [c.id for c in index.contracts])
    reports, missing = [], []
    for contract in contracts:
        view = ContractView(contract, index, as_of, schemas)
        items, errors = dl.evaluate(view, due_soon_days)
        money = payments.instalments(view, errors)
        missing.extend(errors)
        if not errors:
            report = report_dict(view, contract_kpis(view, items), items)
            report["payments"] = [i.as_json() for i in money]
            report["fee_caps"] = [f.as_json() for f in payments.fee_caps(view)]
            report["team_breaches"] = [b.as_json() for b in team_breaches(view)]
            reports.append(report)
    if missing:
        raise MissingCalendarYears(missing)
    return reports


def report_dict(view: ContractView, kpis: list[Kpi], items: list[dl.Deadline]) -> dict:
    contract = view.contract
    return {
        "as_of": view.as_of.isoformat(),
        "contract": {
            "id": view.id, "name": contract.get("name"), "bureau": contract.get("bureau"),
            "contractor": contract.get("contractor"),
            "period": {"start": contract.get("period.start"), "end": contract.get("period.end")},
        },
        "kpis": [kpi_json(k) for k in kpis],
        "deadlines": {
            "overdue": [deadline_json(d) for d in dl.overdue(items)],
            "due_soon": [deadline_json(d) for d in dl.due_soon(items)],
            "late": [deadline_json(d) for d in dl.late(items)],
        },
    }


def number(value: Any, unit: str = RATE) -> Any:
    """A JSON number: fractions rounded to 6 places, money to the fen, integers as they are."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal("0.01"))) if unit == YUAN else _float(value)
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 and unit == COUNT else round(float(value), 6)
    if isinstance(value, float):
        return round(value, 6)
    return int(value)


def _float(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def kpi_json(kpi: Kpi) -> dict:
    return {
        "id": kpi.id, "name": kpi.name, "definition": kpi.definition,
        "value": number(kpi.value, kpi.unit), "target": number(kpi.target, kpi.unit),
        "pace": number(kpi.pace, kpi.unit if kpi.unit != COUNT else RATE), "status": kpi.status.label if kpi.status is not None else None, "numerator": number(kpi.numerator, kpi.unit),
        "denominator": number(kpi.denominator, COUNT), "records": list(kpi.records), "unit": kpi.unit,
        "contract_target": kpi.contract_target,
        "facts": [{"record": f.record, "counts": f.counts, "note": f.note, "flag": f.flag or None, "days_late": f.days_late}
                  for f in kpi.facts],
    }


def deadline_json(item: dl.Deadline) -> dict:
    data = item.as_json()
    return {key: data[key] for key in DEADLINE_KEYS}


# -- display -----------------------------------------------------------------------------------
def display(value: Any, unit: str) -> str:
    """How a KPI value reads in a table: 2.50%, 4, 12,480.50.

    Rates are truncated, never rounded up, so a 99.996% coverage cannot read as 100.00%.
    """
    if value is None:
        return "—"
    if unit == RATE:
        return rate_text(value)
    if unit == YUAN:
        return yuan(value)
    return str(value)


def pace_text(pace: Any, unit: str) -> str:
    """A pace reads like its target: 62.50% for a rate, 2.7 for a count (one decimal, truncated)."""
    if pace is None:
        return "—"
    if unit == COUNT:
        return str((Decimal(str(pace))).quantize(Decimal("0.1"), rounding=ROUND_DOWN))
    return display(pace, unit)


def family(kpi_id: str) -> str:
    return kpi_id.split("/", 1)[0]


def qualifier(kpi_id: str) -> str:
    return kpi_id.split("/", 1)[1] if "/" in kpi_id else ""


def _is_institution(code: str) -> bool:
    return len(code) == 12 and code[:1] in "HPJ" and code[1:].isdigit()


class Table(Labelled):
    """The tables of a report, in their order; the label is the Chinese title (Excel sheet,
    terminal heading, portal section)."""

    KPIS = "考核指标"
    INSTITUTIONS = "机构明细"
    MILESTONES = "阶段节点"
    CASES = "案件统计"
    MONEY = "金额统计"
    OVERDUE = "已逾期"
    DUE_SOON = "7日内到期"
    LATE = "逾期完成"
    PAYMENTS = "付款进度"
    TEAM = "团队缺员"
    FEE_CAPS = "服务费上限"
    DEFINITIONS = "指标说明"


def table_of(kpi_id: str) -> Table:
    """Which table a KPI is shown in."""
    name = family(kpi_id)
    if name.startswith("cases_") and name != "cases_on_time":
        return Table.CASES
    if name.startswith("money_"):
        return Table.MONEY
    if name == "milestones":
        return Table.MILESTONES
    if _is_institution(qualifier(kpi_id).split("#")[0]):
        return Table.INSTITUTIONS
    return Table.KPIS


def _records_text(records: list[str], limit: int = 30000) -> str:
    text = " ".join(records)
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + f" …（共 {len(records)} 条）"


def kpi_rows(reports: list[dict], table: Table) -> list[dict]:
    rows = []
    for report in reports:
        for kpi in report["kpis"]:
            if table_of(kpi["id"]) != table:
                continue
            rows.append({
                "项目编号": report["contract"]["id"], "指标编码": kpi["id"], "指标": kpi["name"],
                "数值": display(kpi["value"], kpi["unit"]), "目标": display(kpi["target"], kpi["unit"]),
                "进度目标": pace_text(kpi["pace"], kpi["unit"]),
                "状态": kpi["status"] or "—",
                "分子": "—" if kpi["numerator"] is None else display(kpi["numerator"], COUNT if kpi["unit"] == RATE else kpi["unit"]),
                "分母": "—" if kpi["denominator"] is None else str(kpi["denominator"]),
                "依据记录数": len(kpi["records"]), "依据记录": _records_text(kpi["records"]),
            })
    return rows


KPI_COLUMNS = ["项目编号", "指标编码", "指标", "数值", "目标", "进度目标", "状态", "分子", "分母", "依据记录数", "依据记录"]
MONEY_NAMES = {"involved": "涉及金额", "refused": "拒付金额", "recovered": "追回金额", "fined": "罚款金额"}
DIMENSIONS = {"": "合计", "by_subject": "对象类型", "by_violation": "违规类型"}


def money_frame(reports: list[dict]) -> pd.DataFrame:
    """Money by dimension (合计, 对象类型, 违规类型) and term, one column per kind of amount."""
    rows = []
    for report in reports:
        for kpi in report["kpis"]:
            if table_of(kpi["id"]) != Table.MONEY:
                continue
            field = family(kpi["id"])[len("money_"):]
            dimension, _, term = qualifier(kpi["id"]).partition("/")
            rows.append({"项目编号": report["contract"]["id"], "分类": DIMENSIONS.get(dimension, dimension),
                         "类别": term or "全部案件", "amount": MONEY_NAMES.get(field, field),
                         "value": display(kpi["value"], YUAN)})
    columns = ["项目编号", "分类", "类别", *MONEY_NAMES.values()]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    order = {name: i for i, name in enumerate(DIMENSIONS.values())}
    wide = frame.pivot_table(index=["项目编号", "分类", "类别"], columns="amount", values="value", aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(MONEY_NAMES.values())).fillna("—").reset_index()
    wide["_order"] = wide["分类"].map(order)
    return wide.sort_values(["项目编号", "_order"], kind="stable").drop(columns="_order")[columns]


def case_frame(reports: list[dict]) -> pd.DataFrame:
    labels = {"cases_total": "合计", "cases_by_source": "线索来源", "cases_by_status": "案件状态",
              "cases_by_violation_type": "违规类型"}
    rows = [{"项目编号": r["contract"]["id"], "分类": labels.get(family(k["id"]), family(k["id"])),
             "类别": qualifier(k["id"]) or "全部案件", "案件数": k["value"], "依据记录": _records_text(k["records"])}
            for r in reports for k in r["kpis"] if table_of(k["id"]) == Table.CASES]
    return pd.DataFrame(rows, columns=["项目编号", "分类", "类别", "案件数", "依据记录"])


DEADLINE_COLUMNS = {"项目编号": None, "规则": "rule", "名称": "name", "记录": "record", "机构": "institution",
                    "起算日": "starts_on", "截止日": "due", "完成日": "done_on", "期限": None, "状态": "status",
                    "逾期天数": "days_late", "逾期工作日数": "workdays_late", "文件": "path"}


def deadline_frame(reports: list[dict], which: str) -> pd.DataFrame:
    rows = []
    for report in reports:
        for item in report["deadlines"][which]:
            row = {label: item.get(key) if key else None for label, key in DEADLINE_COLUMNS.items()}
            row["项目编号"] = report["contract"]["id"]
            row["期限"] = f"{item['days']} 个{item['day_type']}" if item.get("days") is not None else "阶段节点"
            rows.append({k: ("—" if v is None else v) for k, v in row.items()})
    return pd.DataFrame(rows, columns=list(DEADLINE_COLUMNS))


PAYMENT_COLUMNS = ["项目编号", "分期", "名称", "应付金额", "付款条件", "触发日", "应付日", "已付金额", "付清日", "状态", "逾期天数", "考核", "依据记录"]


def payment_frame(reports: list[dict]) -> pd.DataFrame:
    """Each instalment of each contract: amount, trigger, due and paid dates, lateness."""
    rows = []
    for report in reports:
        for item in report.get("payments", []):
            conditions = "；".join(f"{c['label']} {c['date'] or '未满足'}" for c in item["conditions"])
            evaluation = item.get("evaluation")
            rows.append({"项目编号": report["contract"]["id"], "分期": item["id"], "名称": item["name"],
                         "应付金额": "待定" if item["amount"] is None else yuan(item["amount"]), "付款条件": conditions,
                         "触发日": item["trigger_date"] or "—",
                         "应付日": (item["due"] or "—") + (f"（{item['rolled_from']} 遇休息日顺延）" if item.get("rolled_from") else ""),
                         "已付金额": yuan(item["paid"]), "付清日": item["paid_on"] or "—", "状态": item["status"],
                         "逾期天数": "—" if item["days_late"] is None else item["days_late"],
                         "考核": evaluation["text"] if evaluation else "—",
                         "依据记录": " ".join([c["record"] for c in item["conditions"] if c.get("record")] + item["payments"])})
    return pd.DataFrame(rows, columns=PAYMENT_COLUMNS)


def team_frame(reports: list[dict]) -> pd.DataFrame:
    rows = [{"项目编号": r["contract"]["id"], "要求": b["requirement"], "起": b["start"], "止": b["end"],
             "天数": b["days"], "人数": b["have"], "要求人数": b["need"]}
            for r in reports for b in r.get("team_breaches", [])]
    return pd.DataFrame(rows, columns=["项目编号", "要求", "起", "止", "天数", "人数", "要求人数"])


def fee_cap_frame(reports: list[dict]) -> pd.DataFrame:
    rows = [{"项目编号": r["contract"]["id"], "年度": f["year"], "实际支出": yuan(f["spending"]),
             "比例": rate_text(f["rate"]), "按比例": yuan(f["by_rate"]), "年度封顶": yuan(f["ceiling"]), "上限": yuan(f["cap"]),
             "取值": "年度封顶" if f["capped_by_ceiling"] else "按比例", "未登记支出的区划": "、".join(f["missing"]) or "—"}
            for r in reports for f in r.get("fee_caps", [])]
    return pd.DataFrame(rows, columns=["项目编号", "年度", "实际支出", "比例", "按比例", "年度封顶", "上限", "取值", "未登记支出的区划"])


def definitions_frame(reports: list[dict]) -> pd.DataFrame:
    rows = [{"项目编号": r["contract"]["id"], "指标编码": k["id"], "指标": k["name"], "定义": k["definition"]}
            for r in reports for k in r["kpis"]]
    return pd.DataFrame(rows, columns=["项目编号", "指标编码", "指标", "定义"])


def tables(reports: list[dict]) -> dict[str, pd.DataFrame]:
    """Every table of the report, by its Chinese title (one Excel sheet each), in :class:`Table` order."""
    out = {table: pd.DataFrame(kpi_rows(reports, table), columns=KPI_COLUMNS)
           for table in (Table.KPIS, Table.INSTITUTIONS, Table.MILESTONES)}
    out[Table.CASES] = case_frame(reports)
    out[Table.MONEY] = money_frame(reports)
    out[Table.OVERDUE] = deadline_frame(reports, "overdue")
    out[Table.DUE_SOON] = deadline_frame(reports, "due_soon")
    out[Table.LATE] = deadline_frame(reports, "late")
    out[Table.PAYMENTS] = payment_frame(reports)
    out[Table.TEAM] = team_frame(reports)
    out[Table.FEE_CAPS] = fee_cap_frame(reports)
    out[Table.DEFINITIONS] = definitions_frame(reports)
    return {table.label: out[table] for table in Table}


# -- writers -----------------------------------------------------------------------------------
def write_json(reports: list[dict], single: bool) -> str:
    """Indented JSON, non-ASCII as is (orjson: the same text as ``json.dumps(..., indent=2,
    ensure_ascii=False)`` but for the spelling of tiny floats, e.g. 1e-6 for 1e-06)."""
    return orjson.dumps(reports[0] if single and reports else reports, option=orjson.OPT_INDENT_2).decode()


def write_csv(reports: list[dict]) -> str:
    """All KPIs of all reports, one row each, with the JSON keys as headers; no text cell can
    start a formula (:func:`~yibao.core.textsafe.spreadsheet_text`), numbers stay numbers."""
    rows = [{"as_of": r["as_of"], "contract": spreadsheet_cell(r["contract"]["id"]),
             **{k: spreadsheet_cell(" ".join(kpi[k]) if k == "records" else kpi[k]) for k in KPI_KEYS}}
            for r in reports for kpi in r["kpis"]]
    frame = pd.DataFrame(rows, columns=["as_of", "contract", *KPI_KEYS])
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


TERMINAL_COLUMNS = {Table.KPIS: ["指标", "数值", "目标", "进度目标", "状态", "分子", "分母"],
                    Table.INSTITUTIONS: ["指标", "数值", "目标", "状态", "分子", "分母"],
                    Table.MILESTONES: ["指标", "状态"],
                    Table.CASES: ["分类", "类别", "案件数"],
                    Table.MONEY: ["分类", "类别", *MONEY_NAMES.values()],
                    Table.OVERDUE: ["规则", "记录", "机构", "截止日", "逾期天数"],
                    Table.DUE_SOON: ["规则", "记录", "机构", "截止日"],
                    Table.LATE: ["规则", "记录", "机构", "截止日", "完成日", "逾期天数", "逾期工作日数"],
                    Table.PAYMENTS: ["分期", "应付金额", "触发日", "应付日", "已付金额", "付清日", "状态", "逾期天数", "考核"],
                    Table.TEAM: ["要求", "起", "止", "天数", "人数", "要求人数"],
                    Table.FEE_CAPS: ["年度", "实际支出", "比例", "按比例", "年度封顶", "上限", "取值"]}


def _terminal(value: Any) -> str:
    return visible(str(value))


def _terminal_cell(value: Any) -> Any:
    return visible(value) if isinstance(value, str) else value


def write_table(reports: list[dict]) -> str:
    """Readable tables for the terminal, contract by contract; record text is shown with its
    control characters escaped (:func:`~yibao.core.textsafe.visible`), one cell on one line."""
    parts = []
    with pd.option_context("display.unicode.east_asian_width", True, "display.max_rows", None,
                           "display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        for report in reports:
            contract = report["contract"]
            period = contract["period"]
            parts.append(f"项目 {_terminal(contract['id'])}  {_terminal(contract['name'])}\n"
                         f"服务期 {_terminal(period['start'])} 至 {_terminal(period['end'])}，统计日 {report['as_of']}")
            for title, frame in tables([report]).items():
                columns = TERMINAL_COLUMNS.get(Table.from_label(title))
                if columns is None:
                    continue
                shown = frame[columns].map(_terminal_cell)
                if shown.empty:
                    parts.append(f"【{title}】无")
                else:
                    parts.append(f"【{title}】{len(shown)} 项\n" + shown.to_string(index=False))
            parts.append("")
    return "\n\n".join(parts).rstrip() + "\n"


def write_xlsx(reports: list[dict], path: Path) -> None:
    """An Excel workbook with one sheet per table and Chinese headers, for bureau staff.

    Every text cell is stored as text and none can run as a formula (:func:`~yibao.core.textsafe.excel_cell`:
    control characters escaped, a leading ``=``/``+``/``-``/``@`` neutralised); numbers stay numbers."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for title, frame in tables(reports).items():
            frame.map(excel_cell).to_excel(writer, sheet_name=title, index=False)
            sheet = writer.sheets[title]
            sheet.freeze_panes = "A2"
            for column_cells in sheet.columns:
                longest = max((len(str(c.value)) if c.value is not None else 0) for c in column_cells[:200])
                sheet.column_dimensions[column_cells[0].column_letter].width = min(60, max(8, longest * 1.8 + 2))
