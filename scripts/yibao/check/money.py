"""What the contract pays for, checked: budget lines that add up, instalments that make up the
contract amount, evaluation schemes whose weights make 100, and payments of instalments that exist.

Single-record rules (``record_rules`` calls :func:`record_findings`) report through
``error(code, message, at)`` / ``warning(...)``; cross-record rules take the reference checks'
``(record, index, schemas, report)``. Amounts are compared exactly, in Decimal yuan.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from ..core.instalments import base_amounts, money, share_amount
from ..core.money import yuan
from ..core.record import Record, as_date
from ..core.schemas import SchemaSet

Say = Callable[..., None]


def _yuan(value: Any) -> Decimal | None:
    return money(value)


def _key(value: Any) -> Any:
    """A value usable as a key: text and numbers as they are, anything else (a wrongly typed
    list or mapping, which the schema check reports) as its text."""
    return value if isinstance(value, (str, int, float, Decimal, type(None))) else repr(value)


def _items(value: Any) -> list[tuple[int, dict]]:
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


# -- budgets ------------------------------------------------------------------------------------------
def budget_adds_up(r: Record, error: Say, warning: Say) -> None:
    """Each line: quantity × unit price = amount; all lines: the total; spending within each line."""
    total = _yuan(r.get("total"))
    summed = Decimal(0)
    for i, line in _items(r.get("lines")):
        amount = _yuan(line.get("amount"))
        summed += amount or 0
        price = _yuan(line.get("unit_price"))
        quantity = line.get("quantity")
        if amount is not None and price is not None and isinstance(quantity, int):
            if price * quantity != amount:
                error("budget-line-mismatch", f"“{line.get('name')}”：数量 {quantity} × 单价 {yuan(price)} 元 = "
                      f"{yuan(price * quantity)} 元，与金额 {yuan(amount)} 元不符", ("lines", i, "amount"))
        elif (price is None) != (quantity is None):
            error("budget-line-incomplete", f"“{line.get('name')}”：数量和单价要么都写，要么都不写", ("lines", i))
    lines = {_key(line.get("id")): (i, line) for i, line in _items(r.get("lines"))}
    spent: dict[str, Decimal] = {}
    for j, entry in _items(r.get("spent")):
        if _key(entry.get("line")) not in lines:
            error("unknown-budget-line", f"实际支出写的明细编码 {entry.get('line')} 不在预算明细中；现有：{'、'.join(map(str, lines))}",
                  ("spent", j, "line"))
            continue
        spent[_key(entry["line"])] = spent.get(_key(entry["line"]), Decimal(0)) + (_yuan(entry.get("amount")) or 0)
    for ident, used in spent.items():
        i, line = lines[ident]
        amount = _yuan(line.get("amount"))
        if amount is not None and used > amount:
            warning("budget-line-overspent", f"“{line.get('name')}”：实际支出 {yuan(used)} 元，超过预算 {yuan(amount)} 元",
                    ("lines", i, "amount"))
    if total is not None and summed != total:
        error("budget-total-mismatch", f"预算明细合计 {yuan(summed)} 元，与预算总额 {yuan(total)} 元不符"
              f"（相差 {yuan(abs(total - summed))} 元）", ("total",))


def budget_lines_fit_contracts(record: Record, index, schemas: SchemaSet, report) -> None:
    """The lines naming a contract add up to that contract's budget."""
    sums: dict[str, tuple[Decimal, int]] = {}
    for i, line in _items(record.get("lines")):
        cid = _key(line.get("contract"))
        if isinstance(cid, str):
            total, first = sums.get(cid, (Decimal(0), i))
            sums[cid] = (total + (_yuan(line.get("amount")) or 0), first)
    for cid, (total, first) in sums.items():
        contract = index.get("contract", cid)
        budget = _yuan(contract.get("budget")) if contract is not None else None
        if budget is not None and budget != total:
            report(record, "budget-contract-mismatch",
                   f"对应项目 {cid} 的预算明细合计 {yuan(total)} 元，与该项目记录的预算金额 {yuan(budget)} 元不符",
                   ("lines", first, "contract"))


# -- contracts: instalments, milestones, fee cap ------------------------------------------------------
def instalments_add_up(r: Record, error: Say, warning: Say) -> None:
    items = _items(r.get("instalments"))
    if not items:
        return
    total = _yuan(r.get("contract_amount"))
    seen: set[str] = set()
    fixed, remainders, complete = Decimal(0), 0, True
    for i, item in items:
        ident = _key(item.get("id"))
        if ident in seen:
            error("instalment-id-duplicate", f"分期编码 {ident} 重复", ("instalments", i, "id"))
        seen.add(ident)
        given = [k for k in ("share", "amount", "remainder", "fee_cap_year") if item.get(k) not in (None, False)]
        if len(given) != 1:
            error("instalment-amount", f"分期 {ident}：比例（share）、金额（amount）、剩余金额（remainder）、年度服务费上限（fee_cap_year）须写且只写一项",
                  ("instalments", i))
            complete = False
            continue
        _evaluation_named(item, ident, i, error)
        if "signing" in (item.get("after") if isinstance(item.get("after"), list) else []) and r.get("signed_on") is None:
            error("signed-on-missing", f"分期 {ident} 以合同签订为付款条件，须写合同签订日期（signed_on）", ("instalments", i, "after"))
        if item.get("fee_cap_year") is not None:
            if not isinstance(r.get("fee_cap"), dict):
                error("fee-cap-missing", f"分期 {ident} 按年度服务费上限支付，须写服务费上限（fee_cap）", ("instalments", i, "fee_cap_year"))
            continue  # the year's fee is not part of the contract amount
        if item.get("remainder"):
            remainders += 1
        elif item.get("share") is not None:
            if total is None:
                error("contract-amount-missing", f"分期 {ident} 按合同金额的比例支付，须写合同金额（contract_amount）",
                      ("instalments", i, "share"))
                complete = False
            else:
                fixed += share_amount(total, _yuan(item.get("share")) or 0)  # rounded as the payments round it
        else:
            fixed += _yuan(item.get("amount")) or 0
    if remainders > 1:
        error("instalment-amount", "只能有一期支付剩余金额（remainder）", ("instalments",))
    if not complete or total is None:
        return
    if fixed > total:
        error("instalment-total-mismatch", f"各期金额合计 {yuan(fixed)} 元，超过合同金额 {yuan(total)} 元", ("instalments",))
    elif remainders == 0 and fixed != total:
        error("instalment-total-mismatch", f"各期金额合计 {yuan(fixed)} 元，与合同金额 {yuan(total)} 元不符"
              f"（没有支付剩余金额的一期）", ("instalments",))


def _evaluation_named(item: dict, ident: Any, i: int, error: Say) -> None:
    """An instalment paid by an evaluation names both the scheme and its period."""
    triggers = item.get("after") if isinstance(item.get("after"), list) else []
    if "evaluation" in triggers and not (item.get("evaluation_scheme") and item.get("period")):
        error("instalment-evaluation-missing", f"分期 {ident} 以考核结果为付款条件，须写绩效考核办法（evaluation_scheme）和考核期（period）",
              ("instalments", i, "after"))
    elif bool(item.get("evaluation_scheme")) != bool(item.get("period")):
        error("instalment-evaluation-missing", f"分期 {ident} 按考核档次支付，绩效考核办法（evaluation_scheme）和考核期（period）须一起写",
              ("instalments", i, "evaluation_scheme" if item.get("evaluation_scheme") else "period"))


def extensions_within_limit(r: Record, error: Say, warning: Say) -> None:
    for i, item in _items(r.get("milestones")):
        extension = item.get("extension")
        if not isinstance(extension, dict):
            continue
        limit = item.get("max_extension_days")
        days = extension.get("days")
        if not isinstance(limit, int):
            error("extension-not-allowed", f"阶段节点“{item.get('name')}”没有写最多可延长天数（max_extension_days），不能延期",
                  ("milestones", i, "extension"))
        elif isinstance(days, int) and days > limit:
            error("extension-too-long", f"阶段节点“{item.get('name')}”延期 {days} 日，超过合同允许的最多 {limit} 日",
                  ("milestones", i, "extension", "days"))


def fee_spending_unique(r: Record, error: Say, warning: Say) -> None:
    seen: dict[tuple, int] = {}
    regions = r.get("scope.rule.region_codes")
    regions = regions if isinstance(regions, list) else []
    for i, entry in _items(r.get("fee_cap.spending")):
        key = (_key(entry.get("year")), _key(entry.get("region_code")))
        if key in seen:
            error("fee-spending-duplicate", f"{key[0]} 年 {key[1]} 的实际支出登记了两次（另见第 {seen[key] + 1} 条）",
                  ("fee_cap", "spending", i))
        seen.setdefault(key, i)
        if regions and entry.get("region_code") not in regions:
            warning("fee-spending-region", f"{entry.get('region_code')} 不在本项目监管范围的行政区划中", ("fee_cap", "spending", i, "region_code"))


# -- evaluation schemes -------------------------------------------------------------------------------
NEEDS = {"kpi": ("kpi",), "inspections": ("target",)}


def evaluation_scheme_consistent(r: Record, error: Say, warning: Say) -> None:
    periods = {_key(p.get("id")) for _, p in _items(r.get("periods"))}
    for i, period in _items(r.get("periods")):
        start, end = as_date(period.get("start")), as_date(period.get("end"))
        if start and end and end < start:
            error("date-order", f"考核期 {period.get('id')} 的结束日期早于开始日期", ("periods", i, "end"))
    weights = Decimal(0)
    seen: set[str] = set()
    for i, indicator in _items(r.get("indicators")):
        weights += _yuan(indicator.get("weight")) or 0
        if _key(indicator.get("id")) in seen:
            error("indicator-id-duplicate", f"指标编码 {indicator.get('id')} 重复", ("indicators", i, "id"))
        seen.add(_key(indicator.get("id")))
        for field in NEEDS.get(_key(indicator.get("source")), ()):
            if not indicator.get(field):
                error("indicator-incomplete", f"指标“{indicator.get('name')}”的数据来源为 {indicator.get('source')}，须写 {field}",
                      ("indicators", i, "source"))
    manual = {_key(ind.get("id")) for _, ind in _items(r.get("indicators")) if ind.get("source") == "manual"}
    for j, score in _items(r.get("scores")):
        if _key(score.get("indicator")) not in manual:
            error("unknown-indicator", f"评分写的指标 {score.get('indicator')} 不是数据来源为 manual 的指标；可评分的指标："
                  f"{'、'.join(sorted(map(str, manual))) or '（无）'}", ("scores", j, "indicator"))
    _scored_once(r, "scores", "indicator", periods, error, "评分", "指标 {} 在考核期 {} 评了两次分；改分请修改原评分并在提交说明中写明原因")
    _scored_once(r, "peer_scores", "member", periods, error, "其他承办机构得分", "{} 在考核期 {} 登记了两个得分")
    if _items(r.get("indicators")) and weights != 100:
        error("evaluation-weights", f"各指标权重之和为 {weights} 分，应为 100 分", ("indicators",))
    if _items(r.get("tiers")) and not any(_yuan(t.get("min_score")) == 0 for _, t in _items(r.get("tiers"))):
        error("evaluation-tiers", "分档付款须有一档最低分为 0，任何得分都能落到某一档", ("tiers",))


def peers_in_consortium(record: Record, index, schemas: SchemaSet, report) -> None:
    """Other members' scores name members of the contract's consortium, not the contractor itself
    (its score is computed from the records)."""
    cid = record.get("contract")
    contract = index.get("contract", cid) if isinstance(cid, str) else None
    if contract is None:
        return
    members = {_key(m.get("name")) for _, m in _items(contract.get("consortium"))}
    for j, peer in _items(record.get("peer_scores")):
        name = _key(peer.get("member"))
        if name == contract.get("contractor"):
            report(record, "peer-is-contractor", f"{name} 是本合同的受托方，它的得分由本办法计算，不登记", ("peer_scores", j, "member"))
        elif name not in members:
            report(record, "peer-not-in-consortium", f"{name} 不在项目 {contract.id} 的承办机构（consortium）中；现有："
                   f"{'、'.join(sorted(str(m) for m in members)) or '（无）'}", ("peer_scores", j, "member"))


def instalment_scheme_fits(record: Record, index, schemas: SchemaSet, report) -> None:
    """An instalment paid by an evaluation names a scheme of this contract and one of its periods."""
    for i, item in _items(record.get("instalments")):
        ident = item.get("evaluation_scheme")
        scheme = index.get("evaluation_scheme", ident) if isinstance(ident, str) else None
        if scheme is None:
            continue
        if scheme.get("contract") != record.id:
            report(record, "evaluation-scheme-mismatch", f"分期 {item.get('id')} 写的绩效考核办法 {scheme.id} 属于项目 {scheme.get('contract')}，不是本项目",
                   ("instalments", i, "evaluation_scheme"))
            continue
        periods = [p.get("id") for _, p in _items(scheme.get("periods"))]
        if item.get("period") and item.get("period") not in periods:
            report(record, "unknown-period", f"分期 {item.get('id')} 写的考核期 {item.get('period')} 不在 {scheme.id} 的考核期中；现有：{'、'.join(map(str, periods))}",
                   ("instalments", i, "period"))


def _scored_once(r: Record, field: str, who: str, periods: set, error: Say, what: str, twice: str) -> None:
    """Each entry of a score list names a period of the scheme, and scores its subject once per period."""
    given: set[tuple] = set()
    for j, entry in _items(r.get(field)):
        if _key(entry.get("period")) not in periods:
            error("unknown-period", f"{what}写的考核期 {entry.get('period')} 不在 periods 中", (field, j, "period"))
        key = (_key(entry.get(who)), _key(entry.get("period")))
        if key in given:
            error("score-duplicate", twice.format(*key), (field, j))
        given.add(key)


def acceptance_names_period(r: Record, error: Say, warning: Say) -> None:
    if _key(r.get("accepts")) == "evaluation" and not r.get("period"):
        error("acceptance-period-missing", "审定考核结果须写考核期（period）", ("accepts",))


RECORD_RULES: dict[str, tuple[Callable[[Record, Say, Say], None], ...]] = {
    "budget": (budget_adds_up,),
    "contract": (instalments_add_up, extensions_within_limit, fee_spending_unique),
    "evaluation_scheme": (evaluation_scheme_consistent,),
    "acceptance": (acceptance_names_period,),
}


def record_findings(r: Record, error: Say, warning: Say) -> None:
    for fn in RECORD_RULES.get(r.kind, ()):
        fn(r, error, warning)


# -- payments against their contract ------------------------------------------------------------------
def payment_fits_instalment(record: Record, index, schemas: SchemaSet, report) -> None:
    """The instalment exists in the contract, and the payments of an instalment stay within what
    the contract states for it (a share rounded to the fen, an amount, or the remainder)."""
    contract = index.get("contract", record.get("contract"))
    if contract is None:
        return
    instalments = {_key(i.get("id")): i for _, i in _items(contract.get("instalments"))}
    ident = _key(record.get("instalment"))
    if ident not in instalments:
        known = "、".join(str(k) for k in instalments) or "（合同没有约定付款分期）"
        report(record, "unknown-instalment", f"项目 {contract.id} 没有编码为 {ident} 的付款分期；现有：{known}", ("instalment",))
        return
    stated = base_amounts(contract).get(ident)
    same = [p for p in index.records_of("payment")
            if p.get("contract") == contract.id and p.get("instalment") == ident and _key(p.get("status")) not in _withdrawn(schemas)]
    paid = sum((money(p.get("amount")) or 0 for p in same), Decimal(0))
    if stated is not None and paid > stated:
        report(record, "payment-exceeds-instalment",
               f"分期 {ident} 的付款记录合计 {yuan(paid)} 元（{'、'.join(sorted(p.id for p in same))}），超过合同约定的 {yuan(stated)} 元",
               ("amount",))


def _withdrawn(schemas: SchemaSet) -> frozenset[str]:
    return frozenset(schemas.vocab("record_status").get("x-withdrawn", []))


def same_contract(record: Record, versions: list[Record]) -> bool:
    """Another payment matters to a payment's check when it is (or was) of the same contract."""
    return any(v.get("contract") == record.get("contract") for v in versions)
