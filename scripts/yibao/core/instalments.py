"""A contract's payment instalments: the amount each one states, exactly, in yuan.

An instalment gives a share of the contract amount (rounded to the fen, half up), a fixed amount,
or the remainder (``remainder: true``: the contract amount less every other instalment). Used by
the checks (payments within their instalment) and by the payment figures, so both agree.
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


def base_amounts(contract: Any) -> dict[str, Decimal | None]:
    """Instalment id -> the amount the contract states for it (None when it cannot be known:
    a share without a contract amount, or more than one remainder)."""
    total = money(contract.get("contract_amount"))
    out: dict[str, Decimal | None] = {}
    fixed = Decimal(0)
    rest = []
    for item in contract.get("instalments") or []:
        if not isinstance(item, dict):
            continue
        if item.get("amount") is not None:
            out[item.get("id")] = money(item["amount"])
        elif item.get("share") is not None:
            share = money(item["share"])
            out[item.get("id")] = (total * share).quantize(FEN, rounding=ROUND_HALF_UP) if total is not None and share is not None else None
        else:
            rest.append(item.get("id"))
            continue
        fixed += out[item.get("id")] or 0
    for ident in rest:
        out[ident] = (total - fixed) if total is not None and len(rest) == 1 else None
    return out
