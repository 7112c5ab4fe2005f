"""Case files (一案一卷) in the portal: each inspection's and case's documents, how long each is
kept, and whether the file holds what its stage requires.

The section goes under the record's own page (:data:`EXTRA`); the ``documents`` field is shown
here instead of in the generic field list (:data:`SHOWN_APART`). Only what the record says is shown:
type, title, number, date, size, the first digits of the checksum and the date the document may be
disposed of (retention from the vocabulary and the contract, :mod:`yibao.core.archive`); the files
stay in the document store and the portal never links to them. A document dated after the as-of
date is left out; a keep-until date is a due date, marked as one.
"""
from __future__ import annotations

from ..core import archive
from ..core.record import Record
from . import pages as P
from .html import EMPTY, esc, fmt, join, table, tag

SHOWN_APART = {"inspection": ("documents",), "case": ("documents",)}


def case_file(site: "P.Site", record: Record, page: str) -> str:
    vocabulary = site.schemas.vocab(archive.VOCABULARY)
    contract = site.get("contract", record.get("contract"))
    terms = contract.data if contract is not None else None
    shown = [d for d in archive.documents(record.data) if d.date is None or d.date <= site.as_of]
    items = record.data.get("documents") if isinstance(record.data.get("documents"), list) else []
    as_of = dict(record.data, documents=[items[d.index] for d in shown])
    required = archive.requirements(vocabulary, record.kind, as_of)
    if not shown and not required:
        return ""
    rows, keys = [], []
    for doc in shown:
        entry = items[doc.index]
        until = archive.keep_until(vocabulary, terms, doc)
        years = archive.retention_years(vocabulary, terms, doc.type)
        kept = join([P.date_span(str(until), P.DUE_CLASS), f"（{years} 年）"]) if until else esc("未规定")
        state = f"已销毁（{doc.disposal_date}）" if doc.disposed else "在库"
        rows.append([doc.type, doc.title, entry.get("number") or EMPTY, fmt(entry.get("date")), fmt(doc.size),
                     tag("code", doc.sha256[:12] + "…", title=doc.sha256), kept,
                     state + ("，含个人信息" if entry.get("personal_data") else "") + ("，yibao 生成" if entry.get("generated") else "")])
        keys.append([None, None, None, None, doc.size, None, None, None])
    parts = []
    if required:
        missing = [r for r in required if not r.present]
        checks = [tag("li", f"{'✓' if r.present else '✗ 缺少'} {r.type}（{site.title(record.kind, tuple(r.field.split('.')))}）",
                      class_="yb-ok" if r.present else "yb-bad") for r in required]
        head = "案卷完整：本阶段应有的文书都已登记。" if not missing else f"案卷不完整：缺少 {len(missing)} 份本阶段应有的文书。"
        parts += [tag("p", head, class_="yb-note"), tag("ul", join(checks))]
    parts.append(table(["文书类型", "标题", "文号", "日期", "字节数", "SHA-256", "保存至", "状态"], rows, empty="（未登记文书）"))
    parts.append(tag("p", "文书保存在仓库之外的文书库，本页只列出记录中的校验和；移交时用 yibao archive verify 和 yibao manifest verify 复核。"
                     "保管期限取词表规定的最短年数与服务项目合同规定的年数中较长者；“未规定”表示两者都没有规定。", class_="yb-note"))
    return P.section("案卷文书（一案一卷）", *parts)


EXTRA = {"inspection": case_file, "case": case_file}
