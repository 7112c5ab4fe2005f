"""Rules across records: unique IDs, references that resolve, and types that fit each other.

Which fields refer to which kind comes from the schemas (:attr:`~yibao.core.schemas.SchemaSet.relations`).

Each rule takes the :class:`Index` of all loaded records and reports through ``report(record,
code, message, at)`` (a fifth argument True for a warning); positions are found by the runner from the
files that have problems. Records bound to their contract (scope, service period, the contract's
stated counts) are checked in :mod:`.contract_bounds`.
"""
from __future__ import annotations

import ast
import hashlib
import inspect
import re
import textwrap
import types
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..core.record import Record
from ..core.schemas import SchemaSet, nearest
from . import campaigns, contract_bounds, draws, enforcement, screening_cases, money, planning

#: ``report(record, code, message, at[, warning])``: the fifth argument, True for a warning, is
#: passed positionally (a collecting callable may take ``*args``)
Report = Callable[..., None]


@dataclass
class Index:
    """Records by kind and by ID; built once per run."""

    by_kind: dict[str, dict[str, Record]] = field(default_factory=lambda: defaultdict(dict))
    duplicates: list[tuple[Record, Record]] = field(default_factory=list)
    known_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: False when only some files were loaded (``yibao validate PATH``): rules that count every
    #: record of a kind (``READS_EVERY``) say nothing then
    complete: bool = True
    #: what a rule computed once per run from the whole index (see ``contract_bounds``)
    memo: dict = field(default_factory=dict)
    #: the kind of the record whose rules are running (set by :func:`check_references`), so that a
    #: rule reading every record of a kind without saying so in ``READS_EVERY`` fails loudly
    judging: str | None = None

    @classmethod
    def build(cls, records: Iterable[Record], extra_ids: dict[str, set[str]] | None = None) -> "Index":
        index = cls()
        seen: dict[str, Record] = {}
        for record in records:
            ident = record.id
            if ident is None:
                continue
            if ident in seen:
                index.duplicates.append((record, seen[ident]))
                continue
            seen[ident] = record
            index.by_kind[record.kind][ident] = record
            index.known_ids[record.kind].add(ident)
        for kind, ids in (extra_ids or {}).items():
            index.known_ids[kind] |= ids
        return index

    def get(self, kind: str, ident: str) -> Record | None:
        if not isinstance(ident, str):  # a mistyped reference (a list, a number) refers to nothing
            return None
        return self.by_kind.get(kind, {}).get(ident)

    def exists(self, kind: str, ident: str) -> bool:
        return ident in self.known_ids.get(kind, ())

    def records_of(self, kind: str) -> Iterable[Record]:
        """Every loaded record of a kind (the first of records with the same ID)."""
        if self.judging is not None:
            undeclared_wholesale_read(self.judging, kind)
        return self.by_kind.get(kind, {}).values()


def check_references(records: Iterable[Record], index: Index, schemas: SchemaSet, report: Report) -> None:
    for duplicate, first in index.duplicates:
        report(duplicate, "duplicate-id", f"编号 {duplicate.id} 重复：{first.path} 已使用这个编号；请用 yibao new 生成新编号", ("id",))
    try:
        for record in records:
            references_resolve(record, index, schemas, report)
            index.judging = record.kind
            for fn in CROSS_RULES.get(record.kind, ()):
                fn(record, index, schemas, report)
            index.judging = None
    finally:
        index.judging = None


class UndeclaredRead(RuntimeError):
    """A rule read every record of a kind that ``READS_EVERY`` does not list for it: incremental runs
    would miss the changes that matter to it. A programming error, never the records' fault."""


def undeclared_wholesale_read(reader: str, kind: str) -> None:
    if not any(read == kind for read, _ in READS_EVERY.get(reader, ())):
        raise UndeclaredRead(f"rules of {reader} records read every {kind} record; declare it in READS_EVERY")


def _missing(kind: str, ident: str, index: Index, schemas: SchemaSet) -> str:
    label = schemas.kind_label(kind)
    candidates = index.known_ids.get(kind, set())
    hint = nearest(ident, sorted(candidates)) if len(candidates) <= 5000 else None
    tip = f"；是不是 {hint}？" if hint else ""
    return f"引用的{label} {ident} 不存在（records/{kind}/ 下没有 {ident}.yaml）{tip}"


_BASES: dict[str, tuple[str, ...]] = {}


def reference_values(record: Record, dotted: str) -> list[tuple[tuple, str]]:
    """(path, value) for a reference field that holds one ID or a list of IDs."""
    value = record.get(dotted)
    if value is None:
        return []
    base = _BASES.get(dotted)
    if base is None:
        base = _BASES[dotted] = tuple(dotted.split("."))
    if isinstance(value, str):
        return [(base, value)]
    if isinstance(value, list):
        return [(base + (i,), v) for i, v in enumerate(value) if isinstance(v, str)]
    return []


def references_resolve(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    """Each field that refers to another kind (from the schemas) names an existing record of it."""
    for dotted, kind in schemas.references_of(record.kind):
        for path, ident in reference_values(record, dotted):
            if not index.exists(kind, ident):
                report(record, "unresolved-reference", _missing(kind, ident, index, schemas), path)


def _text(value: object) -> str | None:
    """A term as written, or None when the value is not text (the schema check reports that)."""
    return value if isinstance(value, str) else None


def inspection_fits_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    institution = index.get("institution", record.get("institution") or "")
    if institution is None:
        return
    itype = institution.get("type")
    inspection_types = schemas.vocab("inspection_type").get("x-applies-to", {})
    allowed = inspection_types.get(_text(record.get("type")))
    if allowed and itype in schemas.terms("institution_type") and itype not in allowed:
        report(record, "inspection-type-mismatch",
               f"检查类型“{record.get('type')}”不适用于{itype}（{institution.id}）；适用于：{'、'.join(allowed)}", ("type",))
    violations = schemas.vocab("violation_type").get("x-applies-to", {})
    findings = record.get("findings")
    for i, finding in enumerate(findings if isinstance(findings, list) else []):
        term = _text(finding.get("violation_type")) if isinstance(finding, dict) else None
        allowed = violations.get(term)
        if allowed and itype not in allowed:
            report(record, "violation-type-mismatch",
                   f"违规类型“{term}”不适用于{itype}（{institution.id}）；适用于：{'、'.join(allowed)}", ("findings", i, "violation_type"))


def inspectors_on_contract(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    contract = record.get("contract")
    for path, ident in reference_values(record, "inspectors"):
        staff = index.get("staff", ident)
        contracts = staff.get("contracts") if staff else None
        if isinstance(contracts, list) and contract not in contracts:
            report(record, "staff-not-on-contract", f"检查人员 {ident} 不在项目 {contract} 的团队中（见 {staff.path}）", path)


def case_subject_fits_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    subject_type = record.get("subject.type")
    institution = index.get("institution", record.get("subject.institution") or "")
    if institution is None or subject_type not in schemas.terms("institution_type"):
        return
    if institution.get("type") != subject_type:
        report(record, "subject-type-mismatch",
               f"对象类型为{subject_type}，但 {institution.id} 是{institution.get('type')}", ("subject", "type"))


def related_inspections_same_institution(record: Record, index: Index, schemas: SchemaSet, report: Report) -> None:
    institution = record.get("subject.institution")
    for path, ident in reference_values(record, "related_inspections"):
        inspection = index.get("inspection", ident)
        if inspection is not None and institution and inspection.get("institution") != institution:
            report(record, "related-inspection-mismatch",
                   f"关联检查 {ident} 检查的是 {inspection.get('institution')}，与案件对象 {institution} 不同", path)


#: Rules that read every record of other kinds, not only the records referred to: the kind
#: checked -> ((the kind read, whether any of some versions of such records can change the checked
#: record's findings), ...). After a small change, ``speed.incremental`` re-checks each record of the
#: first kind for which the old and new versions of the changed records of the second kind say so.
READS_EVERY: dict[str, tuple[tuple[str, Callable[[Record, list[Record]], bool]], ...]] = {
    "contract": (("institution", contract_bounds.may_change_counts),),
    # a draw is re-run from the contract's scope institutions, team and past inspections
    "draw": tuple((kind, draws.any_version_matters) for kind in ("institution", "staff", "inspection")),
    # a plan that shares a fixed count by volume reads every institution's volumes
    "sampling_plan": (("institution", planning.any_version_matters),),
    # the payments of an instalment are summed against what the contract states for it
    "payment": (("payment", money.same_contract),),
}


# -- what cross-record rules read: derived from the rules themselves -------------------------------
#: A field path as rules name it: ``type``, ``subject.institution``, ``timeline.registered_on``.
_FIELD = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*$")


def _strings(value, out: set[str], depth: int = 0) -> None:
    """Field-like strings inside a constant a rule names (a table of fields per kind, say)."""
    if depth > 4:
        return
    if isinstance(value, str):
        if _FIELD.match(value):
            out.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _strings(k, out, depth + 1)
            _strings(v, out, depth + 1)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for v in value:
            _strings(v, out, depth + 1)


def _methods(cls: type) -> list[types.FunctionType]:
    out = []
    for member in vars(cls).values():
        member = member.fget if isinstance(member, property) else member
        member = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        if isinstance(member, types.FunctionType):
            out.append(member)
    return out


def _annotations(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.arg) and node.annotation is not None:
        return [node.annotation]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
        return [node.returns]
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def fields_read(roots: Iterable[Callable]) -> frozenset[str]:
    """Every field path the rules name: string constants in the rules and in every function, class
    and module-level constant of this package they name (called, passed or looked up), followed
    through their modules' globals.

    Generous on purpose: a constant that is not a field (a code, a kind) only makes views a little
    larger. A rule reading a field under a name built at run time is caught by the test that runs
    every rule on views and on whole records alike (tests/test_incremental.py).
    """
    found: set[str] = set()
    seen: set[int] = set()
    todo = [getattr(fn, "__func__", fn) for fn in roots]
    while todo:
        fn = todo.pop()
        if not isinstance(fn, types.FunctionType) or id(fn) in seen:
            continue
        seen.add(id(fn))
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError, SyntaxError):
            continue
        names = fn.__globals__
        annotations = {id(n) for a in ast.walk(tree) for note in _annotations(a) for n in ast.walk(note)}
        for node in ast.walk(tree):
            if id(node) in annotations:  # a type named in an annotation is not code the rule runs
                continue
            target = None
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                _strings(node.value, found)
            elif isinstance(node, ast.Name):
                target = names.get(node.id)
                if node.id in names and node.id.isupper():  # a module constant: TABLE = {...}
                    _strings(target, found)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = names.get(node.value.id)
                if isinstance(owner, types.ModuleType):
                    target = getattr(owner, node.attr, None)
                    if node.attr.isupper():
                        _strings(target, found)
            module = getattr(target, "__module__", None) or ""
            if not module.startswith("yibao."):
                continue
            if isinstance(target, types.FunctionType):
                todo.append(target)
            elif isinstance(target, type):  # a class it uses: every method it has
                todo.extend(_methods(target))
    return frozenset(found)


@dataclass(frozen=True)
class ViewSpec:
    """Which parts of a record cross-record rules get: fields read whole, and fields only read
    through some of their keys (``timeline.registered_on``: the rest of the timeline is left out).
    Keys inside values are kept whole: rules also read keys named by the vocabulary (a volume's
    field from ``x-volume-field``), which no constant in their code spells."""

    whole: frozenset[str]
    parts: tuple[tuple[str, frozenset[str]], ...]

    @property
    def digest(self) -> str:
        text = "\n".join(sorted(self.whole)) + "\n--\n" + "\n".join(f"{k}:{','.join(sorted(v))}" for k, v in self.parts)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_SPECS: dict[tuple, ViewSpec] = {}
_FIELDS: dict[tuple, frozenset[str]] = {}


def rule_functions() -> tuple[Callable, ...]:
    """Every function that judges across records: the reference check, the rules of each kind and
    the tests of :data:`READS_EVERY` (which look at versions of records through the same views)."""
    fns: list[Callable] = [Index.build, references_resolve]
    for rules in CROSS_RULES.values():
        fns.extend(rules)
    for pairs in READS_EVERY.values():
        fns.extend(matters for _, matters in pairs)
    return tuple(fns)


def rule_fields() -> frozenset[str]:
    """:func:`fields_read` of the current rules (worked out once per rule set)."""
    rules = rule_functions()
    found = _FIELDS.get(rules)
    if found is None:
        found = _FIELDS[rules] = fields_read(rules)
    return found


def rule_set_digest() -> str:
    """Which rules are registered (module and name of each function), cheap to compute: with the
    digest of the checking code (which covers the rules' source) it names the rule set, and so what
    :func:`rule_fields` gives, without reading any source."""
    names = "\n".join(f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
                      for fn in rule_functions())
    return hashlib.sha256(names.encode()).hexdigest()[:16]


def remember_rule_fields(fields: frozenset[str]) -> None:
    """Fields worked out by an earlier run of the same rule set and code (kept in the check cache),
    so a run does not parse the rules' source again."""
    _FIELDS.setdefault(rule_functions(), frozenset(fields))


def view_spec(schemas: SchemaSet) -> ViewSpec:
    """The view of a record that holds everything the current rules read; derived once per rule set."""
    rules = rule_functions()
    key = (rules, schemas.fingerprint)
    spec = _SPECS.get(key)
    if spec is None:
        paths = set(rule_fields()) | {"id"} | {dotted for (_, dotted) in schemas.relations}
        whole = {p for p in paths if "." not in p}
        parts: dict[str, set[str]] = defaultdict(set)
        for p in paths:
            top, _, rest = p.partition(".")
            if rest and top not in whole:
                parts[top].add(rest.split(".", 1)[0])
        spec = _SPECS[key] = ViewSpec(frozenset(whole), tuple(sorted((k, frozenset(v)) for k, v in parts.items())))
    return spec


def cross_view(data: dict, spec: ViewSpec) -> dict:
    """The part of a record cross-record rules read (plain data, so it can be cached with marshal)."""
    view = {k: _plain(v) for k, v in data.items() if k in spec.whole}
    for top, keys in spec.parts:
        if top in data:
            value = data[top]
            view[top] = {k: _plain(v) for k, v in value.items() if k in keys} if isinstance(value, dict) else _plain(value)
    return view


def _plain(value):
    """Only plain data in a view (Decimal as text), so it can be cached with marshal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def referenced_ids(record: Record, schemas: SchemaSet) -> list[str]:
    """The IDs of the records a record refers to (its fields that refer to other kinds)."""
    out = []
    for dotted, _ in schemas.references_of(record.kind):
        value = record.get(dotted)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


_BOUND = (contract_bounds.bound_to_contract,)
#: The rules of each kind besides :func:`references_resolve`, which every record runs.
CROSS_RULES: dict[str, tuple] = {
    "contract": (contract_bounds.expected_counts_match, money.instalment_scheme_fits),
    "inspection": (inspection_fits_institution, inspectors_on_contract, draws.inspection_matches_draw,
                   draws.inspector_declared_conflict, *_BOUND),
    "case": (case_subject_fits_institution, related_inspections_same_institution, planning.case_cites_extrapolation,
             enforcement.case_follows_provisions, enforcement.reward_follows_policy,
             screening_cases.case_fits_screening_rule, *_BOUND),
    "training": _BOUND,
    "draw": (draws.draw_reproducible,),
    "campaign": (campaigns.campaign_consistent,),
    "self_inspection": (campaigns.self_inspection_fits_campaign,),
    "rectification": (campaigns.rectification_fits_campaign,),
    "sampling_plan": (planning.plan_counts_match,),
    "budget": (money.budget_lines_fit_contracts,),
    "payment": (money.payment_fits_instalment,),
    "evaluation_scheme": (money.peers_in_consortium,),
}
