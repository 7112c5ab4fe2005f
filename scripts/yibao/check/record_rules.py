"""Rules about one record on its own. Each rule is a small function named after what it checks.

Rules run after the schema check and only look at fields that are present and well-typed, so a
broken record gets its schema errors, not a cascade.
"""
from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from decimal import Decimal
from typing import Callable

from ..core.record import Record, stem
from ..core.schemas import SchemaSet
from .findings import ErrorIf, Findings, as_date

Rule = Callable[[Record, ErrorIf, SchemaSet, Findings], None]
RULES: dict[str, list[Rule]] = defaultdict(list)
ALL_KINDS = "*"


def rule(*kinds: str):
    def register(fn: Rule) -> Rule:
        for kind in kinds:
            RULES[kind].append(fn)
        return fn
    return register


def check_record_rules(record: Record, schemas: SchemaSet, findings: Findings) -> None:
    error_if = ErrorIf(record, findings, lambda path: schemas.title(record.kind, path))
    for fn in RULES[ALL_KINDS] + RULES[record.kind]:
        fn(record, error_if, schemas, findings)


def _list(value: object) -> list:
    """The items of a list field; a field of another type has none (the schema check reports it)."""
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    """A term as written, or None when the value is not text (the schema check reports it)."""
    return value if isinstance(value, str) else None


# -- every kind ------------------------------------------------------------------------------
@rule(ALL_KINDS)
def id_equals_file_name(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    name = stem(r.path)
    if r.id is not None and r.id != name:
        f.error("id-mismatch", f"编号 {r.id} 与文件名 {name}.yaml 不一致；文件名必须等于记录编号", ("id",))


@rule(ALL_KINDS)
def year_folder_matches_id(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    parts = r.path.split("/")
    if len(parts) == 4 and r.id and r.id.count("-") >= 2:
        folder, year = parts[2], r.id.split("-")[1]
        if folder != year:
            f.error("wrong-folder", f"编号 {r.id} 属于 {year} 年，文件却放在 {folder}/ 目录；请移到 records/{r.kind}/{year}/", ("id",))


@rule(ALL_KINDS)
def withdrawn_records_say_why(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    status = r.get("status")
    withdrawn_terms = _withdrawn_terms(s, r.kind)
    if not withdrawn_terms:
        return
    if status in withdrawn_terms and r.get("withdrawal") is None:
        f.error("withdrawal-missing", f"状态为{status}，但没有填写撤回信息 withdrawal（日期、原因、提出人）", ("status",))
    if r.get("withdrawal") is not None and status not in withdrawn_terms:
        f.error("withdrawal-status", f"填写了撤回信息，状态却是“{status}”；撤回的记录状态应为{'、'.join(withdrawn_terms)}", ("status",))


def _withdrawn_terms(s: SchemaSet, kind: str) -> list[str]:
    info = s.field(kind, ("status",))
    if info is None or info.vocabulary is None:
        return []
    return s.vocab(info.vocabulary).get("x-withdrawn", [])


# -- institution -----------------------------------------------------------------------------
@rule("institution")
def code_prefix_fits_type(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    prefixes = s.vocab("institution_type").get("x-id-prefix", {})
    kind, code = _text(r.get("type")), r.id
    if code and kind in prefixes and not code.startswith(prefixes[kind]):
        f.error("id-type-mismatch", f"机构编码 {code} 以 {code[0]} 开头，与机构类型“{kind}”不符（应以 {prefixes[kind]} 开头）", ("id",))


@rule("institution")
def code_region_fits_region(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    code, region = r.id, r.get("region_code")
    if code and isinstance(region, str) and len(code) == 12 and code[1:7] != region:
        f.error("id-region-mismatch", f"机构编码 {code} 中的行政区划 {code[1:7]} 与 region_code {region} 不一致", ("region_code",))


@rule("institution")
def protocol_history_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    history = r.get("protocol_history")
    if isinstance(history, list):
        dates = [(i, as_date(h.get("since"))) for i, h in enumerate(history) if isinstance(h, dict)]
        for (i, d1), (j, d2) in zip(dates, dates[1:]):
            if d1 and d2 and d2 < d1:
                f.error("date-order", f"协议状态记录应按日期先后排列：第 {j + 1} 条（{d2}）早于第 {i + 1} 条（{d1}）", ("protocol_history", j, "since"))


@rule("institution")
def one_volume_per_year(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    seen: dict[int, int] = {}
    for i, volume in enumerate(_list(r.get("volumes"))):
        year = volume.get("year") if isinstance(volume, dict) else None
        if isinstance(year, int):
            if year in seen:
                f.error("duplicate-year", f"{year} 年的业务量写了两次（第 {seen[year] + 1} 条和第 {i + 1} 条）", ("volumes", i, "year"))
            seen.setdefault(year, i)


# -- inspection ------------------------------------------------------------------------------
@rule("inspection")
def inspection_dates_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.out_of_order("start_date", "end_date", "report.submitted_on", "report.accepted_on")
    e.out_of_order("sampling.period_start", "sampling.period_end")


@rule("inspection")
def sample_fits_population(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.greater("sampling.sampled", than="sampling.population", code="sample-exceeds-population", why="；抽审数不能超过期间总数")
    e.greater("sampling.problem_records", than="sampling.sampled", code="problems-exceed-sample", why="；问题数不能超过抽审数")


@rule("inspection")
def on_site_needs_two_inspectors(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    if r.get("on_site") is True:
        e.fewer_items("inspectors", 2, "too-few-inspectors", "现场检查的检查人员不得少于 2 人（《医疗保障基金使用监督管理条例》第二十九条）")


@rule("inspection")
def report_fits_status(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """The vocabulary says which statuses need a report (``x-reported``), which need it accepted
    (``x-closed``), and which come before any report can exist (``x-unfinished``)."""
    status = r.get("status")
    vocab = s.vocab("inspection_status")
    e.missing_when("report", status in vocab.get("x-reported", []), "report-missing", f"状态为{status}时必须填写调查报告")
    e.missing_when("report.accepted_on", status in vocab.get("x-closed", []) and isinstance(r.get("report"), dict),
                   "report-missing", f"{status}时必须填写采纳日期")
    if isinstance(r.get("report"), dict) and status in vocab.get("x-unfinished", []):
        f.error("status-mismatch", f"已填写调查报告，状态却是“{status}”；请把状态改为已提交报告", ("status",))


# -- case ------------------------------------------------------------------------------------
CASE_TIMELINE = ("timeline.registered_on", "timeline.filed_on", "timeline.investigation_ended_on",
                 "timeline.notified_on", "timeline.decided_on", "timeline.closed_on")


@rule("case")
def case_timeline_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.out_of_order(*CASE_TIMELINE)


@rule("case")
def closed_case_has_close_date(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """A closed status that is a stage of the timeline (``x-closed`` and ``x-timeline``: 已结案, not
    不予立案) needs that stage's date."""
    status = r.get("status")
    vocab = s.vocab("case_status")
    stage_date = vocab.get("x-timeline", {}).get(_text(status)) if status in vocab.get("x-closed", []) else None
    if stage_date:
        label = s.title("case", tuple(stage_date.split(".")))
        e.missing_when(stage_date, True, "closed-on-missing", f"{status}的案件必须填写{label}日期")
    closed_terms = vocab.get("x-closed", []) + vocab.get("x-withdrawn", [])
    if r.get("timeline.closed_on") is not None and status not in closed_terms:
        f.error("status-mismatch", f"已填写结案日期，状态却是“{status}”；请把状态改为已结案", ("status",))


@rule("case")
def subject_reference_fits_type(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    subject_type = r.get("subject.type")
    persons = s.vocab("subject_type").get("x-person", [])
    if subject_type is None:
        return
    is_person = subject_type in persons
    e.missing_when("subject.institution", not is_person, "subject-reference-missing", f"对象类型为{subject_type}时必须填写机构编码")
    e.missing_when("subject.person_code", is_person, "subject-reference-missing", f"对象类型为{subject_type}时必须填写人员化名编码")
    e.present_unless("subject.person_code", is_person, "subject-reference-mismatch", f"对象类型为{subject_type}，不涉及个人")


@rule("case")
def money_within_involved(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """Refused plus recovered money is part of the money involved (exact: Decimal, to the fen)."""
    amounts = {name: _decimal(r.get(f"money.{name}")) for name in ("involved", "refused", "recovered")}
    involved = amounts.pop("involved")
    parts = {name: value for name, value in amounts.items() if value is not None}
    if involved is None or not parts or sum(parts.values()) <= involved:
        return
    def label(name: str) -> str:
        return s.title("case", ("money", name)).replace("（元）", "")

    said = " + ".join(f"{label(name)} {value} 元" for name, value in parts.items())
    total = f" = {sum(parts.values())} 元" if len(parts) > 1 else ""
    f.warning("money-exceeds-involved",
              f"{said}{total}，超过{label('involved')} {involved} 元；拒付和追回的是涉及金额的一部分，请核对金额",
              ("money", "recovered" if "recovered" in parts else "refused"))


def _decimal(value: object) -> Decimal | None:
    """An amount as loaded (Decimal, or int for whole yuan) as a Decimal; anything else None."""
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return None


@rule("case")
def violation_types_fit_subject(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    applies = s.vocab("violation_type").get("x-applies-to", {})
    subject_type = r.get("subject.type")
    for i, term in enumerate(_list(r.get("violation_types"))):
        allowed = applies.get(_text(term))
        if allowed and subject_type in s.terms("subject_type") and subject_type not in allowed:
            f.error("violation-type-mismatch", f"违规类型“{term}”不适用于{subject_type}（适用于：{'、'.join(allowed)}）", ("violation_types", i))


# -- training --------------------------------------------------------------------------------
@rule("training")
def training_dates_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.out_of_order("start_date", "end_date")


# -- staff -----------------------------------------------------------------------------------
@rule("staff")
def staff_dates_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.out_of_order("joined_on", "left_on")


# -- contract --------------------------------------------------------------------------------
@rule("contract")
def contract_period_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.out_of_order("period.start", "period.end")


@rule("contract")
def contract_rule_ids_unique(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    for section in ("deadlines", "milestones"):
        seen: set[str] = set()
        for i, item in enumerate(_list(r.get(section))):
            ident = _text(item.get("id")) if isinstance(item, dict) else None
            if ident is not None and ident in seen:
                f.error("duplicate-rule-id", f"{s.title('contract', (section,))}中编码 {ident} 重复", (section, i, "id"))
            seen.add(ident)
    deadline_ids = {_text(d.get("id")) for d in _list(r.get("deadlines")) if isinstance(d, dict)}
    for i, target in enumerate(_list(r.get("targets"))):
        ref = _text(target.get("deadline")) if isinstance(target, dict) else None
        if ref is not None and ref not in deadline_ids:
            f.error("unresolved-reference", f"考核目标引用的时限规则 {ref} 在本合同的 deadlines 中不存在", ("targets", i, "deadline"))


# -- calendar --------------------------------------------------------------------------------
@rule("calendar")
def calendar_matches_year(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    year = r.get("year")
    if not isinstance(year, int):
        return
    if r.id is not None and r.id != f"RL-{year}":
        f.error("id-mismatch", f"日历编号应为 RL-{year}（与年度一致）", ("id",))
    for section, fields in (("holidays", ("start", "end")), ("makeup_workdays", ("date",))):
        for i, item in enumerate(_list(r.get(section))):
            for name in fields:
                day = as_date(item.get(name)) if isinstance(item, dict) else None
                if day and day.year != year:
                    f.error("date-outside-year", f"{day} 不在 {year} 年内；跨年的假期请分别写在两年的日历里", (section, i, name))


@rule("calendar")
def calendar_days_consistent(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    holidays: dict[_dt.date, int] = {}
    for i, item in enumerate(_list(r.get("holidays"))):
        if not isinstance(item, dict):
            continue
        start, end = as_date(item.get("start")), as_date(item.get("end"))
        if not (start and end):
            continue
        if end < start:
            f.error("date-order", f"放假止（{end}）早于放假起（{start}）", ("holidays", i, "end"))
            continue
        day = start
        while day <= end:
            if day in holidays:
                f.error("overlapping-holidays", f"{day} 同时出现在两段放假安排中", ("holidays", i, "start"))
                break
            holidays[day] = i
            day += _dt.timedelta(days=1)
    for i, item in enumerate(_list(r.get("makeup_workdays"))):
        day = as_date(item.get("date")) if isinstance(item, dict) else None
        if day is None:
            continue
        if day.weekday() < 5:
            f.error("makeup-not-weekend", f"调休上班日 {day} 是星期{'一二三四五'[day.weekday()]}，本来就是工作日；调休上班日应为周六或周日", ("makeup_workdays", i, "date"))
        if day in holidays:
            f.error("overlapping-holidays", f"{day} 既是放假日又是调休上班日", ("makeup_workdays", i, "date"))


# -- provisions and reward policies -----------------------------------------------------------------
@rule("provision")
def provision_ranges_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """A fine's lowest multiple or amount is not above its highest, a suspension's shortest not above its longest."""
    e.greater("fine.min_multiple", "fine.max_multiple", "range-order", "；最低倍数不能高于最高倍数")
    e.greater("fine.min_yuan", "fine.max_yuan", "range-order", "；最低罚款不能高于最高罚款")
    e.greater("suspension.min_months", "suspension.max_months", "range-order", "；最短期限不能长于最长期限")
    multiples = r.get("fine.min_multiple") is not None or r.get("fine.max_multiple") is not None
    e.missing_when("fine.multiple_of", multiples, "fine-basis-missing", "按倍数计算罚款时必须写明倍数的基数")
    e.missing_when("fine.max_multiple", r.get("fine.min_multiple") is not None, "fine-basis-missing", "写了最低倍数就要写最高倍数")
    e.missing_when("fine.max_yuan", r.get("fine.min_yuan") is not None, "fine-basis-missing", "写了最低罚款就要写最高罚款")


@rule("reward_policy")
def reward_policy_limits_in_order(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    e.greater("minimum", "maximum", "range-order", "；最低奖励不能高于最高奖励")


# -- extrapolations ---------------------------------------------------------------------------------
@rule("extrapolation")
def extrapolation_figures_recompute(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """The stored figures are what the estimator gives for the strata, to the fen (``check.planning``)."""
    from .planning import extrapolation_figures

    extrapolation_figures(r, f.error)


# -- what the contract pays for: budgets, instalments, evaluation schemes (``check.money``) ----------
@rule("budget", "contract", "evaluation_scheme", "acceptance")
def money_terms_consistent(r: Record, e: ErrorIf, s: SchemaSet, f: Findings) -> None:
    """Budget lines add up, instalments make up the contract amount, weights make 100."""
    from .money import record_findings

    record_findings(r, f.error, f.warning)
