"""Rules and terms out of code (issue 11, item 3): no vocabulary term decides anything in code.

Every term of ``schemas/vocabulary.schema.json`` that drives logic is read from the vocabulary
through its ``x-`` attributes (``x-closed``, ``x-planned``, ``x-terminated``, ``x-timeline``,
``x-working-days``, ``x-defaults`` …), so a bureau that renames or adds a status edits one file.
This test is the "grep" the issue asks for, done with ``ast`` so that it reads conditions, not
text: it parses every module of ``yibao.core``, ``yibao.check``, ``yibao.compute`` and
``yibao.publish`` and fails when a term appears as a string constant

* in a comparison (``==``, ``!=``, ``in``, ``not in``, also inside a tuple, list or set literal);
* in the test of an ``if``, ``while``, ternary, ``assert`` or comprehension filter, or as an
  operand of ``and`` / ``or`` (``x or "以干代训"`` is a default);
* as a ``match`` case;
* as a key that drives a lookup: a dict literal's key, a subscript, ``.get(term)``;
* as a default: a parameter default, the default argument of ``.get(key, term)``;
* bound to a module or class constant (``TERMINATED = "解除"``, a table of terms like the old
  ``TIMELINE_STATUS``), and wherever such a constant is then used in one of the places above, in
  the same module or in another (``from ..compute.view import PLANNED``);
* as an argument of a call or a value of a dict literal (``_sampling_rate(view, target, "病历")``,
  ``{"institution_types": ["定点医疗机构"], **target}``): a term handed to code that acts on it.

Messages and labels are allowed: a term inside an f-string, a docstring, a message argument or a
label is text for people, not a decision. Codes that are identifiers implemented in code by name
(record kinds, metric codes, the draw algorithm: ASCII names) are not terms in this sense — the
metric vocabulary itself says its computations are implemented in ``yibao.compute`` by code.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT / "scripts" / "yibao"
LAYERS = ("core", "check", "compute", "publish")
CODE_NAME = re.compile(r"[a-z0-9_.-]+\Z")


def vocabulary_terms(schema_dir: Path = PROJECT / "schemas") -> frozenset[str]:
    """Every enum term of the vocabulary, but code names (ASCII identifiers)."""
    vocabulary = json.loads((schema_dir / "vocabulary.schema.json").read_text(encoding="utf-8"))
    return frozenset(term for definition in vocabulary["$defs"].values() for term in definition.get("enum", [])
                     if isinstance(term, str) and not CODE_NAME.match(term))


TERMS = vocabulary_terms()

#: Constants whose words only coincide with a term, with the reason. Keep this list short.
NOT_TERMS = {
    ("scripts/yibao/check/personal_data.py", "_NAME_TRIGGERS"):
        "words that introduce a person's name in free text (参保人员张某); 参保人员 is such a word here, not the subject type",
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    term: str
    where: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: 词表取值“{self.term}”写在代码的{self.where}中"


def _term_of(node: ast.AST, terms: frozenset[str], constants: dict[str, str]) -> str | None:
    """The term a node stands for: a string constant, a collection literal holding one, a call
    like ``frozenset({...})`` of one, or a name/attribute bound to a term constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value in terms else None
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return next((t for t in (_term_of(e, terms, constants) for e in node.elts) if t), None)
    if isinstance(node, ast.Call) and node.args and isinstance(node.func, ast.Name) and node.func.id in ("frozenset", "set", "tuple", "list"):
        return _term_of(node.args[0], terms, constants)
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.Attribute):
        return constants.get(node.attr)
    return None


def _terms_in(node: ast.AST, terms: frozenset[str], constants: dict[str, str]):
    """Terms anywhere in a condition, except inside f-strings (messages); comparisons are left to
    the comparison rule, so a term is reported once."""
    if isinstance(node, (ast.JoinedStr, ast.Compare)):
        return
    found = _term_of(node, terms, constants)
    if found:
        yield node, found
        return
    for child in ast.iter_child_nodes(node):
        yield from _terms_in(child, terms, constants)


def _constants(tree: ast.Module, terms: frozenset[str]) -> dict[str, str]:
    """Module- and class-level names bound to a term (or to a collection of terms)."""
    out: dict[str, str] = {}
    bodies = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body in bodies:
        for statement in body:
            targets, value = [], None
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets, value = [statement.target], statement.value
            for target in targets:
                pairs = (zip(target.elts, value.elts) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                         and len(target.elts) == len(value.elts) else [(target, value)])
                for name, bound in pairs:
                    term = _term_of(bound, terms, {})
                    if isinstance(name, ast.Name) and term and name.id not in {n for _, n in NOT_TERMS}:
                        out[name.id] = term
    return out


def scan(source: str, path: str, terms: frozenset[str] = TERMS, constants: dict[str, str] | None = None) -> list[Finding]:
    """Every place of a module where a vocabulary term decides something (see the module docstring)."""
    tree = ast.parse(source)
    known = {**(constants or {}), **_constants(tree, terms)}
    out: list[Finding] = []

    seen: set[tuple] = set()

    def hit(node: ast.AST, term: str, where: str) -> None:
        place = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0), term)
        if place not in seen:  # a default in a boolean test is one finding, not two
            seen.add(place)
            out.append(Finding(path, place[0], term, where))

    def each(expr: ast.AST, where: str) -> None:
        for node, term in _terms_in(expr, terms, known):
            hit(node, term, where)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                term = _term_of(argument, terms, known)
                if term:
                    hit(argument, term, "调用参数")
        if isinstance(node, ast.Dict):
            for value in node.values:
                term = _term_of(value, terms, known)
                if term:
                    hit(value, term, "字典值")
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                term = _term_of(operand, terms, known)
                if term:
                    hit(operand, term, "比较")
        elif isinstance(node, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            each(node.test, "条件")
        elif isinstance(node, ast.comprehension):
            for condition in node.ifs:
                each(condition, "条件")
        elif isinstance(node, ast.BoolOp):
            for value in node.values:
                term = _term_of(value, terms, known)
                if term:
                    hit(value, term, "布尔运算（缺省值）")
        elif isinstance(node, ast.match_case):
            for pattern in ast.walk(node.pattern):
                if isinstance(pattern, ast.MatchValue):
                    term = _term_of(pattern.value, terms, known)
                    if term:
                        hit(pattern, term, "match 分支")
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                term = _term_of(key, terms, known) if key is not None else None
                if term:
                    hit(key, term, "字典键")
        elif isinstance(node, ast.Subscript):
            term = _term_of(node.slice, terms, known)
            if term:
                hit(node, term, "下标查找")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            if node.func.attr in ("get", "pop", "setdefault", "index", "count"):
                term = _term_of(node.args[0], terms, known)
                if term:
                    hit(node, term, f".{node.func.attr}() 查找")
                if node.func.attr in ("get", "pop", "setdefault") and len(node.args) > 1:
                    term = _term_of(node.args[1], terms, known)
                    if term:
                        hit(node, term, "缺省值")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
                term = _term_of(default, terms, known)
                if term:
                    hit(default, term, "参数缺省值")
    module_level = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body in module_level:
        for statement in body:
            if isinstance(statement, (ast.Assign, ast.AnnAssign)) and statement.value is not None:
                names = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                if any(isinstance(n, ast.Name) and (path, n.id) in NOT_TERMS for n in names):
                    continue
                for node, term in _terms_in(statement.value, terms, {}):
                    hit(node, term, "常量")
    return out


def modules() -> list[Path]:
    return sorted(p for layer in LAYERS for p in (PACKAGE / layer).rglob("*.py"))


def scan_all(paths: list[Path], terms: frozenset[str] = TERMS) -> list[Finding]:
    """Scan modules, resolving term constants across them (a constant imported from another module)."""
    sources = {p: p.read_text(encoding="utf-8") for p in paths}
    shared: dict[str, str] = {}
    for source in sources.values():
        shared.update(_constants(ast.parse(source), terms))
    return [f for p, source in sources.items() for f in scan(source, p.relative_to(PROJECT).as_posix(), terms, shared)]


# -- the rule on the code --------------------------------------------------------------------------------
def test_the_vocabulary_has_terms_to_look_for():
    assert {"已结案", "计划中", "解除", "已撤回", "病历", "以干代训", "专项检查", "工作日"} <= TERMS
    assert "inspection" not in TERMS and "onsite_coverage" not in TERMS  # code names, implemented by name
    assert len(modules()) > 30


def test_no_vocabulary_term_decides_anything_in_code():
    findings = scan_all(modules())
    assert not findings, "词表取值只能通过词表的 x- 属性进入判断：\n" + "\n".join(map(str, findings))


# -- the test catches what it is for ---------------------------------------------------------------------
PLANTED = [
    ('if status == "已结案":\n    pass\n', "比较"),
    ('ok = status in ("计划中", "检查中")\n', "比较"),
    ('ok = "解除" != status\n', "比较"),
    ('ok = status not in {"已撤回"}\n', "比较"),
    ('x = 1 if record.get("kind") else 2\nif is_closed(status, "已结案"):\n    pass\n', "条件"),
    ('basis = target.get("sampling_basis") or "病历"\n', "布尔运算（缺省值）"),
    ('basis = target.get("sampling_basis", "病历")\n', "缺省值"),
    ('def f(kind="以干代训"):\n    return kind\n', "参数缺省值"),
    ('match status:\n    case "已结案" | "不予立案":\n        pass\n', "match 分支"),
    ('CLASS = {"已结案": "ok"}\n', "字典键"),
    ('cls = CLASSES["已结案"]\n', "下标查找"),
    ('TERMINATED = "解除"\ndef f(s):\n    return s != TERMINATED\n', "比较"),
    ('ids = [r for r in rows if r.status == "计划中"]\n', "比较"),
    ('TIMELINE = (("timeline.closed_on", "已结案"), ("timeline.decided_on", "已决定"))\n', "常量"),
    ('out = rate(view, target, "record_sampling_rate", "病历", ["定点医疗机构"])\n', "调用参数"),
    ('target = {"institution_types": ["定点医疗机构"], **target}\n', "字典值"),
]


@pytest.mark.parametrize("source, where", PLANTED, ids=[w + str(i) for i, (_, w) in enumerate(PLANTED)])
def test_each_kind_of_condition_is_found(source, where):
    findings = scan(source, "planted.py")
    assert any(f.where == where for f in findings), (source, findings)


ALLOWED = [
    'f.error("status-mismatch", f"已填写结案日期，状态却是“{status}”；请把状态改为已结案")\n',
    'def f():\n    """已结案的案件必须填写结案日期。"""\n',
    'message = "请把状态改为已结案"\n',  # a message, not bound to a name that is compared
    'closed = vocab.get("x-closed", [])\nif status in closed:\n    pass\n',
    'label = f"{status}（已撤回）"\n',
]


@pytest.mark.parametrize("source", ALLOWED)
def test_messages_labels_and_vocabulary_lookups_are_allowed(source):
    assert scan(source, "allowed.py") == []


def test_a_term_planted_in_a_copy_of_a_real_module_is_found(tmp_path):
    """The scan over the real modules is clean; plant ``if status == "已结案":`` in a copy of one and
    the same scan finds it, with its line."""
    original = PACKAGE / "check" / "record_rules.py"
    copy = tmp_path / "scripts" / "yibao" / "check" / "record_rules.py"
    copy.parent.mkdir(parents=True)
    shutil.copy(original, copy)
    lines = copy.read_text(encoding="utf-8").splitlines(keepends=True)
    anchor = next(i for i, line in enumerate(lines) if line.startswith("def closed_case_has_close_date"))
    body = anchor + 1
    while lines[body].lstrip().startswith(('"""', "不予立案")) or not lines[body].strip().startswith("status"):
        body += 1
    lines.insert(body + 1, '    if status == "已结案":\n        pass\n')
    copy.write_text("".join(lines), encoding="utf-8")
    assert scan(original.read_text(encoding="utf-8"), "record_rules.py") == []
    found = scan(copy.read_text(encoding="utf-8"), "record_rules.py")
    assert [(f.line, f.term, f.where) for f in found] == [(body + 2, "已结案", "比较")]


def test_a_constant_imported_from_another_module_is_found(tmp_path):
    """``PLANNED = "计划中"`` in one module, compared in another (the old check → compute import)."""
    view = tmp_path / "view.py"
    view.write_text('PLANNED = "计划中"\n', encoding="utf-8")
    draws = tmp_path / "draws.py"
    draws.write_text('from .view import PLANNED\n\ndef skip(s):\n    return s == PLANNED\n', encoding="utf-8")
    sources = {p: p.read_text(encoding="utf-8") for p in (view, draws)}
    shared = {k: v for s in sources.values() for k, v in _constants(ast.parse(s), TERMS).items()}
    found = scan(sources[draws], "draws.py", TERMS, shared)
    assert [(f.line, f.term) for f in found] == [(4, "计划中")]


# -- the rules that used to carry terms follow the vocabulary --------------------------------------------
def _with_vocabulary(repo, edit) -> None:
    path = repo.root / "schemas" / "vocabulary.schema.json"
    vocabulary = json.loads(path.read_text(encoding="utf-8"))
    edit(vocabulary["$defs"])
    path.write_text(json.dumps(vocabulary, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_report_before_the_inspection_ended_follows_x_unfinished(full_repo, yibao):
    from conftest import INSPECTION, INSPECTION_ID

    relpath = f"records/inspection/2024/{INSPECTION_ID}.yaml"
    full_repo.write(relpath, INSPECTION.replace("status: 已提交报告", "status: 检查中"))
    run = yibao("validate", cwd=full_repo.root)
    assert "已填写调查报告，状态却是“检查中”" in run.only("status-mismatch").message
    _with_vocabulary(full_repo, lambda d: d["inspection_status"].update({"x-unfinished": ["计划中"]}))
    assert "status-mismatch" not in yibao("validate", cwd=full_repo.root).codes


def test_a_closed_case_needs_the_date_its_status_stands_for(full_repo, yibao):
    from conftest import CASE, CASE_ID

    relpath = f"records/case/2024/{CASE_ID}.yaml"
    full_repo.write(relpath, CASE.replace("status: 已立案", "status: 已结案"))
    run = yibao("validate", cwd=full_repo.root)
    assert run.only("closed-on-missing").message.endswith("已结案的案件必须填写结案日期")
    _with_vocabulary(full_repo, lambda d: d["case_status"]["x-timeline"].pop("已结案"))
    assert "closed-on-missing" not in yibao("validate", cwd=full_repo.root).codes


def test_an_accepted_report_needs_its_date_under_x_closed(full_repo, yibao):
    from conftest import INSPECTION, INSPECTION_ID

    relpath = f"records/inspection/2024/{INSPECTION_ID}.yaml"
    full_repo.write(relpath, INSPECTION.replace("status: 已提交报告", "status: 报告已采纳"))
    assert "报告已采纳时必须填写采纳日期" in yibao("validate", cwd=full_repo.root).only("report-missing").message
