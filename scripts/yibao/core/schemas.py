"""The schemas and the vocabulary: one source of truth for CI, editor hints and portal labels.

``schemas/<kind>.schema.json`` describes one record kind (JSON Schema draft 2020-12) and refers to
``schemas/vocabulary.schema.json`` for every controlled term. Besides standard keywords the
schemas carry a few annotations that the tool reads:

* ``title`` — the Chinese label of a field, used in error messages and on the portal;
* ``x-confidential: true`` — the field never reaches the portal;
* ``x-format: yuan`` — money: at most two decimals; ``x-format: uscc`` — 统一社会信用代码 with
  its GB 32100 check character;
* ``x-immutable: true`` — a fact fixed when the record is created: ``yibao check-changes`` refuses
  any later change to it;
* ``x-applies-to``, ``x-labels``, ``x-closed`` … in the vocabulary — facts about terms.

Relations between kinds are read off the same ``$ref``s (:attr:`SchemaSet.relations`): a field
whose value (or whose list's items) is ``vocabulary.schema.json#/$defs/<kind>_id`` refers to a
record of that kind. The reference checks, incremental re-checking, the pull-request gates and the
portal's "who names whom" all use them; none restates them.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import jsonschema_rs

from .codes import is_valid_uscc

if TYPE_CHECKING:
    from jsonschema import ValidationError

# The reference implementation (jsonschema) is imported when first needed: to explain a record
# the compiled validator refused, or to check a schema file. A run over unchanged or valid records
# never needs it, and importing it costs more than checking ten records.

VOCABULARY_FILE = "vocabulary.schema.json"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


#: The vocabulary attributes the checks and the figures decide by: without one, a rule would quietly
#: fall back to "no such term" (every inspection counted as carried out, no institution ever
#: terminated), so a vocabulary lacking any of them is refused when the schemas load.
#: tests/test_schemas.py checks that every ``x-`` attribute the code names is listed here or in
#: :data:`OPTIONAL_ATTRIBUTES`.
REQUIRED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "inspection_status": ("x-closed", "x-withdrawn", "x-planned", "x-unfinished", "x-reported"),
    "case_status": ("x-closed", "x-withdrawn", "x-timeline"),
    "record_status": ("x-withdrawn",),
    "protocol_status": ("x-terminated",),
    "day_type": ("x-working-days", "x-default"),
    "metric": ("x-defaults",),
    "sampling_basis": ("x-volume-field",),
    "inspection_type": ("x-requires-draw",),
    "document_type": ("x-required-at",),
    "case_action": ("x-fine", "x-recovery", "x-no-penalty", "x-referral"),
    "fine_basis": ("x-money-fields",),
    "staff_role": ("x-bureau",),
}
#: Attributes whose absence means what it says (no labels: the term is its own label; no rank, …).
OPTIONAL_ATTRIBUTES = frozenset({"x-labels", "x-id-prefix", "x-applies-to", "x-rank", "x-person", "x-format",
                                 "x-confidential", "x-immutable", "x-screening", "x-claims-role", "x-plan-rule",
                                 "x-retention-years", "x-template"})


def missing_attributes(vocabulary: dict) -> list[str]:
    """``name.x-attribute`` for every required attribute the vocabulary lacks (all of them at once)."""
    defs = vocabulary.get("$defs") if isinstance(vocabulary, dict) else None
    defs = defs if isinstance(defs, dict) else {}
    out = []
    for name, attributes in REQUIRED_ATTRIBUTES.items():
        entry = defs.get(name)
        if not isinstance(entry, dict):
            out.append(f"{name}（整个词汇缺失）")
            continue
        out.extend(f"{name}.{a}" for a in attributes if a not in entry)
    return out


class SchemaError(Exception):
    """The repository's schemas themselves are broken (exit code 2)."""


@dataclass(frozen=True, slots=True)
class FieldInfo:
    title: str
    confidential: bool = False
    vocabulary: str | None = None
    x_format: str | None = None
    description: str = ""
    json_type: Any = None


def _check_date(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    if not _ISO_DATE.match(instance):
        return False
    try:
        _dt.date.fromisoformat(instance)
    except ValueError:
        return False
    return True


def _x_format(validator: Any, kind: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if kind == "yuan" and isinstance(instance, Decimal) and instance.as_tuple().exponent < -2:
        yield ValidationError(f"{instance} has fractions of a fen", validator="x-format", validator_value=kind)
    elif kind == "uscc" and isinstance(instance, str) and not is_valid_uscc(instance):
        yield ValidationError(f"{instance} is not a valid USCC", validator="x-format", validator_value=kind)


@functools.lru_cache(maxsize=None)
def _ecma_regex(pattern: str) -> re.Pattern:
    """A schema pattern as JSON Schema means it: a final ``$`` matches only at the very end.

    Python's ``$`` also matches before a trailing newline, so ``"650203\\n"`` would pass
    ``^[1-8][0-9]{5}$``; jsonschema-rs (the fast path) refuses it, and so must the reference.
    """
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=None)
def _reference_class() -> Any:
    """Draft 2020-12 with ``x-format`` and ECMA-style ``pattern`` (see :func:`_ecma_regex`)."""
    import jsonschema

    return jsonschema.validators.extend(jsonschema.Draft202012Validator, {"x-format": _x_format, "pattern": _pattern})


@dataclass
class SchemaSet:
    root: Path
    schemas: dict[str, dict]
    vocabulary: dict
    fingerprint: str
    validators: dict[str, Any] = field(default_factory=dict)
    fast: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, dict[tuple, FieldInfo]] = field(default_factory=dict)
    x_formats: dict[str, list[tuple[tuple, str]]] = field(default_factory=dict)
    _fast_registry: Any = field(default=None, repr=False, compare=False)
    _registry: Any = field(default=None, repr=False, compare=False)
    _checker: Any = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, schema_dir: Path) -> "SchemaSet":
        digest = hashlib.sha256()
        try:
            vocab_bytes = (schema_dir / VOCABULARY_FILE).read_bytes()
            vocabulary = json.loads(vocab_bytes)
            digest.update(vocab_bytes)
            kinds = vocabulary["$defs"]["record_kind"]["enum"]
            schemas = {}
            for kind in kinds:
                raw = (schema_dir / f"{kind}.schema.json").read_bytes()
                digest.update(kind.encode() + b"\0" + raw)
                schemas[kind] = json.loads(raw)
        except (OSError, ValueError, KeyError) as exc:
            raise SchemaError(f"无法读取 schema（{schema_dir}）：{exc}") from exc
        missing = missing_attributes(vocabulary)
        if missing:
            raise SchemaError(f"{VOCABULARY_FILE} 缺少程序判断所依据的词汇属性：{'；'.join(missing)}。"
                              "这些属性决定哪些状态算计划中、已办结、已撤回、协议解除等，缺少时结果会悄然改变，所以不能省略"
                              "（值可以是空列表）；请从本版本的 schemas/vocabulary.schema.json 补上")
        self = cls(schema_dir, schemas, vocabulary, digest.hexdigest())
        for kind, schema in schemas.items():
            index: dict[tuple, FieldInfo] = {}
            self._index(schema, (), index)
            self.fields[kind] = index
            self.x_formats[kind] = [(p, info.x_format) for p, info in index.items() if info.x_format]
            # jsonschema-rs takes 30.0 for an integer; the strict loader's Decimal("30.0") is not one
            self.x_formats[kind] += [(p, "integer") for p, info in index.items() if info.json_type == "integer"]
        return self

    # -- vocabulary -------------------------------------------------------------------------
    @property
    def kinds(self) -> list[str]:
        return list(self.schemas)

    def vocab(self, name: str) -> dict:
        return self.vocabulary["$defs"][name]

    def terms(self, name: str) -> list[str]:
        return list(self.vocab(name).get("enum", []))

    def label(self, name: str, term: str) -> str:
        return self.vocab(name).get("x-labels", {}).get(term, term)

    def kind_label(self, kind: str) -> str:
        return self.label("record_kind", kind)

    # -- fields -------------------------------------------------------------------------------
    def resolve(self, node: dict) -> tuple[dict, str | None]:
        """A property's schema with its vocabulary ``$ref`` merged in, and the vocabulary's name (the
        one ``$ref`` resolver: the field model, ``yibao new`` and the pages all use it)."""
        ref = node.get("$ref")
        if not ref:
            return node, None
        target, _, pointer = ref.partition("#")
        doc = self.vocabulary if target == VOCABULARY_FILE else None
        if doc is None or not pointer.startswith("/$defs/"):
            return node, None
        name = pointer.split("/")[-1]
        merged = dict(doc["$defs"][name])
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged, name

    def _index(self, node: dict, path: tuple, index: dict[tuple, FieldInfo]) -> None:
        node, vocab_name = self.resolve(node)
        if path:
            vocab = vocab_name if vocab_name and "enum" in self.vocab(vocab_name) else None
            index[path] = FieldInfo(
                title=node.get("title", path[-1]),
                confidential=bool(node.get("x-confidential")),
                vocabulary=vocab,
                x_format=node.get("x-format"),
                description=node.get("description", ""),
                json_type=node.get("type"),
            )
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            items, item_vocab = self.resolve(node["items"])
            if path and item_vocab and "enum" in items:
                index[path] = dataclasses.replace(index[path], vocabulary=item_vocab)
            self._index_children(items, path, index)
        else:
            self._index_children(node, path, index)

    def _index_children(self, node: dict, path: tuple, index: dict[tuple, FieldInfo]) -> None:
        for name, sub in node.get("properties", {}).items():
            self._index(sub, path + (name,), index)

    def field(self, kind: str, path: tuple) -> FieldInfo | None:
        """Field info for a data path; list indices are ignored."""
        return self.fields.get(kind, {}).get(tuple(p for p in path if isinstance(p, str)))

    def title(self, kind: str, path: tuple) -> str:
        info = self.field(kind, path)
        if info is None:
            names = [p for p in path if isinstance(p, str)]
            return names[-1] if names else self.kind_label(kind)
        return info.title

    def confidential_paths(self, kind: str) -> list[tuple]:
        return [p for p, info in self.fields.get(kind, {}).items() if info.confidential]

    def format_paths(self, kind: str, x_format: str) -> list[tuple]:
        return [p for p, info in self.fields.get(kind, {}).items() if info.x_format == x_format]

    def field_names(self, kind: str, parent: tuple) -> list[str]:
        parent = tuple(p for p in parent if isinstance(p, str))
        return [p[-1] for p in self.fields.get(kind, {}) if p[:-1] == parent]

    # -- relations between kinds ----------------------------------------------------------------
    @functools.cached_property
    def relations(self) -> dict[tuple[str, str], str]:
        """(kind, dotted field path) -> the kind of record the field refers to, from the ``$ref``s.

        A field refers to another record when its value, or each item of its list, is a
        ``$defs/<kind>_id`` of the vocabulary (a record's own ``id`` names itself, not another).
        Only fields reachable by a dotted path count: a reference inside a list of objects (a
        draw's ``result``) is for the rule that reads that list to check."""
        ids = {f"{kind}_id": kind for kind in self.kinds}
        out: dict[tuple[str, str], str] = {}
        for kind, schema in self.schemas.items():
            self._find_relations(kind, schema, (), ids, out)
        return out

    def references_of(self, kind: str) -> tuple[tuple[str, str], ...]:
        """(dotted field path, kind referred to) of one kind's fields that refer to other records."""
        return self._references_by_kind.get(kind, ())

    @functools.cached_property
    def _references_by_kind(self) -> dict[str, tuple[tuple[str, str], ...]]:
        by_kind: dict[str, list[tuple[str, str]]] = {}
        for (source, dotted), target in self.relations.items():
            by_kind.setdefault(source, []).append((dotted, target))
        return {kind: tuple(pairs) for kind, pairs in by_kind.items()}

    def _find_relations(self, kind: str, node: dict, path: tuple, ids: dict[str, str], out: dict) -> None:
        for name, sub in node.get("properties", {}).items():
            if not isinstance(sub, dict):
                continue
            here = path + (name,)
            items = sub.get("items") if sub.get("type") == "array" else None
            target = ids.get(_def_name(sub)) or (ids.get(_def_name(items)) if isinstance(items, dict) else None)
            if target is not None and here != ("id",):
                out[(kind, ".".join(here))] = target
            elif "properties" in sub:
                self._find_relations(kind, sub, here, ids, out)

    # -- validation ----------------------------------------------------------------------------
    def _fast(self, kind: str) -> Any:
        """The compiled validator of a kind (jsonschema-rs), built on first use."""
        fast = self.fast.get(kind)
        if fast is None:
            if self._fast_registry is None:
                self._fast_registry = jsonschema_rs.Registry([(VOCABULARY_FILE, self.vocabulary)])
            try:
                fast = jsonschema_rs.validator_for(self.schemas[kind], registry=self._fast_registry, validate_formats=True)
            except ValueError as exc:  # jsonschema_rs.ValidationError: a broken schema; the reference says what is wrong
                self._reference(kind)
                raise SchemaError(f"{kind}.schema.json 不是有效的 JSON Schema：{exc}") from exc
            self.fast[kind] = fast
        return fast

    def _reference(self, kind: str) -> Any:
        """The reference validator of a kind (jsonschema), built when first needed; the schema is
        checked against the JSON Schema meta-schema on the way."""
        slow = self.validators.get(kind)
        if slow is None:
            import jsonschema
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            if self._registry is None:
                self._registry = Registry().with_resource(
                    VOCABULARY_FILE, Resource.from_contents(self.vocabulary, default_specification=DRAFT202012))
                self._checker = jsonschema.FormatChecker(formats=())
                self._checker.checks("date")(_check_date)
            schema = self.schemas[kind]
            try:
                _reference_class().check_schema(schema)
            except jsonschema.SchemaError as exc:
                raise SchemaError(f"{kind}.schema.json 不是有效的 JSON Schema：{exc.message}") from exc
            slow = self.validators[kind] = _reference_class()(schema, registry=self._registry, format_checker=self._checker)
        return slow

    def _compiled(self, kind: str) -> tuple[Any, Any]:
        """Both validators of a kind: (reference, compiled)."""
        return self._reference(kind), self._fast(kind)

    def check_all(self) -> None:
        """Compile every schema now (raises SchemaError for a broken one)."""
        for kind in self.schemas:
            self._compiled(kind)

    def errors(self, kind: str, data: dict) -> list[ValidationError]:
        """Schema errors of one record.

        The compiled validator (jsonschema-rs) answers "valid?" in microseconds; only when it says
        no, or a value with an ``x-format`` looks wrong, does the reference implementation
        (jsonschema) run to produce the detailed errors. Both read the same schema files.
        """
        if self._fast(kind).is_valid(data) and self._x_formats_ok(kind, data):
            return []
        return sorted(self._reference(kind).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))

    def slow_errors(self, kind: str, data: dict) -> list[ValidationError]:
        """The reference implementation alone (used by tests to prove the fast path agrees)."""
        return sorted(self._reference(kind).iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))

    def _x_formats_ok(self, kind: str, data: dict) -> bool:
        for path, fmt in self.x_formats[kind]:
            for value in _values_at(data, path):
                if fmt == "yuan" and isinstance(value, Decimal) and value.as_tuple().exponent < -2:
                    return False
                if fmt == "uscc" and isinstance(value, str) and not is_valid_uscc(value):
                    return False
                if fmt == "integer" and isinstance(value, Decimal):
                    return False
        return True


def _def_name(node: dict) -> str | None:
    """The vocabulary definition a node refers to (``#/$defs/<name>``), or None."""
    ref = node.get("$ref")
    prefix = f"{VOCABULARY_FILE}#/$defs/"
    return ref[len(prefix):] if isinstance(ref, str) and ref.startswith(prefix) else None


def _values_at(data: Any, path: tuple) -> Iterator[Any]:
    """Values at an item-agnostic path: lists on the way are expanded."""
    if isinstance(data, list):
        for item in data:
            yield from _values_at(item, path)
        return
    if not path:
        yield data
        return
    if isinstance(data, dict) and path[0] in data:
        yield from _values_at(data[path[0]], path[1:])


def nearest(value: str, choices: list[str]) -> str | None:
    """The closest choice to a mistyped value (character similarity, works for Chinese)."""
    if not isinstance(value, str) or not choices:
        return None
    found = difflib.get_close_matches(value, choices, n=1, cutoff=0.34)
    if found:
        return found[0]
    # a typed fragment of a longer term (“重复” for “重复收费”)
    contains = [c for c in choices if value and (value in c or c in value)]
    return contains[0] if contains else None
