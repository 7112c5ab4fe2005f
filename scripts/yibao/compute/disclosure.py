"""一公开: what the public may know of each 双随机 draw as of a date, and of the inspections it led to.

For each draw that exists on the date: its date, contract, purpose, method, seed and where the seed
was announced, the frame's and the pool's SHA-256 and sizes (so anyone can re-run it, README
“双随机抽取与复核”), and what it selected: each institution (code, name and type: institutions are
public) with the inspectors drawn for it by staff ID only (staff records hold pseudonymous IDs,
never names). After the inspection, its outcome: whether it was carried out and when, how many
problems it found and of which violation types, and whether a case was opened from it.

Nothing else leaves: no finding descriptions, amounts or evidence, no case IDs or contents, no field
the schemas mark ``x-confidential``. Facts dated after the date are not shown (the records' state
as of the date, :mod:`yibao.compute.as_of`). Statuses are read through the vocabulary's
``x-planned``, ``x-unfinished`` and ``x-withdrawn`` attributes.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
from typing import Iterable

from ..core.record import Record
from ..core.schemas import SchemaSet
from ..core.textsafe import spreadsheet_cell
from .as_of import rules_for

#: the columns of the flat table (one row per selected institution), with their Chinese headers
COLUMNS = (("draw", "抽取编号"), ("date", "抽取日期"), ("contract", "所属项目"), ("purpose", "抽取用途"),
           ("algorithm", "抽取算法"), ("seed", "随机种子"), ("seed_source", "种子来源"),
           ("frame_size", "抽取范围机构数"), ("frame_sha256", "抽取范围 SHA-256"),
           ("pool_size", "人员库人数"), ("pool_sha256", "人员库 SHA-256"),
           ("institution", "抽中机构编码"), ("institution_name", "抽中机构名称"), ("institution_type", "机构类型"),
           ("inspectors", "抽中检查人员（编号）"), ("inspection", "检查编号"), ("inspection_status", "检查状态"),
           ("carried_out", "是否已实施"), ("start_date", "检查开始日期"), ("end_date", "检查结束日期"),
           ("findings", "发现问题数"), ("violation_types", "问题类型"), ("case_opened", "是否立案"))


def _terms(schemas: SchemaSet, kind: str, attribute: str) -> frozenset[str]:
    info = schemas.field(kind, ("status",))
    return frozenset(schemas.vocab(info.vocabulary).get(attribute, []) if info and info.vocabulary else [])


def _list(value) -> list:
    return value if isinstance(value, list) else []


def draws_disclosure(records: Iterable[Record], schemas: SchemaSet, as_of: _dt.date) -> list[dict]:
    """Every draw that exists on ``as_of`` (by date, then ID), as the public may see it."""
    rules = rules_for(schemas)
    by_kind: dict[str, list[Record]] = {}
    for record in records:
        if record.kind in ("draw", "inspection", "case", "institution", "contract"):
            by_kind.setdefault(record.kind, []).append(record)

    def now(kind: str, keep=lambda r: True) -> list[Record]:
        out = []
        for record in by_kind.get(kind, []):
            if keep(record):
                state = rules.state(record, as_of)
                if state.exists:
                    out.append(state.record)
        return out

    draws = sorted(now("draw"), key=lambda r: (str(r.get("date")), r.id or ""))
    if not draws:
        return []
    drawn_ids = {r.id for r in draws}
    withdrawn_i, planned, unfinished = (_terms(schemas, "inspection", a) for a in ("x-withdrawn", "x-planned", "x-unfinished"))
    withdrawn_c = _terms(schemas, "case", "x-withdrawn")
    inspections = [r for r in now("inspection", lambda r: r.get("draw") in drawn_ids) if r.get("status") not in withdrawn_i]
    by_target: dict[tuple, list[Record]] = {}
    for r in inspections:
        by_target.setdefault((r.get("draw"), r.get("institution")), []).append(r)
    wanted = {r.id for r in inspections}
    opened = {i for c in now("case", lambda c: bool(wanted & set(_list(c.get("related_inspections")))))
              if c.get("status") not in withdrawn_c for i in _list(c.get("related_inspections"))}
    institutions = {r.id: r for r in by_kind.get("institution", [])}
    contracts = {r.id: r for r in by_kind.get("contract", [])}
    out = []
    for draw in draws:
        frame = draw.get("frame") if isinstance(draw.get("frame"), dict) else {}
        pool = draw.get("pool") if isinstance(draw.get("pool"), dict) else {}
        selected = []
        for entry in _list(draw.get("result")):
            if not isinstance(entry, dict):
                continue
            ident = entry.get("institution")
            institution = institutions.get(ident)
            found = sorted(by_target.get((draw.id, ident), []), key=lambda r: (str(r.get("start_date")), r.id or ""))
            selected.append({
                "institution": ident,
                "institution_name": institution.get("name") if institution else None,
                "institution_type": institution.get("type") if institution else None,
                "inspectors": [p for p in _list(entry.get("inspectors")) if isinstance(p, str)],
                "inspection": outcome(found[-1], planned, unfinished, opened) if found else None,
            })
        contract = contracts.get(draw.get("contract"))
        out.append({
            "draw": draw.id, "date": str(draw.get("date")), "contract": draw.get("contract"),
            "contract_name": contract.get("name") if contract else None, "purpose": draw.get("purpose"),
            "algorithm": draw.get("algorithm"), "algorithm_label": schemas.label("draw_algorithm", str(draw.get("algorithm"))),
            "seed": draw.get("seed"), "seed_source": draw.get("seed_source"),
            "frame": {key: frame.get(key) for key in ("description", "institution_types", "levels", "risk_tiers", "not_inspected_months",
                                                     "count", "per_type", "per_risk_tier", "strata", "size", "ids_sha256") if key in frame},
            "pool": {key: pool.get(key) for key in ("size", "ids_sha256", "min_per_target", "exclude_last_inspectors", "roles") if key in pool},
            "selected": selected,
        })
    return out


def outcome(inspection: Record, planned: frozenset[str], unfinished: frozenset[str], opened: set[str]) -> dict:
    """What the public may know of an inspection as of the date: never descriptions, amounts or evidence."""
    status = inspection.get("status")
    ended = status not in unfinished and status not in planned
    findings = [f for f in _list(inspection.get("findings")) if isinstance(f, dict)] if ended else []
    return {
        "id": inspection.id, "status": status, "carried_out": status not in planned,
        "start_date": None if status in planned else _iso(inspection.get("start_date")),
        "end_date": _iso(inspection.get("end_date")) if ended else None,
        "findings": len(findings) if ended else None,
        "violation_types": list(dict.fromkeys(f.get("violation_type") for f in findings if isinstance(f.get("violation_type"), str))),
        "case_opened": inspection.id in opened if ended else None,
    }


def _iso(value) -> str | None:
    return None if value is None else str(value)


def rows(disclosed: list[dict]) -> list[dict]:
    """One flat row per selected institution (the CSV's rows), keys as :data:`COLUMNS`."""
    out = []
    for draw in disclosed:
        for entry in draw["selected"]:
            done = entry["inspection"] or {}
            out.append({
                "draw": draw["draw"], "date": draw["date"], "contract": draw["contract"], "purpose": draw["purpose"],
                "algorithm": draw["algorithm"], "seed": draw["seed"], "seed_source": draw["seed_source"],
                "frame_size": draw["frame"].get("size"), "frame_sha256": draw["frame"].get("ids_sha256"),
                "pool_size": draw["pool"].get("size"), "pool_sha256": draw["pool"].get("ids_sha256"),
                "institution": entry["institution"], "institution_name": entry["institution_name"],
                "institution_type": entry["institution_type"], "inspectors": "、".join(entry["inspectors"]),
                "inspection": done.get("id"), "inspection_status": done.get("status") or "尚无检查记录",
                "carried_out": _yes_no(done.get("carried_out")) if done else "否",
                "start_date": done.get("start_date"), "end_date": done.get("end_date"), "findings": done.get("findings"),
                "violation_types": "、".join(done.get("violation_types") or []), "case_opened": _yes_no(done.get("case_opened")),
            })
    return out


def _yes_no(value) -> str:
    return "" if value is None else "是" if value else "否"


def to_csv(disclosed: list[dict]) -> str:
    """The flat table as CSV with Chinese headers (UTF-8 with BOM, so spreadsheet programs read it as UTF-8);
    a text cell that a spreadsheet would take for a formula gets a leading ``'`` (:func:`~yibao.core.textsafe.spreadsheet_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([label for _, label in COLUMNS])
    for row in rows(disclosed):
        writer.writerow([_cell(row[key]) for key, _ in COLUMNS])
    return "\ufeff" + buffer.getvalue()


def _cell(value) -> object:
    return "" if value is None else spreadsheet_cell(value)
