"""Generated documents: an inspection's investigation report (调查报告) and a case's decision notice
(处理决定书) as .docx, filled from the record through templates the bureau edits in Word.

Which document type has a template, and for which record kind, is data: the ``x-template`` attribute
of the ``document_type`` vocabulary (document type -> record kind and template file name under the
repository's ``templates/``). :func:`default_template` writes the layout the repository ships
(title, reference number, facts, findings with amounts, legal basis, signatures); the bureau may
change it freely in Word as long as it keeps the ``{{ … }}`` fields (docxtpl's Jinja2 tags).

Record text is a value, never a template: the context holds plain strings, docxtpl renders the
template's own tags with XML escaping on (``autoescape``), and nothing from a record is parsed as
Jinja2. Confidential fields (``x-confidential``: a finding's evidence, a case's lead text and reward)
are never put in the context. The .docx is a zip; its members get a fixed timestamp so the same
record and template always give the same bytes, and so the same checksum.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.money import yuan
from ..core.record import Record

TEMPLATE_DIR = "templates"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Template:
    document_type: str
    kind: str
    file: str


def templates(vocabulary: dict) -> dict[str, Template]:
    """Record kind -> the template its generated document uses (``x-template`` of the vocabulary)."""
    out = {}
    for doc_type, spec in (vocabulary.get("x-template") or {}).items():
        if isinstance(spec, dict) and spec.get("kind") and spec.get("file"):
            out[spec["kind"]] = Template(doc_type, spec["kind"], spec["file"])
    return out


def _money(value: Any) -> str:
    return yuan(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else "—"


def _name(index: dict[tuple[str, str], Record], kind: str, ident: Any) -> str:
    found = index.get((kind, ident)) if isinstance(ident, str) else None
    return str(found.data.get("name")) if found is not None and found.data.get("name") else str(ident or "—")


def inspection_context(record: Record, index: dict[tuple[str, str], Record], number: str | None) -> dict:
    data = record.data
    findings = [f for f in data.get("findings") or [] if isinstance(f, dict)]
    total = sum((f["amount"] for f in findings if isinstance(f.get("amount"), (int, Decimal))), Decimal(0))
    sampling = data.get("sampling") if isinstance(data.get("sampling"), dict) else None
    contract = index.get(("contract", data.get("contract")))
    report = data.get("report") if isinstance(data.get("report"), dict) else {}
    return {
        "contractor": str(contract.data.get("contractor")) if contract else "",
        "bureau": str(contract.data.get("bureau")) if contract else "",
        "contract": str(data.get("contract")), "contract_name": _name(index, "contract", data.get("contract")),
        "id": str(data.get("id")), "number": number or str(report.get("document") or "〔    〕号"),
        "institution": str(data.get("institution")), "institution_name": _name(index, "institution", data.get("institution")),
        "type": str(data.get("type")), "on_site": "现场检查" if data.get("on_site") else "非现场检查",
        "start_date": str(data.get("start_date")), "end_date": str(data.get("end_date")),
        "inspectors": "、".join(map(str, data.get("inspectors") or [])), "bureau_staff": str(data.get("bureau_staff") or 0),
        "summary": str(data.get("summary") or "（未填写）"),
        "sampling": (f"抽审{sampling.get('basis')} {sampling.get('sampled')} 份（期间 {sampling.get('period_start')} 至 "
                     f"{sampling.get('period_end')}，共 {sampling.get('population')} 份），发现问题 {sampling.get('problem_records')} 份。")
        if sampling else "",
        "findings": [f"{i}. {f.get('violation_type')}：{f.get('description')}（涉及金额 {_money(f.get('amount'))} 元）"
                     for i, f in enumerate(findings, 1)],
        "total_amount": _money(total), "report_date": str(report.get("submitted_on") or data.get("end_date")),
    }


def case_context(record: Record, index: dict[tuple[str, str], Record], number: str | None) -> dict:
    data = record.data
    subject = data.get("subject") if isinstance(data.get("subject"), dict) else {}
    money = data.get("money") if isinstance(data.get("money"), dict) else {}
    timeline = data.get("timeline") if isinstance(data.get("timeline"), dict) else {}
    contract = index.get(("contract", data.get("contract")))
    who = (f"{_name(index, 'institution', subject['institution'])}（{subject['institution']}）" if subject.get("institution")
           else f"{subject.get('type')} {subject.get('person_code') or ''}".strip())
    amounts = [(label, money.get(key)) for key, label in (("involved", "涉及金额"), ("refused", "拒付金额"),
                                                            ("recovered", "追回金额"), ("fined", "罚款金额"))]
    return {
        "bureau": str(contract.data.get("bureau")) if contract else "",
        "contractor": str(contract.data.get("contractor")) if contract else "",
        "contract": str(data.get("contract")), "id": str(data.get("id")), "number": number or "〔    〕号",
        "subject": who, "summary": str(data.get("summary") or "（未填写）"),
        "violation_types": "、".join(map(str, data.get("violation_types") or [])),
        "amounts": [f"{label} {_money(value)} 元" for label, value in amounts if value is not None],
        "legal_basis": "；".join(map(str, data.get("legal_basis") or [])) or "（未填写）",
        "actions": [f"{i}. {a}" for i, a in enumerate(data.get("actions") or [], 1)],
        "filed_on": str(timeline.get("filed_on") or "—"), "notified_on": str(timeline.get("notified_on") or "—"),
        "decided_on": str(timeline.get("decided_on") or "—"),
    }


CONTEXTS = {"inspection": inspection_context, "case": case_context}


def render(template: Path, context: dict) -> bytes:
    """The filled .docx: the template's tags rendered with XML escaping, members at a fixed time."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(template))
    document.render(context, autoescape=True)
    raw = io.BytesIO()
    document.save(raw)
    return fixed_zip(raw.getvalue())


def fixed_zip(data: bytes) -> bytes:
    """The same zip with every member's timestamp fixed (so equal content gives equal bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


def text_of(data: bytes) -> str:
    """The paragraphs of a .docx as text, one a line (what a reader sees, for tests and checks)."""
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


# -- the layouts the repository ships ----------------------------------------------------------------------
LAYOUTS = {
    "inspection": [
        ("center", "{{ contractor }}", 14, False), ("center", "调 查 报 告", 22, True), ("center", "{{ number }}", 12, False),
        ("heading", "一、基本情况", 14, True),
        ("body", "被检查机构：{{ institution_name }}（{{ institution }}）", 12, False),
        ("body", "所属项目：{{ contract_name }}（{{ contract }}）；检查编号：{{ id }}", 12, False),
        ("body", "检查类型：{{ type }}（{{ on_site }}）；检查时间：{{ start_date }} 至 {{ end_date }}", 12, False),
        ("body", "检查人员（化名编号）：{{ inspectors }}；医保局参加人数：{{ bureau_staff }}", 12, False),
        ("heading", "二、检查情况", 14, True), ("body", "{{ summary }}", 12, False), ("body", "{{ sampling }}", 12, False),
        ("heading", "三、发现的问题", 14, True),
        ("body", "{%p for line in findings %}", 12, False), ("body", "{{ line }}", 12, False), ("body", "{%p endfor %}", 12, False),
        ("body", "合计涉及金额：{{ total_amount }} 元", 12, True),
        ("heading", "四、处理建议", 14, True), ("body", "（由检查组根据发现的问题填写处理建议。）", 12, False),
        ("body", "", 12, False), ("body", "检查人员（签名）：____________    ____________", 12, False),
        ("right", "{{ contractor }}（盖章）", 12, False), ("right", "{{ report_date }}", 12, False),
    ],
    "case": [
        ("center", "{{ bureau }}", 14, False), ("center", "处 理 决 定 书", 22, True), ("center", "{{ number }}", 12, False),
        ("body", "当事人：{{ subject }}", 12, False), ("body", "案件编号：{{ id }}（立案 {{ filed_on }}，告知 {{ notified_on }}）", 12, False),
        ("heading", "一、违法违规事实和证据", 14, True), ("body", "经查，{{ summary }}", 12, False),
        ("body", "违规类型：{{ violation_types }}", 12, False),
        ("body", "{%p for line in amounts %}", 12, False), ("body", "{{ line }}", 12, False), ("body", "{%p endfor %}", 12, False),
        ("body", "以上事实有调查报告、询问笔录等证据证实。", 12, False),
        ("heading", "二、处理依据和决定", 14, True), ("body", "依据 {{ legal_basis }}，决定如下：", 12, False),
        ("body", "{%p for line in actions %}", 12, False), ("body", "{{ line }}", 12, False), ("body", "{%p endfor %}", 12, False),
        ("heading", "三、履行方式和期限", 14, True), ("body", "（由医保局填写。）", 12, False),
        ("heading", "四、救济途径", 14, True),
        ("body", "如不服本决定，可以依法申请行政复议或者提起行政诉讼（途径和期限由医保局按法律规定填写）。", 12, False),
        ("body", "", 12, False), ("right", "{{ bureau }}（印章）", 12, False), ("right", "{{ decided_on }}", 12, False),
    ],
}


def default_template(kind: str) -> bytes:
    """The repository's template for ``kind`` as .docx bytes (python-docx; 宋体, A4)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.8)
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    for place, text, size, bold in LAYOUTS[kind]:
        paragraph = document.add_paragraph()
        paragraph.alignment = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}.get(place, WD_ALIGN_PARAGRAPH.LEFT)
        if place == "body":
            paragraph.paragraph_format.first_line_indent = Pt(size * 2)
        run = paragraph.add_run(text)
        run.font.size, run.font.bold = Pt(size), bold
    document.core_properties.author = "yibao"
    import datetime as _dt

    fixed = _dt.datetime(2024, 1, 1)
    document.core_properties.created = document.core_properties.modified = fixed
    document.core_properties.last_modified_by = "yibao"
    raw = io.BytesIO()
    document.save(raw)
    return fixed_zip(raw.getvalue())
