"""Strict YAML loading: a record is read exactly as written, or refused with a reason.

libyaml's C parser composes the node tree; this module turns nodes into values under rules
stricter than YAML 1.1 (what PyYAML implements) so that no reader can see a different value than
the person who typed it:

* only ``true``/``false`` are booleans; ``yes``/``no``/``on``/``off`` are refused (quote them);
* only plain decimal integers (``12``, ``-3``) and decimals (``12480.50``) are numbers; octal,
  hex, ``1_000``, ``+5``, ``1e3``, ``.inf`` and sexagesimal forms are refused; decimals become
  :class:`decimal.Decimal` so ``12480.50`` keeps its two places;
* dates are ``YYYY-MM-DD`` and must exist; they stay ISO strings;
* anchors, aliases, merge keys and explicit tags are refused, so ``!!python/...`` never
  constructs anything (nothing is constructed from tags at all);
* duplicate keys, non-string keys, several documents, an empty file or a top level that is not a
  mapping are refused.

There is no pure-Python fallback: without libyaml the loader refuses to run.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

try:  # libyaml is a hard requirement: the pure-Python parser is ~10x slower.
    from yaml import CSafeLoader as _CSafeLoader
except ImportError as exc:  # pragma: no cover - depends on the PyYAML build
    raise ImportError("PyYAML 未带 libyaml C 扩展；请安装带 libyaml 的 PyYAML（pip install pyyaml）") from exc

_SPECIAL_WORDS = frozenset(
    "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL".split()
)


class _CLoader(_CSafeLoader):
    """libyaml's C composer with a quicker implicit resolver.

    PyYAML asks the Python resolver for the tag of every scalar. Most of ours are Chinese text,
    codes or field names, which can only be strings; those are answered at once. Anything that
    could be a YAML 1.1 number, date, boolean, null, merge or value key goes to PyYAML's own
    resolver, so the tags (and thus what is refused) are exactly PyYAML's.
    """

    def resolve(self, kind, value, implicit):  # noqa: D401 - PyYAML's signature
        if kind is yaml.ScalarNode and implicit[0] and value:
            first = value[0]
            if first not in "0123456789+-.:~<=" and value not in _SPECIAL_WORDS:
                return _T + "str"
        return super().resolve(kind, value, implicit)

_T = "tag:yaml.org,2002:"
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+\Z")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
# Plain scalars that YAML 1.1 reads as strings but YAML 1.2 (core schema) reads as numbers.
_YAML12_NUMBER = re.compile(
    r"(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|0o[0-7]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_NUMBER_START = frozenset("0123456789+-.")
# Limits of the loader, the same whatever PyYAML or libyaml build is installed. No record nests
# deeper than a handful of levels; libyaml itself stops at 1,000 in PyYAML >= 6.0.4 and Python's
# recursion limit stops a deeper tree earlier in older builds, so the loader refuses at its own
# depth first. A number longer than any amount or count in a record is refused before ``int()``
# (Python refuses to convert more than 4,300 digits and a long Decimal slows every sum).
MAX_DEPTH = 64
MAX_DIGITS = 18


@dataclass(frozen=True, slots=True)
class Problem:
    """A reason to refuse a file, at a 1-based line and column."""

    code: str
    message: str
    line: int = 1
    col: int = 1


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """Decode UTF-8 (a leading byte-order mark is allowed and dropped)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        col = exc.start - (head.rfind(b"\n") + 1) + 1
        return None, Problem("not-utf8", f"文件不是 UTF-8 编码（第 {exc.start + 1} 个字节无法解码）；请用 UTF-8 保存", line, col)


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _scan_events(text: str) -> list[Problem]:
    """Anchors, aliases and explicit tags, found from the event stream."""
    problems: list[Problem] = []
    try:
        for event in yaml.parse(text, Loader=_CLoader):
            line, col = _pos(event.start_mark)
            if isinstance(event, yaml.AliasEvent):
                problems.append(Problem("yaml-alias", f"不允许使用别名 *{event.anchor}；请把内容完整写出", line, col))
                continue
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                problems.append(Problem("yaml-anchor", f"不允许使用锚点 &{anchor}；请把内容完整写出", line, col))
            tag = getattr(event, "tag", None)
            if tag is not None and not isinstance(event, (yaml.DocumentStartEvent, yaml.StreamStartEvent)):
                problems.append(Problem("yaml-tag", f"不允许使用 YAML 标签 {tag}；值只能是普通文本、数字、日期或布尔值", line, col))
    except yaml.MarkedYAMLError as exc:
        if problems:  # the composer is not reached when anchors or tags were found
            problems.append(_syntax_problem(exc))
    except yaml.YAMLError as exc:  # a reader error (control character) has no mark
        problems.append(_reader_problem(exc, text))
    return problems


def _syntax_problem(exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = _pos(mark)
    problem = (exc.problem or "").strip()
    if "maximum nesting depth" in problem:  # libyaml's own limit (PyYAML >= 6.0.4)
        return _too_deep(line, col)
    if "expected a single document" in problem or "but found another document" in problem:
        return Problem("multiple-documents", "一个文件只能有一条记录（只能有一个 YAML 文档）；请删除 --- 之后的内容或拆成多个文件", line, col)
    detail = f"（{exc.context}，{problem}）" if exc.context else f"（{problem}）"
    return Problem("yaml-syntax", f"YAML 语法错误{detail}；请检查缩进、冒号和引号", line, col)


def _too_deep(line: int, col: int) -> Problem:
    return Problem("too-deep", f"记录嵌套层数过多（最多 {MAX_DEPTH} 层），无法读取；请检查是否有多余的括号或缩进", line, col)


def _reader_problem(exc: yaml.YAMLError, text: str) -> Problem:
    """A character YAML does not allow (a control character), at its line and column."""
    position = getattr(exc, "position", None)
    if not isinstance(position, int):
        return Problem("yaml-syntax", f"YAML 无法读取（{exc}）")
    head = text.encode("utf-8")[:position].decode("utf-8", "ignore")  # libyaml counts UTF-8 bytes
    line, col = head.count("\n") + 1, len(head) - (head.rfind("\n") + 1) + 1
    code = getattr(exc, "character", 0)
    shown = f"U+{code:04X}" if isinstance(code, int) else repr(code)
    return Problem("control-character", f"文件含有 YAML 不允许的控制字符 {shown}；请删除它（常见于从其他软件复制粘贴的文字）", line, col)


def _ambiguous(node: Any, meaning: str) -> _Refused:
    line, col = _pos(node.start_mark)
    value = node.value
    return _Refused(Problem(
        "ambiguous-value",
        f"未加引号的值 {value} 会被不同的 YAML 读取器读成{meaning}，含义不确定；文本请加引号写成 \"{value}\"",
        line, col,
    ))


def _scalar(node: Any) -> Any:
    value: str = node.value
    if node.style not in ("", None):  # quoted or block scalar: always text
        return value
    tag = node.tag
    if tag == _T + "str":
        if value and value[0] in _NUMBER_START and _YAML12_NUMBER.match(value):
            raise _ambiguous(node, "数字")
        return value
    digits = sum(c.isdigit() for c in value) if len(value) > MAX_DIGITS else 0
    if digits > MAX_DIGITS and tag in (_T + "int", _T + "float"):
        line, col = _pos(node.start_mark)
        raise _Refused(Problem(
            "number-too-large",
            f"数值位数过多（{digits} 位数字，最多 {MAX_DIGITS} 位）；金额和数量不会这么长，编码类文字请加引号",
            line, col,
        ))
    if tag == _T + "int":
        if _INT.match(value):
            return int(value)
        raise _ambiguous(node, f"整数 {_yaml11(node)}")
    if tag == _T + "float":
        if _DECIMAL.match(value):
            return Decimal(value)
        raise _ambiguous(node, f"数字 {_yaml11(node)}")
    if tag == _T + "bool":
        if value in ("true", "false"):
            return value == "true"
        raise _ambiguous(node, f"布尔值 {_yaml11(node)}")
    if tag == _T + "null":
        return None
    if tag == _T + "timestamp":
        match = _ISO_DATE.match(value)
        if not match:
            line, col = _pos(node.start_mark)
            raise _Refused(Problem("invalid-date", f"日期 {value} 格式不对；请写成 YYYY-MM-DD（例如 2024-10-08），只写日期不写时间", line, col))
        try:
            _dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            line, col = _pos(node.start_mark)
            raise _Refused(Problem("invalid-date", f"日期 {value} 不存在；请核对年月日", line, col)) from None
        return value
    # merge key (<<), value key (=) or anything else YAML 1.1 gives a special meaning
    raise _ambiguous(node, "特殊值")


def _yaml11(node: Any) -> str:
    """What PyYAML (YAML 1.1) would make of a plain scalar, for the error message."""
    try:
        return repr(yaml.load(node.value, Loader=_CLoader))
    except (yaml.YAMLError, ValueError, OverflowError, TypeError):  # what YAML 1.1 cannot make of it either
        return node.value


class _Builder:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def build(self, node: Any, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            try:
                return _scalar(node)
            except _Refused as refused:
                self.problems.append(refused.problem)
                return None
        if depth >= MAX_DEPTH:
            raise _Refused(_too_deep(*_pos(node.start_mark)))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        return self.mapping(node, depth + 1)

    def mapping(self, node: Any, depth: int = 1) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line, col = _pos(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or (key_node.tag != _T + "str" and key_node.style in ("", None)):
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _T + "merge":
                    self.problems.append(Problem("yaml-merge", "不允许使用合并键 <<；请把字段完整写出", line, col))
                else:
                    shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "…"
                    self.problems.append(Problem("non-text-key", f"字段名 {shown} 必须是文本（英文字段名）", line, col))
                continue
            key = key_node.value
            if key in result or key in first_line:
                self.problems.append(Problem("duplicate-key", f"字段 {key} 重复（第一次出现在第 {first_line[key]} 行）；同一层级每个字段只能写一次", line, col))
                continue
            first_line[key] = line
            result[key] = self.build(value_node, depth)
        return result


def parse(text: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parse one record. Returns ``(mapping, [])`` or ``(None, problems)``."""
    if not text.strip():
        return None, [Problem("empty-file", "文件是空的；每个文件应包含一条记录")]
    if "&" in text or "*" in text or "!" in text:
        problems = _scan_events(text)
        if problems:
            return None, problems
    loader = _CLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc)]
    except yaml.YAMLError as exc:
        return None, [_reader_problem(exc, text)]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem("empty-file", "文件没有内容（只有注释）；每个文件应包含一条记录")]
    if not isinstance(node, yaml.MappingNode):
        line, col = _pos(node.start_mark)
        return None, [Problem("not-a-mapping", "记录的最外层必须是“字段: 值”的映射，而不是列表或单个值", line, col)]
    builder = _Builder()
    try:
        value = builder.mapping(node)
    except _Refused as refused:
        return None, [refused.problem]
    if builder.problems:
        return None, builder.problems
    return value, []


def load_bytes(data: bytes) -> tuple[dict[str, Any] | None, list[Problem], str | None]:
    """Decode and parse; returns ``(mapping, problems, text)``."""
    text, problem = decode(data)
    if problem is not None:
        return None, [problem], None
    value, problems = parse(text)
    return value, problems, text


def compose(text: str) -> Any:
    """The node tree of a text known to parse (used only to place error messages)."""
    loader = _CLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def locate(text: str | Any, path: tuple, key: bool = False) -> tuple[int, int]:
    """1-based (line, column) of the value at ``path`` (or of its key when ``key``).

    ``text`` is the file's text or a tree from :func:`compose`. Follows the path as far as it
    exists, so a missing field is reported at its parent. Only used for files with an error:
    a valid file is parsed once.
    """
    node = compose(text) if isinstance(text, str) else text
    if node is None:
        return 1, 1
    best = node.start_mark
    last = len(path) - 1
    for index, step in enumerate(path):
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            pair = next((p for p in node.value if isinstance(p[0], yaml.ScalarNode) and p[0].value == step), None)
            if pair is None:
                break
            key_node, node = pair
            if key and index == last:
                best = key_node.start_mark
                break
            # a nested mapping or list starts on the line after its key: point at the key
            best = node.start_mark if isinstance(node, yaml.ScalarNode) else key_node.start_mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            best = node.start_mark
        else:
            break
    return _pos(best)
