"""The scope a KPI is computed for, its periods, and the one place scopes are validated."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Customer, SalesRep, Segment
from accounts.scoping import is_scoped, own_customers
from metrics.errors import UNKNOWN_BY_FIELD, ErrorCode
from o2c_api.bounds import check_text, parse_date
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.money import CURRENCIES

INTERVALS = ("week", "month", "quarter")
# What the previous value of a KPI is computed over (see `previous_period`).
COMPARES = ("previous_period", "previous_year")


@dataclass(frozen=True)
class Period:
    """An inclusive date range."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Scope:
    """What a KPI is computed for: the period P (inclusive) and the dimension filters.

    `rep`, `segment` and `customer` are ids (None = all), `product_line` a label (None = all);
    `currency` is always set because amounts are never summed across currencies.
    `customers_of` is the id of a user limited to their own customers (`accounts.scoping`):
    the scope holds only those customers' rows (None: every customer's). The KPI rollup has
    no customer key, so such a scope is answered from the source rows (`metrics.blocks`).
    """

    start: date
    end: date
    currency: str
    rep: int | None = None
    segment: int | None = None
    customer: int | None = None
    product_line: str | None = None
    customers_of: int | None = None

    @property
    def period(self) -> Period:
        return Period(self.start, self.end)

    @property
    def days(self) -> int:
        """N of the spec: the number of days in P."""
        return (self.end - self.start).days + 1

    @property
    def partial(self) -> bool:
        """True when P ends after today: its figures are still moving."""
        return self.end > today()

    def previous(self, compare: str = "previous_period") -> Scope:
        """The same filters over the period P is compared with (`previous_period`)."""
        return self.with_period(previous_period(self.period, compare))

    def with_period(self, period: Period) -> Scope:
        return replace(self, start=period.start, end=period.end)

    def filters(self) -> dict:
        """The dimension filters as keyword arguments for `receivables.predicates`."""
        return {
            "rep": self.rep,
            "segment": self.segment,
            "customer": self.customer,
            "product_line": self.product_line,
            "currency": self.currency,
            "customers_of": self.customers_of,
        }

    def as_dict(self) -> dict:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rep": self.rep,
            "segment": self.segment,
            "customer": self.customer,
            "product_line": self.product_line,
            "currency": self.currency,
        }


def _last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _calendar_months(period: Period) -> int | None:
    """1, 3 or 12 when the period is exactly a calendar month, quarter or year, else None."""
    start, end = period.start, period.end
    if start.day != 1 or end != _last_day(end.year, end.month):
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 1:
        return 1
    if months == 3 and start.month % 3 == 1:
        return 3
    if months == 12 and start.month == 1:
        return 12
    return None


def _months_before(day: date, months: int) -> date:
    """The 1st of the month `months` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _year_before(day: date) -> date:
    # 29 February has no twin a year earlier: the 28th stands in for it.
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


def previous_period(period: Period, compare: str = "previous_period") -> Period:
    """The period a KPI's previous value is computed over.

    `previous_period`: for a whole calendar month, quarter or year, the month, quarter or
    year before it (October → September, Q3 → Q2, even when their lengths differ); for any
    other period, the period of the same length immediately before it. `previous_year`: the
    same dates one year earlier (29 February → 28 February).

    Raises:
        ValidationError: invalid_compare.
    """
    if parse_compare(compare) == "previous_year":
        return Period(_year_before(period.start), _year_before(period.end))
    months = _calendar_months(period)
    if months is not None:
        start = _months_before(period.start, months)
        return Period(start, period.start - timedelta(days=1))
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end)


def default_period(on: date) -> Period:
    """The last full calendar month before `on`: the default P of every KPI."""
    end = on.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)


def parse_compare(value) -> str:
    """`previous_period` (the default) or `previous_year`. Raises ValidationError."""
    compare = value or "previous_period"
    if compare not in COMPARES:
        raise _error(
            "compare",
            f"Unknown compare {compare!r}: previous_period or previous_year.",
            ErrorCode.INVALID_COMPARE,
        )
    return compare


def today() -> date:
    return timezone.localdate()


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code)})


def _parse_id(value, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise _error(field, f"{value!r} is not an id.", ErrorCode.INVALID_ID) from exc
    if number <= 0:
        raise _error(field, f"{value!r} is not an id.", ErrorCode.INVALID_ID)
    return number


def build_scope(
    *,
    start=None,
    end=None,
    rep=None,
    segment=None,
    customer=None,
    product_line=None,
    currency=None,
    user=None,
) -> Scope:
    """Validate raw scope parameters (strings or typed values) into a Scope.

    Defaults: the last full calendar month before today (with only `end`, the 1st of end's
    month to end; with only `start`, start to today), every dimension, the base currency.
    For a `user` limited to their own customers (`accounts.scoping.is_scoped`) the scope
    holds only those (`Scope.customers_of`), and another customer is unknown to them, as
    their lists answer it.

    Raises:
        ValidationError: invalid_date, date_out_of_range, end_before_start, period_too_long,
            invalid_id, unknown_rep, unknown_segment, unknown_customer, invalid_currency,
            null_characters_not_allowed.
    """
    start_date = parse_date(start, "start")
    end_date = parse_date(end, "end")
    if start_date is None and end_date is None:
        default = default_period(today())
        start_date, end_date = default.start, default.end
    elif end_date is None:
        end_date = today()
    elif start_date is None:
        start_date = end_date.replace(day=1)
    if end_date < start_date:
        raise _error(
            "end",
            f"The end {end_date} is before the start {start_date}.",
            ErrorCode.END_BEFORE_START,
        )
    max_days = settings.O2C_MAX_PERIOD_DAYS
    if (end_date - start_date).days + 1 > max_days:
        raise _error(
            "end", f"The period is longer than {max_days} days.", ErrorCode.PERIOD_TOO_LONG
        )
    if product_line:
        check_text(product_line, "product_line")
    currency = (currency or settings.O2C_BASE_CURRENCY).upper()
    if currency not in CURRENCIES:
        raise _error("currency", f"Unknown currency {currency!r}.", CommonCode.INVALID_CURRENCY)
    rep_id = _parse_id(rep, "rep")
    segment_id = _parse_id(segment, "segment")
    customer_id = _parse_id(customer, "customer")
    customers_of = user.pk if is_scoped(user) else None
    customers = Customer.objects.all()
    if customers_of is not None:
        customers = customers.filter(pk__in=own_customers(customers_of))
    for field, rows, pk in (
        ("rep", SalesRep.objects.all(), rep_id),
        ("segment", Segment.objects.all(), segment_id),
        ("customer", customers, customer_id),
    ):
        if pk is not None and not rows.filter(pk=pk).exists():
            raise _error(field, f"There is no {field} with id {pk}.", UNKNOWN_BY_FIELD[field])
    return Scope(
        start=start_date,
        end=end_date,
        currency=currency,
        rep=rep_id,
        segment=segment_id,
        customer=customer_id,
        product_line=product_line or None,
        customers_of=customers_of,
    )


SCOPE_PARAMS = ("start", "end", "rep", "segment", "customer", "product_line", "currency")


def scope_from_params(params: Mapping, user=None) -> Scope:
    """`build_scope` from a query-parameter mapping (REST), for the request's user."""
    return build_scope(**{name: params.get(name) for name in SCOPE_PARAMS}, user=user)


def check_interval(interval: str) -> None:
    """Raises ValidationError(invalid_interval) unless `interval` is one of `INTERVALS`."""
    if interval not in INTERVALS:
        raise _error(
            "interval",
            f"Unknown interval {interval!r}: week, month or quarter.",
            ErrorCode.INVALID_INTERVAL,
        )


def split(period: Period, interval: str) -> list[Period]:
    """Split a period into calendar weeks (Monday to Sunday), months or quarters.

    The first and last sub-periods are clipped to the period, so they may be partial.

    Raises:
        ValidationError: invalid_interval.
    """
    check_interval(interval)
    points = []
    cursor = period.start
    while cursor <= period.end:
        if interval == "week":
            last = cursor + timedelta(days=6 - cursor.weekday())
        else:
            months = 1 if interval == "month" else 3
            first_month = cursor.month if months == 1 else 3 * ((cursor.month - 1) // 3) + 1
            last_month = first_month + months - 1
            last = date(cursor.year, last_month, calendar.monthrange(cursor.year, last_month)[1])
        last = min(last, period.end)
        points.append(Period(cursor, last))
        cursor = last + timedelta(days=1)
    return points


def point_count(period: Period, interval: str) -> int:
    """How many sub-periods `split(period, interval)` gives, without building them.

    Unknown intervals count as months: `split` refuses them with its own error.
    """
    if interval == "week":
        first_monday = period.start - timedelta(days=period.start.weekday())
        return (period.end - first_monday).days // 7 + 1
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month
    if interval == "quarter":
        return (
            (period.end.month - 1) // 3
            - (period.start.month - 1) // 3
            + (period.end.year - period.start.year) * 4
            + 1
        )
    return months + 1


def check_points(keys: int, period: Period, interval: str) -> None:
    """Refuse a series of more than settings.O2C_MAX_SERIES_POINTS points (keys × periods).

    Raises:
        ValidationError: too_many_points.
    """
    points = keys * point_count(period, interval)
    limit = settings.O2C_MAX_SERIES_POINTS
    if points > limit:
        raise _error(
            "interval",
            f"The series would have {points} points ({keys} KPI(s) × "
            f"{points // keys} {interval}s); at most {limit} are answered: "
            "a shorter period, a longer interval or fewer keys.",
            CommonCode.TOO_MANY_POINTS,
        )


def month_windows(end: date, count: int) -> list[Period]:
    """The countback windows: the 1st of end's month to end, then whole months before it."""
    windows = [Period(end.replace(day=1), end)]
    while len(windows) < count:
        last = windows[-1].start - timedelta(days=1)
        windows.append(Period(last.replace(day=1), last))
    return windows
