"""The portal's pages generated from records, as Markdown files holding raw HTML blocks.

Each page function returns ``(docs path, Markdown text)``. Every page starts with front matter
that turns macros off (``render_macros: false``); record values reach the text only through
:mod:`yibao.publish.html` (escaped, braces neutralised) and only after
:class:`~yibao.publish.visible.Visibility` dropped confidential fields. Section headings are
our own labels, written as Markdown so that the table of contents and search sections work.

Record pages are reached from tables and search, not from the navigation (a nav with thousands
of entries makes Material's build quadratic).

Every page shows the records as of the build's date (:mod:`yibao.compute.as_of`): a record that
does not exist yet on that date is in no list and has no page (links to it are plain text), and
the others show their state on that date, computed once per record in :class:`Site`. Dates that
may lie after the date by nature carry a class saying so (``tests/test_portal_as_of.py`` fails on
any other later date): :data:`TERM_CLASS` (service period, milestone due dates), :data:`DUE_CLASS`
(due dates of deadlines), :data:`COMMIT_CLASS` (git commit dates: the audit trail and the change
log are git history, complete and dated by commit).
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterable, Iterator

from ..compute import deadlines as dl_rules
from ..compute import kpis as kpis_mod
from ..compute import report as report_mod
from ..compute.as_of import TERMS, AsOf, rules_for
from ..core.calendar import to_date
from ..compute.view import ContractView, RecordIndex
from ..check.publishable import UNREADABLE, mask_text
from ..load.history import MISSING, History, Version
from ..core.record import Record, kind_of
from ..core.schemas import SchemaSet
from . import charts
from .html import (EMPTY, Markup, block, dl, esc, esc_text, fmt, join, link, percent, relative, table, tag,
                   title_text, yuan)
from .visible import Visibility

PAGE_DIRS = {"contract": "contracts", "institution": "institutions", "inspection": "inspections",
             "case": "cases", "training": "trainings",
             # planning records: their list pages are yibao.publish.planning's
             "draw": "draws", "sampling_plan": "sampling-plans", "extrapolation": "extrapolations"}
#: special campaigns (专项治理): their record pages' sections and list pages are yibao.publish.campaigns'
CAMPAIGN_DIRS = {"campaign": "campaigns", "self_inspection": "self-inspections", "rectification": "rectifications"}
PAGE_DIRS |= CAMPAIGN_DIRS
#: screening rules: their list page (数据筛查) and record pages' sections are yibao.publish.screening's
PAGE_DIRS["rule"] = "rules"
#: project staff (pseudonymous codes, roles and qualifications; no names): KPI drill-downs link to them
PAGE_DIRS["staff"] = "staff"
#: the law, the credit schemes and the contract's money records: each record has its page, each kind a list
#: (not reward policies: which policy a case used is confidential, and a policy's ID would be on its page)
PAGE_DIRS |= {"provision": "provisions", "credit_scheme": "credit-schemes",
              "budget": "budgets", "acceptance": "acceptances", "payment": "payments", "evaluation_scheme": "evaluation-schemes"}
CHANGELOG_LIMIT = 200
STATUS_CLASS = {"ok": "yb-status-ok", "bad": "yb-status-bad", "warn": "yb-status-warn", "na": ""}
DEADLINE_CLASS = {dl_rules.DeadlineStatus.ON_TIME: "ok", dl_rules.DeadlineStatus.LATE: "warn",
                  dl_rules.DeadlineStatus.OVERDUE: "bad", dl_rules.DeadlineStatus.DUE_SOON: "warn",
                  dl_rules.DeadlineStatus.OPEN: "na"}
KPI_CLASS = {kpis_mod.KpiStatus.MET: "ok", kpis_mod.KpiStatus.NOT_MET: "bad", kpis_mod.KpiStatus.BEHIND: "bad",
             kpis_mod.KpiStatus.IN_PROGRESS: "warn"}
#: classes of the only elements whose dates may lie after the as-of date (see the module docstring)
TERM_CLASS, DUE_CLASS, COMMIT_CLASS = "yb-date-term", "yb-date-due", "yb-commit-date"
#: lists whose items are field paths of the same record (``money.recovered``), shown as their labels
FIELD_PATH_LISTS = {("amendments", "fields")}
TERM_PATHS = {(kind, tuple(dotted.split("."))) for kind, paths in TERMS.items() for dotted in paths}


# -- the site being generated ----------------------------------------------------------------------

@dataclass
class Site:
    """Everything page functions read: records, schemas, history, the report, the as-of date."""

    schemas: SchemaSet
    records: list[Record]
    reports: list[dict]
    as_of: _dt.date
    history: History | None = None
    work_tree: dict[str, str] = field(default_factory=dict)  # git blob id of each file as it is now, to spot uncommitted edits
    #: where the forge shows a pull request and a commit (mkdocs.yml ``extra.yibao.pull_request_url`` with
    #: ``{number}``, ``commit_url`` with ``{sha}``); without them the audit trail names them without links
    links: dict[str, str] = field(default_factory=dict)
    index: RecordIndex = field(init=False)
    vis: Visibility = field(init=False)
    views: dict[str, ContractView] = field(init=False)
    deadlines: dict[str, list[dl_rules.Deadline]] = field(init=False)  # by record ID
    refs: dict[tuple[str, tuple], str] = field(init=False)
    #: records that name another record, indexed once: (relation, ID) -> records in list order
    related: dict[tuple[str, str], list[Record]] = field(init=False)
    #: each record as of the date, by path (computed once per record, not per page)
    states: dict[str, AsOf] = field(init=False)

    def __post_init__(self) -> None:
        self.index = RecordIndex.build(self.records, self.schemas)
        self.as_of_rules = rules_for(self.schemas)
        self.states, self._shown, self._shown_by_id = {}, {}, {}
        for kind, records in self.index.by_kind.items():
            shown, by_id = self._shown[kind], self._shown_by_id[kind] = [], {}
            for record in records:
                state = self.states[record.path] = self.as_of_rules.state(record, self.as_of)
                if state.exists:
                    shown.append(state.record)
                    if record.id is not None:
                        by_id.setdefault(record.id, state.record)
        self.vis = Visibility(self.schemas)
        self.views = {c.id: ContractView(c, self.index, self.as_of, self.schemas) for c in self.index.contracts}
        self.deadlines = defaultdict(list)
        for view in self.views.values():
            items, _missing = dl_rules.evaluate(view)
            for item in items:
                self.deadlines[item.record].append(item)
        self.refs = {(kind, tuple(dotted.split("."))): target for (kind, dotted), target in self.schemas.relations.items()}
        self.related: dict[tuple[str, str], dict[str, list[Record]]] = {}
        self._schema_facts: dict = {}

    def linked(self, kind: str, dotted: str, ident: str | None) -> list[Record]:
        """The records of ``kind`` whose field ``dotted`` names ``ident`` (a relation the schemas
        declare: :attr:`~yibao.core.schemas.SchemaSet.relations`), in the order of :meth:`all`."""
        named = self.related.get((kind, dotted))
        if named is None:
            if (kind, dotted) not in self.schemas.relations:
                raise KeyError(f"{kind}.{dotted} refers to no other kind in the schemas")
            named = self.related[(kind, dotted)] = naming(self.all(kind), dotted)
        return named.get(ident, []) if isinstance(ident, str) else []

    # where pages are: records that exist on the as-of date, as they stood then
    def all(self, kind: str) -> list[Record]:
        return self._shown.get(kind, [])

    def get(self, kind: str, ident: Any) -> Record | None:
        return self._shown_by_id.get(kind, {}).get(ident) if isinstance(ident, str) else None

    def now(self, record: Record) -> Record:
        """A record (as loaded, e.g. from a contract view) as it stood on the as-of date."""
        state = self.states.get(record.path)
        return state.record if state is not None else record

    def state_of(self, record: Record) -> AsOf | None:
        return self.states.get(record.path)

    @staticmethod
    def page_of(kind: str, ident: str) -> str:
        return f"{PAGE_DIRS[kind]}/{ident}.md"

    def href(self, page: str, kind: str, ident: Any) -> str | None:
        if kind not in PAGE_DIRS or self.get(kind, ident) is None:
            return None
        return relative(page, self.page_of(kind, ident))

    def ref(self, page: str, kind: str, ident: Any, with_name: bool = True) -> Markup:
        """A link to a record's page, with the institution's name where it helps."""
        record = self.get(kind, ident)
        text = fmt(ident)
        if with_name and record is not None and kind in ("institution", "contract"):
            text = f"{ident} {record.get('name') or ''}".strip()
        return link(text, self.href(page, kind, ident))

    # schema facts, looked up once per field (pages ask for the same few hundred fields all the time)
    def _schema_fact(self, method: str, kind: str, path: tuple):
        key = (method, kind, path)
        try:
            return self._schema_facts[key]
        except KeyError:
            found = self._schema_facts[key] = getattr(self.schemas, method)(kind, path)
            return found

    def field(self, kind: str, path: tuple):
        return self._schema_fact("field", kind, path)

    def title(self, kind: str, path: tuple) -> str:
        return self._schema_fact("title", kind, path)

    def field_names(self, kind: str, path: tuple) -> list[str]:
        return self._schema_fact("field_names", kind, path)

    # labels
    def label(self, kind: str, path: tuple) -> str:
        parts = []
        for i, step in enumerate(path):
            if isinstance(step, int):
                parts.append(f"第 {step + 1} 项")
            else:
                parts.append(self.title(kind, path[: i + 1]))
        return " › ".join(parts) if parts else self.schemas.kind_label(kind)

    def term(self, kind: str, path: tuple, value: Any) -> str:
        info = self.field(kind, path)
        if info is not None and info.vocabulary and isinstance(value, str):
            return self.schemas.label(info.vocabulary, value)
        return fmt(value)


def naming(records: Iterable[Record], dotted: str) -> dict[str, list[Record]]:
    """One pass over the records: which of them name each ID in a field (an ID, or a list of IDs),
    so a page never scans all records of a kind."""
    out: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        value = record.get(dotted)
        targets = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        for target in dict.fromkeys(t for t in targets if isinstance(t, str)):
            out[target].append(record)
    return dict(out)


def front_matter(title: str, **extra: Any) -> str:
    """YAML front matter: JSON strings are valid YAML; macros are always off for generated pages."""
    lines = ["---", f"title: {json.dumps(title_text(title), ensure_ascii=False)}", "render_macros: false"]
    for key, value in extra.items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def section(heading: str, *parts: Any) -> str:
    """A Markdown heading (our own label) followed by one raw HTML block."""
    return f"## {heading}\n\n" + block(*parts) + "\n"


# -- values ----------------------------------------------------------------------------------------

def scalar(site: Site, kind: str, path: tuple, value: Any, page: str) -> Markup:
    names = tuple(p for p in path if isinstance(p, str))
    target = site.refs.get((kind, names))
    if target and isinstance(value, str):
        return site.ref(page, target, value)
    info = site.field(kind, names)
    if info is not None and info.x_format == "yuan":
        return esc(yuan(value))
    if names in FIELD_PATH_LISTS and isinstance(value, str):
        return esc(site.label(kind, tuple(value.split("."))))
    if isinstance(value, str) and "\n" in value:
        return esc_text(value)
    if (kind, names) in TERM_PATHS:
        return date_span(value, TERM_CLASS)
    return esc(site.term(kind, names, value))


def date_span(value: Any, cls: str) -> Markup:
    """A date that may lie after the as-of date by nature, marked as such (see the module docstring)."""
    return tag("span", value, class_=cls) if value is not None else esc(EMPTY)


def value_html(site: Site, kind: str, path: tuple, value: Any, page: str) -> Markup:
    if isinstance(value, dict):
        return dl([(site.title(kind, path + (k,)), value_html(site, kind, path + (k,), value[k], page))
                   for k in ordered(site, kind, path, value)])
    if isinstance(value, list):
        if any(isinstance(item, dict) for item in value):
            return records_table(site, kind, path, value, page)
        if not value:
            return esc(EMPTY)
        return join((scalar(site, kind, path + (i,), item, page) for i, item in enumerate(value)), "、")
    return scalar(site, kind, path, value, page)


def records_table(site: Site, kind: str, path: tuple, items: list, page: str) -> Markup:
    """A list of mappings (findings, protocol history, volumes …) as a table, one column per field."""
    keys: list[str] = []
    for name in site.field_names(kind, path):
        if any(isinstance(item, dict) and name in item for item in items):
            keys.append(name)
    headers = [site.title(kind, path + (k,)) for k in keys]
    rows = []
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        rows.append([value_html(site, kind, path + (i, k), item[k], page) if k in item else EMPTY for k in keys])
    return table(headers, rows, sortable=False)


def ordered(site: Site, kind: str, path: tuple, data: dict) -> list[str]:
    known = site.field_names(kind, path)
    return [k for k in known if k in data] + [k for k in data if k not in known]


def fields_block(site: Site, record: Record, page: str, skip: Iterable[str] = ()) -> Markup:
    """Every field the portal may show, with its Chinese label from the schema.

    Scalars and small mappings form a label/value list; lists of mappings (findings, protocol
    history, targets …) follow as full-width tables under their own label.
    """
    shown = site.vis.redact(record.kind, record.data)
    skip = set(skip)
    keys = [k for k in ordered(site, record.kind, (), shown) if k not in skip]
    wide = [k for k in keys if isinstance(shown[k], list) and any(isinstance(i, dict) for i in shown[k])]
    parts = [dl([(site.title(record.kind, (k,)), value_html(site, record.kind, (k,), shown[k], page))
                 for k in keys if k not in wide])]
    for k in wide:
        parts.append(tag("h3", site.title(record.kind, (k,)), class_="yb-field-table"))
        parts.append(value_html(site, record.kind, (k,), shown[k], page))
    return join(parts)


def status_badge(site: Site, record: Record) -> Markup:
    status = record.get("status")
    if not isinstance(status, str):
        return Markup("")
    info = site.field(record.kind, ("status",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    if status in vocab.get("x-withdrawn", []):
        cls = ""
    elif status in vocab.get("x-closed", []) or "x-closed" not in vocab:  # done, or a record status (no workflow)
        cls = STATUS_CLASS["ok"]
    else:
        cls = STATUS_CLASS["warn"]
    return tag("span", status, class_=f"yb-badge {cls}".strip())


def plain(site: Site, kind: str, path: tuple, value: Any) -> str:
    """A value as text for the audit trail (money as 12,480.00, absent as （无）)."""
    if value is MISSING:
        return "（无）"
    names = tuple(p for p in path if isinstance(p, str))
    info = site.field(kind, names)
    if info is not None and info.x_format == "yuan":
        return yuan(value)
    if names in FIELD_PATH_LISTS:  # an amendment names the fields it corrects: show their labels
        items = value if isinstance(value, list) else [value]
        return "、".join(site.label(kind, tuple(v.split("."))) if isinstance(v, str) else fmt(v) for v in items) or "（空）"
    if isinstance(value, list):
        return "、".join(site.term(kind, names, v) for v in value) if value else "（空）"
    return site.term(kind, names, value)


# -- audit trail -----------------------------------------------------------------------------------

def _when(iso: str) -> str:
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M")


def audit_trail(site: Site, record: Record, page: str) -> str:
    if site.history is None:
        return section("审计记录", tag("p", "本次构建没有读取 git 历史。", class_="yb-note"))
    versions = site.history.of(record.path)
    notes = []
    current = site.work_tree.get(record.path)
    if not versions:
        notes.append(tag("p", "该记录尚未提交到 git，没有历史版本。", class_="yb-note"))
    elif current is not None and current != versions[-1].blob:
        notes.append(tag("p", "当前显示的内容包含尚未提交的修改；下面的历史只到最近一次提交。", class_="yb-note"))
    redacted: dict[int, dict] = {}  # each version's data is redacted once (it is also the next version's "before")

    def redact(data: dict) -> dict:
        """What a version may show: its content as of the build's date, without confidential fields."""
        key = id(data)
        if key not in redacted:
            content = site.as_of_rules.content(Record(record.kind, record.path, data), site.as_of).record.data
            redacted[key] = site.vis.redact(record.kind, content)
        return redacted[key]

    items = [version_html(site, record.kind, v, n, redact) for n, v in reversed(list(enumerate(versions, 1)))]
    summary = tag("p", f"共 {len(versions)} 个版本（最新在前）。每个版本列出提交日期、作者、提交说明、合并请求编号，以及与上一版本相比变化的字段。"
                       f"审计记录是 git 历史，按提交日期列出全部版本；各版本的内容按统计日（{site.as_of.isoformat()}）显示，"
                       "不显示统计日之后才发生的事实。", class_="yb-note")
    return section("审计记录", summary, *notes, *items)


AUDIT_HEADERS = ["字段", "修改前", "修改后"]


def forge_link(site: Site, key: str, text: str, **values: str) -> Markup:
    """A link to the forge's page of a pull request or commit, when the site knows where that is."""
    template = site.links.get(key)
    if not template:
        return esc(text)
    try:
        url = template.format(**values)
    except (KeyError, IndexError, ValueError):
        return esc(text)
    return link(text, url) if url.startswith(("https://", "http://")) else esc(text)


def version_html(site: Site, kind: str, version: Version, number: int, redact) -> Markup:
    commit = version.commit
    head = [tag("strong", f"第 {number} 版"), esc(" · "), date_span(_when(commit.date), COMMIT_CLASS), esc(" · 作者 "),
            tag("span", commit.author, class_="yb-author")]
    pr = version.pr
    if pr:
        head += [esc(" · 合并请求 "), tag("span", forge_link(site, "pull_request_url", pr, number=pr.lstrip("#!")), class_="yb-pr")]
    head += [esc(" · 提交 "), tag("span", forge_link(site, "commit_url", commit.short, sha=commit.sha), class_="yb-sha")]
    lines = [Markup(f'<div class="yb-version-head">{join(head)}</div>'),
             tag("div", commit.message, class_="yb-version-msg")]
    if version.merge is not None:
        merge = version.merge
        approved = merge.reviewers or commit.reviewers
        lines.append(Markup('<div class="yb-note yb-merge">') + join([
            esc("审核："), tag("span", "、".join(approved), class_="yb-reviewer") if approved else esc("（合并记录未写明）"),
            esc(" · 合并："), tag("span", merge.author, class_="yb-merger"), esc(" 于 "), date_span(_when(merge.date), COMMIT_CLASS),
            esc(" · 合并提交 "), forge_link(site, "commit_url", merge.short, sha=merge.sha), esc(f"：{merge.subject}")])
                     + Markup("</div>"))
    elif commit.reviewers:
        lines.append(tag("div", "审核：" + "、".join(commit.reviewers), class_="yb-note yb-merge"))
    if version.status == "R" and version.before_path != version.path:
        lines.append(tag("div", f"文件改名：{mask_text(version.before_path)} → {mask_text(version.path)}", class_="yb-note"))
    if version.status == "D":
        lines.append(tag("div", "该版本删除了文件。", class_="yb-note"))
    problems = version.parsed.problems
    if problems:
        lines.append(tag("div", UNREADABLE, class_="yb-note"))  # never the error: it may quote the value
    else:
        changes = version.changes(redact)
        rows = [[site.label(kind, c.path), _audit_value(site, kind, c.path, c.old, "yb-old") if c.old is not MISSING else "（无）",
                 _audit_value(site, kind, c.path, c.new, "yb-new") if c.new is not MISSING else "（删除）"]
                for c in changes]
        if version.before.data is None and version.status != "D":
            inner = table(AUDIT_HEADERS, rows, sortable=False, cls="yb-changes")
            # the first version's fields repeat the record: kept out of the search index
            lines.append(Markup(f"<details data-pagefind-ignore><summary>新建记录（{len(rows)} 个字段）</summary>{inner}</details>"))
        elif rows:
            lines.append(table(AUDIT_HEADERS, rows, sortable=False, cls="yb-changes"))
        elif version.changes(partial(site.vis.redact, kind)):
            lines.append(tag("div", f"本版本只修改了统计日（{site.as_of.isoformat()}）之后才发生的事实，内容不在本页显示。", class_="yb-note"))
        elif version.changes():
            lines.append(tag("div", "本版本只修改了不在门户公开的字段（保密字段），内容不显示。", class_="yb-note"))
        else:
            lines.append(tag("div", "字段内容没有变化（仅格式、注释或文件位置不同）。", class_="yb-note"))
    return Markup(f'<div class="yb-version">{join(lines)}</div>')


def _audit_value(site: Site, kind: str, path: tuple, value: Any, cls: str) -> Markup:
    if (kind, tuple(p for p in path if isinstance(p, str))) in TERM_PATHS:
        cls = f"{cls} {TERM_CLASS}"
    return Markup(f'<span class="{cls}">{esc(plain(site, kind, path, value))}</span>')


# -- record pages ----------------------------------------------------------------------------------

def record_title(site: Site, record: Record) -> str:
    """ID plus what a reader recognises: the name, or the institution and the kind of work."""
    if record.kind == "inspection":
        inst = site.get("institution", record.get("institution"))
        return f"{record.id} {inst.get('name') if inst else record.get('institution')} {record.get('type') or ''}".strip()
    if record.kind == "case":
        inst = site.get("institution", record.get("subject.institution"))
        who = inst.get("name") if inst else record.get("subject.person_code") or record.get("subject.type") or ""
        return f"{record.id} {who}".strip()
    if record.kind in CAMPAIGN_DIRS and record.get("institution"):
        return _campaigns().record_title(site, record)
    for key in ("name", "title"):
        if isinstance(record.get(key), str):
            return f"{record.id} {record.get(key)}"
    return record.id or record.path


def record_page(site: Site, record: Record) -> tuple[str, str]:
    page = site.page_of(record.kind, record.id)
    from . import planning, screening  # the planning and screening pages build on this module

    from . import leaders

    from . import archive as case_files

    extra = {**EXTRA, **planning.EXTRA, **screening.EXTRA, **leaders.EXTRA}.get(record.kind, lambda *_: "")(site, record, page)
    extra += case_files.EXTRA.get(record.kind, lambda *_: "")(site, record, page)
    head = Markup(f'<p class="yb-note">{esc(site.schemas.kind_label(record.kind))} · 文件 {esc(record.path)} '
                  f"{status_badge(site, record)}</p>")
    text = (front_matter(record_title(site, record))
            + block(head, *later_notes(site, record))
            + "\n" + section("基本信息", fields_block(site, record, page, _campaigns().SHOWN_APART.get(record.kind, ())
                                                     + leaders.SHOWN_APART.get(record.kind, ())
                                                     + case_files.SHOWN_APART.get(record.kind, ())))
            + extra
            + audit_trail(site, record, page))
    return page, text


def later_notes(site: Site, record: Record) -> list[Markup]:
    """What the page leaves out or shows corrected because it happened after the as-of date
    (how many facts; which fields later amendments corrected; a later withdrawal), never the values."""
    state = site.state_of(record)
    if state is None or not state.changed_later:
        return []
    day = site.as_of.isoformat()
    notes = []
    if state.later:
        notes.append(f"统计日（{day}）之后还有 {state.later} 项变化，未计入本页。")
    if state.corrected:
        paths = [tuple(f.split(".")) for f in state.corrected]
        fields = "、".join(site.label(record.kind, path) for path in paths if site.vis.shown(record.kind, path)) or "保密字段"
        notes.append(f"统计日之后有更正（所改字段：{fields}）：更正前的数值没有记录，本页显示更正后的数值；"
                     "考核指标同样按更正后的数值计算（与 yibao report 一致）。")
    if state.withdrawn_later:
        notes.append("该记录在统计日之后撤回：撤回是对记录本身的纠正，对任何统计日都生效，已撤回的记录不计入考核指标"
                     "（与 yibao report 一致）；撤回的日期和原因不在本页显示。")
    return [tag("p", note, class_="yb-note yb-later") for note in notes]


def deadline_dict(d: dl_rules.Deadline | dict) -> dict:
    """A deadline item as the report writes it (the record pages evaluate the same rules)."""
    return report_mod.deadline_json(d) if isinstance(d, dl_rules.Deadline) else d


def _deadline_rows(site: Site, items: list, page: str, with_record: bool = False) -> tuple[list, list]:
    rows, classes = [], []
    for d in map(deadline_dict, items):
        late = ""
        if d.get("days_late") is not None:
            late = f"{d['days_late']} 天" + (f"（{d['workdays_late']} 个工作日）" if d.get("workdays_late") is not None else "")
        status, state = d.get("status"), dl_rules.DeadlineStatus.from_label(d.get("status"))
        badge = tag("span", status, class_=f"yb-badge {STATUS_CLASS[DEADLINE_CLASS.get(state, 'na')]}".strip())
        term = f"{d['days']} 个{d['day_type']}" if d.get("days") is not None else "阶段节点"
        due = date_span(d.get("due"), DUE_CLASS)
        if d.get("rolled_from"):  # 《民法典》第二百零三条: the bare last day was a rest day
            due = join([due, Markup('<span class="yb-note">（'), date_span(d["rolled_from"], DUE_CLASS),
                        Markup("为休息日，顺延）</span>")], "")
        row = [d.get("name"), fmt(d.get("starts_on")), term, due, fmt(d.get("done_on")), badge, late or EMPTY]
        keys = [None, d.get("starts_on"), d.get("days"), d.get("due"), d.get("done_on"), status, d.get("days_late") or 0]
        if with_record:
            row = [_deadline_subject(site, d, page), site.ref(page, "institution", d.get("institution"), with_name=True)
                   if d.get("institution") else EMPTY] + row
            keys = [d.get("record"), d.get("institution")] + keys
        rows.append((row, keys))
        classes.append("yb-row-alert" if state == dl_rules.DeadlineStatus.OVERDUE else
                       "yb-row-warn" if state in (dl_rules.DeadlineStatus.LATE, dl_rules.DeadlineStatus.DUE_SOON) else "")
    return rows, classes


def _deadline_subject(site: Site, d: dict, page: str) -> Markup:
    """The record an item is about, linked: its kind is its file's folder (a campaign's phases and
    the reports not yet submitted are the campaign's), else the item's kind."""
    kind = kind_of(d.get("path") or "", tuple(PAGE_DIRS)) or (d.get("kind") if d.get("kind") in PAGE_DIRS else "contract")
    return site.ref(page, kind, d.get("record"), with_name=False)


DEADLINE_HEADERS = ["时限", "起算日期", "期限", "到期日", "完成日期", "状态", "逾期"]


def deadlines_table(site: Site, items: list, page: str, with_record: bool = False) -> Markup:
    pairs, classes = _deadline_rows(site, items, page, with_record)
    headers = (["记录", "机构"] if with_record else []) + DEADLINE_HEADERS
    return table(headers, [r for r, _ in pairs], sort_values=[k for _, k in pairs], row_classes=classes,
                 empty="（没有适用的时限）", sortable=with_record)


def inspection_rows(site: Site, inspections: list[Record], page: str, with_institution: bool = True) -> tuple[list, list, list]:
    rows, keys = [], []
    headers = ["检查编号"] + (["被检查机构"] if with_institution else []) + ["检查类型", "现场", "开始日期", "结束日期", "发现问题", "状态"]
    for r in inspections:
        row = [site.ref(page, "inspection", r.id)]
        if with_institution:
            row.append(site.ref(page, "institution", r.get("institution")))
        row += [r.get("type"), fmt(r.get("on_site")), r.get("start_date"), r.get("end_date"),
                str(len(r.get("findings") or [])), status_badge(site, r)]
        rows.append(row)
        keys.append([None] * (len(row) - 2) + [len(r.get("findings") or []), r.get("status")])
    return headers, rows, keys


def case_rows(site: Site, cases: list[Record], page: str) -> tuple[list, list, list]:
    headers = ["案件编号", "涉事对象", "线索来源", "违规类型", "登记日期", "追回金额（元）", "状态"]
    rows, keys = [], []
    for r in cases:
        subject = r.get("subject.institution")
        who = site.ref(page, "institution", subject) if subject else esc(fmt(r.get("subject.person_code") or r.get("subject.type")))
        recovered = r.get("money.recovered")
        rows.append([site.ref(page, "case", r.id), who, r.get("source"), fmt(r.get("violation_types")),
                     r.get("timeline.registered_on"), yuan(recovered) if recovered is not None else EMPTY, status_badge(site, r)])
        keys.append([None, None, None, None, None, str(recovered) if recovered is not None else "-1", r.get("status")])
    return headers, rows, keys


def training_rows(site: Site, trainings: list[Record], page: str) -> tuple[list, list]:
    headers = ["培训编号", "标题", "形式", "开始日期", "地点", "参训人数", "状态"]
    rows = [[site.ref(page, "training", r.id), r.get("title"), r.get("kind"), r.get("start_date"),
             r.get("place.name"), fmt(r.get("participants")), status_badge(site, r)] for r in trainings]
    return headers, rows


def institution_extra(site: Site, record: Record, page: str) -> str:
    ident = record.id
    inspections = sorted(site.linked("inspection", "institution", ident),
                         key=lambda r: (r.get("start_date") or "", r.id), reverse=True)
    cases = site.linked("case", "subject.institution", ident)
    trainings = site.linked("training", "participant_institutions", ident)
    out = ""
    h, rows, keys = inspection_rows(site, inspections, page, with_institution=False)
    out += section("检查", table(h, rows, sort_values=keys, empty="（尚无检查记录）"))
    out += section("病历抽审", sampling_block(site, record, inspections, page))
    h, rows, keys = case_rows(site, cases, page)
    out += section("案件线索", table(h, rows, sort_values=keys, empty="（无）"))
    if trainings:
        h, rows = training_rows(site, trainings, page)
        out += section("参加的培训", table(h, rows))
    return out


def sampling_block(site: Site, institution: Record, inspections: list[Record], page: str) -> Markup:
    rows, totals = [], Counter()
    for r in inspections:
        s = r.get("sampling")
        if not isinstance(s, dict) or r.get("status") in site.index.withdrawn.get("inspection", ()):
            continue
        population, sampled, problems = s.get("population") or 0, s.get("sampled") or 0, s.get("problem_records") or 0
        totals["population"] += population
        totals["sampled"] += sampled
        totals["problems"] += problems
        rows.append([site.ref(page, "inspection", r.id), s.get("basis"), f"{s.get('period_start')} 至 {s.get('period_end')}",
                     fmt(population), fmt(sampled), percent(Fraction(sampled, population)) if population else EMPTY,
                     fmt(problems), percent(Fraction(problems, sampled)) if sampled else EMPTY])
    if not rows:
        return tag("p", "（尚无抽审记录）", class_="yb-empty")
    rows.append([tag("strong", "合计"), "", "", fmt(totals["population"]), fmt(totals["sampled"]),
                 percent(Fraction(totals["sampled"], totals["population"])) if totals["population"] else EMPTY,
                 fmt(totals["problems"]), percent(Fraction(totals["problems"], totals["sampled"])) if totals["sampled"] else EMPTY])
    note = tag("p", "抽审比例 = 抽审数 ÷ 期间总数；问题发现率 = 问题数 ÷ 抽审数。考核口径（回溯年数、分母年份）见服务项目页面。", class_="yb-note")
    return join([table(["检查", "抽审对象", "抽审期间", "期间总数", "抽审数", "抽审比例", "问题数", "问题发现率"], rows, sortable=False), note])


def inspection_extra(site: Site, record: Record, page: str) -> str:
    cases = site.linked("case", "related_inspections", record.id)
    out = section("时限", deadlines_table(site, site.deadlines.get(record.id, []), page))
    h, rows, keys = case_rows(site, cases, page)
    out += section("关联案件线索", table(h, rows, sort_values=keys, empty="（无）"))
    return out


CASE_STEPS = ("registered_on", "filed_on", "investigation_ended_on", "notified_on", "decided_on", "closed_on")


def case_extra(site: Site, record: Record, page: str) -> str:
    rows = []
    for step in CASE_STEPS:
        day = record.get(f"timeline.{step}")
        rows.append([site.title("case", ("timeline", step)), fmt(day)])
    steps = table(["环节", "日期"], rows, sortable=False)
    items = site.deadlines.get(record.id, [])
    note = tag("p", "时限按所属服务项目记录中的时限规则计算；按工作日计算的以工作日历记录为准。逾期完成的记录照常收录并标明逾期天数。", class_="yb-note")
    from . import planning

    return section("办理时间线与时限", steps, deadlines_table(site, items, page), note) + planning.case_method(site, record, page)


def contract_team(site: Site, record: Record, page: str) -> str:
    """The contract's team on the date and how many records it has (its figures: :mod:`yibao.publish.leaders`)."""
    out = ""
    view = site.views.get(record.id)
    if view is not None:
        staff = [site.now(s) for s in view.staff]
        if staff:
            rows = [[site.ref(page, "staff", s.id, with_name=False), s.get("role"), s.get("title"), s.get("education"), fmt(s.get("qualifications")),
                     fmt(s.get("flight_inspection_experience"))] for s in staff]
            out += section("项目团队", table(["化名编号", "岗位", "职称", "学历", "资质", "有飞行检查经验"], rows))
        counts = [("范围内机构", len(view.scope)), ("检查（已结束）", len(view.inspections)),
                  ("案件线索（已登记）", len(view.cases)), ("培训（已结束）", len(view.trainings))]
        out += section("记录数量", dl([(k, fmt(v)) for k, v in counts]),
                       tag("p", "范围内机构的现场检查情况见“现场检查覆盖”页面；时限见“时限提醒”页面。", class_="yb-note"))
    return out


def kpi_status(kpi: dict) -> str:
    return KPI_CLASS.get(kpis_mod.KpiStatus.from_label(kpi.get("status")), "na")


def kpi_value_text(kpi: dict, key: str = "value") -> str:
    """As ``yibao report`` prints it (2.50%, 4, 12,480.50)."""
    return report_mod.display(kpi.get(key), kpi.get("unit") or kpis_mod.COUNT)


def pace_text(kpi: dict) -> str:
    """The value expected by the statistics date, as ``yibao report`` prints it."""
    return report_mod.pace_text(kpi.get("pace"), kpi.get("unit") or kpis_mod.COUNT)


def contract_id(report: dict) -> str:
    contract = report.get("contract")
    return contract.get("id") if isinstance(contract, dict) else str(contract)


MILESTONES = "milestones"  # the KPI family of stage milestones (yibao.compute.kpis.milestone_kpis)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def kpi_name(kpi: dict) -> Markup:
    """A KPI's name; a milestone's name quotes its due date (a term, marked as one)."""
    name = kpi.get("name") or kpi.get("id")
    if report_mod.family(str(kpi.get("id"))) != MILESTONES or not isinstance(name, str):
        return esc(name)
    parts, at = [], 0
    for match in _ISO_DATE.finditer(name):
        parts += [esc(name[at:match.start()]), date_span(match.group(0), TERM_CLASS)]
        at = match.end()
    return join(parts + [esc(name[at:])])


def kpi_anchor(kpi: dict) -> str:
    return "kpi-" + "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(kpi.get("id")))


def kind_of_id(site: Site, ident: str) -> str | None:
    for kind in PAGE_DIRS:
        if site.get(kind, ident) is not None:
            return kind
    return None


EXTRA = {"institution": institution_extra, "inspection": inspection_extra, "case": case_extra}


def _campaigns():
    """The special campaigns' pages: imported when first used, as they build on this module."""
    from . import campaigns

    return campaigns


def _campaign_extra(site: Site, record: Record, page: str) -> str:
    return _campaigns().EXTRA[record.kind](site, record, page)


EXTRA |= dict.fromkeys(CAMPAIGN_DIRS, _campaign_extra)


# -- list and overview pages -----------------------------------------------------------------------

def list_page(site: Site, kind: str) -> tuple[str, str]:
    from . import planning, screening

    if kind in planning.LIST_PAGES:
        return planning.LIST_PAGES[kind](site)
    if kind in screening.LIST_PAGES:
        return screening.LIST_PAGES[kind](site)
    page = f"{PAGE_DIRS[kind]}/index.md"
    records = site.all(kind)
    label = site.schemas.kind_label(kind)
    if kind in CAMPAIGN_DIRS:
        return _campaigns().list_page(site, kind)
    if kind == "institution":
        headers = ["机构编码", "名称", "类型", "等级", "类别", "协议状态", "记录状态"]
        valid = record_status_term(site, kind)
        rows = [[site.ref(page, kind, r.id, with_name=False), r.get("name"), r.get("type"), fmt(r.get("level")),
                 fmt(r.get("category")), _protocol_now(r), status_badge(site, r) or valid] for r in records]
        body = table(headers, rows, filterable=True)
    elif kind == "inspection":
        ordered_records = sorted(records, key=lambda r: (r.get("start_date") or "", r.id), reverse=True)
        headers, rows, keys = inspection_rows(site, ordered_records, page)
        body = table(headers, rows, sort_values=keys, filterable=True)
    elif kind == "case":
        ordered_records = sorted(records, key=lambda r: (r.get("timeline.registered_on") or "", r.id), reverse=True)
        headers, rows, keys = case_rows(site, ordered_records, page)
        body = table(headers, rows, sort_values=keys, filterable=True)
    elif kind == "training":
        headers, rows = training_rows(site, sorted(records, key=lambda r: r.get("start_date") or ""), page)
        body = table(headers, rows, filterable=True)
    else:
        headers = ["项目编号", "项目名称", "采购方", "受托方", "服务期"]
        rows = [[site.ref(page, kind, r.id, with_name=False), r.get("name"), r.get("bureau"), r.get("contractor"),
                 date_span(r.get("period.start"), TERM_CLASS) + " 至 " + date_span(r.get("period.end"), TERM_CLASS)]
                for r in records]
        body = table(headers, rows)
    intro = tag("p", f"统计日 {site.as_of.isoformat()} 时共 {len(records)} 条{label}记录，按统计日的状态显示（统计日之后才登记或开始的记录不列出）。"
                     "点击表头排序，在筛选框中输入文字筛选；点击编号查看详情和审计记录。", class_="yb-note")
    return page, front_matter(label) + block(intro, body)


def record_status_term(site: Site, kind: str) -> str:
    """What a record without a status is: the one term of its status vocabulary that is not a withdrawal."""
    info = site.field(kind, ("status",))
    vocab = site.schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
    live = [t for t in vocab.get("enum", []) if t not in vocab.get("x-withdrawn", [])]
    return live[0] if len(live) == 1 else EMPTY


def _protocol_now(institution: Record) -> str:
    history = [h for h in institution.get("protocol_history") or [] if isinstance(h, dict)]
    if not history:
        return EMPTY
    latest = max(history, key=lambda h: h.get("since") or "")
    return f"{latest.get('status')}（{latest.get('since')} 起）"


def coverage_rows(site: Site, view: ContractView) -> list[dict]:
    """Each in-scope institution with its on-site inspections (ended by as-of), not yet inspected first."""
    onsite: dict[str, list[Record]] = defaultdict(list)
    for r in view.inspections:
        if r.get("on_site") is True:
            onsite[r.get("institution")].append(r)
    out = []
    for inst in map(site.now, view.scope):
        visits = sorted(map(site.now, onsite.get(inst.id, [])), key=lambda r: (r.get("end_date") or "", r.id))
        out.append({"institution": inst, "visits": visits, "last": visits[-1] if visits else None})
    out.sort(key=lambda x: (x["last"] is not None, (x["last"].get("end_date") if x["last"] else ""), x["institution"].id))
    return out


def coverage_page(site: Site) -> tuple[str, str]:
    page = "coverage.md"
    text = front_matter("现场检查覆盖")
    text += block(tag("p", f"数据截至 {site.as_of.isoformat()}。每个服务项目范围内的全部机构及其最近一次现场检查（已结束的检查）；尚未现场检查的机构排在最前。", class_="yb-note")) + "\n"
    for cid, view in site.views.items():
        rows_data = coverage_rows(site, view)
        done = sum(1 for x in rows_data if x["last"] is not None)
        rows, keys, classes = [], [], []
        for x in rows_data:
            inst, last = x["institution"], x["last"]
            rows.append([site.ref(page, "institution", inst.id, with_name=False), inst.get("name"), inst.get("type"),
                         fmt(inst.get("level")), str(len(x["visits"])),
                         site.ref(page, "inspection", last.id, with_name=False) if last else "尚未检查",
                         last.get("end_date") if last else EMPTY, last.get("type") if last else EMPTY])
            keys.append([None, None, None, None, len(x["visits"]), None, last.get("end_date") if last else "0000", None])
            classes.append("" if last else "yb-row-alert")
        summary = tag("p", f"范围内 {len(rows_data)} 家，已现场检查 {done} 家，尚未检查 {len(rows_data) - done} 家。", class_="yb-note")
        name = tag("p", f"{cid} {view.contract.get('name') or ''}", class_="yb-note")
        text += f"## 服务项目 {cid}\n\n" + block(
            name, summary, table(["机构编码", "名称", "类型", "等级", "现场检查次数", "最近现场检查", "结束日期", "检查类型"],
                           rows, sort_values=keys, row_classes=classes, filterable=True)) + "\n"
    if not site.views:
        text += block(tag("p", "（没有服务项目记录）", class_="yb-empty"))
    return page, text


def deadlines_page(site: Site) -> tuple[str, str]:
    page = "deadlines.md"
    text = front_matter("时限提醒")
    text += block(tag("p", f"数据截至 {site.as_of.isoformat()}。已逾期未完成的事项，以及 {dl_rules.DUE_SOON_DAYS} 日内到期的事项；"
                           "与 yibao report 的“已逾期”“7日内到期”两张表一致。", class_="yb-note")) + "\n"
    overdue, soon = [], []
    for report in site.reports:
        deadlines = report.get("deadlines") or {}
        overdue += deadlines.get("overdue", [])
        soon += deadlines.get("due_soon", [])
    text += section(f"已逾期（{len(overdue)}）", deadlines_table(site, overdue, page, with_record=True))
    text += section(f"{dl_rules.DUE_SOON_DAYS} 日内到期（{len(soon)}）", deadlines_table(site, soon, page, with_record=True))
    return page, text


def changes_page(site: Site) -> tuple[str, str]:
    page = "changes.md"
    text = front_matter("修改记录")
    if site.history is None:
        return page, text + block(tag("p", "本次构建没有读取 git 历史。", class_="yb-note"))
    commits = site.history.record_commits()
    rows = []
    for commit in commits[:CHANGELOG_LIMIT]:
        versions = site.history.changed_by(commit.sha)
        links = []
        for v in versions[:12]:
            kind = v.path.split("/")[1] if v.path.count("/") >= 2 else ""
            ident = mask_text(v.path.rsplit("/", 1)[-1][: -len(".yaml")])
            links.append(site.ref(page, kind, ident, with_name=False) if kind in PAGE_DIRS else esc(ident))
        more = f" 等 {len(versions)} 条" if len(versions) > 12 else ""
        pr = next((v.pr for v in versions if v.pr), None)
        rows.append([date_span(_when(commit.date), COMMIT_CLASS), commit.author, commit.subject, pr or EMPTY, commit.short,
                     join(links, "、") + more])
    intro = tag("p", f"仓库中最近 {min(len(commits), CHANGELOG_LIMIT)} 次修改记录的提交（共 {len(commits)} 次），最新在前。每条记录页面有该记录的完整审计记录和逐字段变化。"
                     f"修改记录是 git 历史，不按统计日截断：按提交日期列出全部提交；统计日（{site.as_of.isoformat()}）时尚不存在的记录只列编号，没有链接。",
                class_="yb-note")
    return page, text + block(intro, table(["日期", "作者", "提交说明", "合并请求", "提交", "修改的记录"], rows, filterable=True))


# -- home page parts (through macros) --------------------------------------------------------------

def home_charts(site: Site, report: dict) -> str:
    """The four charts of one contract: coverage by type, inspections per month, findings, money recovered."""
    cid = contract_id(report)
    view = site.views.get(cid)
    if view is None or not (view.started_inspections or view.cases):
        return ""  # a contract without inspections or cases (a medical-assistance service) has nothing to chart
    months = contract_months(view)
    parts = [coverage_chart(site, report, view), monthly_inspections_chart(site, view, months),
             findings_chart(site, view), recovered_chart(site, view, months)]
    return f'<div class="yb-block yb-charts" data-contract="{esc(cid)}">{join(parts)}</div>'


def contract_months(view: ContractView) -> list[str]:
    """Months of the service period, up to the as-of date."""
    start, end = view.period
    if start is None:
        return []
    last = min(end, view.as_of) if end else view.as_of
    if last < start:
        return []
    return _month_range([start.strftime("%Y-%m"), last.strftime("%Y-%m")])


def coverage_chart(site: Site, report: dict, view: ContractView) -> Markup:
    """On-site coverage by institution type: the report's onsite_coverage/<type> when the contract has that target."""
    bars = []
    for kpi in report.get("kpis", []):
        family, _, itype = kpi["id"].partition("/")
        if family == "onsite_coverage" and itype and kpi.get("denominator"):
            bars.append(charts.Bar(itype, float(kpi.get("numerator") or 0), float(kpi["denominator"]), status=kpi_status(kpi),
                                   status_label=kpi.get("status") or ""))
    caption = "已结束现场检查的范围内机构数 / 范围内机构数（考核指标“现场检查覆盖率”的分类数）。"
    if not bars:
        rows = coverage_rows(site, view)
        for itype in site.schemas.terms("institution_type"):
            scoped = [x for x in rows if x["institution"].get("type") == itype]
            if scoped:
                bars.append(charts.Bar(itype, sum(1 for x in scoped if x["last"]), len(scoped)))
        caption = "已结束现场检查的范围内机构数 / 范围内机构数。"
    return charts.hbars(f"chart-coverage-{view.id}", "现场检查覆盖（按机构类型）", bars, headers=("机构类型", "已现场检查"),
                        caption=caption)


def monthly_inspections_chart(site: Site, view: ContractView, months: list[str]) -> Markup:
    counts = Counter()
    for r in view.started_inspections:
        day = to_date(r.get("start_date"))
        if day is not None and day <= site.as_of:
            counts[day.strftime("%Y-%m")] += 1
    bars = [charts.Bar(m, counts[m]) for m in months]
    outside = sum(n for m, n in counts.items() if m not in set(months))
    note = f"；服务期外另有 {outside} 次" if outside else ""
    return charts.vbars(f"chart-inspections-{view.id}", "每月检查次数", bars,
                        caption=f"服务期内按检查开始日期统计，不含计划中和已撤回的检查{note}。")


def findings_chart(site: Site, view: ContractView, top: int = 10) -> Markup:
    counts = Counter()
    for r in view.inspections:
        for f in r.get("findings") or []:
            if isinstance(f, dict) and f.get("violation_type"):
                counts[f["violation_type"]] += 1
    common = counts.most_common(top)
    rest = sum(counts.values()) - sum(n for _, n in common)
    bars = [charts.Bar(k, n) for k, n in common] + ([charts.Bar("其余类型", rest)] if rest else [])
    return charts.hbars(f"chart-findings-{view.id}", "检查发现问题（按违规类型）", bars, headers=("违规类型", "问题数"),
                        caption="截至统计日已结束的检查中“发现问题”的条数，按违规类型统计。")


def recovered_chart(site: Site, view: ContractView, months: list[str]) -> Markup:
    monthly: dict[str, Decimal] = defaultdict(Decimal)
    for r in view.cases:
        amount = r.get("money.recovered")
        if not isinstance(amount, (int, Decimal)) or isinstance(amount, bool) or not amount:
            continue
        day = None
        for step in ("decided_on", "closed_on", "registered_on"):
            day = to_date(r.get(f"timeline.{step}"))
            if day:
                break
        if day is not None and day <= site.as_of:
            monthly[day.strftime("%Y-%m")] += Decimal(amount)
    points, total = [], Decimal(0)
    before = sum((v for m, v in monthly.items() if months and m < months[0]), Decimal(0))
    total += before
    for month in months:
        total += monthly.get(month, Decimal(0))
        points.append(charts.Bar(month, float(total), note=yuan(monthly.get(month, Decimal(0)))))
    if not monthly:
        points = []
    return charts.line(f"chart-recovered-{view.id}", "累计追回金额", points,
                       caption="案件线索“追回金额”的累计值，按决定日期（无则结案、登记日期）计入月份。")


def _month_range(months: Iterable[str]) -> list[str]:
    keys = sorted(months)
    if not keys:
        return []
    out = []
    year, month = int(keys[0][:4]), int(keys[0][5:])
    last = (int(keys[-1][:4]), int(keys[-1][5:]))
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out


# -- all pages -------------------------------------------------------------------------------------

def page_makers(site: Site) -> list[Callable[[], tuple[str, str]]]:
    """One call per generated page, each returning (docs path, Markdown); pages do not depend on each other."""
    makers: list[Callable[[], tuple[str, str]]] = []
    for kind in PAGE_DIRS:
        makers += [partial(record_page, site, record) for record in site.all(kind) if record.id]
        makers.append(partial(list_page, site, kind))
    makers += [partial(fn, site) for fn in (coverage_page, changes_page)]  # deadlines: yibao.publish.leaders
    from . import credit  # the credit grades page (信用评价) builds on this module

    makers.append(partial(credit.credit_page, site))
    return makers


def generate(site: Site) -> Iterator[tuple[str, str]]:
    """Every generated page as (docs path, Markdown), one at a time."""
    for make in page_makers(site):
        yield make()
