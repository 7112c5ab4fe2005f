"""A contract's payment instalments: the amount each one states, exactly, in yuan.

An instalment gives a share of the contract amount (rounded to the fen, half up), a fixed amount,
the remainder (``remainder: true``: the contract amount less every other instalment), or a year's
service fee under the contract's fee cap (``fee_cap_year``: seed 004, "按不超过……年度实际支出的
医疗救助……资金总额的2.5%确定，但每年的服务费用不***元" — min(rate × the year's recorded
spending, ceiling), unknown until every region of the contract has its spending recorded). Used
by the checks (payments within their instalment) and by the payment figures, so both agree.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

FEN = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """A record's number as Decimal yuan (None for anything that is not a number). The checks'
    views of records hold Decimals as text, so a numeric text is read too."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def share_amount(total: Decimal, share: Decimal) -> Decimal:
    """A share of the contract amount, rounded to the fen (half up)."""
    return (total * share).quantize(FEN, rounding=ROUND_HALF_UP)


def fee_cap(contract: Any, year: int, entries: list[dict] | None = None) -> Decimal | None:
    """The year's service-fee cap: min(rate × the spending recorded for the year, ceiling), rounded to
    the fen (half up); None when the contract has no fee cap or a region of the contract has no
    spending recorded for the year. ``entries``: the spending entries to use (default: all of the
    contract's; the payment figures pass those recorded by their date)."""
    terms = contract.get("fee_cap")
    if not isinstance(terms, dict):
        return None
    rate, ceiling = money(terms.get("rate")), money(terms.get("ceiling"))
    if rate is None or ceiling is None:
        return None
    if entries is None:
        spending = terms.get("spending")
        entries = [e for e in spending if isinstance(e, dict)] if isinstance(spending, list) else []
    rows = [e for e in entries if e.get("year") == year]
    listed = contract.get("scope.rule.region_codes")
    regions = [r for r in listed if isinstance(r, str)] if isinstance(listed, list) else []
    if not rows or any(r not in [e.get("region_code") for e in rows] for r in regions):
        return None
    amounts = [money(e.get("amount")) for e in rows]
    if any(a is None for a in amounts):
        return None
    return min((sum(amounts, Decimal(0)) * rate).quantize(FEN, rounding=ROUND_HALF_UP), ceiling)


def base_amounts(contract: Any) -> dict[str, Decimal | None]:
    """Instalment id -> the amount the contract states for it (None when it cannot be known:
    a share without a contract amount, more than one remainder, a fee-cap year without its
    spending recorded for every region)."""
    total = money(contract.get("contract_amount"))
    out: dict[str, Decimal | None] = {}
    fixed = Decimal(0)
    rest = []
    for item in contract.get("instalments") or []:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("fee_cap_year"), int) and not isinstance(item.get("fee_cap_year"), bool):
            out[item.get("id")] = fee_cap(contract, item["fee_cap_year"])
            continue  # not part of the contract amount: the fee follows the year's spending
        if item.get("amount") is not None:
            out[item.get("id")] = money(item["amount"])
        elif item.get("share") is not None:
            share = money(item["share"])
            out[item.get("id")] = share_amount(total, share) if total is not None and share is not None else None
        else:
            rest.append(item.get("id"))
            continue
        fixed += out[item.get("id")] or 0
    for ident in rest:
        out[ident] = (total - fixed) if total is not None and len(rest) == 1 else None
    return out
