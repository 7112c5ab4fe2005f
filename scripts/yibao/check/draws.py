"""双随机 draws re-run in CI, and double-random inspections bound to their draw.

- ``draw-not-reproducible`` (error): a draw record, re-run from the repository's own data as of
  its date (frame: the contract's scope institutions of the draw's types on that day, filtered by
  the frame's ``levels``, ``risk_tiers`` and ``not_inspected_months`` when it has them, stratified
  by type or, with ``per_risk_tier``, by risk tier; pool: the contract's team on that day,
  including the bureau's inspectors who list the contract; conflicts: the conflicts (回避) staff
  declared on or before that day, and who inspected each institution last time when the draw
  excludes them; roles: the pool's ``roles`` requirements), does not give the recorded frame hash
  and size, pool hash and size, or the recorded institutions and inspectors.
- ``inspector-conflict`` (warning): an inspector had declared a conflict (回避) with the inspected
  institution on or before the inspection's start.
- ``draw-mismatch`` (error): an inspection names a draw of another contract, a draw that did not
  select its institution, or inspectors other than those drawn for it; or its type requires a draw
  (``x-requires-draw`` of ``inspection_type``: the type and the first start date it applies to)
  and it names none.

The algorithm is :mod:`yibao.core.draw`; ``yibao draw`` writes records with the same code.
"""
from __future__ import annotations

from ..core import draw as algo
from ..core.calendar import to_date
from ..core.record import Record
from ..core.schemas import SchemaSet
from ..core.scope import ScopeTerms


def withdrawn_terms(schemas: SchemaSet, kind: str) -> list[str]:
    return status_terms(schemas, kind, "x-withdrawn")


def status_terms(schemas: SchemaSet, kind: str, attribute: str) -> list[str]:
    """The terms of a kind's status vocabulary marked with an ``x-`` attribute."""
    info = schemas.field(kind, ("status",))
    return schemas.vocab(info.vocabulary).get(attribute, []) if info and info.vocabulary else []


def reproduce(record: Record, contract: Record, institutions, staff, inspections, schemas: SchemaSet):
    """(algo.Draw or None, Chinese reason when it cannot be made) for a draw record's inputs."""
    day = to_date(record.get("date"))
    frame_spec = record.get("frame") if isinstance(record.get("frame"), dict) else {}
    pool_spec = record.get("pool") if isinstance(record.get("pool"), dict) else {}
    if day is None:
        return None, "抽取日期无效"
    types = frame_spec.get("institution_types") if isinstance(frame_spec.get("institution_types"), list) else []
    levels, months = frame_spec.get("levels"), frame_spec.get("not_inspected_months")
    tiers, by_tier = frame_spec.get("risk_tiers"), frame_spec.get("per_risk_tier") is not None
    if levels is not None and not (isinstance(levels, list) and levels and all(isinstance(v, str) for v in levels)):
        return None, "机构等级筛选（levels）应为等级列表"
    if tiers is not None and not (isinstance(tiers, list) and tiers and all(isinstance(v, str) for v in tiers)):
        return None, "风险等级筛选（risk_tiers）应为风险等级列表"
    if by_tier and frame_spec.get("per_type"):
        return None, "不能同时按机构类型（per_type）和风险等级（per_risk_tier）分层"
    if by_tier and not (isinstance(frame_spec.get("per_risk_tier"), dict) and frame_spec.get("per_risk_tier")):
        return None, "分风险等级抽取数（per_risk_tier）应为风险等级和数量"
    roles_spec, required = pool_spec.get("roles", []), []
    if not isinstance(roles_spec, list):
        return None, "人员岗位要求（roles）应为列表"
    for item in roles_spec:
        if not (isinstance(item, dict) and isinstance(item.get("role"), str) and algo.whole_number(item.get("min"))):
            return None, "人员岗位要求（roles）每项应写岗位和人数"
        required.append((item["role"], item["min"]))
    if months is not None and not (algo.whole_number(months) and months >= 1):
        return None, "“近 N 个月未检查”筛选（not_inspected_months）应为正整数"
    skipped = [*withdrawn_terms(schemas, "inspection"), *status_terms(schemas, "inspection", "x-planned")]
    frame = algo.frame_of(contract, institutions, day, types, ScopeTerms.of(schemas), levels=levels,
                          not_inspected_months=months, inspections=inspections, skip_statuses=skipped,
                          risk_tiers=tiers, by_risk_tier=by_tier)
    pool = algo.pool_of(contract.id, staff, day, withdrawn_terms(schemas, "staff"))
    in_pool = set(pool)
    members = [p for p in staff if p.id in in_pool]
    conflicts = algo.declared_conflicts(members, day)
    if pool_spec.get("exclude_last_inspectors") is True:
        conflicts = algo.merge_conflicts(conflicts, algo.last_inspectors(inspections, day, skipped))
    roles = {p.id: p.get("role") for p in members}
    counts = algo.counts_of(frame_spec)
    minimum = pool_spec.get("min_per_target")
    if counts is None or not algo.whole_number(minimum):
        return None, "抽取数或每家检查人员数不是整数"
    if isinstance(counts, dict) and sum(counts.values()) != frame_spec.get("count"):
        return None, f"分类型抽取数合计 {sum(counts.values())} 与抽取机构数 {frame_spec.get('count')} 不一致"
    try:
        return algo.run_draw(str(record.get("seed")), frame, pool, counts, minimum, conflicts, roles, required), ""
    except algo.DrawError as exc:
        return None, str(exc)


def differences(record: Record, got: algo.Draw) -> list[tuple[tuple, str]]:
    """(field path, Chinese description) of everything the re-run draw does not reproduce."""
    out = []
    checks = ((("frame", "ids_sha256"), got.frame_sha256, "抽取范围的 SHA-256"), (("frame", "size"), got.frame_size, "抽取范围机构数"),
              (("frame", "strata"), got.strata, "各层范围内机构数"), (("pool", "ids_sha256"), got.pool_sha256, "人员库的 SHA-256"),
              (("pool", "size"), got.pool_size, "人员库人数"))
    for path, expected, label in checks:
        written = record.get(".".join(path))
        if written != expected:
            out.append((path, f"{label}记为 {_show(written)}，按本仓库抽取日的数据应为 {_show(expected)}"))
    result = record.get("result")
    written = result if isinstance(result, list) else []
    for i in range(max(len(written), len(got.result))):
        have = written[i] if i < len(written) and isinstance(written[i], dict) else {}
        want = got.result[i] if i < len(got.result) else None
        if want is None:
            out.append((("result", i), f"第 {i + 1} 项 {have.get('institution')} 多出：重新抽取只抽中 {len(got.result)} 家"))
        elif have.get("institution") != want["institution"]:
            out.append((("result", i, "institution") if have else ("result",),
                        f"第 {i + 1} 家抽中的机构应为 {want['institution']}，记为 {have.get('institution') or '（无）'}"))
        elif have.get("inspectors") != want["inspectors"]:
            out.append((("result", i, "inspectors"),
                        f"{want['institution']} 的检查人员应为 {'、'.join(want['inspectors'])}，记为 {_show(have.get('inspectors'))}"))
    return out


def _show(value) -> str:
    if isinstance(value, list):
        return "、".join(map(str, value)) or "（空）"
    if isinstance(value, dict):
        return "，".join(f"{k} {v}" for k, v in value.items()) or "（空）"
    return "（无）" if value is None else str(value)


def draw_reproducible(record: Record, index, schemas: SchemaSet, report) -> None:
    if not index.complete:
        return
    contract = index.get("contract", record.get("contract") or "")
    if contract is None:
        return  # the unresolved reference is reported
    memo = index.memo.setdefault("draws", {})
    if not memo:
        memo["institution"] = list(index.records_of("institution"))
        memo["staff"] = list(index.records_of("staff"))
        memo["inspection"] = list(index.records_of("inspection"))
    got, reason = reproduce(record, contract, memo["institution"], memo["staff"], memo["inspection"], schemas)
    if got is None:
        report(record, "draw-not-reproducible", f"无法按本仓库抽取日的数据重新抽取：{reason}", ("result",))
        return
    for path, message in differences(record, got):
        report(record, "draw-not-reproducible", f"抽取结果不能复现：{message}（复核：yibao draw verify）", path)


def inspection_matches_draw(record: Record, index, schemas: SchemaSet, report) -> None:
    status = record.get("status")
    if isinstance(status, str) and status in withdrawn_terms(schemas, "inspection"):
        return  # a withdrawn record's facts are void
    ident = record.get("draw")
    if ident is None:
        kind = record.get("type")
        since = schemas.vocab("inspection_type").get("x-requires-draw", {}).get(kind) if isinstance(kind, str) else None
        start = to_date(record.get("start_date"))
        if since is not None and start is not None and start >= to_date(since):
            report(record, "draw-mismatch",
                   f"{record.get('type')}（{since} 起开始的）必须引用双随机抽取记录（draw 字段，用 yibao draw 抽取）", ("type",))
        return
    draw = index.get("draw", ident)
    if draw is None:
        return  # the unresolved reference is reported
    if draw.get("contract") != record.get("contract"):
        report(record, "draw-mismatch", f"抽取记录 {ident} 属于项目 {draw.get('contract')}，不是本检查的项目 {record.get('contract')}", ("draw",))
        return
    result = draw.get("result")
    entry = next((e for e in (result if isinstance(result, list) else [])
                  if isinstance(e, dict) and e.get("institution") == record.get("institution")), None)
    if entry is None:
        report(record, "draw-mismatch", f"抽取记录 {ident} 没有抽中 {record.get('institution')}", ("draw",))
        return
    drawn = entry.get("inspectors") if isinstance(entry.get("inspectors"), list) else []
    inspectors = record.get("inspectors") if isinstance(record.get("inspectors"), list) else []
    extra = [p for p in inspectors if p not in drawn]
    missing = [p for p in drawn if p not in inspectors]
    if extra or missing:
        parts = ([f"未被抽中：{'、'.join(map(str, extra))}"] if extra else []) + ([f"抽中但未参加：{'、'.join(map(str, missing))}"] if missing else [])
        report(record, "draw-mismatch",
               f"检查人员与抽取记录 {ident} 抽中的（{'、'.join(map(str, drawn))}）不一致；{'；'.join(parts)}", ("inspectors",))


def inspector_declared_conflict(record: Record, index, schemas: SchemaSet, report) -> None:
    """``inspector-conflict`` (warning): an inspector of the inspection had declared a conflict (回避)
    with its institution on or before the day it started (a draw never selects such an inspector;
    an inspection made without a draw is flagged, not refused: the record says what happened)."""
    status = record.get("status")
    start, institution = to_date(record.get("start_date")), record.get("institution")
    if start is None or not isinstance(institution, str) or (isinstance(status, str) and status in withdrawn_terms(schemas, "inspection")):
        return
    inspectors = record.get("inspectors") if isinstance(record.get("inspectors"), list) else []
    for i, ident in enumerate(inspectors):
        person = index.get("staff", ident) if isinstance(ident, str) else None
        if person is None:
            continue
        declared = algo.declared_conflicts([person], start).get(institution)
        if declared:
            entry = next(e for e in person.get("conflicts") if isinstance(e, dict) and e.get("institution") == institution)
            report(record, "inspector-conflict",
                   f"检查人员 {ident} 已于 {entry.get('declared_on')} 申报与 {institution} 回避（{entry.get('reason')}，见 {person.path}），"
                   f"却参加了 {record.get('start_date')} 开始的本次检查", ("inspectors", i), True)


def any_version_matters(reader: Record, versions: list[Record]) -> bool:
    """A draw reads every institution, team member and inspection: any change can matter."""
    return bool(versions)
