"""The error codes of accounts (customers, credit holds).

Defined once here and raised by the services; REST answers them as `errors[].code`, GraphQL as
`OperationInfo.messages[].code`, so a client sees the same code for the same refusal on both.
Values are stable: a client may rely on them. Credit holds are dunning's
(`dunning.errors.ErrorCode`).
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a write was refused."""

    # A customer's orders, invoices, payments and opportunities are in its currency: changing
    # it afterwards would make them disagree (409).
    CURRENCY_LOCKED = "customer_currency_locked"
    # The model's constraints (their `violation_error_code`).
    NEGATIVE_CREDIT_LIMIT = "negative_credit_limit"
    NEGATIVE_AMOUNT = "negative_amount"
    CLOSED_DATE_MISMATCH = "closed_date_mismatch"
    CLOSED_BEFORE_CREATED = "closed_before_created"
