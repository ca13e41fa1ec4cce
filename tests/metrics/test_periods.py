"""The periods of the spec's Scope section: the default period, the previous period of a
calendar month, quarter or year and of any other period, previous_year, partial periods."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from metrics.scope import Period, build_scope, previous_period

pytestmark = pytest.mark.django_db


def on(day: date):
    return mock.patch("metrics.scope.today", return_value=day)


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        # The case of the issue: on the 2nd of a month, the whole month before.
        (date(2026, 10, 2), date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
        (date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_default_period_is_the_last_full_calendar_month(today, start, end):
    with on(today):
        scope = build_scope()

    assert (scope.start, scope.end, scope.partial) == (start, end, False)


def test_only_end_starts_on_the_first_of_its_month_and_only_start_ends_today():
    with on(date(2026, 10, 20)):
        assert build_scope(end="2026-08-17").period == Period(date(2026, 8, 1), date(2026, 8, 17))
        assert build_scope(start="2026-10-05").period == Period(
            date(2026, 10, 5), date(2026, 10, 20)
        )


@pytest.mark.parametrize(
    ("start", "end", "previous_start", "previous_end"),
    [
        # Whole months: the month before, whatever its length.
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 9, 1), date(2026, 9, 30)),
        (date(2026, 3, 1), date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 1, 1), date(2026, 1, 31), date(2025, 12, 1), date(2025, 12, 31)),
        # Whole quarters: the quarter before (Q3 -> Q2, Q1 -> Q4 of the year before).
        (date(2026, 7, 1), date(2026, 9, 30), date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 1, 1), date(2026, 3, 31), date(2025, 10, 1), date(2025, 12, 31)),
        # A whole year: the year before (2024 is a leap year: 366 days).
        (date(2025, 1, 1), date(2025, 12, 31), date(2024, 1, 1), date(2024, 12, 31)),
        # Three months that are not a quarter: the same 89 days just before.
        (date(2026, 2, 1), date(2026, 4, 30), date(2025, 11, 4), date(2026, 1, 31)),
        # Part of a month: the same number of days just before (10 days).
        (date(2026, 10, 1), date(2026, 10, 10), date(2026, 9, 21), date(2026, 9, 30)),
        (date(2026, 3, 2), date(2026, 3, 31), date(2026, 1, 31), date(2026, 3, 1)),
    ],
)
def test_previous_period(start, end, previous_start, previous_end):
    assert previous_period(Period(start, end)) == Period(previous_start, previous_end)


@pytest.mark.parametrize(
    ("start", "end", "previous_start", "previous_end"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), date(2025, 10, 1), date(2025, 10, 31)),
        (date(2026, 3, 2), date(2026, 3, 20), date(2025, 3, 2), date(2025, 3, 20)),
        # 29 February has no twin: the 28th stands in for it.
        (date(2024, 2, 1), date(2024, 2, 29), date(2023, 2, 1), date(2023, 2, 28)),
    ],
)
def test_previous_year(start, end, previous_start, previous_end):
    assert previous_period(Period(start, end), "previous_year") == Period(
        previous_start, previous_end
    )


def test_unknown_compare_is_a_validation_error():
    with pytest.raises(ValidationError) as error:
        previous_period(Period(date(2026, 1, 1), date(2026, 1, 31)), "last_week")

    assert error.value.error_dict["compare"][0].code == "invalid_compare"


def test_a_period_ending_after_today_is_partial(api):
    with on(date(2026, 10, 2)):
        assert build_scope(start="2026-10-01", end="2026-10-31").partial is True
        assert build_scope(start="2026-10-01", end="2026-10-02").partial is False

    today = timezone.localdate()
    this_month = {
        "start": today.replace(day=1).isoformat(),
        "end": (today.replace(day=28) + timedelta(days=10)).isoformat(),
    }
    body = api.get("/api/v1/kpis/", this_month).json()
    assert body["scope"]["partial"] is True
    assert body["previous_scope"]["partial"] is False
