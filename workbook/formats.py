"""Figures as the apps show them in text: rates as percentages, counts, money as a revenue
reader expects. One definition for both apps.

>>> pct(0.4), pct(0.1234, 1), num(1234.0), num(1.5), money(-12_500), money(2.5e9), money(float("nan"))
('40%', '12.3%', '1,234', '1.5', '-$12K', '$2.5B', '–')
"""

from __future__ import annotations

from typing import Any


def pct(x: Any, digits: int = 0) -> str:
    """A rate as a percentage; '–' for none."""
    return "–" if x is None or x != x else f"{x * 100:.{digits}f}%"


def num(x: Any) -> str:
    """A count with thousands separators, another number with 3 significant digits."""
    if x is None or x != x:
        return "–"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:.3g}"


def money(x: Any) -> str:
    """$1.2B, $12.0M, $850K, $40; '–' for none."""
    if x is None or x != x:
        return "–"
    sign, x = ("-" if x < 0 else ""), abs(x)
    for size, unit, digits in ((1e9, "B", 1), (1e6, "M", 1), (1e3, "K", 0)):
        if x >= size:
            return f"{sign}${x / size:.{digits}f}{unit}"
    return f"{sign}${x:.0f}"
