"""The error codes of the dashboard app (annotations, huddle actions).

Defined once here and raised by the services; REST answers them as `errors[].code`, GraphQL as
`OperationInfo.messages[].code`, so a client sees the same code for the same refusal on both.
Values are stable: a client may rely on them. A KPI key it does not know is the engine's
`metrics.errors.ErrorCode.UNKNOWN_KPI`.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a write was refused."""

    ACTION_ALREADY_DONE = "action_already_done"
    # A dashboard period preset it does not know.
    INVALID_PERIOD = "invalid_period"
    # The model's constraint: a done action has its done date, an open one none.
    DONE_DATE_MISMATCH = "done_date_mismatch"
