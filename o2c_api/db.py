"""Database helpers shared by every app."""

from collections.abc import Callable

from django.db import OperationalError, connection

from o2c_api.errors import Conflict

RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
DEADLOCK_ATTEMPTS = 3


def retry_on_deadlock[T](work: Callable[[], T], attempts: int = DEADLOCK_ATTEMPTS) -> T:
    """Run `work` (one whole transaction) again when the database aborted it to break a deadlock.

    Only a transaction of our own can be retried: inside an outer atomic block the error goes
    up to whoever owns the transaction. After the last attempt it becomes a 409
    `concurrent_update` Conflict (nothing was stored).
    """
    for attempt in range(attempts):
        try:
            return work()
        except OperationalError as exc:
            sqlstate = getattr(exc.__cause__, "sqlstate", None)
            if sqlstate not in RETRYABLE_SQLSTATES or connection.in_atomic_block:
                raise
            if attempt == attempts - 1:
                raise Conflict(
                    "Concurrent changes kept colliding; nothing was stored. Retry the request.",
                    code="concurrent_update",
                ) from exc
    raise AssertionError("unreachable")
