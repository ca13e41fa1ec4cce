"""The error codes of payment risk and the collections worklist.

Defined once here and raised by `worklist.engine`, `worklist.backtest` and `worklist.fitting`;
REST answers them as `errors[].code`, GraphQL as `extensions.code`. The scope's codes are
`metrics.errors.ErrorCode`'s, a page's `o2c_api.errors.ErrorCode`'s. Values are stable: a
client may rely on them.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a risk or worklist request was refused."""

    INVALID_NO_ACTIVITY_DAYS = "invalid_no_activity_days"
    # A backtest's period.
    NO_MONTH_END = "no_month_end"
    TOO_MANY_MONTH_ENDS = "too_many_month_ends"
    # Fitting the risk model needs both late and on-time invoices among its rows.
    NOT_ENOUGH_OUTCOMES = "not_enough_outcomes"
