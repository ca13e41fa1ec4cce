"""The dashboard's filters: period presets, rep, segment, product line, currency, interval.

Everything a view shows is decided by its query string, so a URL can be shared. Parsing and
validation of the scope itself is `metrics.scope.build_scope`'s, as for the APIs; this module
only turns a period preset into dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError

from dashboard.errors import ErrorCode
from metrics.scope import Period, Scope, build_scope, check_interval, split, today

PRESETS = {
    "last_month": "Last full month",
    "qtd": "Quarter to date",
    "last_12_months": "Last 12 months",
    "custom": "Custom",
}
DEFAULT_PRESET = "last_month"
DEFAULT_INTERVAL = "month"
TREND_MONTHS = 12
# The query parameters that make up a dashboard view (in the order links write them).
STATE_PARAMS = (
    "period",
    "start",
    "end",
    "rep",
    "segment",
    "product_line",
    "customer",
    "currency",
    "interval",
)


def month_start(day: date, months_back: int = 0) -> date:
    """The first day of the month `months_back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def preset_period(preset: str, on: date) -> Period:
    """The dates of a preset, as seen on day `on`.

    last_month: the last full calendar month; qtd: the 1st of the quarter to `on`;
    last_12_months: the twelve full months up to the last full month.

    Raises:
        ValidationError: invalid_period for an unknown preset.
    """
    last_month_end = month_start(on) - timedelta(days=1)
    if preset == "last_month":
        return Period(month_start(last_month_end), last_month_end)
    if preset == "qtd":
        return Period(date(on.year, 3 * ((on.month - 1) // 3) + 1, 1), on)
    if preset == "last_12_months":
        return Period(month_start(last_month_end, TREND_MONTHS - 1), last_month_end)
    raise ValidationError(
        {
            "period": ValidationError(
                f"Unknown period {preset!r}: {', '.join(PRESETS)}.",
                ErrorCode.INVALID_PERIOD,
            )
        }
    )


@dataclass(frozen=True)
class Filters:
    """A parsed dashboard view: the preset, the validated scope and the trend interval."""

    preset: str
    scope: Scope
    interval: str

    def state(self) -> dict[str, str]:
        """The query parameters that reproduce this view (defaults and empties left out)."""
        scope = self.scope
        state = {
            "period": self.preset if self.preset != DEFAULT_PRESET else "",
            "start": scope.start.isoformat() if self.preset == "custom" else "",
            "end": scope.end.isoformat() if self.preset == "custom" else "",
            "rep": scope.rep or "",
            "segment": scope.segment or "",
            "product_line": scope.product_line or "",
            "customer": scope.customer or "",
            "currency": scope.currency,
            "interval": self.interval if self.interval != DEFAULT_INTERVAL else "",
        }
        return {name: str(value) for name, value in state.items() if value}

    def query(self, **changes) -> str:
        """The query string of this view with `changes` (a None value drops the parameter)."""
        state = self.state()
        for name, value in changes.items():
            if value is None or value == "":
                state.pop(name, None)
            else:
                state[name] = str(value)
        return urlencode(state)

    def narrowed(self, group_by: str, group) -> Filters:
        """This view filtered to one rep, segment or product line (a drilldown step)."""
        return replace(self, scope=replace(self.scope, **{group_by: group}))

    @property
    def as_of(self) -> date:
        """The date of the cash outlook, worklist and risk panels: today, or the end of a
        custom period that ended before today (what was expected and at risk back then)."""
        on = today()
        return min(self.scope.end, on) if self.preset == "custom" else on

    @property
    def trend_period(self) -> Period:
        """Twelve calendar months ending with the period's end (the trend lines' span)."""
        end = self.scope.end
        return Period(month_start(end, TREND_MONTHS - 1), end)

    @property
    def trend_periods(self) -> list[Period]:
        return split(self.trend_period, self.interval)


def parse_filters(params: Mapping, user=None) -> Filters:
    """A dashboard view from its query parameters, for `user` (a user limited to their own
    customers sees those: `metrics.scope.build_scope`).

    Raises:
        ValidationError: invalid_period, invalid_interval, and every code of `build_scope`.
    """
    preset = params.get("period") or DEFAULT_PRESET
    if preset == "custom":
        start, end = params.get("start"), params.get("end")
    else:
        period = preset_period(preset, today())
        start, end = period.start, period.end
    interval = params.get("interval") or DEFAULT_INTERVAL
    check_interval(interval)
    scope = build_scope(
        start=start,
        end=end,
        rep=params.get("rep"),
        segment=params.get("segment"),
        customer=params.get("customer"),
        product_line=params.get("product_line"),
        currency=params.get("currency"),
        user=user,
    )
    return Filters(preset, scope, interval)
