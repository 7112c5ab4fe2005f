"""Rule records (``records/rule/GZ-….yaml``): their parameters rendered into their SQL.

A rule's SQL is written in DuckDB's dialect over the tables of :mod:`.tables` and returns one
row per lead with exactly the columns of :data:`OUTPUT`. Parameters are written ``{{name}}`` and
rendered as SQL literals: an integer as itself, any other number as ``CAST('x' AS
DECIMAL(18,6))`` (exact on both engines; never a floating-point double), a string quoted, a list
as ``(a, b, …)`` for ``IN``, a list of objects as a small ``VALUES`` table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..core.diagnostics import Diagnostic
from ..core.record import RECORDS
from ..core.schemas import SchemaSet
from ..load import strict_yaml

KIND = "rule"

#: the columns every rule returns, in this order
OUTPUT = ("fixmedins_code", "psn_no", "begin_date", "end_date", "amount", "hits", "evidence")

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")


class RuleError(Exception):
    """A rule cannot be rendered (a placeholder without a parameter, a parameter of no use)."""


@dataclass
class Rule:
    id: str
    path: str
    data: dict
    parameters: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def tables(self) -> list[str]:
        return list(self.data["tables"])

    @property
    def violation_type(self) -> str:
        return self.data["violation_type"]

    def sql(self, overrides: dict | None = None) -> str:
        return render(self.data["sql"], {**self.parameters, **(overrides or {})}, self.id)


def literal(value) -> str:
    if isinstance(value, bool):
        raise RuleError("参数不能是布尔值")
    if isinstance(value, int) or (isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent >= 0):
        return str(int(value))
    if isinstance(value, (Decimal, float)):
        return f"CAST('{Decimal(str(value))}' AS DECIMAL(18,6))"
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise RuleError(f"不支持的参数值 {value!r}")


def _table_literal(rows: list[dict]) -> str:
    keys = list(rows[0])
    if any(list(row) != keys for row in rows):
        raise RuleError("表格参数的每一行应有相同的键（顺序也相同）")

    def cell(v):
        if isinstance(v, (int, Decimal, float)) and not isinstance(v, bool):
            return f"CAST('{Decimal(str(v))}' AS DECIMAL(18,6))"
        return literal(v)

    values = ", ".join("(" + ", ".join(cell(row[k]) for k in keys) + ")" for row in rows)
    return f"(SELECT * FROM (VALUES {values}) AS t({', '.join(keys)}))"


def render_value(value) -> str:
    if isinstance(value, list):
        if not value:
            raise RuleError("列表参数不能为空")
        if all(isinstance(v, dict) for v in value):
            return _table_literal(value)
        return "(" + ", ".join(literal(v) for v in value) + ")"
    return literal(value)


def render(sql: str, parameters: dict, rule_id: str = "") -> str:
    used = set(PLACEHOLDER.findall(sql))
    missing = sorted(used - set(parameters))
    if missing:
        raise RuleError(f"规则 {rule_id} 的 SQL 用到了没有定义的参数：{'、'.join(missing)}")
    unused = sorted(set(parameters) - used)
    if unused:
        raise RuleError(f"规则 {rule_id} 定义了 SQL 没有用到的参数：{'、'.join(unused)}")
    return PLACEHOLDER.sub(lambda m: render_value(parameters[m.group(1)]), sql)


def load_rules(root: Path, schemas: SchemaSet, wanted: list[str] | None = None) -> tuple[list[Rule], list[Diagnostic]]:
    """The rule records that are in force (not withdrawn), sorted by ID, and the problems found.

    Records are read with the strict loader; ``yibao validate`` checks them against the schema.
    """
    problems: list[Diagnostic] = []
    withdrawn = set(schemas.vocab("record_status").get("x-withdrawn", []))
    folder = root / RECORDS / KIND
    rules = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        data, found, _ = strict_yaml.load_bytes(path.read_bytes())
        if data is None or found:
            problems += [Diagnostic(rel, p.line, p.col, p.code, p.message) for p in found] or [Diagnostic(rel, 1, 1, "rule-unreadable", "无法读取规则记录")]
            continue
        if data.get("status") in withdrawn:
            continue
        params = {p["name"]: p["value"] for p in data.get("parameters") or []}
        rules.append(Rule(str(data.get("id")), rel, data, params))
    if wanted:
        known = {r.id for r in rules}
        for ident in wanted:
            if ident not in known:
                problems.append(Diagnostic(f"{RECORDS}/{KIND}/{ident}.yaml", 1, 1, "rule-unknown", f"没有有效的筛查规则 {ident}"))
        rules = [r for r in rules if r.id in set(wanted)]
    for rule in rules:
        try:
            rule.sql()
        except RuleError as exc:
            problems.append(Diagnostic(rule.path, 1, 1, "rule-parameters", str(exc)))
    return rules, problems
