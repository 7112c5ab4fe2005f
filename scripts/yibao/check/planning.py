"""Planning records checked against a recomputation: sampling plans, extrapolations, and the cases
that cite an extrapolation.

- ``plan-count-mismatch`` (error): a sampling plan's volume years, volume, rate or fixed count,
  required count, statistical size, planned count or selected count differs from what its contract
  target (``metric`` + ``sampling_basis``; how the metric is planned is ``x-plan-rule`` of the
  metric vocabulary) and the institutions' recorded volumes give (:mod:`yibao.core.sampling_plan`).
- ``extrapolation-mismatch`` (error): an extrapolation's stored figures differ, to the fen, from
  :func:`yibao.core.extrapolation.appraise` of its strata, or the strata cannot support an estimate.
- ``extrapolated-amount-mismatch`` (error): a case cites an extrapolation (``money.extrapolation``)
  and its ``money.extrapolated`` is not the extrapolation's demand (the lower 90% limit, never below
  zero), or the extrapolation concerns another institution or contract.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from ..core import extrapolation as appraisal
from ..core import sampling_plan as plans
from ..core.calendar import to_date
from ..core.record import Record
from ..core.schemas import SchemaSet
from ..core.scope import ScopeTerms, institutions_in_scope

T_PLACES = Decimal("0.0001")


# -- extrapolations -------------------------------------------------------------------------------------------
def strata_of(record: Record) -> list[appraisal.Stratum]:
    """The record's strata as the estimator takes them (amounts as loaded: Decimal, int for whole yuan)."""
    out = []
    strata = record.get("strata")
    for item in strata if isinstance(strata, list) else []:
        if not isinstance(item, dict):
            continue
        amounts = item.get("overpayments") if isinstance(item.get("overpayments"), list) else []
        total = item.get("population_amount")
        out.append(appraisal.Stratum(
            name=str(item.get("name")), population_size=item.get("population_size") if isinstance(item.get("population_size"), int) else 0,
            overpayments=tuple(Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in amounts),
            population_amount=Decimal(total) if isinstance(total, int) else total))
    return out


def figures(estimate: appraisal.Estimate) -> dict:
    """The ``result`` block an extrapolation record holds (what ``yibao extrapolate`` writes)."""
    return {
        "method": estimate.method,
        "sample_size": estimate.sample_size,
        "population_size": estimate.population_size,
        "degrees_of_freedom": estimate.degrees_of_freedom,
        "point_estimate": estimate.point,
        "standard_error": estimate.standard_error,
        "limits": [{"confidence": lim.confidence, "t_value": Decimal(repr(lim.t_value)).quantize(T_PLACES),
                    "lower": lim.lower, "upper": lim.upper} for lim in estimate.limits],
        "demand": estimate.demand,
    }


def expected_figures(record: Record) -> tuple[dict | None, str]:
    """(the figures of the record's strata, or None with the Chinese reason they cannot be computed)."""
    try:
        return figures(appraisal.appraise(strata_of(record))), ""
    except appraisal.ExtrapolationError as exc:
        return None, str(exc)
    except (TypeError, ValueError, ArithmeticError):
        return None, "分层数据的格式有误（见本文件的其他错误）"


def _same(written, expected) -> bool:
    """Equal as written: amounts exactly (Decimal; a cross-record view holds them as text)."""
    if isinstance(expected, Decimal):
        if isinstance(written, str):
            try:
                written = Decimal(written)
            except ArithmeticError:
                return False
        if isinstance(written, bool) or not isinstance(written, (int, Decimal)):
            return False
        return Decimal(written) == expected
    return written == expected


def figure_differences(written, expected: dict) -> list[tuple[tuple, str, object, object]]:
    """(path under ``result``, label, written, expected) for every stored figure that is not the recomputed one."""
    written = written if isinstance(written, dict) else {}
    out = []
    for key, value in expected.items():
        have = written.get(key)
        if key == "limits":
            rows = have if isinstance(have, list) else []
            for i, want in enumerate(value):
                row = rows[i] if i < len(rows) and isinstance(rows[i], dict) else {}
                for name, want_value in want.items():
                    if not _same(row.get(name), want_value):
                        out.append((("result", "limits", i, name), f"{want['confidence']}% 置信限的{LIMIT_LABELS[name]}", row.get(name), want_value))
            if len(rows) > len(value):
                out.append((("result", "limits"), "置信限的个数", len(rows), len(value)))
        elif not _same(have, value):
            out.append((("result", key), RESULT_LABELS[key], have, value))
    return out


RESULT_LABELS = {"method": "计算方法", "sample_size": "样本单位数", "population_size": "总体单位数", "degrees_of_freedom": "自由度",
                 "point_estimate": "点估计", "standard_error": "标准误", "limits": "置信限", "demand": "追回依据金额"}
LIMIT_LABELS = {"confidence": "置信水平", "t_value": "t 值", "lower": "下限", "upper": "上限"}


def extrapolation_figures(record: Record, report) -> None:
    """``report(code, message, path)`` for every stored figure a recomputation does not give."""
    expected, reason = expected_figures(record)
    if expected is None:
        report("extrapolation-mismatch", f"无法外推：{reason}", ("strata",))
        return
    if record.get("result") is None:
        report("extrapolation-mismatch", "缺少外推结果：请运行 yibao extrapolate 写入计算结果", ("strata",))
        return
    for path, label, have, want in figure_differences(record.get("result"), expected):
        report("extrapolation-mismatch", f"{label}记为 {_show(have)}，按样本重新计算应为 {_show(want)}（更新：yibao extrapolate 文件）", path)


def _show(value) -> str:
    return "（无）" if value is None else str(value)


def case_cites_extrapolation(record: Record, index, schemas: SchemaSet, report) -> None:
    ident, amount = record.get("money.extrapolation"), record.get("money.extrapolated")
    if ident is None:
        if amount is not None:
            report(record, "extrapolated-amount-mismatch", "填写了按抽样外推认定的金额，但没有写外推依据（money.extrapolation）", ("money", "extrapolated"))
        return
    source = index.get("extrapolation", ident)
    if source is None:
        return  # the unresolved reference is reported
    if source.get("contract") != record.get("contract"):
        report(record, "extrapolated-amount-mismatch", f"外推 {ident} 属于项目 {source.get('contract')}，不是本案件的项目 {record.get('contract')}",
               ("money", "extrapolation"))
    institution = record.get("subject.institution")
    if institution is not None and source.get("institution") != institution:
        report(record, "extrapolated-amount-mismatch", f"外推 {ident} 推算的是 {source.get('institution')}，本案件的对象是 {institution}",
               ("money", "extrapolation"))
    demand = source.get("result.demand")
    if demand is None:
        return  # the extrapolation's own check reports its missing figures
    try:
        demand = Decimal(demand) if isinstance(demand, (str, int, Decimal)) and not isinstance(demand, bool) else None
    except ArithmeticError:
        demand = None
    if demand is None:
        return  # a mistyped demand is the extrapolation's own schema error
    if amount is None or not _same(amount, demand):
        report(record, "extrapolated-amount-mismatch",
               f"按抽样外推认定的金额应为外推 {ident} 的 90% 置信区间下限 {demand:.2f} 元，记为 {_show(amount)}",
               ("money", "extrapolated") if amount is not None else ("money", "extrapolation"))


# -- sampling plans -------------------------------------------------------------------------------------------
def plan_rule(schemas: SchemaSet, metric) -> str | None:
    """How a metric's target is planned (``x-plan-rule``): a share of volume, a fixed count, or None."""
    return schemas.vocab("metric").get("x-plan-rule", {}).get(metric) if isinstance(metric, str) else None


def target_of(contract: Record, metric, basis, schemas: SchemaSet) -> dict | None:
    """The contract's target of that metric and sampling basis (the metric's ``x-defaults`` filled in)."""
    defaults = schemas.vocab("metric").get("x-defaults", {}).get(metric, {}) if isinstance(metric, str) else {}
    targets = contract.get("targets")
    for target in targets if isinstance(targets, list) else []:
        if not isinstance(target, dict) or target.get("metric") != metric:
            continue
        target = {**defaults, **{k: v for k, v in target.items() if v}}
        if target.get("sampling_basis") in (None, basis):
            return target
    return None


def eligible(target: dict, institution: Record) -> bool:
    types = target.get("institution_types")
    if isinstance(types, list) and types and institution.get("type") not in types:
        return False
    return not target.get("inpatient_only") or institution.get("inpatient_service") is True


def expected_plan(record: Record, contract: Record, institution: Record, schemas: SchemaSet,
                  institutions: Iterable[Record] | None) -> tuple[dict | None, str]:
    """(the counts the plan should hold, or None with the Chinese reason), from the contract and the volumes.

    ``institutions``: every institution record, needed when the target is a fixed count shared by volume."""
    metric, basis = record.get("metric"), record.get("sampling_basis")
    rule = plan_rule(schemas, metric)
    if rule is None:
        return None, f"指标 {metric} 不能作为病历抽样计划的依据（词表 metric 的 x-plan-rule）"
    target = target_of(contract, metric, basis, schemas)
    if target is None:
        return None, f"项目 {contract.id} 没有抽审对象为{basis}的考核目标 {metric}"
    if not eligible(target, institution):
        return None, f"{institution.id} 不在该考核目标的机构范围内（{'、'.join(target.get('institution_types') or [])}）"
    start = to_date(contract.get("period.start"))
    field = schemas.vocab("sampling_basis").get("x-volume-field", {}).get(basis)
    if start is None or field is None:
        return None, "项目服务期或抽审对象的业务量字段无效"
    years = plans.volume_years(target, start.year)
    volume = plans.volume_of(institution.get("volumes"), field, years)
    if volume is None:
        return None, f"{institution.id} 缺少 {'、'.join(map(str, years))} 年的业务量（volumes.{field}）"
    goal = target.get("target")
    out: dict = {"volume_years": years, "volume": volume}
    try:
        if rule == plans.SHARE:
            out["rate"] = goal
            out["required_count"] = plans.required_count(goal, volume)
        else:
            if institutions is None:
                return None, ""
            terms = ScopeTerms.of(schemas)
            scope = [i for i in institutions_in_scope(contract, institutions, start, terms) if eligible(target, i)]
            scope_volume = sum(v for v in (plans.volume_of(i.get("volumes"), field, years) for i in scope) if v is not None)
            out.update({"target_count": goal, "scope_volume": scope_volume,
                        "required_count": plans.allocated_count(goal, volume, scope_volume)})
        statistical = record.get("statistical")
        size = None
        if isinstance(statistical, dict):
            size = statistical_size(statistical, volume)
            out["statistical.size"] = size
        out["planned_count"] = plans.planned_count(out["required_count"], size)
    except (plans.PlanError, TypeError, ValueError, ZeroDivisionError) as exc:
        return None, str(exc)
    return out, ""


def statistical_size(spec: dict, population: int) -> int:
    confidence, margin = float(spec.get("confidence")), float(spec.get("margin"))
    if spec.get("std_dev") is not None:
        return plans.amount_sample_size(population, float(spec.get("std_dev")), margin, confidence)
    return plans.proportion_sample_size(population, margin, confidence, float(spec.get("expected", 0.5)))


PLAN_LABELS = {"volume_years": "业务量年度", "volume": "该机构业务量", "rate": "合同抽审比例", "target_count": "合同固定份数",
               "scope_volume": "范围内机构业务量合计", "required_count": "按合同应抽份数", "statistical.size": "统计样本量",
               "planned_count": "计划抽取份数"}


def plan_counts_match(record: Record, index, schemas: SchemaSet, report) -> None:
    contract = index.get("contract", record.get("contract") or "")
    institution = index.get("institution", record.get("institution") or "")
    if contract is None or institution is None:
        return  # the unresolved reference is reported
    wholesale = plan_rule(schemas, record.get("metric")) == plans.COUNT
    if wholesale and not index.complete:
        return
    everyone = list(index.records_of("institution")) if wholesale else None
    try:
        expected, reason = expected_plan(record, contract, institution, schemas, everyone)
    except (TypeError, ValueError, AttributeError, ArithmeticError):
        return  # mistyped fields: the schema check reports them
    if expected is None:
        if reason:
            report(record, "plan-count-mismatch", f"无法按合同核算抽样计划：{reason}", ("metric",))
        return
    for dotted, want in expected.items():
        have = record.get(dotted)
        if not _same(have, Decimal(str(want)) if isinstance(want, (Decimal, float)) else want):
            report(record, "plan-count-mismatch",
                   f"{PLAN_LABELS[dotted]}记为 {_show(have)}，按合同目标和机构业务量应为 {_show(want)}（重算：yibao sample plan）",
                   tuple(dotted.split(".")) if have is not None else ("metric",))
    count, size = record.get("selection.count"), record.get("selection.list_size")
    if count is not None and count != expected["planned_count"]:
        report(record, "plan-count-mismatch", f"抽取份数 {count} 与计划抽取份数 {expected['planned_count']} 不一致", ("selection", "count"))
    if isinstance(count, int) and isinstance(size, int) and count > size:
        report(record, "plan-count-mismatch", f"抽取份数 {count} 超过清单份数 {size}", ("selection", "count"))


def any_version_matters(reader: Record, versions: list[Record]) -> bool:
    """A plan that shares a fixed count by volume (it holds ``scope_volume``) reads every
    institution's volumes; a plan of a share reads only its own institution, which it refers to."""
    return bool(versions) and reader.get("scope_volume") is not None
