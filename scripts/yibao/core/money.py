"""Amounts and rates as people read them: one formatter each for tables, pages, spreadsheets and pull-request summaries."""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

FEN = Decimal("0.01")
RATE_RULE = ("比例一律保留两位小数，多余的位数直接舍去、不四舍五入（例如 2.3955% 显示为 2.39%，99.996% 显示为 99.99%），"
             "所以没有达到目标的比例不会显示成达到目标；金额以元为单位，保留两位小数。")


def yuan(value: Decimal | int | float) -> str:
    """Two decimals with thousands separators: 12,480.00 (half to even, as Decimal rounds by default)."""
    return f"{Decimal(str(value)).quantize(FEN):,}"


def rate_text(value: Any) -> str:
    """A rate as a percentage with two decimals, truncated, never rounded up (:data:`RATE_RULE`)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    percent = (Decimal(str(value)) * 100).quantize(FEN, rounding=ROUND_DOWN)
    return f"{percent}%"
