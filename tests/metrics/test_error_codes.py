"""The KPI scope's and engine's refusals carry the codes of `metrics.errors.ErrorCode`, and the
apps that read a scope answer the same refusal with the same code (one definition)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from dashboard.filters import parse_filters
from metrics import engine
from metrics.errors import ErrorCode
from metrics.scope import Period, build_scope, parse_compare, split
from o2c_api.errors import ErrorCode as CommonCode

pytestmark = pytest.mark.django_db


def refusal(call) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        call()
    return [
        (field, error.code) for field, errors in raised.value.error_dict.items() for error in errors
    ]


def too_long():
    with override_settings(O2C_MAX_PERIOD_DAYS=31):
        return build_scope(start="2026-01-01", end="2026-03-01")


CASES = [
    (lambda: build_scope(start="2026-03-31", end="2026-03-01"),
     ("end", ErrorCode.END_BEFORE_START)),
    (lambda: too_long(),
     ("end", ErrorCode.PERIOD_TOO_LONG)),
    (lambda: build_scope(rep="x"), ("rep", ErrorCode.INVALID_ID)),
    (lambda: build_scope(rep="999999"), ("rep", ErrorCode.UNKNOWN_REP)),
    (lambda: build_scope(segment="999999"), ("segment", ErrorCode.UNKNOWN_SEGMENT)),
    (lambda: build_scope(customer="999999"), ("customer", ErrorCode.UNKNOWN_CUSTOMER)),
    (lambda: split(Period(date(2026, 1, 1), date(2026, 1, 31)), "day"),
     ("interval", ErrorCode.INVALID_INTERVAL)),
    (lambda: parse_compare("last_decade"), ("compare", ErrorCode.INVALID_COMPARE)),
    (lambda: engine.get_kpi("nope"), ("key", ErrorCode.UNKNOWN_KPI)),
]  # fmt: skip


@pytest.mark.parametrize(("call", "expected"), CASES)
def test_scope_and_engine_refusals_carry_the_apps_codes(call, expected):
    codes = refusal(call)

    assert codes == [expected]
    assert type(codes[0][1]) is ErrorCode


def test_an_unknown_currency_carries_the_code_every_api_shares():
    # The scope's currency is checked against the one list receivables checks a document's
    # against: one code, o2c_api's.
    codes = refusal(lambda: build_scope(currency="XXX"))

    assert codes == [("currency", CommonCode.INVALID_CURRENCY)]
    assert type(codes[0][1]) is CommonCode


def test_the_dashboard_refuses_an_interval_with_the_scopes_check():
    # Given a bad interval, for the scope's own check and for the dashboard's filters
    scope_says = refusal(lambda: split(Period(date(2026, 1, 1), date(2026, 1, 31)), "day"))

    # When the dashboard is asked for it
    dashboard_says = refusal(lambda: parse_filters({"interval": "day"}))

    # Then one check answered both
    assert dashboard_says == scope_says == [("interval", ErrorCode.INVALID_INTERVAL)]
    assert type(dashboard_says[0][1]) is ErrorCode


def test_the_dashboards_own_refusal_carries_its_apps_code():
    from dashboard.errors import ErrorCode as DashboardCode

    codes = refusal(lambda: parse_filters({"period": "forever"}))

    assert codes == [("period", DashboardCode.INVALID_PERIOD)]
    assert type(codes[0][1]) is DashboardCode
