"""Amounts in yuan as people read them: one formatter for tables, pages and pull-request summaries."""
from __future__ import annotations

from decimal import Decimal

FEN = Decimal("0.01")


def yuan(value: Decimal | int | float) -> str:
    """Two decimals with thousands separators: 12,480.00 (half to even, as Decimal rounds by default)."""
    return f"{Decimal(str(value)).quantize(FEN):,}"
