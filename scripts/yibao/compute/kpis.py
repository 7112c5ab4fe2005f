"""KPIs: what the bureau pays for, computed from one contract's records as of a date.

Each contract target (``targets[]``) names a ``metric`` from the vocabulary; :data:`METRICS` maps
every metric to one small function that returns the KPI and its breakdowns (per institution type,
per institution, per topic …). Targets and filters come from the target entry; nothing here knows
Karamay, Shapingba or Chengjiang. Descriptive statistics the bureau also reads — cases by source,
status and violation type, money by violation type and subject type, stage milestones, on-time
rates for deadline rules no target mentions — are added for every contract.

Every KPI has: ``id`` (``metric[/qualifier]``, stable across commits), ``name``, ``definition``
(Chinese, including how the status is decided), ``numerator``, ``denominator``, ``value``,
``target``, ``status`` and ``records`` (the IDs behind it), plus ``unit`` (rate, count, yuan).
The headline KPI of each contract target carries ``contract_target`` (its 1-based position in
``targets[]``): what the contract itself pays by, as opposed to breakdowns and descriptive figures.
``facts`` are the items behind a figure with whether each counts and why, in words (a report
done 4 days late, an institution not yet inspected): what a reader drills down to.

Status (:func:`judge`): 无数据 when there is nothing to compute from (denominator 0, no records);
达标 when the value reaches the target; 未达标 once the period is over, or as soon as the target
can no longer be reached (a 100% on-time target with one item late or overdue); 落后进度 while the
period runs and the value is below its pace (the share of the target expected by the statistics
date, linear over the service period: coverage and count targets); 进行中 otherwise. The last day
of the period is still in it (《民法典》第二百零三条第二款: it ends at 24:00). Descriptive KPIs have
no target: their status is 无数据 without records and None (shown as —) otherwise.

Populations (who counts when an institution's agreement is terminated, 解除, during the period) are
decided per metric and printed in each definition: coverage and sampling keep a terminated
institution that was inspected (facts from before the termination count) and drop one that was not;
the problem-record rate is seed 000's formula, problem records ÷ all sampled records, with no scope
filter. An institution whose agreement starts mid-period is in the population from its start.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable

from ..core.money import rate_text
from ..core.record import Record
from ..core.labelled import Labelled
from .deadlines import Deadline, DeadlineStatus, law_rules
from .frames import ANY_BASIS, MONEY_FIELDS, ON_SITE, Totals, frames_for
from . import team
from .view import ContractView


class KpiStatus(Labelled):
    """A KPI's status (:data:`STATUS_RULE`); the label is what the report JSON, tables and pages show."""

    MET = "达标"
    NOT_MET = "未达标"
    BEHIND = "落后进度"
    IN_PROGRESS = "进行中"
    NO_DATA = "无数据"


RATE, COUNT, YUAN = "rate", "count", "yuan"

STATUS_RULE = ("状态：没有可计算的记录（分母为 0）时为“无数据”；达到目标为“达标”；未达到目标时，"
               "服务期已结束（统计日晚于服务期最后一日；最后一日到 24 时才结束，见《民法典》第二百零三条第二款）"
               "或已不可能达到目标为“未达标”，服务期内低于进度目标为“落后进度”，否则为“进行中”。")
PACE_RULE = ("进度目标 = 目标值 × 统计日之前已经过去的服务期天数 ÷ 服务期总天数（按服务期均匀推进；统计日当天尚未过完，不计入）；"
             "完成的件数（比例目标按分母折算的家数）少于进度目标的整数部分时，状态为“落后进度”"
             "（例如服务期 265 天、目标 4 场培训：已过 67 天时进度目标为 1.01 场，这时一场未办才算落后）。")
DESCRIPTIVE_RULE = "描述性统计，不设目标：没有记录时状态为“无数据”，有记录时不判断达标（显示为 —）。"
AS_OF_RULE = "只计统计日当天及以前发生的事实；已撤回的记录不计。"


@dataclass(frozen=True)
class Fact:
    """One item behind a figure: the record (or institution) it is about, whether it counts for the
    figure (on time, inspected, at target) and why, in words a reader understands."""

    record: str
    counts: bool
    note: str
    flag: str = ""  # a short category of an item that does not count (逾期完成, 尚未检查 …)
    days_late: int | None = None


@dataclass
class Kpi:
    id: str
    name: str
    definition: str
    value: Any
    target: Any
    status: KpiStatus | None
    numerator: Any = None
    denominator: Any = None
    records: list[str] = field(default_factory=list)
    unit: str = RATE
    pace: Any = None  # the value expected by the statistics date, for targets that have a pace
    facts: list[Fact] = field(default_factory=list)
    contract_target: int | None = None  # 1-based position in the contract's targets[], on its headline KPI


def judge(view: ContractView, value: Any, target: Any, has_data: bool, behind: bool = False, lost: bool = False) -> KpiStatus | None:
    """The status sentence of :data:`STATUS_RULE` (None for a descriptive KPI with data).

    ``behind``: below the whole units the pace asks for by now; ``lost``: the target can no longer
    be reached within the period, whatever happens next.
    """
    if not has_data or value is None:
        return KpiStatus.NO_DATA
    if target is None:
        return None
    if Fraction(value) >= Fraction(target):
        return KpiStatus.MET
    if lost or not view.running:
        return KpiStatus.NOT_MET
    if behind:
        return KpiStatus.BEHIND
    return KpiStatus.IN_PROGRESS


def pace_of(view: ContractView, target: Any) -> Fraction | None:
    """What a target should have reached by the statistics date, linear over the service period."""
    if target is None or view.elapsed is None:
        return None
    return Fraction(target) * view.elapsed


def rate(view: ContractView, id_: str, name: str, definition: str, numerator: int, denominator: int | None,
         target: Any, records: Iterable[str], paced: bool = False, lost: bool = False) -> Kpi:
    value = Fraction(numerator, denominator) if denominator else None
    pace = pace_of(view, target) if paced else None
    behind = pace is not None and bool(denominator) and numerator < math.floor(pace * denominator)
    return Kpi(id_, name, definition, value, target, judge(view, value, target, bool(denominator), behind, lost),
               numerator, denominator, sorted(set(records)), RATE, pace)


def count(view: ContractView, id_: str, name: str, definition: str, value: int, target: Any,
          records: Iterable[str], has_data: bool, denominator: int | None = None, paced: bool = False) -> Kpi:
    pace = pace_of(view, target) if paced else None
    behind = pace is not None and value < math.floor(pace)
    return Kpi(id_, name, definition, value, target, judge(view, value, target, has_data, behind),
               value, denominator, sorted(set(records)), COUNT, pace)


# -- target helpers --------------------------------------------------------------------------
def target_name(view: ContractView, target: dict) -> str:
    return target.get("name") or view.schemas.label("metric", target.get("metric", ""))


def target_value(target: dict) -> Any:
    return target.get("target")


def sub_name(name: str, qualifier: str) -> str:
    return f"{name}（{qualifier}）"


def institution_kpi_name(view: ContractView, ident: str, metric_id: str) -> str:
    return f"{view.institution_name(ident)}：{view.schemas.label('metric', metric_id)}"


def eligible_institutions(view: ContractView, target: dict, former: bool = False) -> list[Record]:
    """In-scope institutions of the target's types (and with inpatient service, if required).

    ``former``: also the institutions whose agreement was terminated during the period (the metric
    then keeps those its facts reach; see the module's note on populations).
    """
    types = target.get("institution_types")
    pool = view.scope
    if former and view.terminated:
        pool = pool + [r for r in (view.institution(i) for i in sorted(view.terminated)) if r is not None]
    out = [i for i in pool if not types or i.get("type") in types]
    if target.get("inpatient_only"):
        out = [i for i in out if i.get("inpatient_service") is True]
    return out


FORMER_RULE = ("服务期内协议被解除的机构：解除前后已有计入的检查的，照常计入分子和分母（已发生的事实不因解除而消失）；"
               "没有检查的不计入分母。服务期中途才签订协议的机构，自协议生效起计入。")


def counted_inspections(view: ContractView, target: dict, institutions: list[Record]) -> list[Record]:
    """Ended inspections of the given institutions, of the target's inspection types if any."""
    ids = {i.id for i in institutions}
    types = target.get("inspection_types")
    return [r for r in view.inspections
            if r.get("institution") in ids and (not types or r.get("type") in types)]


def types_clause(target: dict, default: list[str] | None = None) -> str:
    types = target.get("inspection_types") or default
    return f"只计检查类型为{'、'.join(types)}的检查；" if types else ""


def institution_totals(view: ContractView, target: dict, institutions: list[Record], basis: str) -> dict[str, Totals]:
    """Per eligible institution: its counted inspections of the target's inspection types, filtered
    by sampling basis (see :meth:`yibao.compute.frames.Frames.institution_totals`)."""
    eligible = {i.id for i in institutions}
    table = frames_for(view).institution_totals(view.id, target.get("inspection_types"), basis)
    return {ident: totals for ident, totals in table.items() if ident in eligible}


# -- metrics ---------------------------------------------------------------------------------
MetricFn = Callable[[ContractView, dict, list[Deadline]], list[Kpi]]
METRICS: dict[str, MetricFn] = {}


def metric(name: str):
    def register(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn
    return register


@metric("onsite_coverage")
def onsite_coverage(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    institutions = eligible_institutions(view, target, former=True)
    kinds = target.get("inspection_types") or []
    separately = bool(target.get("each_inspection_type")) and len(kinds) > 1
    if separately:
        by_kind = {k: institution_totals(view, {**target, "inspection_types": [k]}, institutions, ON_SITE) for k in kinds}
        everywhere = set.intersection(*(set(c) for c in by_kind.values()))
        anywhere = set().union(*(set(c) for c in by_kind.values()))
        covered = {i: t for i, t in institution_totals(view, target, institutions, ON_SITE).items() if i in everywhere}
    else:
        covered = institution_totals(view, target, institutions, ON_SITE)
        anywhere = set(covered)
    institutions = [i for i in institutions if i.id not in view.terminated or i.id in anywhere]
    order = view.schemas.terms("institution_type")
    types = target.get("institution_types") or [t for t in order if any(i.get("type") == t for i in institutions)]
    name, goal = target_name(view, target), target_value(target)
    each = (f"计入的检查类型（{'、'.join(kinds)}）每一种都要分别覆盖全部机构：分别计算各类型的覆盖率，"
            "合计只计全部类型都已覆盖的机构，全部类型都达到目标才达标。") if separately else ""
    definition = ("现场检查覆盖率 = 截至统计日已结束现场检查（检查记录的“现场检查”为“是”）的范围内机构数 ÷ 范围内机构数。"
                  "范围内机构按合同 scope 圈定，以统计日（不晚于服务期结束日）的协议状态为准；"
                  + FORMER_RULE + types_clause(target) + each + AS_OF_RULE + STATUS_RULE + PACE_RULE)
    out, total_num, total_den, total_records, total_facts = [], 0, 0, [], []
    for itype in types:
        members = [i.id for i in institutions if i.get("type") == itype]
        hit = [m for m in members if m in covered]
        records = [r for m in hit for r in covered[m].ids]
        facts = coverage_facts(members, covered)
        kpi = rate(view, f"onsite_coverage/{itype}", sub_name(name, itype), definition, len(hit), len(members), goal,
                   records, paced=True)
        kpi.facts = facts
        out.append(kpi)
        total_num, total_den = total_num + len(hit), total_den + len(members)
        total_records += records
        total_facts += facts
    if separately:
        members = [i.id for i in institutions]
        for k in kinds:
            hit = [m for m in members if m in by_kind[k]]
            kpi = rate(view, f"onsite_coverage/{k}", sub_name(name, k), definition, len(hit), len(members), goal,
                       [r for m in hit for r in by_kind[k][m].ids], paced=True)
            kpi.facts = coverage_facts(members, by_kind[k])
            out.append(kpi)
    headline = rate(view, "onsite_coverage", name, definition, total_num, total_den, goal, total_records, paced=True)
    headline.facts = total_facts
    if separately:  # an institution inspected in some of the kinds only: say which are missing
        headline.facts = [f if f.counts or f.record not in anywhere else
                          Fact(f.record, False, "尚缺：" + "、".join(k for k in kinds if f.record not in by_kind[k]), PARTLY_INSPECTED)
                          for f in total_facts]
    out.insert(0, headline)
    return out


def coverage_facts(members: list[str], covered: dict[str, Totals]) -> list[Fact]:
    """Each institution of a coverage population: inspected (by which inspections) or not yet."""
    return [Fact(m, True, "已检查：" + "、".join(covered[m].ids)) if m in covered else Fact(m, False, "截至统计日尚未检查", NOT_INSPECTED)
            for m in members]


def denominator_years(view: ContractView, target: dict) -> list[int] | None:
    """Years whose volumes form a sampling denominator, counted back from the contract's start year.

    ``lookback_years: 2`` in a 2024 contract is 2022–2023 (近两年); ``denominator_year_offset: 1``
    in a 2020 contract is 2019 (以2019年实发住院人次为基数). Neither: None (use the population
    recorded with each sampling instead).
    """
    lookback, offset = target.get("lookback_years"), target.get("denominator_year_offset")
    start = view.period[0]
    if start is None or (lookback is None and offset is None):
        return None
    last = start.year - (offset if offset is not None else 1)
    return list(range(last - (lookback or 1) + 1, last + 1))


def volume_sum(institution: Record | None, volume_field: str, years: list[int]) -> int | None:
    """Sum of one volume over the given years; None when any year is missing (never a guess)."""
    if institution is None:
        return None
    by_year = {v.get("year"): v for v in institution.get("volumes") or [] if isinstance(v, dict)}
    values = [by_year.get(y, {}).get(volume_field) for y in years]
    return None if any(v is None for v in values) else sum(values)


def _sampling_rate(view: ContractView, target: dict, metric_id: str) -> list[Kpi]:
    basis = target.get("sampling_basis")
    volume_field = view.schemas.vocab("sampling_basis").get("x-volume-field", {}).get(basis)
    years = denominator_years(view, target)
    institutions = eligible_institutions(view, target, former=True)
    inspected = institution_totals(view, target, institutions, ANY_BASIS)
    totals = institution_totals(view, target, institutions, basis)
    name, goal = target_name(view, target), target_value(target)
    if years is not None:
        span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}—{years[-1]}年"
        field_label = view.schemas.title("institution", ("volumes", volume_field)) if volume_field else basis
        base = f"该机构{span}的{field_label}之和（机构记录 volumes）；缺少任一年业务量的机构记为“无数据”，不计入合计"
    else:
        base = "各次抽审记录的期间总数之和（sampling.population）"
    each = target.get("governed_by") == "each"
    governs = ("达标按每家机构判定：每家已检查机构都达到目标才达标。" if each else
               "达标按合计比例判定；未达到目标的机构数另列。")
    definition = (f"抽审比例 = 截至统计日已结束检查中抽审的{basis}份数之和 ÷ {base}。只统计截至统计日已接受检查的范围内机构"
                  f"（包括服务期内解除协议、解除前已检查的机构）；合计 = 各机构抽审数之和 ÷ 各机构分母之和。{governs}"
                  f"{types_clause(target)}{AS_OF_RULE}{STATUS_RULE}")
    out, all_num, all_den, all_records = [], 0, 0, []
    for ident in sorted(inspected):
        found = totals.get(ident)
        sampled = found.sampled if found else 0
        if years is not None:
            den = volume_sum(view.institution(ident), volume_field, years)
        else:
            den = found.population if found else None
        records = inspected[ident].ids
        out.append(rate(view, f"{metric_id}/{ident}", institution_kpi_name(view, ident, metric_id), definition, sampled, den, goal, records))
        out[-1].facts = [ratio_fact(ident, sampled, den, goal, out[-1].status, f"抽审 {sampled} 份")]
        if den:
            all_num, all_den = all_num + sampled, all_den + den
            all_records += records
    short = [k for k in out if k.status in (KpiStatus.NOT_MET, KpiStatus.IN_PROGRESS, KpiStatus.BEHIND)]
    pooled = rate(view, metric_id, name, definition, all_num, all_den, goal, all_records)
    pooled.facts = [k.facts[0] for k in out]
    if each and short and pooled.status == KpiStatus.MET:
        pooled.status = KpiStatus.NOT_MET if not view.running else KpiStatus.IN_PROGRESS
    out.insert(0, pooled)
    if goal is not None:
        short_definition = (f"已检查机构中，{basis}抽审比例未达到目标（{_percent(goal)}）的机构数；缺少分母的机构不计。"
                            f"{AS_OF_RULE}")
        below = count(view, f"{metric_id}/institutions-short", sub_name(name, "未达到目标的机构数"), short_definition,
                      len(short), None, [r for k in short for r in k.records], bool(out[1:]))
        out.insert(1, below)
    return out


@metric("record_sampling_rate")
def record_sampling_rate(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _sampling_rate(view, target, "record_sampling_rate")


@metric("claim_sampling_rate")
def claim_sampling_rate(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _sampling_rate(view, target, "claim_sampling_rate")


@metric("problem_discovery_rate")
def problem_discovery_rate(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    basis = target.get("sampling_basis")
    institutions = eligible_institutions(view, target, former=True)
    inspected = institution_totals(view, target, institutions, ANY_BASIS)
    totals = institution_totals(view, target, institutions, basis)
    name, goal = target_name(view, target), target_value(target)
    definition = (f"问题病历发现率 = 问题{basis}数 ÷ 抽审{basis}数（采购需求原文：问题病历发现率=问题病历数/抽审病历数），"
                  f"计入截至统计日已结束检查的全部抽审记录，不论机构此后协议状态如何（服务期内解除协议的机构，其抽审记录照常计入）；"
                  f"合计 = 各机构问题数之和 ÷ 各机构抽审数之和。{types_clause(target)}{AS_OF_RULE}{STATUS_RULE}")
    out = []
    for ident in sorted(inspected):
        found = totals.get(ident)
        problems, sampled = (found.problems, found.sampled) if found else (0, 0)
        out.append(rate(view, f"problem_discovery_rate/{ident}", institution_kpi_name(view, ident, "problem_discovery_rate"),
                        definition, problems, sampled, goal, (found or inspected[ident]).ids))
        out[-1].facts = [ratio_fact(ident, problems, sampled, goal, out[-1].status, f"问题 {problems} 份")]
    all_problems = sum(found.problems for found in totals.values())
    all_sampled = sum(found.sampled for found in totals.values())
    all_records = [r for found in totals.values() for r in found.ids]
    out.insert(0, rate(view, "problem_discovery_rate", name, definition, all_problems, all_sampled, goal, all_records))
    out[0].facts = [k.facts[0] for k in out[1:]]
    return out


def ratio_fact(ident: str, numerator: int, denominator: int | None, goal: Any, status: KpiStatus | None, what: str) -> Fact:
    """One institution's share against the target (抽审 75 份 / 2,912 份 = 2.57%)."""
    if not denominator:
        return Fact(ident, False, f"{what}，分母缺失（没有可用的业务量或抽审数）", NO_VOLUME)
    share = rate_text(Fraction(numerator, denominator))
    text = f"{what} ÷ {denominator:,} = {share}"
    if goal is None or status == KpiStatus.MET:
        return Fact(ident, True, text)
    return Fact(ident, False, f"{text}，低于目标 {rate_text(goal)}", BELOW_TARGET)


def _percent(value: Any) -> str:
    return f"{float(Fraction(value)) * 100:g}%"


def rule_sentence(view: ContractView, rule: dict) -> str:
    kind = view.schemas.kind_label(rule.get("applies_to", ""))
    types = "、".join(rule.get("institution_types") or []) or "全部机构"
    starts = rule.get("starts", "")
    if rule.get("day_type") in view.index.day_types.working:
        roll = "（工作日以工作日历为准）"
    elif rule.get("roll") is False:
        roll = "（合同约定最后一日遇休息日不顺延）"
    else:
        roll = "（最后一日遇周末或法定节假日顺延至其后第一个工作日，《民法典》第二百零三条）"
    return (f"时限规则“{rule.get('name')}”（{rule.get('id')}）：{types}的{kind}，{starts} 之后 "
            f"{rule.get('days')} 个{rule.get('day_type')}内完成 {rule.get('ends')}{roll}")


def _rules(view: ContractView, kind: str) -> list[dict]:
    return [r for r in view.contract.get("deadlines") or [] if isinstance(r, dict) and r.get("applies_to") == kind]


NOT_INSPECTED = "尚未检查"
PARTLY_INSPECTED = "检查类型不全"
BELOW_TARGET = "低于目标"
NO_VOLUME = "缺少业务量"
TOO_FEW_STAFF = "医保局参加人数不足"


def deadline_fact(item: Deadline, subject: str | None = None) -> Fact:
    """An item of an on-time rate: on time, done late by N days, or overdue by N days as of the date."""
    due = f"应于 {item.due.isoformat()} 前完成"
    if item.status == DeadlineStatus.ON_TIME:
        return Fact(subject or item.record, True, f"{due}，{item.done_on.isoformat()} 完成")
    if item.status == DeadlineStatus.LATE:
        late = f"逾期 {item.days_late} 天" + (f"（{item.workdays_late} 个工作日）" if item.workdays_late else "")
        return Fact(subject or item.record, False, f"{due}，{item.done_on.isoformat()} 完成，{late}",
                    item.status.label, item.days_late)
    return Fact(subject or item.record, False, f"{due}，截至统计日已逾期 {item.days_late} 天仍未完成",
                item.status.label, item.days_late)


def on_time_kpi(view: ContractView, id_: str, name: str, rules: list[dict], items: list[Deadline], goal: Any) -> Kpi:
    decided = [d for d in items if d.decided]
    on_time = [d for d in decided if d.status == DeadlineStatus.ON_TIME]
    what = "按时完成数 ÷（已完成数 + 已逾期未完成数）；截至统计日尚未到期且未完成的不计入；逾期完成的照常计入并标为逾期完成。"
    definition = f"按时率 = {what}" + "；".join(rule_sentence(view, r) for r in rules) + "。" + AS_OF_RULE
    definition += (STATUS_RULE + "目标为 100% 时，只要有一项逾期（已逾期或逾期完成），服务期内就已不可能达到，状态即为“未达标”。"
                   if goal is not None else DESCRIPTIVE_RULE)
    lost = goal is not None and Fraction(goal) >= 1 and len(on_time) < len(decided)
    kpi = rate(view, id_, name, definition, len(on_time), len(decided), goal, [d.record for d in decided], lost=lost)
    kpi.facts = [deadline_fact(d) for d in decided]
    return kpi


def _on_time(view: ContractView, target: dict, deadlines: list[Deadline], metric_id: str, kind: str) -> list[Kpi]:
    rules = [r for r in _rules(view, kind) if not target.get("deadline") or r.get("id") == target.get("deadline")]
    ids = {r.get("id") for r in rules}
    items = [d for d in deadlines if d.kind == kind and d.rule in ids]
    name, goal = target_name(view, target), target_value(target)
    types = target.get("institution_types")
    if not types:
        suffix = f"/{target['deadline']}" if target.get("deadline") else ""
        return [on_time_kpi(view, metric_id + suffix, name, rules, items, goal)]
    qualify = len(types) > 1
    return [on_time_kpi(view, f"{metric_id}/{t}", sub_name(name, t) if qualify else name, rules,
                        [d for d in items if d.institution_type == t], goal) for t in types]


@metric("reports_on_time")
def reports_on_time(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _on_time(view, target, deadlines, "reports_on_time", "inspection")


@metric("cases_on_time")
def cases_on_time(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _on_time(view, target, deadlines, "cases_on_time", "case")


def _campaign_on_time(view: ContractView, target: dict, deadlines: list[Deadline], metric_id: str, kind: str,
                      what: str) -> list[Kpi]:
    """On-time share of a special campaign's dated items of one kind (see :mod:`.campaigns`)."""
    types = target.get("institution_types")
    items = [d for d in deadlines if d.kind == kind and (not types or d.institution_type in types)]
    decided = [d for d in items if d.decided]
    on_time = [d for d in decided if d.status == DeadlineStatus.ON_TIME]
    goal = target_value(target)
    who = f"（只计{'、'.join(types)}）" if types else ""
    definition = (f"{what}{who}；截至统计日尚未到期且未完成的不计入，逾期完成的照常计入并标为逾期完成。"
                  f"期限是专项治理文件规定的日期，不顺延。{AS_OF_RULE}{STATUS_RULE}"
                  "目标为 100% 时，只要有一项逾期（已逾期或逾期完成），服务期内就已不可能达到，状态即为“未达标”。")
    lost = goal is not None and Fraction(goal) >= 1 and len(on_time) < len(decided)
    records = [d.record if d.done_on else (d.institution or d.record) for d in decided]
    kpi = rate(view, metric_id, target_name(view, target), definition, len(on_time), len(decided), goal, records, lost=lost)
    kpi.facts = [deadline_fact(d, subject) for d, subject in zip(decided, records)]
    return [kpi]


@metric("self_inspection_reports_on_time")
def self_inspection_reports_on_time(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    what = ("自查报告按时报送率 = 在报送期限当天或以前报送自查报告的机构数 ÷（已报送的机构数 + 期限已过仍未报送的机构数）；"
            "应报送的机构是统计日在项目监管范围内、属于专项治理自查要求（self_inspections）所列类型的机构，"
            "报送日期取该机构该项要求最早的一份自查报告")
    return _campaign_on_time(view, target, deadlines, "self_inspection_reports_on_time", "self_inspection", what)


@metric("rectifications_on_time")
def rectifications_on_time(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    what = ("整改事项按期完成率 = 在整改期限当天或以前完成（closed_on）的整改事项数 ÷（已完成的事项数 + 期限已过仍未完成的事项数）；"
            "整改事项自提出日期（issued_on）起计入")
    return _campaign_on_time(view, target, deadlines, "rectifications_on_time", "rectification", what)


def trainings_of(view: ContractView, target: dict) -> list[Record]:
    kind = target.get("training_kind")
    return [t for t in view.trainings if not kind or t.get("kind") == kind]


@metric("trainings_held")
def trainings_held(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    held = trainings_of(view, target)
    kind = target.get("training_kind") or "培训"
    definition = f"截至统计日已结束的{kind}场次。{AS_OF_RULE}{STATUS_RULE}{PACE_RULE}"
    return [count(view, "trainings_held", target_name(view, target), definition, len(held), target_value(target),
                  [t.id for t in held], True, paced=True)]


@metric("training_topics_covered")
def training_topics_covered(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    held = trainings_of(view, target)
    required = list(target.get("topics") or [])
    by_topic = {topic: [t.id for t in held if topic in (t.get("topics") or [])] for topic in required}
    covered = [topic for topic in required if by_topic[topic]]
    labels = "；".join(view.schemas.label("training_topic", t) for t in required)
    kind = target.get("training_kind") or "培训"
    definition = f"截至统计日已结束的{kind}覆盖的必训主题数（必训主题：{labels}）。{AS_OF_RULE}{STATUS_RULE}{PACE_RULE}"
    name = target_name(view, target)
    out = [count(view, "training_topics_covered", name, definition, len(covered), target_value(target),
                 [i for ids in by_topic.values() for i in ids], True, len(required), paced=True)]
    topic_definition = f"截至统计日已结束、内容包含该主题的{kind}场次，至少 1 场。{AS_OF_RULE}{STATUS_RULE}"
    for topic in required:
        out.append(count(view, f"training_topics_covered/{topic}", sub_name("必训主题", view.schemas.label("training_topic", topic)),
                         topic_definition, len(by_topic[topic]), 1, by_topic[topic], bool(held)))
    return out


@metric("study_trips")
def study_trips(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    scope = target.get("place_scope")
    minimum = target.get("min_bureau_staff") or 0
    trips = [t for t in trainings_of(view, target) if not scope or t.get("place.scope") == scope]
    qualifying = [t for t in trips if (t.get("bureau_staff") or 0) >= minimum]
    where = f"地点范围为“{scope}”、" if scope else ""
    definition = (f"截至统计日已结束、{where}医保局参加人数不少于 {minimum} 人的以干代训次数；人数不足的不计入。"
                  f"{AS_OF_RULE}{STATUS_RULE}{PACE_RULE}")
    kpi = count(view, f"study_trips/{scope}" if scope else "study_trips", target_name(view, target), definition,
                len(qualifying), target_value(target), [t.id for t in qualifying], True, paced=True)
    kpi.facts = [Fact(t.id, True, f"医保局参加 {t.get('bureau_staff') or 0} 人") if t in qualifying else
                 Fact(t.id, False, f"医保局参加 {t.get('bureau_staff') or 0} 人，少于 {minimum} 人，不计入", TOO_FEW_STAFF)
                 for t in trips]
    return [kpi]


def _institutions_with(view: ContractView, target: dict, metric_id: str) -> list[Kpi]:
    institutions = eligible_institutions(view, target, former=True)
    inspections = counted_inspections(view, target, institutions)
    audited = {r.get("institution") for r in inspections}
    kinds = "、".join(target.get("institution_types") or []) or "机构"
    definition = (f"截至统计日已结束检查的范围内{kinds}数，同一机构多次检查计 1 家；服务期内解除协议、解除前已检查的机构照常计入。"
                  f"{types_clause(target)}{AS_OF_RULE}{STATUS_RULE}{PACE_RULE}")
    kpi = count(view, metric_id, target_name(view, target), definition, len(audited), target_value(target),
                [r.id for r in inspections], True, paced=True)
    by_institution: dict[str, list[str]] = defaultdict(list)
    for r in inspections:
        by_institution[r.get("institution")].append(r.id)
    kpi.facts = [Fact(i.id, True, "已检查：" + "、".join(by_institution[i.id])) if i.id in by_institution
                 else Fact(i.id, False, "截至统计日尚未检查", NOT_INSPECTED) for i in institutions
                 if i.id in by_institution or i.id not in view.terminated]
    return [kpi]


@metric("institutions_audited")
def institutions_audited(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _institutions_with(view, target, "institutions_audited")


@metric("special_inspection_institutions")
def special_inspection_institutions(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    return _institutions_with(view, target, "special_inspection_institutions")


@metric("records_reviewed")
def records_reviewed(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    basis = target.get("sampling_basis")
    institutions = eligible_institutions(view, target, former=True)
    sampled = [r for r in counted_inspections(view, target, institutions)
               if r.get("sampling.sampled") is not None and (not basis or r.get("sampling.basis") == basis)]
    total = sum(r.get("sampling.sampled") for r in sampled)
    what = basis or "病历（任何抽审对象）"
    definition = (f"截至统计日已结束检查中抽审（审核）的{what}份数之和（服务期内解除协议的机构，解除前后已抽审的照常计入）。"
                  f"{types_clause(target)}{AS_OF_RULE}{STATUS_RULE}{PACE_RULE}")
    return [count(view, "records_reviewed", target_name(view, target), definition, total, target_value(target),
                  [r.id for r in sampled], True, paced=True)]


# -- team ------------------------------------------------------------------------------------
def _rank(view: ContractView, vocab: str, term: str | None) -> int:
    return view.schemas.vocab(vocab).get("x-rank", {}).get(term, -1)


def team_checks(view: ContractView, requirements: dict) -> list[tuple[str, str, int, int, list[str]]]:
    """(qualifier, name, have, need, staff IDs) for each requirement of ``team_requirements``."""
    staff = view.staff
    checks = []
    if requirements.get("min_total") is not None:
        checks.append(("min_total", "团队总人数", len(staff), requirements["min_total"], [s.id for s in staff]))
    if requirements.get("min_education"):
        floor = _rank(view, "education", requirements["min_education"])
        short = [s.id for s in staff if _rank(view, "education", s.get("education")) < floor]
        ok = [s.id for s in staff if s.id not in short]
        checks.append(("min_education", f"学历不低于{requirements['min_education']}的人数（须全员）", len(ok), len(staff), ok))
    if requirements.get("flight_inspection_experience") is not None:
        ok = [s.id for s in staff if s.get("flight_inspection_experience") is True]
        checks.append(("flight_inspection_experience", "有飞行检查经验的人数", len(ok), requirements["flight_inspection_experience"], ok))
    for role in requirements.get("roles") or []:
        quals = role.get("qualifications")
        members = [s for s in staff if s.get("role") == role.get("role")
                   and (not quals or set(quals) & set(s.get("qualifications") or []))]
        label = role.get("role") + (f"（具备{'或'.join(quals)}之一）" if quals else "")
        checks.append((role.get("role"), f"{label}人数", len(members), role.get("min", 0), [s.id for s in members]))
        if role.get("employment"):
            employed = [s.id for s in members if s.get("employment") == role["employment"]]
            checks.append((f"{role.get('role')}-employment", f"{role.get('role')}中用工形式为{role['employment']}的人数",
                           len(employed), role.get("min", 0), employed))
        if role.get("min_title") and role.get("min_with_title") is not None:
            floor = _rank(view, "staff_title", role["min_title"])
            titled = [s.id for s in members if _rank(view, "staff_title", s.get("title")) >= floor]
            checks.append((f"{role.get('role')}-title", f"{role.get('role')}中{role['min_title']}及以上职称人数",
                           len(titled), role["min_with_title"], titled))
    checks.extend(team.posting_checks(view.contract, view.index.staff_of(view.id), view.as_of))
    return checks


def team_breaches(view: ContractView) -> list[team.Breach]:
    """The runs of days from the period's start to ``as_of`` on which the team fell short of any of
    the contract's team requirements (the checks of :func:`team_checks` on each day)."""
    requirements = view.contract.get("team_requirements") or {}
    if not requirements:
        return []

    def checks_on(day):
        return team_checks(ContractView(view.contract, view.index, day, view.schemas), requirements)

    return team.breaches(view.contract, view.index.staff_of(view.id), view.as_of, checks_on)


@metric("team_composition")
def team_composition(view: ContractView, target: dict, deadlines: list[Deadline]) -> list[Kpi]:
    requirements = view.contract.get("team_requirements") or {}
    checks = team_checks(view, requirements)
    has_data = bool(view.staff) and bool(checks)
    met = [c for c in checks if c[2] >= c[3]]
    base = "人员按统计日在项计算（入项日期不晚于统计日、尚未离项、未撤回）。"
    definition = f"团队配备 = 已满足的团队要求项数 ÷ 合同“团队要求”的要求项数。{base}{STATUS_RULE}"
    value = Fraction(len(met), len(checks)) if has_data else None
    goal = target_value(target)
    out = [Kpi("team_composition", target_name(view, target), definition, value, goal, judge(view, value, goal, has_data),
               len(met), len(checks) or None, sorted(s.id for s in view.staff))]
    item_definition = f"满足该项要求的在项人数，不少于合同要求。{base}{STATUS_RULE}"
    for qualifier, name, have, need, ids in checks:
        out.append(count(view, f"team_composition/{qualifier}", name, item_definition, have, need, ids,
                         bool(view.staff), None))
    return out


# -- descriptive: cases and money ------------------------------------------------------------
def case_counts(view: ContractView) -> list[Kpi]:
    frames = frames_for(view)
    ids = frames.case_ids(view.id)
    base = f"截至统计日已登记的案件线索（按登记日期）。{AS_OF_RULE}{DESCRIPTIVE_RULE}"
    out = [count(view, "cases_total", "案件线索总数", base, len(ids), None, ids, bool(ids))]
    dimensions = (("source", "cases_by_source", "线索来源", view.schemas.terms("case_source")),
                  ("status", "cases_by_status", "案件状态", view.schemas.terms("case_status")),
                  ("violation", "cases_by_violation_type", "违规类型", None))
    for column, prefix, label, terms in dimensions:
        groups = frames.cases_by(view.id, column)
        keys = terms if terms is not None else [t for t in view.schemas.terms("violation_type") if t in groups]
        extra = "状态按统计日的时间节点推算。" if column == "status" else "涉及多种违规类型的案件在每一类型下各计 1 件。" if column == "violation" else ""
        definition = f"按{label}分列的案件线索数。{extra}{base}"
        for key in keys:
            found = groups.get(key, [])
            out.append(count(view, f"{prefix}/{key}", sub_name("案件线索数", key), definition, len(found), None, found, bool(found)))
    return out


def money_kpis(view: ContractView) -> list[Kpi]:
    frames = frames_for(view)
    labels = {name: view.schemas.title("case", ("money", name)).replace("（元）", "") for name in MONEY_FIELDS}
    rule = ("涉及金额自登记日起计入；拒付、追回和罚款金额自决定日（无决定日则结案日、再无则登记日）起计入。"
            "金额按元精确求和（到分）。")
    dimensions = (("subject", "by_subject", "对象类型", view.schemas.terms("subject_type"), ""),
                  ("violation", "by_violation", "违规类型", view.schemas.terms("violation_type"),
                   "涉及多种违规类型的案件，金额在每一类型下全额计入，各类型之和可能大于合计。"))
    out = []
    for name in MONEY_FIELDS:
        total = frames.money_total(view.id, name)
        amount = total.amount if total is not None else None
        definition = f"案件{labels[name]}合计。{rule}{AS_OF_RULE}{DESCRIPTIVE_RULE}"
        out.append(Kpi(f"money_{name}", f"{labels[name]}合计", definition, amount, None,
                       judge(view, amount, None, amount is not None), amount, None,
                       list(total.ids) if total is not None else [], YUAN))
        for column, dimension, what, order, note in dimensions:
            sums = frames.money_by(view.id, column, name)
            sub_definition = f"按{what}分列的案件{labels[name]}。{note}{rule}{AS_OF_RULE}{DESCRIPTIVE_RULE}"
            for key in [k for k in order if k in sums]:
                found = sums[key]
                out.append(Kpi(f"money_{name}/{dimension}/{key}", sub_name(labels[name], key), sub_definition, found.amount,
                               None, judge(view, found.amount, None, True), found.amount, None, list(found.ids), YUAN))
    return out


# -- descriptive: milestones and deadline rules without a target -----------------------------
def milestone_kpis(view: ContractView, deadlines: list[Deadline]) -> list[Kpi]:
    items = [d for d in deadlines if d.kind == "milestone"]
    definition = ("阶段节点（合同的 milestones 和专项治理的 phases）在截止日期当天或以前完成（completed_on）为达标；已完成但晚于截止日期、或截止日期已过仍未完成为未达标；"
                  "截止日期未到且未完成为进行中。合计 = 按时完成的节点数 ÷ 节点总数：全部按时为达标，"
                  "仍有未到期节点为进行中，否则为未达标。只计统计日当天及以前的完成日期。")
    met = [d for d in items if d.status == DeadlineStatus.ON_TIME]
    still_open = [d for d in items if d.status in (DeadlineStatus.DUE_SOON, DeadlineStatus.OPEN)]
    status = (KpiStatus.NO_DATA if not items else KpiStatus.MET if len(met) == len(items) else
              KpiStatus.IN_PROGRESS if still_open else KpiStatus.NOT_MET)
    out = [Kpi("milestones", "阶段节点按时完成", definition, Fraction(len(met), len(items)) if items else None, 1,
               status, len(met), len(items) or None, sorted({d.record for d in items}))]
    out[0].facts = [deadline_fact(d) for d in items if d.decided]
    for d in items:
        status = (KpiStatus.MET if d.status == DeadlineStatus.ON_TIME else
                  KpiStatus.NOT_MET if d.status in (DeadlineStatus.LATE, DeadlineStatus.OVERDUE) else KpiStatus.IN_PROGRESS)
        out.append(Kpi(f"milestones/{d.rule}", f"{d.name}（{d.due.isoformat()} 前）", definition,
                       1 if status == KpiStatus.MET else 0, 1, status, 1 if status == KpiStatus.MET else 0, 1, [d.record], COUNT))
    return out


def untargeted_on_time(view: ContractView, deadlines: list[Deadline], targets: list[dict]) -> list[Kpi]:
    """On-time rates for deadline rules no target refers to; 无数据 when a kind has no rule at all."""
    out = []
    for metric_id, kind, label in (("reports_on_time", "inspection", "调查报告按时率"), ("cases_on_time", "case", "案件按时办结率")):
        targeted = [t for t in targets if t.get("metric") == metric_id]
        if any(not t.get("deadline") for t in targeted):
            continue  # a target without a rule reference already covers every rule of the kind
        referenced = {t.get("deadline") for t in targeted}
        rules = [r for r in _rules(view, kind) if r.get("id") not in referenced]
        if not rules and not targeted:
            definition = f"本项目合同未约定该类时限（deadlines 中没有 applies_to: {kind} 的规则），无法计算。"
            out.append(Kpi(metric_id, label, definition, None, None, KpiStatus.NO_DATA))
        for rule in rules:
            items = [d for d in deadlines if d.kind == kind and d.rule == rule.get("id")]
            out.append(on_time_kpi(view, f"{metric_id}/{rule.get('id')}", rule.get("name") or label, [rule], items, None))
    return out + legal_on_time(view, deadlines)


def legal_on_time(view: ContractView, deadlines: list[Deadline]) -> list[Kpi]:
    """The on-time rate of the contract's cases under each procedure deadline the law sets (the
    provisions' ``deadlines``, :func:`.deadlines.law_rules`): descriptive, no contract sets a target
    on the law; only for a rule with at least one of the contract's cases under it."""
    out = []
    for rule in law_rules(view):
        items = [d for d in deadlines if d.rule == rule.id]
        if items:
            out.append(on_time_kpi(view, f"legal_on_time/{rule.id}", f"法定期限按时率：{rule.name}", [rule.raw], items, None))
    return out


# -- all KPIs of a contract ------------------------------------------------------------------
def unique_ids(kpis: list[Kpi]) -> list[Kpi]:
    seen: dict[str, int] = defaultdict(int)
    for kpi in kpis:
        seen[kpi.id] += 1
        if seen[kpi.id] > 1:
            kpi.id = f"{kpi.id}#{seen[kpi.id]}"
    return kpis


def with_defaults(view: ContractView, target: dict) -> dict:
    """The target with the metric's defaults (``x-defaults`` of the metric vocabulary) for the
    fields it leaves out, e.g. 病历 as the sampling basis of ``record_sampling_rate``."""
    defaults = view.schemas.vocab("metric").get("x-defaults", {}).get(target.get("metric"), {})
    missing = {name: value for name, value in defaults.items() if not target.get(name)}
    return {**target, **missing} if missing else target


def contract_kpis(view: ContractView, deadlines: list[Deadline]) -> list[Kpi]:
    targets = [t for t in view.contract.get("targets") or [] if isinstance(t, dict)]
    out: list[Kpi] = []
    for position, target in enumerate(targets, start=1):
        fn = METRICS.get(target.get("metric"))
        if fn is not None:
            made = fn(view, with_defaults(view, target), deadlines)
            if made:
                made[0].contract_target = position
            out.extend(made)
    out.extend(untargeted_on_time(view, deadlines, targets))
    out.extend(milestone_kpis(view, deadlines))
    out.extend(case_counts(view))
    out.extend(money_kpis(view))
    return unique_ids(out)
