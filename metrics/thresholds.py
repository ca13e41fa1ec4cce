"""Statuses from thresholds, and the "what changed" sentences."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from metrics.models import Threshold

CENT = Decimal("0.01")
GREEN, AMBER, RED = "green", "amber", "red"


def rendered(value: Decimal | None) -> Decimal | None:
    """The value as the APIs show it: two decimals, half up. The one rounding of the engine."""
    return None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)


class Thresholds:
    """The thresholds of some KPIs, loaded in one query; a segment's own threshold wins."""

    def __init__(self, keys: Iterable[str]):
        self._by_key: dict[tuple[str, int | None], Threshold] = {
            (t.kpi, t.segment_id): t for t in Threshold.objects.filter(kpi__in=list(keys))
        }

    def get(self, key: str, segment: int | None = None) -> Threshold | None:
        if segment is not None and (key, segment) in self._by_key:
            return self._by_key[(key, segment)]
        return self._by_key.get((key, None))

    def status(self, key: str, value: Decimal | None, segment: int | None = None) -> str | None:
        """green / amber / red for the rendered value, None without a value or a threshold.

        The rendered (two-decimal) value is compared, so the colour matches the number shown.
        """
        threshold = self.get(key, segment)
        if value is None or threshold is None:
            return None
        return status_of(
            rendered(value), threshold.better, threshold.green_boundary, threshold.red_boundary
        )


def status_of(value: Decimal, better: str, green: Decimal, red: Decimal) -> str:
    """Lower is better: <= green is green, >= red is red; higher is better: the mirror."""
    if better == Threshold.Better.LOWER:
        if value <= green:
            return GREEN
        return RED if value >= red else AMBER
    if value >= green:
        return GREEN
    return RED if value <= red else AMBER


# --- "What changed" ----------------------------------------------------------------------

STATUS_RANK = {RED: 0, AMBER: 1, None: 2, GREEN: 3}


def format_number(value: Decimal, unit: str) -> str:
    """41.2, 45, 1,500.00: days and percentages without trailing zeros, money with cents."""
    value = rendered(value)
    if unit in ("money", "money/day"):
        return f"{value:,.2f}"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def unit_suffix(unit: str, currency: str) -> str:
    return {
        "days": " days",
        "%": "%",
        "money": f" {currency}",
        "money/day": f" {currency}/day",
    }[unit]


def relative_trigger() -> Decimal:
    return Decimal(str(settings.O2C_WHAT_CHANGED_RELATIVE))


def moved(value: Decimal | None, previous: Decimal | None) -> bool:
    """The rendered value moved by more than O2C_WHAT_CHANGED_RELATIVE of the previous one."""
    value, previous = rendered(value), rendered(previous)
    if value is None or previous is None or value == previous:
        return False
    if previous == 0:
        return True
    return abs(value - previous) / abs(previous) > relative_trigger()


def worsened(change: Decimal | None, better: str | None) -> bool:
    if change is None or better is None:
        return False
    return change > 0 if better == "lower" else change < 0


def sentence(kpi, value, previous, change, status, currency: str) -> str:
    """`DSO rose from 41.2 to 48.9 days (+7.7): amber.`"""
    suffix = unit_suffix(kpi.unit, currency)
    tail = f": {status}." if status else "."
    if value is None:
        return (
            f"{kpi.label} has no value now (was {format_number(previous, kpi.unit)}{suffix}){tail}"
        )
    if previous is None:
        return f"{kpi.label} is {format_number(value, kpi.unit)}{suffix} (no previous value){tail}"
    if change == 0:
        return f"{kpi.label} stayed at {format_number(value, kpi.unit)}{suffix}{tail}"
    verb = "rose" if change > 0 else "fell"
    sign = "+" if change > 0 else "-"
    return (
        f"{kpi.label} {verb} from {format_number(previous, kpi.unit)} to "
        f"{format_number(value, kpi.unit)}{suffix} ({sign}{format_number(abs(change), kpi.unit)})"
        f"{tail}"
    )


def severity(status: str | None, change, better, value, previous) -> tuple:
    """Sort key, worst first: current status red, amber, none, green; then worsening before
    improving; then the larger relative move first."""
    value, previous = rendered(value), rendered(previous)
    if value is None or previous is None:
        size = Decimal(0)
    elif previous == 0:
        size = Decimal("Infinity") if value else Decimal(0)
    else:
        size = abs(value - previous) / abs(previous)
    return (STATUS_RANK[status], 0 if worsened(change, better) else 1, -size)
