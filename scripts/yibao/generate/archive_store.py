"""Synthetic case-file documents for the demo: the documents list of a record and the files behind it.

A synthetic document is a short UTF-8 text file marked 合成演示文件 whose bytes follow from the
record's ID and the entry's type, title, date and path alone, so the demo records can hold real
checksums while the files themselves are written into a document store outside git on demand
(``yibao archive demo-store``) — never committed. The documents a record gets follow its stage:
every type the vocabulary's ``x-required-at`` requires at the stages the record reached, and a few
more a real case file holds (笔录, 病历复印件, 送达回证, 财务凭证).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from ..core.archive import bytes_digest, documents, requirements
from ..core.record import as_date

#: ASCII file names in the store, by document type (the store path allows no other characters)
SLUGS = {"调查报告": "report", "询问笔录": "interview", "现场检查笔录": "site-record", "病历复印件": "medical-records",
         "财务凭证": "vouchers", "报销材料": "claims", "告知书": "notice", "处理决定书": "decision", "送达回证": "service",
         "整改报告": "rectification", "其他": "other"}
EXTENSION = ".txt"
MARK = "合成演示文件（yibao 生成，非真实文书）"


def synthetic_bytes(record_id: str, entry: dict) -> bytes:
    """The demo file for one documents entry: the same entry always gives the same bytes."""
    head = (f"{MARK}\n记录：{record_id}\n文书类型：{entry.get('type')}\n标题：{entry.get('title')}\n"
            f"日期：{entry.get('date')}\n存放位置：{entry.get('path')}\n")
    seed = hashlib.sha256(head.encode("utf-8")).digest()
    lines, block = [], seed
    for _ in range(8 + seed[0] % 24):  # 8 to 31 lines of filler, 64 hex digits each
        block = hashlib.sha256(block).digest()
        lines.append(block.hex())
    return (head + "正文（合成）：\n" + "\n".join(lines) + "\n").encode("utf-8")


def _entry(record_id: str, contract: str, n: int, doc_type: str, title: str, day, number: str | None = None) -> dict:
    entry = {"type": doc_type, "title": title}
    if number:
        entry["number"] = number
    entry["date"] = day
    entry["path"] = f"{contract}/{record_id}/{n:02d}-{SLUGS.get(doc_type, 'other')}{EXTENSION}"
    entry["sha256"], entry["size"] = bytes_digest(synthetic_bytes(record_id, entry))
    return entry


def documents_for(kind: str, data: dict, vocabulary: dict) -> list[dict]:
    """The demo documents list of an inspection or a case, by the stages it reached."""
    rid, contract = str(data.get("id")), str(data.get("contract"))
    wanted: list[tuple[str, str, object, str | None]] = []
    if kind == "inspection":
        report = data.get("report") if isinstance(data.get("report"), dict) else None
        if report is None:
            return []
        start, end = data.get("start_date"), data.get("end_date")
        if data.get("on_site"):
            wanted.append(("现场检查笔录", "现场检查笔录", start, None))
        if data.get("findings"):
            wanted.append(("询问笔录", "询问笔录（机构负责人）", end, None))
        if data.get("sampling"):
            wanted.append(("病历复印件", "抽审病历复印件（影像）", end, None))
        wanted.append(("调查报告", "调查报告", report.get("submitted_on"), report.get("document")))
    elif kind == "case":
        timeline = data.get("timeline") if isinstance(data.get("timeline"), dict) else {}
        if timeline.get("filed_on"):
            wanted.append(("询问笔录", "询问笔录", timeline.get("investigation_ended_on") or timeline["filed_on"], None))
        if timeline.get("investigation_ended_on"):
            wanted.append(("调查报告", "案件调查终结报告", timeline["investigation_ended_on"], None))
        if timeline.get("notified_on"):
            wanted.append(("告知书", "拟处理告知书", timeline["notified_on"], None))
        if timeline.get("decided_on"):
            wanted.append(("处理决定书", "处理决定书", timeline["decided_on"], None))
            wanted.append(("送达回证", "处理决定书送达回证", timeline["decided_on"], None))
        money = data.get("money") if isinstance(data.get("money"), dict) else {}
        if money.get("recovered") and timeline.get("closed_on"):
            wanted.append(("财务凭证", "追回基金缴款凭证", timeline["closed_on"], None))
    else:
        return []
    out = [_entry(rid, contract, n, t, title, as_date(day) or day, number)
           for n, (t, title, day, number) in enumerate(wanted, 1) if day]
    # whatever the vocabulary requires at the record's stage and the list above lacks
    probe = dict(data, documents=out)
    for req in requirements(vocabulary, kind, probe):
        if not req.present:
            out.append(_entry(rid, contract, len(out) + 1, req.type, req.type, _stage_date(data, req.field)))
    return out


def _stage_date(data: dict, dotted: str):
    value: object = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    day = as_date(value)
    if day is None and isinstance(value, dict):
        day = next((as_date(v) for v in value.values() if as_date(v)), None)
    return day or as_date(data.get("end_date")) or as_date(data.get("start_date"))


def with_documents(kind: str, data: dict, vocabulary: dict) -> dict:
    """``data`` with its demo documents (unchanged when it already lists some, or gets none)."""
    if data.get("documents"):
        return data
    found = documents_for(kind, data, vocabulary)
    return dict(data, documents=found) if found else data


def write_store(store: Path, records: Iterable[tuple[str, dict]]) -> tuple[int, int, int]:
    """Write every listed document of ``records`` (record ID, data) into ``store``.

    Returns (written, already there with the right bytes, skipped) — skipped are entries whose
    synthetic bytes do not match the recorded checksum (a real document the demo cannot make, or
    one disposed of): nothing is written for them, so ``yibao archive verify`` still tells.
    """
    written = same = skipped = 0
    for record_id, data in records:
        for doc in documents(data):
            entry = data["documents"][doc.index]
            if doc.disposed:
                skipped += 1
                continue
            content = synthetic_bytes(record_id, entry)
            if bytes_digest(content) != (doc.sha256, doc.size):
                skipped += 1
                continue
            target = Path(store) / doc.path
            if target.is_file() and target.read_bytes() == content:
                same += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written += 1
    return written, same, skipped
