"""A new record, scaffolded from its schema: a free ID, the right folder, every required field.

The template is derived from ``schemas/<kind>.schema.json`` and the vocabulary, never written by
hand, so it cannot drift from what ``yibao validate`` checks: every required field is present, each
with a Chinese comment from its ``title`` and ``description`` and, for controlled terms, the
choices. Values the user has not given stay empty and fail validation with "还没有填写" until
filled in.

IDs need no central server: ``PREFIX-YYYY-`` plus 6 random Crockford base32 characters from
:mod:`secrets` (staff: ``RY-`` plus 6). Two pull requests drawing the same ID is a one in a
billion chance per pair and year; CI's ``duplicate-id`` check catches it if it happens.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable

from .check.runner import check_text
from .core.diagnostics import Diagnostic
from .load import strict_yaml
from .core.record import EXTENSION, RECORDS, SCHEMAS, Record, stem
from .load.repository import record_files
from .core.schemas import SchemaSet, nearest

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # base32 without I, L, O, U
RANDOM_LENGTH = 6
#: Kinds with many records a year keep one folder per year (records/<kind>/<year>/<ID>.yaml).
YEAR_FOLDERS = ("inspection", "case", "training")
#: Sections that are added later, not when a record is created.
LATER = ("withdrawal", "amendments")
#: The date a record's year (in its ID and folder) is taken from, first found wins.
YEAR_FIELDS = ("start_date", "timeline.registered_on", "period.start", "year")
WIDTH = 100  # display columns of a comment line


class NewRecordError(Exception):
    """Bad input for a new record (a usage error: exit 2)."""


# -- IDs ------------------------------------------------------------------------------------------
def random_part(draw: Callable[[str], str] = secrets.choice, length: int = RANDOM_LENGTH) -> str:
    return "".join(draw(CROCKFORD) for _ in range(length))


def id_pattern(schemas: SchemaSet, kind: str) -> str:
    node, _ = schemas.resolve(schemas.schemas[kind]["properties"]["id"])
    return node.get("pattern", "")


def id_has_year(schemas: SchemaSet, kind: str) -> bool:
    return "[0-9]{4}" in id_pattern(schemas, kind)


def new_id(schemas: SchemaSet, kind: str, year: int, taken: Callable[[str], bool],
           draw: Callable[[str], str] = secrets.choice, tries: int = 1000) -> str:
    """A fresh ID for a kind whose IDs are drawn at random, re-drawn while ``taken``."""
    prefix = schemas.vocab("record_kind").get("x-id-prefix", {}).get(kind)
    if prefix is None:
        raise NewRecordError(f"{schemas.kind_label(kind)}的编号不是随机生成的，请用 --id 指定")
    pattern = re.compile(id_pattern(schemas, kind))
    for _ in range(tries):
        ident = f"{prefix}-{year}-{random_part(draw)}" if id_has_year(schemas, kind) else f"{prefix}-{random_part(draw)}"
        if not pattern.match(ident):
            raise NewRecordError(f"生成的编号 {ident} 不符合 schema 的编号格式 {pattern.pattern}")
        if not taken(ident):
            return ident
    raise NewRecordError(f"连续 {tries} 次生成的编号都已存在，请检查 records/{kind}/")


def record_path(kind: str, ident: str) -> str:
    if kind in YEAR_FOLDERS and ident.count("-") >= 2:
        return f"{RECORDS}/{kind}/{ident.split('-')[1]}/{ident}{EXTENSION}"
    return f"{RECORDS}/{kind}/{ident}{EXTENSION}"


def schema_path_from(relpath: str, kind: str) -> str:
    """The ``$schema`` path of the yaml-language-server modeline, relative to the record file."""
    depth = relpath.count("/")
    return "../" * depth + f"{SCHEMAS}/{kind}.schema.json"


# -- the schema, as fields -------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]
    schema: dict
    vocab: str | None
    required: bool

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def type(self) -> str | None:
        t = self.schema.get("type")
        if t is None and "enum" in self.schema:
            return "string"
        return t

    def items(self, schemas: SchemaSet) -> tuple[dict, str | None]:
        return schemas.resolve(self.schema.get("items", {}))

    def is_object(self) -> bool:
        return self.type == "object" and "properties" in self.schema

    def is_leaf(self, schemas: SchemaSet) -> bool:
        if self.is_object():
            return False
        if self.type == "array":
            items, _ = self.items(schemas)
            return items.get("type") != "object"
        return True


def fields_of(schemas: SchemaSet, node: dict, parent: tuple[str, ...] = ()) -> list[Field]:
    required = set(node.get("required", []))
    out = []
    for name, sub in node.get("properties", {}).items():
        resolved, vocab = schemas.resolve(sub)
        out.append(Field(parent + (name,), resolved, vocab, name in required))
    return out


def find_field(schemas: SchemaSet, kind: str, dotted: str) -> Field:
    node: dict = schemas.schemas[kind]
    found: Field | None = None
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        by_name = {f.path[-1]: f for f in fields_of(schemas, node, tuple(parts[:i]))}
        if part not in by_name:
            hint = nearest(part, list(by_name))
            tip = f"；是不是 {'.'.join(parts[:i] + [hint])}？" if hint else f"；可用字段：{'、'.join(by_name)}"
            raise NewRecordError(f"{schemas.kind_label(kind)}没有字段 {dotted}{tip}")
        found = by_name[part]
        node = found.schema
    return found


# -- values ----------------------------------------------------------------------------------------
def coerce(schemas: SchemaSet, fld: Field, raw: str) -> Any:
    """A value typed on the command line or at a prompt, as the schema wants it."""
    text = raw.strip()
    kind = fld.type
    if kind == "array":
        items, _ = fld.items(schemas)
        parts = [p for p in re.split(r"[,，、;；\s]+", text) if p]
        return [_scalar(items.get("type") or ("string" if "enum" in items else None), p, fld) for p in parts]
    return _scalar(kind, text, fld)


def _scalar(kind: str | None, text: str, fld: Field) -> Any:
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "是", "y", "yes", "1"):
            return True
        if lowered in ("false", "否", "n", "no", "0"):
            return False
        raise NewRecordError(f"{fld.dotted} 应填 true（是）或 false（否），现在是 {text}")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise NewRecordError(f"{fld.dotted} 应为整数，现在是 {text}") from None
    if kind == "number":
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise NewRecordError(f"{fld.dotted} 应为数字，现在是 {text}") from None
        return int(value) if value == value.to_integral_value() and "." not in text else value
    return text


def set_value(data: dict, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def get_value(data: dict, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


# -- rendering -------------------------------------------------------------------------------------
def yaml_scalar(value: Any, in_flow: bool = False) -> str:
    """A scalar written so that the strict loader reads back exactly ``value``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value)
    plain = f"[{text}]" if in_flow else text
    parsed, problems = strict_yaml.parse(f"k: {plain}\n")
    expected = [text] if in_flow else text
    if not problems and parsed == {"k": expected} and "#" not in text and text == text.strip():
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(values: list) -> str:
    return "[" + ", ".join(yaml_scalar(v, in_flow=True) for v in values) + "]"


def _width(text: str) -> int:
    """Display columns: CJK characters take two."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _wrap(prefix: str, text: str) -> list[str]:
    """``# ``-comment lines of at most :data:`WIDTH` columns, broken after Chinese punctuation."""
    lines, line = [], ""
    for piece in re.split(r"(?<=[、，；。：])", text):
        if line.strip() and _width(prefix) + 2 + _width(line) + _width(piece) > WIDTH:
            lines.append(line)
            line = "  "
        line += piece
    if line.strip():
        lines.append(line)
    return [f"{prefix}# {ln}" for ln in lines]


def describe(schemas: SchemaSet, fld: Field, empty: bool) -> str:
    """The Chinese comment above a field: title, whether required, what to write, the choices."""
    parts = [fld.schema.get("title", fld.path[-1])]
    flags = []
    if fld.required:
        flags.append("必填")
    if fld.type == "array":
        items, item_vocab = fld.items(schemas)
        flags.append("可多选，写成 [甲, 乙]" if "enum" in items else "列表")
        choices = items.get("enum")
        hint = "" if choices or items.get("type") == "object" else items.get("description") or items.get("title")
    else:
        choices = fld.schema.get("enum")
        hint = ""
    head = parts[0] + ("（" + "，".join(flags) + "）" if flags else "")
    desc = fld.schema.get("description") or ""
    if fld.type == "boolean":
        desc = (desc + " " if desc else "") + "填 true（是）或 false（否）。"
    if hint and not desc:
        desc = f"每项为{hint}。"
    text = head + ("：" + desc.rstrip("。") + "。" if desc else "")
    if choices:
        text += ("" if desc else "，") + "可选：" + "、".join(map(str, choices)) + "。"
    if empty and fld.required and fld.is_leaf(schemas):
        text += "【请填写】"
    return text


def render(schemas: SchemaSet, kind: str, relpath: str, data: dict) -> str:
    schema = schemas.schemas[kind]
    lines = [f"# yaml-language-server: $schema={schema_path_from(relpath, kind)}"]
    lines += _wrap("", f"{schema.get('title', kind)}：{schema.get('description', '')}")
    lines.append("# 由 yibao new 生成。标有【请填写】的字段必须填写；填好后运行 yibao validate 检查。")
    _render_mapping(schemas, schema, (), data, lines, 0)
    optional = [f for f in fields_of(schemas, schema) if not f.required and f.path[-1] not in data and f.path[-1] not in LATER]
    if optional:
        lines.append("")
        lines.append("# 可选字段（需要时照上面的格式添加）：")
        lines += _wrap("", "、".join(f"{f.path[-1]}（{f.schema.get('title', f.path[-1])}{'，保密，不公开' if f.schema.get('x-confidential') else ''}）" for f in optional))
    return "\n".join(lines) + "\n"


def _render_mapping(schemas: SchemaSet, node: dict, parent: tuple, data: dict, lines: list[str], depth: int) -> None:
    indent = "  " * depth
    for fld in fields_of(schemas, node, parent):
        present = fld.path[-1] in data
        if not (fld.required or present):
            continue
        value = data.get(fld.path[-1])
        lines += _wrap(indent, describe(schemas, fld, value in (None, [], {})))
        key = f"{indent}{fld.path[-1]}:"
        if fld.is_object():
            lines.append(key)
            _render_mapping(schemas, fld.schema, fld.path, value if isinstance(value, dict) else {}, lines, depth + 1)
        elif fld.type == "array" and not fld.is_leaf(schemas):
            items, _ = fld.items(schemas)
            entries = value if isinstance(value, list) and value else ([{}] if fld.schema.get("minItems", 0) >= 1 else [])
            if not entries:
                lines.append(f"{key} []")
            else:
                lines.append(key)
                for entry in entries:
                    _render_item(schemas, items, fld.path, entry, lines, depth + 1)
        elif fld.type == "array":
            lines.append(f"{key} {_flow(value or [])}")
        else:
            text = yaml_scalar(value)
            lines.append(f"{key} {text}" if text else key)


def _render_item(schemas: SchemaSet, items: dict, parent: tuple, entry: dict, lines: list[str], depth: int) -> None:
    indent = "  " * depth
    first = True
    for fld in fields_of(schemas, items, parent):
        if not (fld.required or fld.path[-1] in entry):
            continue
        value = entry.get(fld.path[-1])
        if fld.type == "array":
            text = _flow(value or [])
        else:
            text = yaml_scalar(value)
        choices = fld.schema.get("enum")
        note = fld.schema.get("title", fld.path[-1]) + ("：" + "、".join(choices) if choices else "")
        if fld.required and value in (None, []):
            note += "【请填写】"
        lead = f"{indent}- " if first else f"{indent}  "
        lines.append(f"{lead}{fld.path[-1]}: {text}".rstrip() + f"  # {note}")
        first = False


# -- the record ------------------------------------------------------------------------------------
@dataclass
class Repository:
    """What ``yibao new`` needs to know about the records already there."""

    root: Path
    schemas: SchemaSet
    ids: dict[str, set[str]] = field(default_factory=dict)
    records: dict[str, Record] = field(default_factory=dict)

    @classmethod
    def scan(cls, root: Path, schemas: SchemaSet, load: Iterable[str] = ("contract", "institution", "staff")) -> "Repository":
        files, _ = record_files(root)
        ids: dict[str, set[str]] = {kind: set() for kind in schemas.kinds}
        records: dict[str, Record] = {}
        for relpath in files:
            parts = relpath.split("/")
            if parts[1] in ids:
                ids[parts[1]].add(stem(relpath))
                if parts[1] in load:
                    value, problems, _ = strict_yaml.load_bytes((root / relpath).read_bytes())
                    if value is not None:
                        records[stem(relpath)] = Record(parts[1], relpath, value)
        return cls(root, schemas, ids, records)

    def taken(self, kind: str) -> Callable[[str], bool]:
        return lambda ident: ident in self.ids.get(kind, set()) or (self.root / record_path(kind, ident)).exists()

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records.values() if r.kind == kind]


@dataclass
class Draft:
    kind: str
    ident: str
    relpath: str
    data: dict
    drawn: bool = False  # the ID was drawn at random (and may follow the record's year)

    def text(self, schemas: SchemaSet) -> str:
        return render(schemas, self.kind, self.relpath, self.data)

    def problems(self, schemas: SchemaSet) -> list[Diagnostic]:
        return check_text(self.relpath, self.kind, self.text(schemas).encode("utf-8"), schemas).diagnostics

    def follow_year(self, repo: Repository, draw: Callable[[str], str] = secrets.choice) -> None:
        """A drawn ID takes the year of the record's own date once that date is known."""
        year = year_of(self.data)
        if not self.drawn or year is None or not id_has_year(repo.schemas, self.kind) or self.ident.split("-")[1] == str(year):
            return
        self.ident = new_id(repo.schemas, self.kind, year, repo.taken(self.kind), draw)
        self.data["id"] = self.ident
        self.relpath = record_path(self.kind, self.ident)


def start(repo: Repository, kind: str, *, ident: str | None = None, year: int | None = None,
          contract: str | None = None, institution: str | None = None,
          values: Iterable[tuple[str, str]] = (), draw: Callable[[str], str] = secrets.choice,
          today: _dt.date | None = None) -> Draft:
    """A new record of ``kind`` with its ID, its file path and every value known so far."""
    schemas = repo.schemas
    if kind not in schemas.kinds:
        raise NewRecordError(f"不认识的记录种类 {kind}；可选：{'、'.join(schemas.kinds)}")
    today = today or _dt.date.today()
    data: dict = {}
    parsed = [(find_field(schemas, kind, k), v) for k, v in values]
    for fld, raw in parsed:
        if fld.path == ("id",):
            raise NewRecordError("编号由 yibao new 生成，不能用 --set id= 指定")
        set_value(data, fld.path, coerce(schemas, fld, raw))
    drawn = ident is None and year is None and kind not in ("institution", "calendar")
    year = year or year_of(data) or today.year
    ident = _identity(repo, kind, ident, institution, year, draw)
    set_value(data, ("id",), ident)
    given = data
    data = {"id": ident}
    _defaults(repo, kind, ident, year, contract, institution, data)
    _merge(data, given)
    return Draft(kind, ident, record_path(kind, ident), data, drawn)


def year_of(data: dict) -> int | None:
    """The year a record belongs to: the year of its own date (see :data:`YEAR_FIELDS`)."""
    for dotted in YEAR_FIELDS:
        value = get_value(data, tuple(dotted.split(".")))
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.match(r"[0-9]{4}-", value):
            return int(value[:4])
    return None


def _merge(into: dict, given: dict) -> None:
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _identity(repo: Repository, kind: str, ident: str | None, institution: str | None, year: int, draw) -> str:
    schemas = repo.schemas
    if kind == "institution":
        ident = ident or institution
        if not ident:
            raise NewRecordError("机构编码由医保部门赋码，请用 --id 指定，例如 --id H65020300001")
    elif kind == "calendar":
        ident = ident or f"RL-{year}"
    elif ident and kind not in ("contract",):
        raise NewRecordError(f"{schemas.kind_label(kind)}的编号由 yibao new 随机生成，不能用 --id 指定")
    if ident is None:
        return new_id(schemas, kind, year, repo.taken(kind), draw)
    pattern = id_pattern(schemas, kind)
    if pattern and not re.match(pattern, ident):
        node, _ = schemas.resolve(schemas.schemas[kind]["properties"]["id"])
        raise NewRecordError(f"编号 {ident} 格式不对：{node.get('description') or pattern}")
    if repo.taken(kind)(ident):
        raise NewRecordError(f"{ident} 已经存在（records/{kind}/ 下已有这个编号）")
    return ident


def _defaults(repo: Repository, kind: str, ident: str, year: int, contract: str | None,
              institution: str | None, data: dict) -> None:
    """Values known without asking: the contract, what an institution code says, the first status."""
    schemas = repo.schemas
    props = schemas.schemas[kind]["properties"]
    contracts = repo.of_kind("contract")
    if contract is None and len(contracts) == 1 and kind not in ("contract", "institution", "calendar"):
        contract = contracts[0].id
    if contract is not None:
        if contract not in repo.ids.get("contract", set()):
            raise NewRecordError(f"项目 {contract} 不存在（records/contract/ 下没有 {contract}.yaml）")
        if "contract" in props:
            data["contract"] = contract
        elif "contracts" in props:
            data["contracts"] = [contract]
        record = repo.records.get(contract)
        if "contractor" in props and record is not None and record.get("contractor"):
            data["contractor"] = record.get("contractor")
    if kind == "institution":
        prefixes = schemas.vocab("institution_type").get("x-id-prefix", {})
        by_prefix = {p: t for t, p in prefixes.items()}
        if ident[:1] in by_prefix:
            data["type"] = by_prefix[ident[:1]]
        data["region_code"] = ident[1:7]
    elif institution is not None:
        target = repo.records.get(institution)
        if "institution" in props:
            data["institution"] = institution
        elif "subject" in props:
            data["subject"] = {"type": target.get("type")} if target is not None else {}
            data["subject"]["institution"] = institution
    if kind == "calendar":
        data["year"] = year
    status = props.get("status")
    if status is not None:
        resolved, vocab = schemas.resolve(status)
        if resolved.get("enum"):
            data["status"] = resolved["enum"][0]


# -- prompts ---------------------------------------------------------------------------------------
def leaf_fields(schemas: SchemaSet, kind: str, data: dict) -> list[Field]:
    """Required fields a person fills in at the prompt (nested mappings walked, lists of mappings not)."""
    out: list[Field] = []

    def walk(node: dict, parent: tuple) -> None:
        for fld in fields_of(schemas, node, parent):
            if not fld.required:
                continue
            if fld.is_object():
                walk(fld.schema, fld.path)
            elif fld.is_leaf(schemas):
                out.append(fld)

    walk(schemas.schemas[kind], ())
    return [f for f in out if get_value(data, f.path) in (None, [])]


def ask(draft: Draft, repo: Repository, read: Callable[[str], str], say: Callable[[str], None]) -> None:
    """Ask for each required value still missing; each answer is checked at once with the real checks."""
    schemas = repo.schemas
    say(f"新建{schemas.kind_label(draft.kind)}（直接回车跳过，稍后在文件中填写）")
    for fld in leaf_fields(schemas, draft.kind, draft.data):
        options = _options(schemas, fld, repo, draft)
        for _ in range(3):
            try:
                answer = read(_question(schemas, fld, options, repo))
            except EOFError:
                return
            if not answer.strip():
                break
            try:
                value = _answer(schemas, fld, answer, options, repo)
            except NewRecordError as exc:
                say(f"  ✗ {exc}")
                continue
            set_value(draft.data, fld.path, value)
            wrong = [d for d in draft.problems(schemas) if _about(d, fld) and d.code != "not-filled"]
            if not wrong:
                break
            say("  ✗ " + "；".join(d.message for d in wrong))
            set_value(draft.data, fld.path, [] if fld.type == "array" else None)
    draft.follow_year(repo)


def _about(diagnostic: Diagnostic, fld: Field) -> bool:
    return diagnostic.field == fld.dotted or diagnostic.field.startswith((fld.dotted + "[", fld.dotted + "."))


def _options(schemas: SchemaSet, fld: Field, repo: Repository, draft: Draft) -> list[tuple[str, str]]:
    """Numbered choices: the vocabulary's terms, or the records a reference can point to (when few)."""
    node, vocab = fld.items(schemas) if fld.type == "array" else (fld.schema, fld.vocab)
    if node.get("enum"):
        return [(str(term), str(term)) for term in node["enum"]]
    contract = draft.data.get("contract")
    if vocab == "contract_id":
        return [(r.id, str(r.get("name") or "")) for r in repo.of_kind("contract")]
    if vocab == "staff_id":
        staff = [r for r in repo.of_kind("staff") if contract is None or contract in (r.get("contracts") or [])]
        return [(r.id, f"{r.get('role') or ''} {r.get('title') or ''}".strip()) for r in staff]
    if vocab == "institution_id":
        found = repo.of_kind("institution")
        return [(r.id, str(r.get("name") or "")) for r in found] if len(found) <= 20 else []
    return []


def _question(schemas: SchemaSet, fld: Field, options: list[tuple[str, str]], repo: Repository) -> str:
    title = f"{fld.schema.get('title', fld.path[-1])}（{fld.dotted}）"
    many = fld.type == "array"
    if options:
        listing = "  ".join(f"{i}.{value}" + (f" {label}" if label != value and label else "") for i, (value, label) in enumerate(options, 1))
        tail = "输入序号或内容" + ("，可多选，用逗号或空格分隔" if many else "")
        return f"{title}：{listing}\n  {tail} > "
    if fld.type == "boolean":
        return f"{title}\n  是/否 > "
    desc = fld.schema.get("description") or ""
    tail = "可输入机构名称的一部分查找 " if fld.vocab == "institution_id" and repo.of_kind("institution") else ""
    tail += "多个用逗号分隔 " if many else ""
    return f"{title}" + (f"：{desc}" if desc else "") + f"\n  {tail}> "


def _answer(schemas: SchemaSet, fld: Field, answer: str, options: list[tuple[str, str]], repo: Repository) -> Any:
    text = answer.strip()
    if options:
        by_name = not (fld.items(schemas)[0] if fld.type == "array" else fld.schema).get("enum")
        picked = [_choice(p, options, by_name) for p in re.split(r"[,，、;；\s]+", text) if p]
        return picked if fld.type == "array" else picked[0]
    if fld.vocab == "institution_id" and not re.match(schemas.vocab("institution_id")["pattern"], text):
        return _institution_by_name(text, repo)
    return coerce(schemas, fld, text)


def _choice(piece: str, options: list[tuple[str, str]], by_name: bool = False) -> str:
    """An answer: the option's number or value; for records also a unique part of the name."""
    values = [value for value, _ in options]
    if piece.isdigit() and 1 <= int(piece) <= len(values):
        return values[int(piece) - 1]
    if piece in values:
        return piece
    if by_name:
        hits = [value for value, label in options if piece in label]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise NewRecordError(f"有 {len(hits)} 项包含“{piece}”：{'、'.join(hits[:10])}；请输入序号或编号")
    hint = nearest(piece, values)
    raise NewRecordError(f"“{piece}”不是可选项" + (f"；是不是“{hint}”？" if hint else ""))


def _institution_by_name(fragment: str, repo: Repository) -> str:
    hits = [r for r in repo.of_kind("institution") if fragment in str(r.get("name") or "")]
    if len(hits) == 1:
        return hits[0].id
    if not hits:
        raise NewRecordError(f"没有名称包含“{fragment}”的机构；请输入机构编码")
    shown = "；".join(f"{r.id} {r.get('name')}" for r in hits[:10])
    more = f" 等 {len(hits)} 家" if len(hits) > 10 else ""
    raise NewRecordError(f"有多家机构名称包含“{fragment}”：{shown}{more}；请输入编码或更完整的名称")


def write(root: Path, draft: Draft, schemas: SchemaSet) -> Path:
    target = root / draft.relpath
    if target.exists():
        raise NewRecordError(f"{draft.relpath} 已经存在")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(draft.text(schemas))
    return target
