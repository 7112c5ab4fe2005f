"""``yibao diff BASE [HEAD]``: the change in business terms, as Markdown for the pull-request summary.

"新增检查 3 条，案件 AJ-… 已结案，现场检查覆盖率 82.00% → 85.10%". ``--format github`` prints
deadline warnings as workflow annotations on the changed files; ``json`` is for machines.
"""
from __future__ import annotations

import json

from .context import Context, EXIT_OK, UsageError
from ..check.publishable import mask_data, mask_text
from ..core.money import yuan
from ..core.textsafe import log_line, visible

LIMIT = 5  # records named in the headline before "等 N 条"
DEADLINE_WORDS = {"overdue": "已逾期", "late": "逾期完成", "due_soon": "即将到期"}


def register(sub) -> None:
    p = sub.add_parser("diff", help="用业务语言说明两次提交之间的变化：新增、结案、撤回、更正、金额和考核指标",
                       description="比较 HEAD 与它和 BASE 的共同祖先（与拉取请求显示的改动相同）。")
    p.add_argument("base", metavar="BASE", help="比较的基准，例如 origin/main")
    p.add_argument("head", metavar="HEAD", nargs="?", default="HEAD", help="要说明的提交（默认 HEAD）")
    p.add_argument("--as-of", metavar="DATE", default=None, help="统计日 YYYY-MM-DD（默认今天），两边用同一天")
    p.add_argument("--contract", metavar="ID", default=None, help="只看这个项目的考核指标")
    p.add_argument("--format", choices=("markdown", "github", "json"), default="markdown",
                   help="markdown（默认，可写入 $GITHUB_STEP_SUMMARY）、github（时限提醒注释）、json")
    p.set_defaults(func=run)


def run(ctx: Context) -> int:
    args = ctx.args
    from ..compute.change_summary import summarise
    from ..load.git_tree import GitError
    from .report import parse_as_of

    root = ctx.root
    try:
        summary = summarise(root, args.base, args.head, parse_as_of(args.as_of), args.contract)
    except GitError as exc:
        raise UsageError(str(exc)) from None
    render = {"markdown": markdown, "github": github, "json": as_json}[args.format]
    # both sides may hold versions that were never validated (a base that reached main unchecked):
    # each format masks what it quotes of them, before escaping it (see markdown, github, as_json)
    print(render(summary))
    return EXIT_OK


# -- words -----------------------------------------------------------------------------------------
def _label(summary, m) -> str:
    return f"{summary.schemas.kind_label(m.kind)} {m.ident}"


def _ids(items, limit: int = LIMIT) -> str:
    names = [m.ident for m in items]
    return "、".join(names[:limit]) + (f" 等 {len(names)} 条" if len(names) > limit else "")


def value_text(value, unit: str) -> str:
    from ..compute.report import display

    return display(value, unit)


def headline(summary) -> str:
    """One sentence: what was added, closed, withdrawn, amended, and what it did to the KPIs."""
    parts = []
    for kind, items in summary.added().items():
        parts.append(f"新增{summary.schemas.kind_label(kind)} {len(items)} 条")
    closed = summary.entered("x-closed")
    for m in closed[:LIMIT]:
        parts.append(f"{_label(summary, m)} {m.status('after')}")
    if len(closed) > LIMIT:
        parts.append(f"另有 {len(closed) - LIMIT} 条记录办结")
    withdrawn = summary.entered("x-withdrawn")
    if withdrawn:
        parts.append(f"撤回 {_ids(withdrawn)}")
    amended = summary.amended()
    if amended:
        parts.append(f"更正 {_ids([m for m, _ in amended])}")
    if summary.removed():
        parts.append(f"删除或改名 {len(summary.removed())} 个记录文件（不允许）")
    for kpi in summary.changed_kpis(targeted_only=True)[:3]:
        parts.append(f"{kpi['name']} {value_text(kpi['before'], kpi['unit'])} → {value_text(kpi['after'], kpi['unit'])}")
    if not parts:
        edits = summary.other_edits() + summary.transitions()
        parts.append(f"修改 {len(edits)} 条记录" if edits else "记录没有变化")
    return "，".join(parts)


# -- Markdown -----------------------------------------------------------------------------------
def markdown(summary) -> str:
    lines = [f"## 本次变更（{summary.base[:7]} → {summary.head[:7]}）", "", headline(summary), ""]
    lines += _records_section(summary)
    lines += _money_section(summary)
    lines += _kpi_section(summary)
    lines += _deadline_section(summary)
    for problem in summary.problems:
        lines += [f"> ⚠️ {problem}", ""]
    # each item is one line: record text and file names can neither add lines nor drive the terminal
    # personal data masked before escaping: an escaped separator (\t, \u200e) would hide a number
    return "\n".join(visible(mask_text(line)) for line in lines).rstrip() + "\n"


def _records_section(summary) -> list[str]:
    rows = []
    for kind, items in summary.added().items():
        rows.append(f"- 新增{summary.schemas.kind_label(kind)} {len(items)} 条：{_ids(items, 20)}")
    for m in summary.entered("x-closed"):
        rows.append(f"- 办结：{_label(summary, m)}（{m.status('before') or '新增'} → {m.status('after')}）")
    for m in summary.entered("x-withdrawn"):
        reason = m.after.get("withdrawal.reason") if m.after else None
        rows.append(f"- 撤回：{_label(summary, m)}" + (f"（原因：{_md(reason)}）" if reason else ""))
    for m in summary.transitions():
        rows.append(f"- 状态变化：{_label(summary, m)} {m.status('before')} → {m.status('after')}")
    for m, entries in summary.amended():
        for entry in entries:
            fields = "、".join(str(f) for f in entry.get("fields") or [])
            rows.append(f"- 更正：{_label(summary, m)}（字段：{_md(fields)}；原因：{_md(entry.get('reason'))}；"
                        f"提出人：{_md(entry.get('requested_by'))}）")
    edits = summary.other_edits()
    if edits:
        rows.append(f"- 其他修改 {len(edits)} 条：{_ids(edits, 20)}")
    for m in summary.removed():
        what = "删除" if m.change == "D" else "改名或移动"
        rows.append(f"- ⛔ {what}：{m.path}（记录不能删除或改名，CI 会拒绝）")
    return (["### 记录", ""] + rows + [""]) if rows else []


def _money_section(summary) -> list[str]:
    if not summary.money:
        return []
    lines = ["### 案件金额（元，不含已撤回）", "", "| 项目 | 金额 | 变更前 | 变更后 | 变化 |", "| --- | --- | ---: | ---: | ---: |"]
    for row in summary.money:
        delta = row["after"] - row["before"]
        sign = "+" if delta > 0 else ""
        lines.append(f"| {row['contract']} | {row['title']} | {yuan(row['before'])} | {yuan(row['after'])} | {sign}{yuan(delta)} |")
    return lines + [""]


def _kpi_section(summary) -> list[str]:
    changed = summary.changed_kpis()
    title = f"### 考核指标（统计日 {summary.as_of.isoformat()}）"
    if not summary.kpis:
        return []
    if not changed:
        return [title, "", "考核指标没有变化。", ""]
    lines = [title, "", "| 项目 | 指标 | 目标 | 变更前 | 变更后 | 状态 |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for k in changed:
        status = k["status_after"] or "—"
        if k["status_before"] != k["status_after"]:
            status = f"{k['status_before'] or '—'} → {status}"
        lines.append(f"| {k['contract']} | {_md(k['name'])} | {value_text(k['target'], k['unit'])} | "
                     f"{value_text(k['before'], k['unit'])} | {value_text(k['after'], k['unit'])} | {status} |")
    return lines + [""]


def _deadline_section(summary) -> list[str]:
    if not summary.deadlines:
        return []
    return ["### 时限提醒（本次改动的记录）", ""] + [f"- {deadline_text(d)}" for d in summary.deadlines] + [""]


def deadline_text(item: dict) -> str:
    head = f"{DEADLINE_WORDS[item['which']]}：{item['record']} {item['name']}（截止 {item['due']}"
    if item["which"] == "overdue":
        return head + f"，已逾期 {item['days_late']} 天）"
    if item["which"] == "late":
        return head + f"，{item['done_on']} 完成，晚 {item['days_late']} 天）"
    return head + "）"


def _md(value) -> str:
    """Record text shown in Markdown: table pipes and line breaks neutralised, never rendered as markup."""
    text = "" if value is None else str(value)
    for char in "\\`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", " ").replace("\n", " ")


# -- GitHub annotations and JSON ------------------------------------------------------------------
def github(summary) -> str:
    from ..core.diagnostics import gh_escape

    lines = []
    for item in summary.deadlines:
        level = "notice" if item["which"] == "due_soon" else "warning"
        path = item.get("path") or ""
        props = f"file={gh_escape(mask_text(path), True)},line=1,title=deadline" if path else "title=deadline"
        lines.append(f"::{level} {props}::{gh_escape(mask_text(deadline_text(item)))}")
    for problem in summary.problems:
        lines.append(f"::warning title=report::{gh_escape(mask_text(problem))}")
    lines.append(log_line(mask_text(headline(summary))))  # plain text on one line: it cannot be taken for a command
    return "\n".join(lines)


def as_json(summary) -> str:
    def record(m):
        return {"kind": m.kind, "id": m.ident, "path": m.path, "change": m.change,
                "status_before": m.status("before"), "status_after": m.status("after")}

    data = {
        "base": summary.base, "head": summary.head, "as_of": summary.as_of.isoformat(),
        "headline": headline(summary),
        "records": [record(m) for m in summary.moved],
        "closed": [m.ident for m in summary.entered("x-closed")],
        "withdrawn": [m.ident for m in summary.entered("x-withdrawn")],
        "amended": [{"id": m.ident, "entries": entries} for m, entries in summary.amended()],
        "money": [{**row, "before": str(row["before"]), "after": str(row["after"])} for row in summary.money],
        "kpis": summary.changed_kpis(),
        "deadlines": summary.deadlines,
        "problems": summary.problems,
    }
    # masked value by value, before JSON escapes a separator (\t) and so hides a number
    return json.dumps(mask_data(data)[0], ensure_ascii=False, indent=2, default=str)
