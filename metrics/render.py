"""How both APIs show a KPI number: the one rendering REST and GraphQL share.

Money (`money`, `money/day`) is a decimal string with two places, like every amount of the
resources ("1500.00"), shown beside its currency; days and percentages are JSON numbers.
Both are the engine's exact Decimal rounded once, by `metrics.thresholds.rendered`.
"""

from __future__ import annotations

from decimal import Decimal

from metrics.thresholds import rendered

MONEY_UNITS = ("money", "money/day")


def measure(value: Decimal | None, unit: str) -> str | float | None:
    """The value as the APIs send it: a decimal string for money, a number otherwise."""
    value = rendered(value)
    if value is None:
        return None
    return str(value) if unit in MONEY_UNITS else float(value)


def currency_of(unit: str, currency: str) -> str | None:
    """The currency shown beside a value of `unit`: the scope's for money, else None."""
    return currency if unit in MONEY_UNITS else None
