"""The error codes of the event feed and webhooks.

Raised by `integrations.feed` and `integrations.webhooks`; REST answers them as
`errors[].code`, GraphQL as `extensions.code` (queries) or `OperationInfo.messages[].code`
(mutations). Values are stable: a client may rely on them.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a request about events or webhooks was refused."""

    INVALID_CURSOR = "invalid_cursor"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    INVALID_URL = "invalid_url"
