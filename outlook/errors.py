"""The error codes of the cash outlook (forecast, its backtest, the DSO what-if).

Defined once here and raised by `outlook.forecast`, `outlook.backtest` and `outlook.impact`;
REST answers them as `errors[].code`, GraphQL as `extensions.code`. The scope's codes are
`metrics.errors.ErrorCode`'s. Values are stable: a client may rely on them.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason an outlook request was refused."""

    # The scope's open invoices are in several currencies, which are never added up.
    CURRENCY_REQUIRED = "currency_required"
    # A forecast's accuracy asked before its horizon is over.
    HORIZON_NOT_OVER = "horizon_not_over"
    INVALID_WEEKS = "invalid_weeks"
    INVALID_BOOLEAN = "invalid_boolean"
    # The DSO what-if's levers and scenarios.
    INVALID_DAYS = "invalid_days"
    INVALID_SHARE = "invalid_share"
    INVALID_SCENARIO = "invalid_scenario"
    TOO_MANY_SCENARIOS = "too_many_scenarios"
