"""The dashboard's period presets and URL state, worked by hand."""

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from dashboard.filters import parse_filters, preset_period
from metrics.scope import Period

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("preset", "on", "expected"),
    [
        ("last_month", date(2026, 5, 14), Period(date(2026, 4, 1), date(2026, 4, 30))),
        ("last_month", date(2026, 1, 1), Period(date(2025, 12, 1), date(2025, 12, 31))),
        ("qtd", date(2026, 5, 14), Period(date(2026, 4, 1), date(2026, 5, 14))),
        ("qtd", date(2026, 12, 31), Period(date(2026, 10, 1), date(2026, 12, 31))),
        ("last_12_months", date(2026, 5, 14), Period(date(2025, 5, 1), date(2026, 4, 30))),
        ("last_12_months", date(2026, 1, 31), Period(date(2025, 1, 1), date(2025, 12, 31))),
    ],
)
def test_presets(preset, on, expected):
    assert preset_period(preset, on) == expected


def test_the_default_view_is_the_last_full_month_by_month_in_the_base_currency():
    with mock.patch("dashboard.filters.today", return_value=date(2026, 3, 10)):
        filters = parse_filters({})

    assert (filters.scope.start, filters.scope.end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (filters.preset, filters.interval, filters.scope.currency) == (
        "last_month",
        "month",
        "USD",
    )
    assert filters.state() == {"currency": "USD"}
    assert filters.trend_period == Period(date(2025, 3, 1), date(2026, 2, 28))
    assert len(filters.trend_periods) == 12


def test_a_custom_period_is_kept_in_the_url():
    filters = parse_filters(
        {"period": "custom", "start": "2026-01-05", "end": "2026-02-20", "currency": "eur"}
    )

    assert filters.query(by="rep") == (
        "period=custom&start=2026-01-05&end=2026-02-20&currency=EUR&by=rep"
    )
    assert filters.trend_period == Period(date(2025, 3, 1), date(2026, 2, 20))


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"period": "yesterday"}, "period", "invalid_period"),
        ({"interval": "day"}, "interval", "invalid_interval"),
        ({"rep": "999"}, "rep", "unknown_rep"),
        ({"currency": "XXX"}, "currency", "invalid_currency"),
        (
            {"period": "custom", "start": "2026-02-01", "end": "2026-01-01"},
            "end",
            "end_before_start",
        ),
    ],
)
def test_bad_filters_are_named(params, field, code):
    with pytest.raises(ValidationError) as error:
        parse_filters(params)

    assert [e.code for e in error.value.error_dict[field]] == [code]
