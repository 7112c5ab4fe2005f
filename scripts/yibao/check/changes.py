"""Gates on a change between two commits: what a pull request may and may not do to the record.

A pull request is compared with its merge base, as GitHub shows it. The gates, each a small
function named after the sentence it enforces:

* no record file is deleted or renamed (a record that should go is withdrawn, and stays);
* an ID never changes, and facts fixed at creation (``x-immutable`` in the schemas) never change;
* a closed or withdrawn record (status in the vocabulary's ``x-closed`` / ``x-withdrawn``) changes
  only through a new ``amendments`` entry naming the changed fields; amendments only grow;
* an actor changes only records of contracts whose ``submitters`` list the actor; accounts in any
  contract's ``reviewers`` are the bureau's and may change everything; contracts, records of no
  contract and everything outside ``records/`` are the bureau's alone;
* the changed records, and the records that reference them, pass every ``yibao validate`` check.

The rules in force are those of the merge base (its schemas and contracts), so a change cannot
loosen the rules it is judged by.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..core.scope import matches_scope
from ..core.data_files import is_archive_file, is_data_file
from ..core.diagnostics import Diagnostic, sort_key
from ..load.git_tree import Change, GitTrees, Loaded
from ..core.record import EXTENSION, RECORDS, SCHEMAS, Record, stem
from ..core.schemas import SchemaSet
from .findings import Findings
from ..load import strict_yaml
from .personal_data import PII_LABELS, find_personal_data, format_path, mask, might_contain_personal_data, scan_record
from .publishable import mask_text
from .references import reference_values

CHECKED_FOLDERS = (RECORDS, SCHEMAS)
#: ``validate(root, schemas, paths)``: a result with ``diagnostics`` (``yibao.speed.run.check_repository``)
Validate = Callable[[Path, SchemaSet, list[str]], Any]


# -- the rules, read from the schemas ------------------------------------------------------------
@dataclass
class Rules:
    """What the schemas of the merge base say about changes."""

    schemas: SchemaSet
    immutable: dict[str, list[tuple[str, ...]]]
    final_statuses: dict[str, dict[str, str]]  # kind -> {status: "closed" | "withdrawn"}
    amendable: set[str]

    @classmethod
    def of(cls, schemas: SchemaSet) -> "Rules":
        immutable = {kind: list(_immutable_paths(schema)) for kind, schema in schemas.schemas.items()}
        finals: dict[str, dict[str, str]] = {}
        for kind in schemas.kinds:
            info = schemas.field(kind, ("status",))
            vocab = schemas.vocab(info.vocabulary) if info and info.vocabulary else {}
            finals[kind] = {**{s: "withdrawn" for s in vocab.get("x-withdrawn", [])},
                            **{s: "closed" for s in vocab.get("x-closed", [])}}
        amendable = {kind for kind, schema in schemas.schemas.items() if "amendments" in schema.get("properties", {})}
        return cls(schemas, immutable, finals, amendable)

    def final(self, record: Record) -> str | None:
        status = record.get("status")
        return self.final_statuses.get(record.kind, {}).get(status) if isinstance(status, str) else None


def _immutable_paths(node: dict, path: tuple[str, ...] = ()):
    for name, sub in node.get("properties", {}).items():
        if sub.get("x-immutable") is True:
            yield path + (name,)
        yield from _immutable_paths(sub, path + (name,))


# -- who may change what ---------------------------------------------------------------------------
@dataclass
class Accounts:
    """Contracts of the merge base: who submits for which contract, and who reviews for the bureau."""

    contracts: dict[str, Record]
    bureau: frozenset[str]
    #: each kind's fields that name a contract (from the schemas' ``$ref``s)
    contract_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, contracts: Iterable[Record], schemas: SchemaSet) -> "Accounts":
        by_id = {c.id: c for c in contracts if c.id}
        bureau = frozenset(a for c in by_id.values() for a in _accounts(c, "reviewers"))
        contract_fields = {kind: tuple(dotted for dotted, target in schemas.references_of(kind) if target == "contract")
                           for kind in schemas.kinds}
        return cls(by_id, bureau, contract_fields)

    def submitters(self, contract_id: str) -> list[str]:
        contract = self.contracts.get(contract_id)
        return _accounts(contract, "submitters") if contract else []

    def owners(self, record: Record) -> set[str]:
        """The contracts a record belongs to (institutions: the contracts whose scope takes them in)."""
        if record.kind == "institution":
            return {cid for cid, contract in self.contracts.items() if matches_scope(contract, record)}
        fields = self.contract_fields.get(record.kind, ())
        return {ident for dotted in fields for _, ident in reference_values(record, dotted)}


def _accounts(contract: Record, key: str) -> list[str]:
    value = contract.get(key)
    return [a for a in value if isinstance(a, str)] if isinstance(value, list) else []


# -- one change, before and after ---------------------------------------------------------------
@dataclass
class Step:
    change: Change
    before: Loaded | None
    after: Loaded | None

    @property
    def old(self) -> Record | None:
        return self.before.record if self.before else None

    @property
    def new(self) -> Record | None:
        return self.after.record if self.after else None

    @property
    def record(self) -> Record | None:
        return self.new or self.old

    @property
    def where(self) -> tuple[str, str | None]:
        """The file to report on: the head file, or the base file for a deletion."""
        if self.after is not None:
            return self.after.path, self.after.text
        return self.before.path, self.before.text


@dataclass
class Context:
    rules: Rules
    accounts: Accounts
    actors: tuple[str, ...]
    out: dict[str, Findings] = field(default_factory=dict)

    def findings(self, step: Step) -> Findings:
        path, text = step.where
        if path not in self.out:
            self.out[path] = Findings(path, text)
        return self.out[path]

    def label(self, record: Record | None, path: str) -> str:
        kind = record.kind if record else path.split("/")[1] if path.count("/") >= 2 else ""
        ident = record.id if record and record.id else stem(path)
        return f"{self.rules.schemas.kind_label(kind) if kind in self.rules.schemas.kinds else '记录'} {ident}"


# -- the gates ---------------------------------------------------------------------------------
def no_record_is_deleted(step: Step, ctx: Context) -> None:
    if step.change.status == "D":
        ctx.findings(step).error(
            "record-deleted",
            f"{ctx.label(step.old, step.change.path)} 的记录文件被删除了；记录不能删除。"
            "需要作废时请保留文件，把状态改为“已撤回”并填写 withdrawal（撤回日期、原因、提出人）",
            pos=(1, 1))


_MODE_WORDS = {"120000": "符号链接", "160000": "子模块", "000000": "空"}


def record_stays_a_regular_file(step: Step, ctx: Context) -> None:
    """A record path that becomes a symlink, a submodule or any non-file is a deletion in disguise."""
    change = step.change
    if change.status == "D" or change.is_regular_file:
        return
    what = _MODE_WORDS.get(change.new_mode, f"特殊文件（类型 {change.new_mode}）")
    if change.status == "A":
        ctx.findings(step).error(
            "not-a-regular-file",
            f"{change.path} 是{what}，不是普通文件；记录只能是普通的 YAML 文件", pos=(1, 1))
    else:
        ctx.findings(step).error(
            "record-type-changed",
            f"{ctx.label(step.old, change.path)} 的记录文件被换成了{what}；这等同于删除记录，记录不能删除。"
            "需要作废时请保留文件，把状态改为“已撤回”并填写 withdrawal", pos=(1, 1))


def no_record_is_renamed(step: Step, ctx: Context) -> None:
    if step.change.status == "R":
        ctx.findings(step).error(
            "record-renamed",
            f"记录文件被改名或移动了（原为 {step.change.old_path}）；文件名就是编号，已提交的记录不能改名或移动。"
            "如编号或位置有误，请撤回原记录，再用 yibao new 新建一条",
            pos=(1, 1))


def id_never_changes(step: Step, ctx: Context) -> None:
    old, new = step.old, step.new
    if old and new and old.id != new.id:
        ctx.findings(step).error(
            "id-changed",
            f"编号从 {old.id} 改成了 {new.id}；编号一经提交不能修改。如编号有误，请撤回原记录，再用 yibao new 新建一条",
            ("id",))


def fixed_facts_never_change(step: Step, ctx: Context) -> None:
    old, new = step.old, step.new
    if not (old and new):
        return
    for path in ctx.rules.immutable.get(old.kind, []):
        if path == ("id",):
            continue  # id_never_changes says it better
        dotted = ".".join(path)
        before, after = old.get(dotted), new.get(dotted)
        if before is not None and before != after:
            title = ctx.rules.schemas.title(old.kind, path)
            ctx.findings(step).error(
                "fixed-field-changed",
                f"{title}（{dotted}）是创建记录时确定的事实，不能修改（原为“{_shown(before)}”，现为“{_shown(after)}”）；"
                "如原来填错了，请撤回本记录，再用 yibao new 新建一条",
                path)


def amendments_only_grow(step: Step, ctx: Context) -> None:
    old, new = step.old, step.new
    if not (old and new):
        return
    before, after = _amendments(old), _amendments(new)
    for i, entry in enumerate(before):
        if i >= len(after) or after[i] != entry:
            ctx.findings(step).error(
                "amendment-altered",
                f"第 {i + 1} 条更正记录被修改或删除了；已有的更正记录不能改动，只能在末尾追加新的一条",
                ("amendments", i) if i < len(after) else ("amendments",))


def closed_records_change_only_by_amendment(step: Step, ctx: Context) -> None:
    old, new = step.old, step.new
    if not (old and new):
        return
    state = ctx.rules.final(old)
    if state is None:
        return
    changed = changed_paths(old.data, new.data, skip=("amendments",))
    if not changed:
        return
    status = old.get("status")
    what = "、".join(".".join(map(str, p)) for p in changed)
    findings = ctx.findings(step)
    if old.kind not in ctx.rules.amendable:
        findings.error(
            "withdrawn-record-changed",
            f"{ctx.label(old, step.change.path)} 的状态是“{status}”，已撤回的记录不能再修改（本次改动了：{what}）；"
            "如撤回有误，请联系医保局审核人员",
            changed[0])
        return
    before = _amendments(old)
    added = _amendments(new)[len(before):]
    if not added:
        state_word = "已办结" if state == "closed" else "已撤回"
        findings.error(
            "closed-record-changed",
            f"{ctx.label(old, step.change.path)} 的状态是“{status}”（{state_word}），修改它必须在 amendments 末尾追加一条更正记录，"
            f"写明日期、原因、提出人和所改字段；本次改动了：{what}",
            changed[0])
        return
    named = [f for entry in added if isinstance(entry, dict) for f in entry.get("fields") or [] if isinstance(f, str)]
    missing = [p for p in changed if not any(_covers(name, p) for name in named)]
    if missing:
        listing = "、".join(".".join(map(str, p)) for p in missing)
        findings.error(
            "amendment-fields-missing",
            f"新增的更正记录没有列出这些被修改的字段：{listing}；请把它们写进更正记录的 fields",
            ("amendments", len(before)))
    for name in named:
        if not any(_covers(name, p) for p in changed):
            findings.warning(
                "amendment-field-unchanged",
                f"更正记录列出了字段 {name}，但本次没有改动它；请核对 fields",
                ("amendments", len(before)))


def actor_may_change(step: Step, ctx: Context) -> None:
    for actor in ctx.actors:
        problem = _refusal(step, ctx, actor)
        if problem:
            ctx.findings(step).error(problem[0], problem[1], pos=(1, 1))


def _refusal(step: Step, ctx: Context, actor: str) -> tuple[str, str] | None:
    accounts = ctx.accounts
    if actor in accounts.bureau:
        return None
    record = step.record
    label = ctx.label(record, step.change.path)
    if record is None:
        return "actor-not-bureau", f"无法读取 {step.change.path}，只有医保局审核账号可以提交这样的改动；账号 {actor} 不是审核账号"
    before = accounts.owners(step.old) if step.old else set()
    after = accounts.owners(step.new) if step.new else set()
    # the base version decides whose a record is: editing a record into one's own scope (an
    # institution of no contract, say) must not make it one's own
    owners = before if step.before is not None else after
    if step.before is not None and step.old is None:
        owners = set()  # the base version cannot be read: only the bureau can say whose it was
    if record.kind == "contract" or not owners:
        reviewers = "、".join(sorted(accounts.bureau)) or "（尚无）"
        return "actor-not-bureau", f"{label} 不属于任何第三方项目，只能由医保局审核账号修改（{reviewers}）；账号 {actor} 不是审核账号"
    if not any(actor in accounts.submitters(c) for c in owners):
        listing = "、".join(sorted(owners))
        return "actor-not-submitter", f"账号 {actor} 不在项目 {listing} 的可提交账号（submitters）中，不能修改 {label}；请确认项目编号，或请医保局审核人员处理"
    foreign = sorted(c for c in after - before if before and actor not in accounts.submitters(c))
    if foreign:
        return "actor-not-submitter", f"账号 {actor} 不在项目 {'、'.join(foreign)} 的可提交账号中，不能把 {label} 加入该项目"
    return None


GATES = (no_record_is_deleted, record_stays_a_regular_file, no_record_is_renamed, id_never_changes, fixed_facts_never_change,
         amendments_only_grow, closed_records_change_only_by_amendment, actor_may_change)


def outside_records_only_by_bureau(change: Change, ctx: Context) -> Diagnostic | None:
    """Files outside records/ (schemas, workflows, code) are the bureau's alone."""
    for actor in ctx.actors:
        if actor not in ctx.accounts.bureau:
            return Diagnostic(change.path, 1, 1, "protected-path",
                              f"账号 {actor} 不是医保局审核账号，只能提交 records/ 下的记录；{change.path} 只能由医保局修改")
    return None


# -- comparing values ------------------------------------------------------------------------------
def changed_paths(before: Any, after: Any, skip: tuple[str, ...] = (), path: tuple = ()) -> list[tuple]:
    """Dotted paths whose values differ (mappings are compared key by key, lists as a whole)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[tuple] = []
        for key in list(before) + [k for k in after if k not in before]:
            if not path and key in skip:
                continue
            out += changed_paths(before.get(key), after.get(key), skip, path + (key,))
        return out
    return [] if _same(before, after) else [path]


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def _covers(name: str, path: tuple) -> bool:
    dotted = ".".join(map(str, path))
    return name == dotted or dotted.startswith(name + ".") or name.startswith(dotted + ".")


def _amendments(record: Record) -> list:
    value = record.get("amendments")
    return value if isinstance(value, list) else []


def _shown(value: Any) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "（已修改）"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


# -- the whole check ------------------------------------------------------------------------------
@dataclass
class ChangeReport:
    diagnostics: list[Diagnostic]
    files: int
    changes: list[Change]
    base: str
    head: str
    actor_checked: bool

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def check_changes(root: Path, base_ref: str, head_ref: str = "HEAD", actors: Iterable[str] = (), *,
                  validate: Validate) -> ChangeReport:
    """Run every gate on the change from the merge base of ``base_ref`` and ``head_ref`` to ``head_ref``.

    ``validate(root, schemas, paths)`` checks record files with what they refer to (the caller
    passes ``yibao.speed.run.check_repository``: running checks is a layer above them)."""
    trees = GitTrees(root)
    head = trees.resolve(head_ref)
    base = trees.merge_base(trees.resolve(base_ref), head)
    changes = trees.changes(base, head)
    actors = tuple(dict.fromkeys(a for a in actors if a))
    with tempfile.TemporaryDirectory(prefix="yibao-changes-") as tmp:
        head_root = root if trees.is_checked_out(head, CHECKED_FOLDERS) else trees.materialise(head, Path(tmp) / "head", CHECKED_FOLDERS)
        head_schemas = SchemaSet.load(head_root / SCHEMAS)
        base_schemas = _schemas_at(trees, base, Path(tmp) / "base") or head_schemas
        rules = Rules.of(base_schemas)
        accounts = Accounts.of(trees.records(base, rules.schemas.kinds, f"{RECORDS}/contract"), rules.schemas)
        ctx = Context(rules, accounts, actors)
        # the change is validated by the rules of the base; only a change made by bureau accounts
        # alone (who may change the rules) is validated by the schemas it brings
        by_bureau = bool(actors) and all(a in accounts.bureau for a in actors)
        judged_by = head_schemas if by_bureau else base_schemas
        steps = _steps(trees, base, head, changes, rules.schemas.kinds)
        for step in steps:
            for gate in GATES:
                gate(step, ctx)
        diagnostics = [d for findings in ctx.out.values() for d in findings.diagnostics()]
        for change in changes:
            if change.status != "D" and is_data_file(change.path):
                diagnostics.append(Diagnostic(change.path, 1, 1, "settlement-data-file",
                                              f"{change.path} 像是结算数据或筛查线索文件：这类数据含个人信息，只能放在仓库之外的数据目录中，任何账号都不能提交"))
            elif change.status != "D" and is_archive_file(change.path):
                diagnostics.append(Diagnostic(change.path, 1, 1, "archive-store-file",
                                              f"{change.path} 在文书库目录中：案卷文书（可能含个人信息）只保存在仓库之外的文书库，记录里只写校验和，任何账号都不能提交"))
            if not change.is_record:
                found = outside_records_only_by_bureau(change, ctx)
                if found:
                    diagnostics.append(found)
        diagnostics += _validate(trees, head, head_root, judged_by, steps, validate)
        commits = trees.commits(base, head)
        diagnostics += history_scan(trees, base, head, commits)
        diagnostics += protected_paths_in_commits(commits, ctx, {c.path for c in changes if not c.is_record})
    diagnostics.sort(key=sort_key)
    return ChangeReport(_unique(diagnostics), len(steps), changes, base, head, bool(actors))


# -- every commit of the change, not just its last tree ---------------------------------------------
def history_scan(trees: GitTrees, base: str, head: str, commits: list | None = None) -> list[Diagnostic]:
    """Personal data in any commit of ``base..head``: the files it wrote, its message, its names.

    The pull request's last tree is validated like any record; but a value added in one commit
    and removed in the next stays in git history, which the bureau publishes as the audit trail
    and can never take back once merged. Every blob written by every commit is scanned line by
    line (comments included), with the scanner ``validate`` uses.
    """
    out: list[Diagnostic] = []
    fix = (f"个人信息一旦进入 git 历史，即使后来删除也会随历史一起保留，医保局无法发布。请改写本分支的历史后强制推送："
           f"git rebase -i {base[:10]}（把该提交标为 edit 或 drop，去掉个人信息），或 git reset --soft {base[:10]} 后重新提交，"
           f"然后 git push --force-with-lease")
    seen: set[str] = set()
    for commit in commits if commits is not None else trees.commits(base, head):
        where = f"提交 {commit.sha[:10]}（{_clip(mask_text(commit.subject))}）"
        for label, text in (("作者", commit.author), ("提交者", commit.committer), ("提交说明", commit.message)):
            for code, matched, _ in find_personal_data(text):
                out.append(Diagnostic(f"<{commit.sha[:10]}>", 1, 1, "pii-in-commit",
                                      f"{where}的{label}含有{PII_LABELS.get(code, '疑似个人信息')}（{mask(matched)}）。{fix}"))
        for path, blob in commit.blobs:
            if blob in seen:
                continue
            seen.add(blob)
            out += _scan_blob(path, trees.read(blob), where, fix)
    return out


def _scan_blob(path: str, data: bytes, where: str, fix: str) -> list[Diagnostic]:
    """One file a commit wrote: line by line (comments included) and, for YAML, value by value.

    The value scan is the one ``validate`` runs on the parsed record: a number folded over two
    lines or spelled with escapes (``"\\u0031…"``) shows only once the YAML is read. A file that is
    not UTF-8 text cannot be scanned and is refused as such.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:
        return [Diagnostic(path, 1, 1, "unscannable-in-history",
                           f"{where}写入的这个文件不是 UTF-8 文本，无法检查其中有没有个人信息；记录只能是 UTF-8 编码的 YAML 文件。"
                           "请从本分支的历史中去掉这个文件（git rebase -i），然后 git push --force-with-lease")]
    if not might_contain_personal_data(text):
        return []
    out: list[Diagnostic] = []
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(text.splitlines(), 1):
        for code, matched, col in find_personal_data(line):
            found.add((number, code))
            out.append(Diagnostic(path, number, col + 1, "pii-in-history",
                                  f"{where}写入的这一行含有{PII_LABELS.get(code, '疑似个人信息')}（{mask(matched)}）。{fix}"))
    if path.endswith(EXTENSION):
        value, problems, _ = strict_yaml.load_bytes(data)
        if value is not None:
            tree = strict_yaml.compose(text)
            for field_path, code, masked in scan_record(value):
                line, col = strict_yaml.locate(tree, field_path)
                if (line, code) not in found:
                    found.add((line, code))
                    out.append(Diagnostic(path, line, col, "pii-in-history",
                                          f"{where}写入的字段 {format_path(field_path)} 含有{PII_LABELS.get(code, '疑似个人信息')}"
                                          f"（{masked}）。{fix}"))
    return out


def protected_paths_in_commits(commits: list, ctx: "Context", reported: set[str] = frozenset()) -> list[Diagnostic]:
    """Files outside ``records/`` written by any commit of the change, not only by its last tree
    (``reported``: paths the last tree's check already named)."""
    out: list[Diagnostic] = []
    outsiders = [a for a in ctx.actors if a not in ctx.accounts.bureau]
    if not outsiders:
        return out
    for commit in commits:
        for path, _ in commit.blobs:
            if path not in reported and not Change("A", path).is_record:
                out.append(Diagnostic(path, 1, 1, "protected-path",
                                      f"提交 {commit.sha[:10]} 写入了 {path}；账号 {outsiders[0]} 不是医保局审核账号，只能提交 records/ 下的记录，"
                                      "即使后来的提交删除了它，它也会留在 git 历史中；请从本分支的历史中去掉（git rebase -i）"))
    return out


def _clip(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _schemas_at(trees: GitTrees, commit: str, dest: Path) -> SchemaSet | None:
    if not trees.files(commit, SCHEMAS):
        return None
    return SchemaSet.load(trees.materialise(commit, dest, (SCHEMAS,)) / SCHEMAS)


def _steps(trees: GitTrees, base: str, head: str, changes: list[Change], kinds: list[str]) -> list[Step]:
    before_files = trees.files(base) if any(c.old_path for c in changes) else {}
    after_files = trees.files(head)
    steps = []
    for change in changes:
        if not change.is_record:
            continue
        before = trees.load(change.old_path, before_files[change.old_path], kinds) if change.old_path in before_files else None
        after = trees.load(change.path, after_files[change.path], kinds) if change.status != "D" and change.path in after_files else None
        steps.append(Step(change, before, after))
    return steps


def _validate(trees: GitTrees, head: str, head_root: Path, schemas: SchemaSet, steps: list[Step],
              validate: Validate) -> list[Diagnostic]:
    """``yibao validate`` on the changed records and on the records that mention their IDs."""
    present = [s.change.path for s in steps if s.after is not None and s.change.path.endswith(EXTENSION)]
    if not present and not steps:
        return []
    ids = sorted({stem(s.change.path) for s in steps} | {stem(s.change.old_path) for s in steps if s.change.old_path})
    referencing = trees.grep(head, ids) if ids else []
    paths = list(dict.fromkeys(present + [p for p in referencing if p.endswith(EXTENSION)]))
    if not paths:
        return []
    return validate(head_root, schemas, paths).diagnostics


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return list(dict.fromkeys(diagnostics))


__all__ = ["Accounts", "ChangeReport", "Rules", "changed_paths", "check_changes"]
