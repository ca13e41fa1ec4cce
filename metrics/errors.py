"""The error codes of the KPI scope and engine (metrics.scope, metrics.engine, metrics.blocks).

Defined once here and raised by the scope's parsers and the engine; REST answers them as
`errors[].code`, GraphQL as `extensions.code`, and the apps that read a scope (dashboard,
outlook, worklist, dunning) answer the same codes for the same refusal. Values are stable: a
client may rely on them. Codes every API shares (`invalid_date`, `date_out_of_range`,
`too_many_points`, `invalid_currency`, `required`, a page's `invalid_limit` and
`invalid_offset`) are `o2c_api.errors.ErrorCode`'s.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a KPI request was refused."""

    # The scope.
    END_BEFORE_START = "end_before_start"
    PERIOD_TOO_LONG = "period_too_long"
    INVALID_ID = "invalid_id"
    UNKNOWN_REP = "unknown_rep"
    UNKNOWN_SEGMENT = "unknown_segment"
    UNKNOWN_CUSTOMER = "unknown_customer"
    INVALID_INTERVAL = "invalid_interval"
    INVALID_COMPARE = "invalid_compare"
    # The KPIs asked for.
    UNKNOWN_KPI = "unknown_kpi"
    # Breakdowns.
    INVALID_GROUP_BY = "invalid_group_by"
    NOT_APPLICABLE = "not_applicable"
    # Thresholds (the model's constraint): green is on the better side of red.
    THRESHOLDS_OUT_OF_ORDER = "thresholds_out_of_order"


# `unknown_<field>` for an id of no record, by the scope's field.
UNKNOWN_BY_FIELD = {
    "rep": ErrorCode.UNKNOWN_REP,
    "segment": ErrorCode.UNKNOWN_SEGMENT,
    "customer": ErrorCode.UNKNOWN_CUSTOMER,
}
