"""Claims screening (数据筛查) in the portal: the rule library, the cases promoted from its leads with
their outcome as of the date, each rule's precision by quarter, and the screening runs when the
build is given the bureau's data folder.

Pages:

* ``rules/index.md`` — the list page of the ``rule`` kind (:data:`LIST_PAGES`): every rule (name,
  两库 category, violation type, severity, legal basis, parameters in words); the cases whose
  source is the vocabulary's screening source (``x-screening`` of the case source vocabulary),
  grouped by the rule that found them, each with its status on the date and whether it was
  confirmed; each rule's precision (confirmed ÷ promoted) by quarter of registration; and the runs;
* each rule's record page gets the cases promoted from its leads and its precision (:data:`EXTRA`).

A promoted case names its rule in its text: ``yibao lead promote`` writes the rule's ID into the
summary (and the run and lead into the notes); :func:`rule_of` reads the first ID of a rule record
found there. A case is *confirmed* when it stands, on the date, with a decision (its decision date)
or closed at a stage of the case's process (a closing status that is a stage of ``x-timeline``,
not a refusal to file).

Run summaries (``leads/<run>/summary.json``, without personal data) and the list of promoted leads
(``promoted.jsonl``) stay in the bureau's data folder, outside git. The build reads them only when
the environment variable :data:`DATA_ENV` names that folder (or one run's ``summary.json``);
otherwise the page says where they are and shows what the repository holds.
"""
from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from ..core.calendar import to_date
from ..core.record import Record
from ..screen import leads as L
from . import pages as P
from .html import EMPTY, Markup, block, dl, esc, fmt, join, link, percent, relative, table, tag, yuan

RULES_PAGE = "rules/index.md"
#: the environment variable naming the bureau's screening data folder (or one run's summary.json)
DATA_ENV = "YIBAO_SCREENING_DATA"
NO_RULE = "（未注明规则）"


# -- what the repository knows -----------------------------------------------------------------------

def screening_sources(site: P.Site) -> frozenset[str]:
    """The case sources that mean "found by data screening" (``x-screening``)."""
    info = site.field("case", ("source",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    return frozenset(vocab.get("x-screening", []))


def rule_id_pattern(site: P.Site) -> re.Pattern:
    """The rule ID pattern of the schemas, to find a rule's ID inside a case's text."""
    info = site.field("rule", ("id",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    pattern = vocab.get("pattern") or site.schemas.vocab("rule_id").get("pattern", "")
    return re.compile(r"(?<![0-9A-Z])" + pattern.lstrip("^").rstrip("$") + r"(?![0-9A-Z])")


def rule_of(site: P.Site, case: Record, pattern: re.Pattern | None = None) -> str | None:
    """The rule a promoted case names: its ``screening.rule`` (what ``yibao lead promote`` writes), or
    for a case written by hand without it, the first rule record's ID in its summary, then its notes."""
    named = case.get("screening.rule")
    if isinstance(named, str):
        return named if site.get("rule", named) is not None else None
    pattern = pattern or rule_id_pattern(site)
    for key in ("summary", "notes"):
        text = case.get(key)
        if isinstance(text, str):
            for found in pattern.findall(text):
                if site.get("rule", found) is not None:
                    return found
    return None


def confirmed(site: P.Site, case: Record) -> bool:
    """Whether the case, as it stands on the date, confirmed a violation: decided, or closed at a stage of
    the case's process (not a closing that refuses to file)."""
    if case.get("timeline.decided_on") is not None:
        return True
    info = site.field("case", ("status",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    status = case.get("status")
    return status in vocab.get("x-closed", []) and status in vocab.get("x-timeline", {})


def concluded(site: P.Site, case: Record) -> bool:
    info = site.field("case", ("status",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    return case.get("status") in vocab.get("x-closed", [])


def page_title(site: P.Site) -> str:
    """The page's title: the screening source's own term (the case source it stands for)."""
    info = site.field("case", ("source",))
    terms = sorted(screening_sources(site))
    return site.schemas.label(info.vocabulary, terms[0]) if terms and info and info.vocabulary else RULES_PAGE


def quarter(day) -> str:
    day = to_date(day) if day is not None else None
    return f"{day.year} 年第 {(day.month - 1) // 3 + 1} 季度" if day else EMPTY


@dataclass
class Promoted:
    case: Record
    rule: str | None
    confirmed: bool
    concluded: bool
    quarter: str


def promoted_cases(site: P.Site) -> list[Promoted]:
    """The cases (as of the date, withdrawn ones left out) whose source is the screening source."""
    sources, pattern = screening_sources(site), rule_id_pattern(site)
    withdrawn = site.index.withdrawn.get("case", frozenset())
    out = []
    for case in site.all("case"):
        if case.get("source") in sources and case.get("status") not in withdrawn:
            out.append(Promoted(case, rule_of(site, case, pattern), confirmed(site, case), concluded(site, case),
                                quarter(case.get("timeline.registered_on"))))
    return sorted(out, key=lambda p: (str(p.case.get("timeline.registered_on") or ""), p.case.id or ""))


def by_rule(promoted: list[Promoted]) -> dict[str | None, list[Promoted]]:
    out: dict[str | None, list[Promoted]] = defaultdict(list)
    for item in promoted:
        out[item.rule].append(item)
    return dict(out)


def precision(items: list[Promoted]) -> Fraction | None:
    """Confirmed ÷ promoted (None without promoted cases)."""
    return Fraction(sum(1 for i in items if i.confirmed), len(items)) if items else None


def precision_by_quarter(items: list[Promoted]) -> list[tuple[str, int, int, int, Fraction | None]]:
    """(quarter, promoted, confirmed, still open, precision) in order of time."""
    quarters: dict[str, list[Promoted]] = defaultdict(list)
    for item in items:
        quarters[item.quarter].append(item)
    return [(q, len(xs), sum(1 for x in xs if x.confirmed), sum(1 for x in xs if not x.concluded), precision(xs))
            for q, xs in sorted(quarters.items())]


# -- words ---------------------------------------------------------------------------------------------

def parameter_words(parameter: dict) -> str:
    """One parameter in plain words: its title and its value (a list joined, a small table summarised)."""
    value = parameter.get("value")
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        columns = list(dict.fromkeys(k for row in value for k in row))
        text = f"参数表 {len(value)} 行（列：{'、'.join(columns)}）"
    elif isinstance(value, list):
        text = "、".join(fmt(v) for v in value)
    else:
        text = fmt(value)
    return f"{parameter.get('title') or parameter.get('name')}：{text}"


def parameters_html(rule: Record) -> Markup:
    items = [p for p in rule.get("parameters") or [] if isinstance(p, dict)]
    if not items:
        return esc(EMPTY)
    return Markup("<ul>" + "".join(f"<li>{esc(parameter_words(p))}</li>" for p in items) + "</ul>")


def precision_text(value: Fraction | None) -> str:
    return percent(Decimal(value.numerator) / Decimal(value.denominator)) if value is not None else EMPTY


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


# -- the page ------------------------------------------------------------------------------------------

def rules_table(site: P.Site, page: str) -> Markup:
    headers = ["规则编号", "规则名称", "类别", "违规类型", "疑点等级", "法律和政策依据", "参数"]
    rows = [[site.ref(page, "rule", r.id, with_name=False), r.get("name"), r.get("category"), r.get("violation_type"),
             r.get("severity"), "；".join(fmt(b) for b in r.get("legal_basis") or []), parameters_html(r)]
            for r in sorted(site.all("rule"), key=lambda r: r.id or "")]
    return table(headers, rows, filterable=True)


def cases_table(site: P.Site, items: list[Promoted], page: str, with_rule: bool = True) -> Markup:
    headers = ["案件编号", *(["规则"] if with_rule else []), "涉事机构", "违规类型", "登记日期", "登记季度",
               f"统计日（{site.as_of.isoformat()}）状态", "是否查实"]
    rows = []
    for item in items:
        case = item.case
        rule = site.ref(page, "rule", item.rule, with_name=False) if item.rule else esc(NO_RULE)
        institution = case.get("subject.institution")
        rows.append([site.ref(page, "case", case.id), *([rule] if with_rule else []),
                     site.ref(page, "institution", institution) if institution else esc(EMPTY),
                     fmt(case.get("violation_types")), case.get("timeline.registered_on"), item.quarter,
                     P.status_badge(site, case), yes_no(item.confirmed)])
    return table(headers, rows, empty="（没有来源为数据筛查的案件线索）")


def precision_table(site: P.Site, grouped: dict[str | None, list[Promoted]], page: str) -> Markup:
    headers = ["规则", "登记季度", "转为线索", "查实", "尚在办理", "准确率（查实 ÷ 转为线索）"]
    rows, keys = [], []
    for rule in sorted(grouped, key=lambda r: (r is None, r or "")):
        for q, count, hit, open_, value in precision_by_quarter(grouped[rule]):
            rows.append([site.ref(page, "rule", rule, with_name=False) if rule else esc(NO_RULE), q, count, hit, open_,
                         precision_text(value)])
            keys.append([None, None, count, hit, open_, float(value) if value is not None else -1])
    return table(headers, rows, sort_values=keys, empty="（没有可计算的规则准确率）")


def overall_table(site: P.Site, grouped: dict[str | None, list[Promoted]], page: str) -> Markup:
    headers = ["规则编号", "规则名称", "转为线索", "查实", "尚在办理", "准确率"]
    rows = []
    for rule in sorted(site.all("rule"), key=lambda r: r.id or ""):
        items = grouped.get(rule.id, [])
        rows.append([site.ref(page, "rule", rule.id, with_name=False), rule.get("name"), len(items),
                     sum(1 for i in items if i.confirmed), sum(1 for i in items if not i.concluded),
                     precision_text(precision(items))])
    return table(headers, rows)


def read_runs(where: str | os.PathLike | None) -> list[dict]:
    """The run summaries in a data folder (``leads/<run>/summary.json``) or one summary file, each with
    ``promoted``: how many of its leads became cases per rule (from ``promoted.jsonl``)."""
    if not where:
        return []
    path = Path(where)
    folders = [path.parent] if path.is_file() else L.runs(path) if path.is_dir() else []
    out = []
    for folder in folders:
        summary_file = path if path.is_file() else folder / L.SUMMARY_FILE
        try:
            info = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        promoted: dict[str, int] = defaultdict(int)
        try:
            for line in (folder / L.PROMOTED_FILE).read_text(encoding="utf-8").splitlines():
                entry = json.loads(line) if line.strip() else {}
                if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
                    promoted[entry["rule"]] += 1
        except (OSError, ValueError):
            pass
        if isinstance(info, dict):
            info["promoted"] = dict(promoted)
            out.append(info)
    return out


def _amount(value) -> str:
    try:
        return yuan(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return EMPTY


def runs_html(site: P.Site, runs: list[dict], page: str) -> str:
    if not runs:
        return block(tag("p", f"筛查批次的汇总（每条规则、每家机构的疑点数和金额）和转为案件线索的疑点清单保存在医保局的数据目录中"
                              f"（leads/批次/summary.json、promoted.jsonl），不进入本仓库，因此本门户默认不显示。"
                              f"构建门户时把环境变量 {DATA_ENV} 设为数据目录，即可在本页显示各批次的汇总（汇总不含个人信息）。"
                              "以上各节是仓库中记录的内容：规则库和由筛查转来的案件线索。", class_="yb-note"))
    parts = []
    for info in runs:
        head = dl([("批次", info.get("run")), ("引擎", info.get("engine")),
                   ("数据期间", " 至 ".join(fmt(p) for p in info.get("period") or []) or "全部"),
                   ("疑点数", fmt(info.get("leads"))), ("涉及金额（元）", _amount(info.get("amount")))])
        rows = []
        for entry in info.get("rules") or []:
            if not isinstance(entry, dict):
                continue
            rule = entry.get("rule")
            institutions = entry.get("institutions") or {}
            by_inst = join([join([site.ref(page, "institution", code, with_name=False),
                                  esc(f"：{fmt((v or {}).get('leads'))} 条，{_amount((v or {}).get('amount'))} 元")])
                            for code, v in sorted(institutions.items())], Markup("<br>")) if institutions else esc(EMPTY)
            rows.append([site.ref(page, "rule", rule, with_name=False), entry.get("name"), fmt(entry.get("leads")),
                         _amount(entry.get("amount")), by_inst, fmt(info["promoted"].get(rule, 0))])
        parts.append(f"### 批次 {esc(info.get('run'))}\n\n" + block(head, table(
            ["规则", "规则名称", "疑点数", "涉及金额（元）", "按机构", "转为案件线索"], rows)) + "\n")
    return "\n".join(parts)


def rules_page(site: P.Site) -> tuple[str, str]:
    page = RULES_PAGE
    promoted = promoted_cases(site)
    grouped = by_rule(promoted)
    intro = tag("p", f"统计日 {site.as_of.isoformat()}。规则库共 {len(site.all('rule'))} 条筛查规则（“两库”中的规则库），"
                     f"由 yibao screen 在医保局的数据目录中运行；疑点经 yibao lead promote 转为案件线索（线索来源为数据筛查），"
                     f"目前共 {len(promoted)} 条。准确率 = 查实的线索 ÷ 转为线索的数量，按登记季度计算；"
                     "尚在办理的线索计入分母，因此近期的准确率会随办理进展而变化。", class_="yb-note")
    text = (P.front_matter(page_title(site)) + block(intro)
            + "\n" + P.section("规则库", rules_table(site, page))
            + "\n" + P.section("各规则的准确率", overall_table(site, grouped, page))
            + "\n" + P.section("准确率随时间的变化（按登记季度）", precision_table(site, grouped, page))
            + "\n" + P.section("由筛查转来的案件线索", cases_table(site, promoted, page))
            + "\n## 筛查批次\n\n" + runs_html(site, read_runs(os.environ.get(DATA_ENV)), page))
    return page, text


def rule_extra(site: P.Site, record: Record, page: str) -> str:
    """The rule page's sections: the cases promoted from its leads and its precision by quarter."""
    items = by_rule(promoted_cases(site)).get(record.id, [])
    note = tag("p", join([esc(f"由本规则的疑点转来的案件线索 {len(items)} 条，查实 {sum(1 for i in items if i.confirmed)} 条，"
                              f"准确率 {precision_text(precision(items))}。全部规则见 "),
                          link(page_title(site), relative(page, RULES_PAGE)), esc("。")]), class_="yb-note")
    return (P.section("由本规则转来的案件线索", note, cases_table(site, items, page, with_rule=False))
            + P.section("准确率（按登记季度）", precision_table(site, {record.id: items} if items else {}, page)))


#: the list page of the rule kind
LIST_PAGES = {"rule": rules_page}
#: the extra sections of a rule's record page
EXTRA = {"rule": rule_extra}
