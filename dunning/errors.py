"""The error codes of the playbook and credit holds.

Defined once here and raised by the services; REST answers them as `errors[].code`, GraphQL as
`OperationInfo.messages[].code` (a non-admin's override: `permission_denied` on both, as every
missing role). Values are stable: a client may rely on them.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a write was refused."""

    CREDIT_HOLD_UNCHANGED = "credit_hold_unchanged"
    CUSTOMER_ON_CREDIT_HOLD = "customer_on_credit_hold"
    OVERRIDE_REASON_REQUIRED = "override_reason_required"
    UNKNOWN_MERGE_FIELD = "unknown_merge_field"
    # The model's constraints (their `violation_error_code`).
    DUPLICATE_OFFSET = "duplicate_offset"
    CHALLENGER_IS_CHAMPION = "challenger_is_champion"
    BAND_WITHOUT_CURRENCY = "band_without_currency"
    EMPTY_BAND = "empty_band"
    ALREADY_ON_CREDIT_HOLD = "already_on_credit_hold"
    LIFTED_BEFORE_PLACED = "lifted_before_placed"
