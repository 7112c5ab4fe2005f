"""Performance evaluation tied to payment (绩效考核): a contract's evaluation scheme
(``records/evaluation_scheme/``) scored for one of its periods, with every indicator's inputs.

义乌 2020 (seed 001): "结合监管业务的数量和完成工作的质量进行考核，并与购买服务费挂钩"; quality and
quantity indicators "分档细化设置". Each indicator of the scheme gets an attainment between 0 and 1:

* ``kpi`` — a KPI that ``yibao report`` computes, as of the period's last day: its value ÷ the
  indicator's ``target`` (or the KPI's own target), at most 1; the KPI's facts are the inputs;
* ``inspections`` — the inspections of the listed types that ended within the period (not
  planned, not withdrawn): their number ÷ ``target``, at most 1; the inspections are the inputs;
* ``team_days`` — the days of the period (up to the date evaluated) on which every team requirement
  of the contract was met (roles, titles, education, postings: the team KPI's checks, day by day)
  ÷ the period's days; each run of days a requirement was not met is an input;
* ``manual`` — the bureau's score for the period (the scheme's ``scores``: 0–100, with its evidence
  and the day it was given) ÷ 100; a missing score leaves the evaluation incomplete (it is shown,
  and no payment follows from it).

With ``bands`` the attainment is mapped to the share of the highest band whose ``min`` it reaches
(分档); otherwise the share is the attainment. Points = weight × share; the score is the sum of the
points (the weights add up to 100, checked by ``check.money``). The tier is the highest whose
``min_score`` the score reaches; its ``payment_share`` is the share of the instalment paid.
Arithmetic is exact (fractions); scores are shown with two decimals.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from ..core.calendar import to_date
from ..core.money import rate_text
from ..core.record import Record
from ..core.schemas import SchemaSet
from . import deadlines as dl
from . import kpis as kpis_mod
from .view import ContractView, RecordIndex

KIND = "evaluation_scheme"


class EvaluationError(LookupError):
    """No such scheme or period: a usage error with a Chinese message."""


def fraction(value: Any) -> Fraction | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(Decimal(str(value)))
    return None


@dataclass(frozen=True)
class Input:
    """One thing an indicator's value rests on: a record (or a KPI fact) and whether it counts."""

    record: str
    counts: bool
    note: str


@dataclass
class IndicatorScore:
    id: str
    name: str
    group: str
    weight: Fraction
    source: str
    value: Fraction | None
    target: Fraction | None
    attainment: Fraction | None
    share: Fraction | None
    points: Fraction
    basis: str  # how the value was found, in words
    inputs: list[Input] = field(default_factory=list)
    unit: str | None = None  # the KPI's unit (rate, count, yuan) for a kpi indicator

    def value_text(self, value: Fraction | None) -> str:
        """The value or target as the KPI shows it: a rate as a percentage, a count whole, else two decimals."""
        if value is None:
            return "—"
        if self.unit == kpis_mod.RATE:
            return rate_text(value)
        if value.denominator == 1:
            return str(value.numerator)
        return score_text(value)

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "group": self.group, "weight": _num(self.weight),
                "source": self.source, "value": _num(self.value), "target": _num(self.target),
                "attainment": _num(self.attainment), "share": _num(self.share), "points": _num(self.points),
                "unit": self.unit, "basis": self.basis, "inputs": [{"record": i.record, "counts": i.counts, "note": i.note} for i in self.inputs]}


@dataclass
class Evaluation:
    scheme: str
    title: str
    contract: str
    period: str
    start: _dt.date
    end: _dt.date
    indicators: list[IndicatorScore]
    score: Fraction
    tier: str | None
    payment_share: Fraction | None
    missing: list[str]  # indicators without a score for the period (the evaluation is incomplete)
    consequence: str | None = None  # the tier's other consequence, as the scheme words it

    @property
    def complete(self) -> bool:
        return not self.missing

    def as_json(self) -> dict:
        return {"scheme": self.scheme, "title": self.title, "contract": self.contract, "period": self.period,
                "start": self.start.isoformat(), "end": self.end.isoformat(), "score": _num(self.score),
                "tier": self.tier, "payment_share": _num(self.payment_share), "consequence": self.consequence,
                "complete": self.complete,
                "missing": list(self.missing), "indicators": [i.as_json() for i in self.indicators]}


def _num(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value), 6)


def score_text(value: Fraction | None) -> str:
    """Points with two decimals (half up on the exact fraction)."""
    if value is None:
        return "—"
    return f"{(Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


# -- one indicator ----------------------------------------------------------------------------------
def banded(attainment: Fraction, bands: list[dict]) -> Fraction:
    """The share of the highest band whose minimum the attainment reaches (0 below every band)."""
    best: tuple[Fraction, Fraction] | None = None
    for band in bands:
        low, share = fraction(band.get("min")), fraction(band.get("share"))
        if low is None or share is None or attainment < low:
            continue
        if best is None or low > best[0]:
            best = (low, share)
    return best[1] if best else Fraction(0)


def _kpi_value(view: ContractView, indicator: dict, kpis: list[kpis_mod.Kpi]) -> tuple[Fraction | None, Fraction | None, str, list[Input], str | None]:
    wanted = indicator.get("kpi")
    kpi = next((k for k in kpis if k.id == wanted), None)
    if kpi is None:
        return None, fraction(indicator.get("target")), f"报表中没有指标 {wanted}（统计日 {view.as_of}）", [], None
    target = fraction(indicator.get("target")) or fraction(kpi.target)
    inputs = [Input(f.record, f.counts, f.note) for f in kpi.facts] or [Input(r, True, "") for r in kpi.records]
    return fraction(kpi.value), target, f"报表指标“{kpi.name}”（{wanted}），统计日 {view.as_of}", inputs, kpi.unit


def _inspection_count(view: ContractView, indicator: dict, start: _dt.date) -> tuple[Fraction, Fraction | None, str, list[Input]]:
    types = set(indicator.get("inspection_types") or [])
    inputs = []
    for record in view.inspections:  # ended by the period's end, not planned, not withdrawn
        ended = to_date(record.get("end_date"))
        if ended is None or ended < start:
            continue
        if types and record.get("type") not in types:
            continue
        inputs.append(Input(record.id, True, f"{record.get('type')}，{ended} 结束"))
    which = "、".join(indicator.get("inspection_types") or []) or "全部类型"
    return (Fraction(len(inputs)), fraction(indicator.get("target")),
            f"考核期内结束的检查（{which}）：{len(inputs)} 次", inputs)


def _team_days(view: ContractView, start: _dt.date) -> tuple[Fraction | None, Fraction | None, str, list[Input]]:
    """Days of [start, view.as_of] with the whole team requirement met ÷ those days (runs clipped to the period)."""
    if not view.contract.get("team_requirements") or view.as_of < start:
        return None, None, "合同没有团队要求" if not view.contract.get("team_requirements") else "考核期尚未开始", []
    total = (view.as_of - start).days + 1
    short: set[_dt.date] = set()
    inputs = []
    for breach in kpis_mod.team_breaches(view):
        first, last = max(breach.start, start), breach.end
        if last < first:
            continue
        short.update(first + _dt.timedelta(days=d) for d in range((last - first).days + 1))
        inputs.append(Input(breach.requirement, False, f"{first} 至 {last}，{(last - first).days + 1} 天，{breach.have} / {breach.need} 人"))
    met = total - len(short)
    return (Fraction(met), Fraction(total),
            f"团队要求逐日核对：{start} 至 {view.as_of} 共 {total} 天，{len(short)} 天有要求未满足，满足 {met} 天", inputs)


def _manual(indicator: dict, period: str, scores: list[dict], as_of: _dt.date) -> tuple[Fraction | None, Fraction, str, list[Input]]:
    """The bureau's score of the indicator for the period, as known on ``as_of`` (a score given later is not yet)."""
    for item in scores:
        assessed = to_date(item.get("assessed_on"))
        if item.get("indicator") == indicator.get("id") and item.get("period") == period and assessed is not None and assessed <= as_of:
            score = fraction(item.get("score"))
            return score, Fraction(100), f"医保局评分 {item.get('score')} 分（{item.get('assessed_on')}）", [
                Input(str(item.get("evidence")), True, f"评分依据，{item.get('assessed_on')}")]
    return None, Fraction(100), "医保局尚未评分", []


def score_indicator(view: ContractView, indicator: dict, period: str, start: _dt.date,
                    kpis: list[kpis_mod.Kpi], scores: list[dict], as_of: _dt.date) -> IndicatorScore:
    source = indicator.get("source")
    unit = None
    if source == "kpi":
        value, target, basis, inputs, unit = _kpi_value(view, indicator, kpis)
    elif source == "inspections":
        value, target, basis, inputs = _inspection_count(view, indicator, start)
    elif source == "team_days":
        value, target, basis, inputs = _team_days(view, start)
    else:
        value, target, basis, inputs = _manual(indicator, period, scores, as_of)
    weight = fraction(indicator.get("weight")) or Fraction(0)
    attainment = share = None
    if value is not None and target:
        attainment = min(Fraction(1), value / target)
        bands = [b for b in indicator.get("bands") or [] if isinstance(b, dict)]
        share = banded(attainment, bands) if bands else attainment
    points = weight * share if share is not None else Fraction(0)
    return IndicatorScore(indicator.get("id"), indicator.get("name"), indicator.get("group"), weight, source,
                          value, target, attainment, share, points, basis, inputs, unit)


# -- a scheme for a period ------------------------------------------------------------------------
def tier_of(tiers: list[dict], score: Fraction) -> tuple[str | None, Fraction | None]:
    best = None
    for tier in tiers:
        low = fraction(tier.get("min_score"))
        if isinstance(tier, dict) and low is not None and score >= low and (best is None or low > best[0]):
            best = (low, tier.get("name"), fraction(tier.get("payment_share")))
    return (best[1], best[2]) if best else (None, None)


def period_of(scheme: Record, period: str) -> tuple[_dt.date, _dt.date]:
    for item in scheme.get("periods") or []:
        if isinstance(item, dict) and item.get("id") == period:
            start, end = to_date(item.get("start")), to_date(item.get("end"))
            if start and end:
                return start, end
    known = "、".join(str(p.get("id")) for p in scheme.get("periods") or [] if isinstance(p, dict))
    raise EvaluationError(f"绩效考核办法 {scheme.id} 没有考核期 {period}；现有考核期：{known or '（无）'}")


def evaluate_scheme(scheme: Record, index: RecordIndex, schemas: SchemaSet, period: str,
                    as_of: _dt.date | None = None) -> Evaluation:
    """The scheme scored for ``period``: KPIs and inspections as of the period's last day, or as of
    ``as_of`` when that is earlier (a period still running is scored on what is known so far), and
    the bureau's scores given by ``as_of`` (all of them when it is None)."""
    contract = index.get("contract", scheme.get("contract"))
    if contract is None:
        raise EvaluationError(f"绩效考核办法 {scheme.id} 引用的项目 {scheme.get('contract')} 不存在")
    start, end = period_of(scheme, period)
    known = as_of or _dt.date.max
    view = ContractView(contract, index, min(end, known), schemas)
    scores = [s for s in scheme.get("scores") or [] if isinstance(s, dict)]
    indicators = [i for i in scheme.get("indicators") or [] if isinstance(i, dict)]
    kpis: list[kpis_mod.Kpi] = []
    if any(i.get("source") == "kpi" for i in indicators):
        items, _errors = dl.evaluate(view)  # a missing calendar year only leaves on-time KPIs without data
        kpis = kpis_mod.contract_kpis(view, items)
    results = [score_indicator(view, i, period, start, kpis, scores, known) for i in indicators]
    total = sum((r.points for r in results), Fraction(0))
    tiers = [t for t in scheme.get("tiers") or [] if isinstance(t, dict)]
    tier, share = tier_of(tiers, total)
    missing = [r.id for r in results if r.share is None]
    consequence = next((t.get("consequence") for t in tiers if t.get("name") == tier), None) if not missing else None
    return Evaluation(scheme.id, scheme.get("title"), contract.id, period, start, end, results, total, tier, share, missing,
                      consequence)


def schemes_of(index: RecordIndex, contract_id: str) -> list[Record]:
    return index.own(KIND, contract_id)


def find_scheme(index: RecordIndex, contract_id: str, scheme_id: str | None = None) -> Record:
    schemes = schemes_of(index, contract_id)
    if scheme_id is not None:
        schemes = [s for s in schemes if s.id == scheme_id]
    if not schemes:
        raise EvaluationError(f"项目 {contract_id} 没有绩效考核办法" + (f" {scheme_id}" if scheme_id else "（records/evaluation_scheme/）"))
    return schemes[0]
