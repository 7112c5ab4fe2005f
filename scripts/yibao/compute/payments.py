"""What the contract pays, as of a date: each instalment's amount, trigger date, due date, paid date
and lateness; and the fee cap of a contract paid by a share of actual spending.

An instalment (``contract.instalments``) is paid when all of its conditions (``after``) have
happened; the last of them is its trigger date. Conditions are codes implemented here by name,
as metrics are (vocabulary ``payment_trigger``):

* ``signing`` — the contract's ``signed_on``;
* ``team_in_place`` — the first day from signing (or the service start) on which the team met
  every team requirement of the contract (roles, titles, education, employment, postings: the
  same checks as the ``team_composition`` KPI), *and* a passed acceptance record
  (``records/acceptance/``) of ``team_in_place``: seed 000 "供应商人员配备到位，并满足采购方要求后";
* ``acceptance`` — the first passed acceptance record of ``acceptance`` (000: "项目验收完毕后",
  "由克拉玛依区医疗保障局审定");
* ``evaluation`` — the passed acceptance record of ``evaluation`` for the instalment's ``period``.

An instalment that names an ``evaluation_scheme`` and ``period`` (whatever its conditions: for
Karamay the bureau's acceptance rests on its scored review) is paid at the payment share of the
evaluation's tier (:mod:`.evaluation`); with an incomplete evaluation the amount is not yet known.
An instalment of ``fee_cap_year`` is that year's fee cap from the spending recorded by ``as_of``.

The due date is the trigger date plus ``days`` of the instalment's ``day_type``, counted as the
Civil Code says (:meth:`~yibao.core.calendar.WorkCalendar.add_days`: a natural-day period ending on
a rest day runs to the next working day unless ``roll: false``). Payment records
(``records/payment/``) of the instalment dated by ``as_of`` are summed; the instalment is paid on
the day the sum reached its amount. Late is flagged, never refused: 逾期支付 with the days late, or
已逾期 (not paid, past due) with the days overdue as of the date.

Amounts are exact Decimals in yuan: a share of the contract amount is rounded to the fen (half up),
the remainder instalment takes what the others leave.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from ..core.calendar import CalendarYearMissing, to_date
from ..core.instalments import base_amounts, fee_cap, money
from ..core.labelled import Labelled
from ..core.record import Record
from . import evaluation as ev
from . import kpis as kpis_mod
from . import team
from .view import ContractView

FEN = Decimal("0.01")
ZERO = Decimal("0")


class PaymentStatus(Labelled):
    NOT_TRIGGERED = "条件未满足"
    OPEN = "未到期"
    OVERDUE = "已逾期"
    PAID_ON_TIME = "按时支付"
    PAID_LATE = "逾期支付"
    PAID_EARLY = "条件满足前已支付"


@dataclass
class Instalment:
    contract: str
    id: str
    name: str
    base: Decimal | None  # the amount the contract states (share × contract amount, amount, remainder)
    amount: Decimal | None  # what is payable: base, scaled by the evaluation's tier for an evaluation instalment
    conditions: list[dict]  # {"trigger", "label", "date", "record", "note"} per condition
    trigger_date: _dt.date | None
    due: _dt.date | None
    rolled_from: _dt.date | None
    days: int | None
    day_type: str | None
    paid: Decimal
    paid_on: _dt.date | None
    payments: list[str]
    status: PaymentStatus
    days_late: int | None = None
    evaluation: dict | None = None  # {"scheme", "period", "score", "tier", "payment_share", "complete", "text"}
    source: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        def d(x):
            return x.isoformat() if x else None

        def y(x):
            return None if x is None else float(x.quantize(FEN))

        return {"contract": self.contract, "id": self.id, "name": self.name, "base": y(self.base), "amount": y(self.amount),
                "conditions": self.conditions, "trigger_date": d(self.trigger_date), "due": d(self.due),
                "rolled_from": d(self.rolled_from), "days": self.days, "day_type": self.day_type,
                "paid": y(self.paid), "paid_on": d(self.paid_on), "payments": list(self.payments),
                "status": self.status.label, "days_late": self.days_late, "evaluation": self.evaluation,
                "source": self.source, "notes": list(self.notes)}


# -- trigger dates ----------------------------------------------------------------------------------
def acceptances(view: ContractView, trigger: str, period: str | None = None) -> list[Record]:
    """Passed acceptance records of a trigger (and period), dated by ``as_of``, earliest first."""
    found = [r for r in view.index.own("acceptance", view.id)
             if r.get("accepts") == trigger and r.get("passed") is True
             and (period is None or r.get("period") == period)
             and (to_date(r.get("date")) is not None and to_date(r.get("date")) <= view.as_of)]
    return sorted(found, key=lambda r: (to_date(r.get("date")), r.id))


def team_met_on(view: ContractView) -> _dt.date | None:
    """The first day from signing (or the service start) to ``as_of`` on which the team met every
    team requirement of the contract (the team KPI's checks on that day)."""
    if not view.contract.get("team_requirements"):
        return None
    start = to_date(view.contract.get("signed_on")) or view.period[0]
    if start is None or start > view.as_of:
        return None
    staff = view.index.staff_of(view.id)
    for day in team.change_days(staff, start, view.as_of):
        day_view = ContractView(view.contract, view.index, day, view.schemas)
        checks = kpis_mod.team_checks(day_view, view.contract.get("team_requirements") or {})
        if checks and all(have >= need for _, _, have, need, _ in checks):
            return day
    return None


def condition(view: ContractView, trigger: str, item: dict, label: str) -> dict:
    """When one condition happened (date None: not yet), with the record it rests on."""
    date, record, note = None, None, ""
    if trigger == "signing":
        signed = to_date(view.contract.get("signed_on"))
        if signed is not None and signed <= view.as_of:
            date, record, note = signed, view.id, "合同签订日期"
        else:
            note = "合同未写签订日期" if signed is None else "统计日尚未签订"
    elif trigger == "team_in_place":
        met = team_met_on(view)
        accepted = acceptances(view, trigger)
        if met is None:
            note = "团队尚未满足合同的团队要求"
        elif not accepted:
            note = f"团队自 {met} 起满足要求，尚无医保局认可人员配备的验收审定记录"
        else:
            first = accepted[0]
            date, record = max(met, to_date(first.get("date"))), first.id
            note = f"团队自 {met} 起满足合同的团队要求；{first.get('accepted_by')} {first.get('date')} 认可"
    else:
        period = item.get("period") if trigger == "evaluation" else None
        accepted = acceptances(view, trigger, period)
        if accepted:
            first = accepted[0]
            date, record = to_date(first.get("date")), first.id
            note = f"{first.get('accepted_by')} {first.get('date')} 审定通过" + (
                f"（附带条件：{'；'.join(first.get('conditions'))}）" if first.get("conditions") else "")
        else:
            note = "尚无审定通过的记录" + (f"（考核期 {period}）" if period else "")
    return {"trigger": trigger, "label": label, "date": date.isoformat() if date else None, "record": record, "note": note}


def _evaluation(view: ContractView, item: dict) -> tuple[dict | None, Fraction | None]:
    scheme_id = item.get("evaluation_scheme")
    scheme = view.index.get("evaluation_scheme", scheme_id)
    if scheme is None or not item.get("period"):
        return None, None
    try:
        start, _end = ev.period_of(scheme, item.get("period"))
        if start > view.as_of:
            return {"scheme": scheme.id, "period": item.get("period"), "score": None, "tier": None, "payment_share": None,
                    "complete": False, "text": "考核期尚未开始"}, None
        result = ev.evaluate_scheme(scheme, view.index, view.schemas, item.get("period"), view.as_of)
    except ev.EvaluationError:
        return None, None
    if not result.complete:  # a partial score is no result: nothing is said about the tier
        return {"scheme": scheme.id, "period": result.period, "score": None, "tier": None, "payment_share": None,
                "complete": False, "text": f"评分不全（尚缺 {len(result.missing)} 项）",
                "missing": [i.name for i in result.indicators if i.id in result.missing]}, None
    share = result.payment_share
    return ({"scheme": scheme.id, "period": result.period, "score": ev.score_text(result.score), "tier": result.tier,
             "payment_share": None if share is None else float(share), "complete": True,
             "text": f"{ev.score_text(result.score)} 分，{result.tier or '—'}"}, share)


# -- the instalments --------------------------------------------------------------------------------
def instalments(view: ContractView, errors: list[CalendarYearMissing] | None = None) -> list[Instalment]:
    """Every instalment of the contract as of ``view.as_of`` (a missing calendar year is appended to
    ``errors`` and that instalment's due date left unknown)."""
    contract = view.contract
    bases = base_amounts(contract)
    labels = view.schemas.vocab("payment_trigger").get("x-labels", {})
    paid_by: dict[str, list[Record]] = {}
    for record in view.index.own("payment", view.id):
        paid_on = to_date(record.get("paid_on"))
        if paid_on is not None and paid_on <= view.as_of:
            paid_by.setdefault(record.get("instalment"), []).append(record)
    terms = contract.get("fee_cap")
    recorded = [e for e in (terms.get("spending") or [] if isinstance(terms, dict) else [])
                if isinstance(e, dict) and to_date(e.get("recorded_on")) is not None and to_date(e.get("recorded_on")) <= view.as_of]
    out = []
    for item in contract.get("instalments") or []:
        if not isinstance(item, dict):
            continue
        ident = item.get("id")
        triggers = [t for t in item.get("after") or [] if isinstance(t, str)]
        conditions = [condition(view, t, item, labels.get(t, t)) for t in triggers]
        dates = [to_date(c["date"]) for c in conditions]
        trigger_date = max(dates) if dates and all(dates) else None
        base = bases.get(ident)
        notes = []
        year = item.get("fee_cap_year")
        if isinstance(year, int) and not isinstance(year, bool):
            base = fee_cap(contract, year, recorded)
            if base is None:
                notes.append(f"{year} 年各区实际支出尚未登记齐全，服务费上限待定")
        amount, evaluation = base, None
        if item.get("evaluation_scheme"):
            evaluation, share = _evaluation(view, item)
            amount = (base * Decimal(share.numerator) / Decimal(share.denominator)).quantize(FEN, rounding=ROUND_HALF_UP) \
                if base is not None and share is not None else None
            if evaluation is not None and not evaluation["complete"]:
                missing = "、".join(evaluation.get("missing") or [])
                notes.append(f"考核期 {evaluation['period']}：{evaluation['text']}{'：' + missing if missing else ''}，应付金额待定")
        due = rolled = None
        working = item.get("day_type") in view.index.day_types.working
        if trigger_date is not None and isinstance(item.get("days"), int):
            try:
                due = view.calendar.add_days(trigger_date, item["days"], working, f"{view.id} 付款 {ident}",
                                             roll=item.get("roll", True))
            except CalendarYearMissing as missing:
                if errors is not None:
                    errors.append(missing)
                notes.append(missing.message())
            bare = trigger_date + _dt.timedelta(days=item["days"])
            rolled = bare if due is not None and not working and due != bare else None
        records = sorted(paid_by.get(ident, []), key=lambda r: (to_date(r.get("paid_on")), r.id))
        paid, paid_on = ZERO, None
        for record in records:
            paid += money(record.get("amount")) or ZERO
            if paid_on is None and amount is not None and paid >= amount:
                paid_on = to_date(record.get("paid_on"))
        if amount is not None and paid > amount:
            notes.append(f"已付 {paid} 元，超过应付 {amount} 元")
        status, late = _status(trigger_date, due, paid_on, paid, view.as_of)
        out.append(Instalment(view.id, ident, item.get("name") or ident, base, amount, conditions, trigger_date, due, rolled,
                              item.get("days"), item.get("day_type"), paid, paid_on, [r.id for r in records], status, late,
                              evaluation, item.get("source"), notes))
    return out


def _status(trigger: _dt.date | None, due: _dt.date | None, paid_on: _dt.date | None, paid: Decimal,
            as_of: _dt.date) -> tuple[PaymentStatus, int | None]:
    if trigger is None:
        return (PaymentStatus.PAID_EARLY if paid > ZERO else PaymentStatus.NOT_TRIGGERED), None
    if due is None:
        return PaymentStatus.OPEN, None
    if paid_on is not None:
        return (PaymentStatus.PAID_ON_TIME, None) if paid_on <= due else (PaymentStatus.PAID_LATE, (paid_on - due).days)
    if as_of > due:
        return PaymentStatus.OVERDUE, (as_of - due).days
    return PaymentStatus.OPEN, None


# -- fee cap (seed 004) ----------------------------------------------------------------------------
@dataclass
class FeeCap:
    contract: str
    year: int
    regions: list[dict]  # {"region", "amount", "recorded_on", "share"}: spending recorded by as_of
    missing: list[str]  # contract regions with no spending recorded for the year
    spending: Decimal
    rate: Decimal
    by_rate: Decimal
    ceiling: Decimal
    cap: Decimal
    capped_by_ceiling: bool

    def as_json(self) -> dict:
        return {"contract": self.contract, "year": self.year, "regions": self.regions, "missing": list(self.missing),
                "spending": float(self.spending), "rate": float(self.rate), "by_rate": float(self.by_rate),
                "ceiling": float(self.ceiling), "cap": float(self.cap), "capped_by_ceiling": self.capped_by_ceiling}


def fee_caps(view: ContractView) -> list[FeeCap]:
    """Per year with spending recorded by ``as_of``: min(rate × the year's spending, ceiling)."""
    terms = view.contract.get("fee_cap")
    if not isinstance(terms, dict):
        return []
    rate, ceiling = money(terms.get("rate")), money(terms.get("ceiling"))
    if rate is None or ceiling is None:
        return []
    regions = [r for r in view.contract.get("scope.rule.region_codes") or [] if isinstance(r, str)]
    years: dict[int, list[dict]] = {}
    for entry in terms.get("spending") or []:
        recorded = to_date(entry.get("recorded_on")) if isinstance(entry, dict) else None
        if recorded is None or recorded > view.as_of or not isinstance(entry.get("year"), int):
            continue
        years.setdefault(entry["year"], []).append(entry)
    out = []
    for year in sorted(years):
        rows = [{"region": e.get("region_code"), "amount": float(money(e.get("amount"))), "recorded_on": str(e.get("recorded_on")),
                 "share": float((money(e.get("amount")) * rate).quantize(FEN, rounding=ROUND_HALF_UP))} for e in years[year]]
        spending = sum((money(e.get("amount")) for e in years[year]), ZERO)
        by_rate = (spending * rate).quantize(FEN, rounding=ROUND_HALF_UP)
        cap = min(by_rate, ceiling)
        seen = {e.get("region_code") for e in years[year]}
        out.append(FeeCap(view.id, year, rows, [r for r in regions if r not in seen], spending, rate, by_rate, ceiling, cap,
                          ceiling < by_rate))
    return out
