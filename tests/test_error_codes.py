"""The outlook's and the worklist's refusals carry their app's `errors.ErrorCode` members (one
definition of each code, the same value REST and GraphQL answer)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from o2c_api.errors import ErrorCode as PageCode
from outlook import forecast
from outlook.errors import ErrorCode as OutlookCode
from worklist import backtest, engine
from worklist.errors import ErrorCode as WorklistCode


def refusal(call) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationError) as raised:
        call()
    error = raised.value
    if hasattr(error, "error_dict"):
        return [(field, e.code) for field, errors in error.error_dict.items() for e in errors]
    return [(None, e.code) for e in error.error_list]


CASES = [
    (lambda: forecast.parse_weeks("x"), ("weeks", OutlookCode.INVALID_WEEKS)),
    (lambda: forecast.parse_weeks("53"), ("weeks", OutlookCode.INVALID_WEEKS)),
    (lambda: forecast.parse_bool("maybe", "include_orders"),
     ("include_orders", OutlookCode.INVALID_BOOLEAN)),
    (lambda: engine.page_bounds("x", None), ("limit", PageCode.INVALID_LIMIT)),
    (lambda: engine.page_bounds(None, "-1"), ("offset", PageCode.INVALID_OFFSET)),
    (lambda: engine.no_activity_days_of("9999"),
     ("no_activity_days", WorklistCode.INVALID_NO_ACTIVITY_DAYS)),
    (lambda: backtest.checked_month_ends(date(2026, 1, 2), date(2026, 1, 20)),
     ("end", WorklistCode.NO_MONTH_END)),
]  # fmt: skip


@pytest.mark.parametrize(("call", "expected"), CASES)
def test_refusals_carry_the_apps_codes(call, expected):
    codes = refusal(call)

    assert codes == [expected]
    assert type(codes[0][1]) is type(expected[1])
