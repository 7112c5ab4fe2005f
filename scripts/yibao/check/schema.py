"""Schema check: JSON Schema errors turned into Chinese messages with stable codes."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.record import Record
from ..core.schemas import SchemaSet, nearest
from .findings import Findings

if TYPE_CHECKING:
    from jsonschema import ValidationError

_TYPE_NAMES = {
    "string": "文本", "integer": "整数", "number": "数字", "boolean": "布尔值（true 或 false）",
    "array": "列表", "object": "“字段: 值”映射", "null": "空值",
}


def _type_name(expected: Any) -> str:
    if isinstance(expected, list):
        return "或".join(_TYPE_NAMES.get(t, t) for t in expected)
    return _TYPE_NAMES.get(expected, str(expected))


def _shown(value: Any) -> str:
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "映射" if isinstance(value, dict) else "列表"
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def check_schema(record: Record, schemas: SchemaSet, findings: Findings) -> None:
    kind = record.kind
    for error in schemas.errors(kind, record.data):
        _report(error, record, schemas, findings)


def _report(error: ValidationError, record: Record, schemas: SchemaSet, findings: Findings) -> None:
    kind = record.kind
    at = tuple(error.absolute_path)
    title = schemas.title(kind, at)
    rule, value = error.validator, error.instance

    if rule == "required":
        present = value if isinstance(value, dict) else {}
        for name in error.validator_value:
            if name not in present:
                field_title = schemas.title(kind, at + (name,))
                where = f"{schemas.title(kind, at)}中" if at else ""
                findings.error("missing-field", f"{where}缺少必填字段 {name}（{field_title}）", at, key=bool(at))
        return
    if rule == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        for name in value:
            if name in known:
                continue
            hint = nearest(name, known)
            tip = f"；是不是 {hint}（{schemas.title(kind, at + (hint,))}）？" if hint else f"；可用字段：{', '.join(known)}"
            findings.error("unknown-field", f"未知字段 {name}{tip}", at + (name,), key=True)
        return
    if value is None and rule in ("type", "enum", "const") and at:
        findings.error("not-filled", f"{title}（{'.'.join(map(str, at))}）还没有填写；请填写后再提交", at)
        return
    if rule == "enum":
        info = schemas.field(kind, at)
        choices = [str(c) for c in error.validator_value]
        hint = nearest(str(value), choices)
        tip = f"；最接近的是“{hint}”" if hint else ""
        listing = "、".join(choices) if len(choices) <= 8 else ""
        vocab = f"（词表 {info.vocabulary}）" if info and info.vocabulary else ""
        more = f"。可选：{listing}" if listing else ""
        findings.error("unknown-term", f"{title}“{_shown(value)}”不在词表中{vocab}{tip}{more}", at)
        return
    if rule == "type":
        expected = error.validator_value
        message = f"{title}应为{_type_name(expected)}，现在是 {_shown(value)}"
        if expected == "string" and isinstance(value, (int, Decimal, bool)) and not isinstance(value, str):
            findings.error("unquoted-value", message + f"；YAML 会把未加引号的 {_shown(value)} 读成数字或布尔值，请加引号写成 \"{_shown(value)}\"", at)
        else:
            findings.error("wrong-type", message, at)
        return
    if rule == "format":
        findings.error("invalid-date", f"{title}“{_shown(value)}”不是有效日期；请写成 YYYY-MM-DD，并核对该日期是否存在", at)
        return
    if rule == "x-format":
        if error.validator_value == "yuan":
            findings.error("fen-fraction", f"{title} {value} 超过两位小数；金额以元为单位，最多精确到分", at)
        else:
            findings.error("invalid-uscc", f"{title}“{_shown(value)}”校验位不对或含非法字符（GB 32100）；请核对营业执照上的代码", at)
        return
    if rule == "pattern":
        info = schemas.field(kind, at)
        desc = f"：{info.description}" if info and info.description else ""
        findings.error("invalid-format", f"{title}“{_shown(value)}”格式不对{desc}", at)
        return
    if rule in ("minimum", "exclusiveMinimum"):
        info = schemas.field(kind, at)
        if info and info.x_format == "yuan":
            findings.error("negative-amount", f"{title}不能为负数（现在是 {value}）；退回、冲减请在说明中写明", at)
        else:
            findings.error("out-of-range", f"{title}（{value}）不能小于 {error.validator_value}", at)
        return
    if rule in ("maximum", "exclusiveMaximum"):
        findings.error("out-of-range", f"{title}（{value}）不能大于 {error.validator_value}", at)
        return
    if rule == "minItems":
        findings.error("too-few-items", f"{title}至少要有 {error.validator_value} 项", at)
        return
    if rule == "uniqueItems":
        findings.error("duplicate-items", f"{title}中有重复的项", at)
        return
    if rule == "minLength":
        findings.error("empty-text", f"{title}不能为空", at)
        return
    if rule == "maxLength":
        findings.error("text-too-long", f"{title}太长（最多 {error.validator_value} 个字符）", at)
        return
    if rule == "minProperties":
        findings.error("empty-object", f"{title}至少要填写一项内容", at)
        return
    findings.error("schema", f"{title}不符合要求（{error.message}）", at)
