"""Next year's regions by this year's evaluation (seed 004, 肇庆市医疗救助保险服务项目 一（四）3):
"结合每年考核情况（首年任务分配除外），按区域合理分配服务范围，采购人不确保每家成交商业保险机构……，
原则上优先分配服务质量好的中标商业保险机构".

For an evaluation period with an ``allocation_year``, every member of the contract's consortium
gets its score for the period — the contractor's computed by its scheme (:mod:`.evaluation`), the
others' as the bureau recorded them (``peer_scores``) — and is ranked by it. Beside the rank stand
the regions each held in the period's year and the regions the contract records for the allocation
year (``consortium`` entries of that ``year``). The rule is a principle ("原则上"), so nothing is
refused: a member that scored lower yet holds more regions than one that scored higher in the
allocation year is flagged, with both names and scores, for the bureau to explain.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from fractions import Fraction

from ..core.calendar import to_date
from ..core.record import Record
from ..core.schemas import SchemaSet
from . import evaluation as ev
from .view import RecordIndex


@dataclass
class Member:
    name: str
    score: Fraction | None
    source: str  # 本合同考核 / 医保局登记（依据）/ 尚无得分
    rank: int | None
    regions_before: list[str]
    regions_after: list[str] | None  # None: the allocation year is not recorded yet

    def as_json(self) -> dict:
        return {"name": self.name, "score": None if self.score is None else ev.score_text(self.score), "source": self.source,
                "rank": self.rank, "regions_before": self.regions_before, "regions_after": self.regions_after}


@dataclass
class Allocation:
    scheme: str
    period: str
    year: int
    members: list[Member]
    flags: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(m.score is not None for m in self.members)

    def as_json(self) -> dict:
        return {"scheme": self.scheme, "period": self.period, "allocation_year": self.year, "complete": self.complete,
                "members": [m.as_json() for m in self.members], "flags": list(self.flags)}


def known(contract: Record, as_of: _dt.date) -> list[dict]:
    """The consortium entries with a year, as decided by ``as_of`` (an entry decided later is not yet known)."""
    return [m for m in contract.get("consortium") or [] if isinstance(m, dict) and isinstance(m.get("year"), int)
            and (to_date(m.get("decided_on")) is None or to_date(m.get("decided_on")) <= as_of)]


def regions_in(members: list[dict], year: int) -> dict[str, list[str]]:
    """Member name -> regions in the latest consortium allocation recorded for a year up to ``year``."""
    years = sorted({m["year"] for m in members if m["year"] <= year})
    if not years:
        return {}
    return {m.get("name"): list(m.get("regions") or []) for m in members if m["year"] == years[-1]}


def allocations(scheme: Record, index: RecordIndex, schemas: SchemaSet, as_of: _dt.date) -> list[Allocation]:
    """One allocation per period of the scheme that names an ``allocation_year`` and has ended by ``as_of``."""
    contract = index.get("contract", scheme.get("contract"))
    if contract is None or not contract.get("consortium"):
        return []
    out = []
    members_known = known(contract, as_of)
    for period in scheme.get("periods") or []:
        if not isinstance(period, dict) or not isinstance(period.get("allocation_year"), int):
            continue
        end = to_date(period.get("end"))
        if end is None or end > as_of:
            continue
        year = period["allocation_year"]
        before = regions_in(members_known, year - 1)
        recorded_after = any(m["year"] == year for m in members_known)
        after = regions_in(members_known, year) if recorded_after else {}
        own = ev.evaluate_scheme(scheme, index, schemas, period.get("id"), as_of)
        scores: dict[str, tuple[Fraction | None, str]] = {}
        for name in before:
            scores[name] = (None, "尚无得分")
        scores[contract.get("contractor")] = ((own.score, f"本合同考核（{scheme.id}）") if own.complete
                                              else (None, f"本合同考核评分不全（{'、'.join(own.missing)}）"))
        for peer in scheme.get("peer_scores") or []:
            assessed = to_date(peer.get("assessed_on")) if isinstance(peer, dict) else None
            if assessed is None or assessed > as_of or peer.get("period") != period.get("id"):
                continue
            scores[peer.get("member")] = (ev.fraction(peer.get("score")), f"医保局登记：{peer.get('evidence')}（{peer.get('assessed_on')}）")
        ranked = sorted((s for s, _ in scores.values() if s is not None), reverse=True)
        members = [Member(name, score, source, None if score is None else ranked.index(score) + 1, before.get(name, []),
                          after.get(name, []) if recorded_after else None)
                   for name, (score, source) in scores.items()]
        members.sort(key=lambda m: (m.rank is None, m.rank or 0, m.name))
        result = Allocation(scheme.id, period.get("id"), year, members)
        if recorded_after:
            result.flags = against_scores(members)
        out.append(result)
    return out


def against_scores(members: list[Member]) -> list[str]:
    """Pairs where the member that scored lower holds more regions in the allocation year."""
    flags = []
    scored = [m for m in members if m.score is not None and m.regions_after is not None]
    for better in scored:
        for worse in scored:
            if better.score > worse.score and len(worse.regions_after) > len(better.regions_after):
                flags.append(f"{worse.name}（{ev.score_text(worse.score)} 分）分得 {len(worse.regions_after)} 个区域，"
                             f"多于得分更高的 {better.name}（{ev.score_text(better.score)} 分）的 {len(better.regions_after)} 个，"
                             "与“原则上优先分配服务质量好的”不一致，须说明理由")
    return flags
