"""The settlement-data tables the rules read, and the check of a data folder against them.

A data folder holds one file or folder per table: ``fee.parquet``, ``fee.csv`` or ``fee/`` with
Parquet (or CSV) parts. Column names follow the national medical-insurance platform's extract
(MDTRT_D, SETL_D, FEE_LIST_D …). The catalogue (目录限定) is a reference table: the data folder's
``catalogue.csv``/``.parquet`` when present (the bureau's real catalogue), else the synthetic demo
catalogue the repository keeps in ``schemas/reference/``.

Every problem of a folder is reported in one pass (missing table, missing column, a column of
the wrong type, values that are not of the column's type), as
``path:1:1: error[CODE] 中文消息``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.diagnostics import Diagnostic

#: logical types: DuckDB type name, the Parquet physical types accepted for it
TYPES = {
    "code": ("VARCHAR", ("VARCHAR",)),
    "date": ("DATE", ("DATE", "TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE")),
    "money": ("DECIMAL(18,2)", ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "HUGEINT")),
    "quantity": ("DECIMAL(18,3)", ("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "HUGEINT")),
    "integer": ("INTEGER", ("INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT")),
}
TYPE_LABELS = {"code": "文字编码", "date": "日期", "money": "金额（元，两位小数）", "quantity": "数量", "integer": "整数"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    zh: str
    en: str
    personal: bool = False  # a personal identifier: pseudonymised before anything leaves the engine
    required: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    period_column: str | None = None  # the date a --period filters on
    reference: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


C = Column
TABLES: dict[str, Table] = {t.name: t for t in (
    Table("mdtrt", "就诊信息（一次门诊、住院或药店购药）", "visits (MDTRT_D)", (
        C("mdtrt_id", "code", "就诊 ID", "visit ID"),
        C("psn_no", "code", "人员编号（个人信息，化名后才离开引擎）", "person number (personal; pseudonymised)", personal=True),
        C("certno", "code", "证件号码（个人信息，规则不得输出）", "ID document number (personal; never output)", personal=True, required=False),
        C("psn_name", "code", "姓名（个人信息，规则不得输出）", "name (personal; never output)", personal=True, required=False),
        C("gend", "code", "性别：1 男，2 女", "sex: 1 male, 2 female"),
        C("brdy", "date", "出生日期", "date of birth"),
        C("fixmedins_code", "code", "定点医药机构编码", "institution code"),
        C("med_type", "code", "医疗类别：11 普通门诊，21 普通住院，41 定点药店购药", "medical type: 11 outpatient, 21 inpatient, 41 pharmacy purchase"),
        C("begndate", "date", "开始日期（入院日期）", "start (admission) date"),
        C("enddate", "date", "结束日期（出院日期）", "end (discharge) date"),
        C("dept_code", "code", "科室编码", "department code", required=False),
    ), period_column="begndate"),
    Table("setl", "结算信息", "settlements (SETL_D)", (
        C("setl_id", "code", "结算 ID", "settlement ID"),
        C("mdtrt_id", "code", "就诊 ID", "visit ID"),
        C("psn_no", "code", "人员编号（个人信息）", "person number (personal)", personal=True),
        C("fixmedins_code", "code", "定点医药机构编码", "institution code"),
        C("setl_date", "date", "结算日期", "settlement date"),
        C("medfee_sumamt", "money", "医疗费总额", "total medical cost"),
        C("inscp_scp_amt", "money", "符合政策范围金额", "cost within the policy scope"),
        C("hifp_pay", "money", "基本医疗保险统筹基金支出", "basic insurance pooled fund paid"),
        C("hifmi_pay", "money", "大病保险支出", "critical-illness insurance paid"),
        C("maf_pay", "money", "医疗救助基金支出", "medical assistance paid"),
        C("mdcl_asst_type", "code", "医疗救助对象类别（非救助对象为空）", "assistance beneficiary category (empty if none)", required=False),
        C("sec_asst_pay", "money", "二次救助（倾斜救助）支出；空为本结算不记二次救助", "secondary (top-up) medical assistance paid; empty if not recorded with the settlement", required=False),
    ), period_column="setl_date"),
    Table("fee", "费用明细", "fee line items (FEE_LIST_D)", (
        C("feedetl_sn", "code", "费用明细流水号", "fee line number"),
        C("mdtrt_id", "code", "就诊 ID", "visit ID"),
        C("setl_id", "code", "结算 ID", "settlement ID"),
        C("psn_no", "code", "人员编号（个人信息）", "person number (personal)", personal=True),
        C("fixmedins_code", "code", "定点医药机构编码", "institution code"),
        C("fee_ocur_date", "date", "费用发生日期", "date the cost arose"),
        C("hilist_code", "code", "医保目录编码", "insurance catalogue code"),
        C("medins_list_code", "code", "医药机构目录编码（本机构的项目或商品编码）", "the institution's own item or goods code"),
        C("cnt", "quantity", "数量", "quantity"),
        C("pric", "money", "单价", "unit price"),
        C("det_item_fee_sumamt", "money", "明细项目费用总额", "line amount"),
        C("dept_code", "code", "开单科室编码", "ordering department", required=False),
    ), period_column="fee_ocur_date"),
    Table("diag", "诊断信息", "diagnoses (DIAG_D)", (
        C("mdtrt_id", "code", "就诊 ID", "visit ID"),
        C("diag_code", "code", "诊断代码（ICD-10）", "diagnosis code (ICD-10)"),
        C("maindiag_flag", "code", "主诊断标志：1 是，0 否", "main diagnosis: 1 yes, 0 no"),
    )),
    Table("stock", "进销存（按月）", "inventory movements, monthly", (
        C("fixmedins_code", "code", "定点医药机构编码", "institution code"),
        C("medins_list_code", "code", "医药机构目录编码（商品编码）", "the institution's goods code"),
        C("hilist_code", "code", "对应的医保目录编码（非医保商品为空）", "insurance catalogue code (empty for goods outside it)", required=False),
        C("goods_cat", "code", "商品类别：药品、医用耗材、医疗器械、保健食品、化妆品、日用品", "goods category"),
        C("stat_month", "date", "统计月份（当月 1 日）", "month (its first day)"),
        C("begn_cnt", "quantity", "期初库存", "opening stock"),
        C("purc_cnt", "quantity", "本期购进", "purchases"),
        C("sale_cnt", "quantity", "本期销售（发出）", "sales and issues"),
        C("end_cnt", "quantity", "期末库存", "closing stock"),
    ), period_column="stat_month"),
    Table("catalogue", "目录限定参考表（演示用合成数据，可换成医保局的正式目录）", "catalogue limits (reference)", (
        C("hilist_code", "code", "医保目录编码", "catalogue code"),
        C("hilist_name", "code", "名称", "name"),
        C("list_type", "code", "目录类别：药品、诊疗项目、医用耗材", "kind: drug, service, consumable"),
        C("price_cap", "money", "最高支付标准（限价）", "price cap"),
        C("lmt_gend", "code", "限性别：1 限男，2 限女，空为不限", "sex limit", required=False),
        C("lmt_age_min", "integer", "限最低年龄（周岁）", "minimum age", required=False),
        C("lmt_age_max", "integer", "限最高年龄（周岁）", "maximum age", required=False),
        C("lmt_child", "integer", "限儿童：1 是", "children only: 1 yes", required=False),
        C("daily_dose", "quantity", "每日用量（药品，按计价单位）", "daily dose in billing units (drugs)", required=False),
        C("drug_class", "code", "药理分类（同类药品重复使用的判断依据）", "pharmacological class", required=False),
        C("bundle_code", "code", "所属打包项目编码（组成项目单独收费即分解收费）", "package the item belongs to", required=False),
        C("treatment", "integer", "是否治疗性项目：1 是，0 否（床位费、护理费等）", "treatment: 1 yes, 0 no (bed, nursing)"),
    ), reference=True),
)}

#: file suffixes a table may come in
SUFFIXES = (".parquet", ".csv")


@dataclass
class Source:
    """Where one table's data is: a glob over Parquet or CSV files."""

    table: Table
    path: Path  # the file or folder found
    glob: str
    fmt: str  # parquet | csv


def locate(data: Path, name: str, fallback: Path | None = None) -> Source | None:
    table = TABLES[name]
    for base in (data, fallback):
        if base is None:
            continue
        for suffix in SUFFIXES:
            path = base / f"{name}{suffix}"
            if path.is_file():
                return Source(table, path, str(path), suffix[1:])
        folder = base / name
        if folder.is_dir():
            for suffix in SUFFIXES:
                if any(folder.glob(f"*{suffix}")):
                    return Source(table, folder, str(folder / f"*{suffix}"), suffix[1:])
    return None


def _family(duck_type: str) -> str:
    upper = duck_type.upper()
    return "DECIMAL" if upper.startswith("DECIMAL") else upper


def check_folder(data: Path, names: list[str], fallback: Path | None = None, display: str | None = None) -> tuple[dict[str, Source], list[Diagnostic]]:
    """The sources of the named tables, and every problem with them (missing table, column or type,
    values that do not read as the column's type)."""
    import duckdb

    shown = display or str(data)
    problems: list[Diagnostic] = []
    sources: dict[str, Source] = {}
    if not data.is_dir():
        return {}, [Diagnostic(shown, 1, 1, "data-folder-missing", f"数据目录不存在：{shown}")]
    con = duckdb.connect()
    try:
        for name in names:
            table = TABLES[name]
            source = locate(data, name, fallback if table.reference else None)
            if source is None:
                hint = f"{name}.parquet、{name}.csv 或 {name}/ 目录"
                problems.append(Diagnostic(f"{shown}/{name}.parquet", 1, 1, "table-missing", f"缺少数据表 {name}（{table.zh}）：应为 {hint}"))
                continue
            where = str(source.path)
            try:
                columns = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {reader(source)}").fetchall()}
            except duckdb.Error as exc:
                problems.append(Diagnostic(where, 1, 1, "table-unreadable", f"无法读取数据表 {name}：{str(exc).splitlines()[0]}"))
                continue
            bad = False
            for col in table.columns:
                if col.name not in columns:
                    if col.required:
                        problems.append(Diagnostic(where, 1, 1, "column-missing", f"数据表 {name}（{table.zh}）缺少列 {col.name}（{col.zh}，{TYPE_LABELS[col.type]}）"))
                        bad = True
                    continue
                if source.fmt == "parquet" and _family(columns[col.name]) not in TYPES[col.type][1]:
                    problems.append(Diagnostic(where, 1, 1, "column-type", f"数据表 {name} 的列 {col.name}（{col.zh}）应为{TYPE_LABELS[col.type]}，实际是 {columns[col.name]}"))
                    bad = True
            if bad:
                continue
            if source.fmt == "csv":
                problems += _csv_values(con, source, [c for c in table.columns if c.name in columns])
            sources[name] = source
    finally:
        con.close()
    return sources, problems


def _csv_values(con, source: Source, columns: list[Column]) -> list[Diagnostic]:
    """CSV text that does not read as its column's type: the first offending line of each column."""
    out = []
    checks = [c for c in columns if c.type != "code"]
    if not checks:
        return out
    for col in checks:
        duck = TYPES[col.type][0]
        row = con.execute(
            f"SELECT n, v FROM (SELECT row_number() OVER () + 1 AS n, \"{col.name}\" AS v FROM {reader(source, all_varchar=True)}) "
            f"WHERE v IS NOT NULL AND v <> '' AND TRY_CAST(v AS {duck}) IS NULL ORDER BY n LIMIT 1").fetchone()
        if row:
            out.append(Diagnostic(str(source.path), row[0], 1, "column-value",
                                  f"列 {col.name}（{col.zh}）的值“{row[1][:40]}”不是{TYPE_LABELS[col.type]}（约第 {row[0]} 行，首个）"))
    return out


def reader(source: Source, all_varchar: bool = True) -> str:
    """DuckDB's table function reading a source; CSV text is read as text (a code such as ``0101``
    keeps its leading zero) and cast by :func:`select_typed`."""
    glob = source.glob.replace("'", "''")
    if source.fmt == "parquet":
        return f"read_parquet('{glob}')"
    return f"read_csv('{glob}', header = true, all_varchar = {str(all_varchar).lower()})"


def select_typed(table: Table, present: set[str], relation: str, text: bool, period: tuple | None = None) -> str:
    """``SELECT`` of the table's columns cast to their types from ``relation`` (DuckDB dialect;
    SQLGlot writes it for Spark). ``text``: the relation holds text (CSV), where an empty string
    is NULL. Optional columns missing from the data read as NULL."""
    parts = []
    for col in table.columns:
        duck = TYPES[col.type][0]
        if col.name in present:
            value = f'"{col.name}"'
            if text:
                value = f"NULLIF({value}, '')"
            value = f"CAST({value} AS {duck})"
        else:
            value = f"CAST(NULL AS {duck})"
        parts.append(f"{value} AS {col.name}")
    sql = f"SELECT {', '.join(parts)} FROM {relation}"
    if period and table.period_column:
        sql = (f"SELECT * FROM ({sql}) AS typed WHERE {table.period_column} "
               f"BETWEEN DATE '{period[0].isoformat()}' AND DATE '{period[1].isoformat()}'")
    return sql
