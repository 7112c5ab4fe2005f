"""The public disclosure site (曝光平台, seed 002: “依托政府信息公开网……建立曝光平台……加大典型案件曝光力度”):
a small static site of its own, apart from the internal portal, holding only what the bureau
decided to publish — decided cases marked ``disclosed`` (the institution named; no person: the
subject of a case about a doctor or an insured person is given by its type only) with the provisions
applied, the decision and the amounts, and the 双随机 draws with their outcomes (一公开,
:mod:`yibao.compute.disclosure`, without the inspectors' codes).

Only structured fields reach it (no summary, lead or note text), each through one escaping path.
After writing, :func:`scan` reads every file it wrote and refuses the site (the folder is removed)
when any holds a pseudonymous code (the vocabulary's ``person_code`` and ``staff_id`` patterns), the
ID of a case that is not disclosed, a confidential value of any record (``x-confidential``) or
personal data. The pages are self-contained (inline style, no scripts, no fonts or links outside the
folder): they work offline and on a phone.
"""
from __future__ import annotations

import datetime as _dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..check.personal_data import find_personal_data
from ..compute.as_of import rules_for
from ..compute.disclosure import draws_disclosure
from ..core.calendar import to_date
from ..core.money import yuan as money
from ..core.record import Record
from ..core.schemas import SchemaSet
from .html import esc, tag
from .visible import Visibility

DEFAULT_OUTPUT = "build/disclosure"
PAGES = ("index.html", "draws.html")
STYLE = """body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;padding:0 1rem 2rem;line-height:1.6;color:#1b1b1b;max-width:60rem;margin:auto}
header{border-bottom:3px solid #b71c1c;margin-bottom:1rem}h1{font-size:1.4rem;margin:.8rem 0}nav a{margin-right:1rem}
.case{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.8rem 0}.case h2{font-size:1.1rem;margin:.2rem 0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:.4rem 0}dt{color:#555}dd{margin:0}
table{border-collapse:collapse;width:100%;font-size:.95rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.note{color:#555;font-size:.9rem}@media (max-width:40rem){dl{grid-template-columns:1fr}dt{font-weight:600}table,tbody,tr,td{display:block}thead{display:none}td{border:none;border-bottom:1px solid #eee}}"""


class DisclosureError(Exception):
    """The site must not be published: ``code`` is stable English, the message Chinese."""

    def __init__(self, code: str, message: str):
        super().__init__(f"error[{code}] {message}")
        self.code, self.message = code, message


def _terms(schemas: SchemaSet, name: str, attribute: str) -> frozenset[str]:
    return frozenset(schemas.vocab(name).get(attribute, []))


def disclosed_cases(records: Iterable[Record], schemas: SchemaSet, as_of: _dt.date) -> list[dict]:
    """The decided cases marked ``disclosed`` as they stood on ``as_of``, as the public may see them."""
    records = list(records)
    rules = rules_for(schemas)
    by_id = {(r.kind, r.id): r for r in records if r.id}
    persons = _terms(schemas, "subject_type", "x-person")
    withdrawn = _terms(schemas, "case_status", "x-withdrawn")
    out = []
    for record in records:
        if record.kind != "case":
            continue
        state = rules.state(record, as_of)
        case = state.record
        decided = to_date(case.get("timeline.decided_on"))
        if not state.exists or case.get("disclosed") is not True or case.get("status") in withdrawn \
                or decided is None or decided > as_of:
            continue
        subject = case.get("subject.type")
        institution = by_id.get(("institution", case.get("subject.institution")))
        provisions = [by_id.get(("provision", p)) for p in case.get("provisions") or [] if isinstance(p, str)]
        money_ = case.get("money") if isinstance(case.get("money"), dict) else {}
        out.append({
            "case": case.id, "decided_on": decided.isoformat(), "subject_type": subject, "person": subject in persons,
            "institution": institution.id if institution is not None else None,
            "institution_name": institution.get("name") if institution is not None else None,
            "violation_types": [v for v in case.get("violation_types") or [] if isinstance(v, str)],
            "provisions": [str(p.get("citation")) for p in provisions if p is not None],
            "actions": [a for a in case.get("actions") or [] if isinstance(a, str)],
            "money": {k: money_.get(k) for k in ("involved", "refused", "recovered", "fined") if money_.get(k) is not None},
        })
    out.sort(key=lambda c: (c["decided_on"], c["case"]), reverse=True)
    return out


MONEY_LABELS = {"involved": "涉及金额", "refused": "拒付金额", "recovered": "追回（责令退回）金额", "fined": "罚款金额"}


def _page(title: str, body: str, as_of: _dt.date) -> str:
    nav = tag("nav", tag("a", "典型案件曝光", href="index.html") + tag("a", "双随机抽查结果", href="draws.html"))
    return ("<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
            + str(tag("header", tag("h1", title) + nav)) + body
            + str(tag("p", f"信息截至 {as_of.isoformat()}。本站只公开医疗保障部门决定公开的内容，不含个人信息。", class_="note"))
            + "</body></html>\n")


def _case_html(case: dict) -> str:
    who = (f"{case['subject_type']}（个人信息不公开）" + (f"，所在机构：{case['institution_name']}" if case["institution_name"] else "")
           if case["person"] else f"{case['institution_name'] or ''}（{case['institution'] or ''}）")
    items = [("对象", who), ("违规行为", "、".join(case["violation_types"]) or "—"),
             ("适用条款", "；".join(case["provisions"]) or "—"), ("处理决定日期", case["decided_on"]),
             ("处理措施", "、".join(case["actions"]) or "—")]
    items += [(MONEY_LABELS[k], f"{money(v)} 元") for k, v in case["money"].items()]
    body = "".join(str(tag("dt", k)) + str(tag("dd", v)) for k, v in items)
    heading = case["institution_name"] if not case["person"] else f"{case['subject_type']}违规使用医保基金案"
    return str(tag("section", tag("h2", heading) + tag("dl", body_markup(body)), class_="case"))


def body_markup(html: str):
    from .html import Markup

    return Markup(html)


def cases_page(cases: list[dict], as_of: _dt.date) -> str:
    intro = str(tag("p", f"共公开 {len(cases)} 起已作出处理决定的案件。", class_="note"))
    return _page("医保基金违法违规典型案件曝光", intro + "".join(_case_html(c) for c in cases), as_of)


def draws_page(draws: list[dict], as_of: _dt.date) -> str:
    rows = []
    for d in draws:
        for s in d["selected"]:
            inspection = s.get("inspection") or {}
            cells = [d["date"], d.get("purpose") or "", f"{s.get('institution_name') or ''}（{s.get('institution') or ''}）",
                     str(len(s.get("inspectors") or [])), "是" if inspection.get("carried_out") else "否",
                     str(inspection["findings"]) if inspection.get("findings") is not None else "—",
                     "、".join(inspection.get("violation_types") or []) if inspection else "",
                     "是" if inspection.get("case_opened") else "否"]
            rows.append("".join(str(tag("td", c)) for c in cells))
    head = "".join(str(tag("th", h)) for h in ("抽取日期", "用途", "抽中机构", "检查人员数", "是否已检查", "发现问题数", "问题类型", "是否立案"))
    methods = "".join(str(tag("p", f"{d['date']} 抽取（{d.get('contract_name') or d.get('contract')}）：随机种子 {d.get('seed')}，"
                                    f"种子来源 {d.get('seed_source')}；抽取范围 {d['frame'].get('size', '—')} 家机构，"
                                    f"SHA-256 {d['frame'].get('ids_sha256', '—')}。", class_="note")) for d in draws)
    table = str(tag("table", body_markup(f"<thead><tr>{head}</tr></thead><tbody>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</tbody>")))
    return _page("“双随机、一公开”抽查结果", methods + (table if rows else str(tag("p", "（尚无抽取）"))), as_of)


# -- what must never appear -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forbidden:
    patterns: tuple[re.Pattern, ...]  # pseudonymous codes (persons, staff)
    literals: frozenset[str]  # undisclosed case IDs and confidential values


def forbidden(records: Iterable[Record], schemas: SchemaSet, disclosed: set[str]) -> Forbidden:
    defs = schemas.vocabulary.get("$defs", {})
    patterns = tuple(re.compile(defs[name]["pattern"].lstrip("^").rstrip("$")) for name in ("person_code", "staff_id") if name in defs)
    vis = Visibility(schemas)
    literals = set()
    for record in records:
        if record.kind == "case" and record.id and record.id not in disclosed:
            literals.add(record.id)
        for value in vis.secrets(record.kind, record.data):
            if isinstance(value, str) and len(value.strip()) >= 6:
                literals.add(value.strip())
            elif value is not None and not isinstance(value, (bool, str)):
                literals.add(money(value))  # a confidential amount as the site would print it
    return Forbidden(patterns, frozenset(literals))


def scan(output: Path, rule: Forbidden) -> list[str]:
    """Every problem in every file under ``output`` (Chinese, naming the file, never the secret)."""
    import html as html_lib

    problems = []
    for path in sorted(p for p in output.rglob("*") if p.is_file()):
        text = html_lib.unescape(path.read_text(encoding="utf-8", errors="replace"))
        name = path.relative_to(output).as_posix()
        if any(p.search(text) for p in rule.patterns):
            problems.append(f"{name} 含有人员化名编码")
        hits = sum(1 for s in rule.literals if s in text)
        if hits:
            problems.append(f"{name} 含有不应公开的内容（未公开的案件编号或保密字段，{hits} 处）")
        if find_personal_data(re.sub(r"<[^>]+>", "\n", text)):
            problems.append(f"{name} 含有疑似个人信息（身份证号、手机号或银行卡号）")
    return problems


def build(records: Iterable[Record], schemas: SchemaSet, as_of: _dt.date, output: Path) -> dict:
    """Write the site into ``output`` (replaced), scan it, and remove it again when anything leaks."""
    records = list(records)
    cases = disclosed_cases(records, schemas, as_of)
    draws = draws_disclosure(records, schemas, as_of)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    (output / "index.html").write_text(cases_page(cases, as_of), encoding="utf-8")
    (output / "draws.html").write_text(draws_page(draws, as_of), encoding="utf-8")
    problems = scan(output, forbidden(records, schemas, {c["case"] for c in cases}))
    if problems:
        shutil.rmtree(output)
        raise DisclosureError("disclosure-leak", "曝光网站含有不应公开的内容，已删除生成结果：" + "；".join(problems[:10]))
    return {"cases": len(cases), "draws": len(draws), "files": len(PAGES)}
