"""Reading the outbox in commit order with a cursor that never skips an event.

Ids of a sequence are handed out when rows are inserted, not when their transactions commit:
a transaction may insert event 10, stay open, and commit after event 11 was committed and
read. A cursor "after 11" would then never see 10. So, on PostgreSQL, each event carries the
id of the transaction that wrote it (`txid`), the feed is ordered by (txid, id), and a page
only holds events of transactions older than the *horizon*: the oldest transaction of this
database still running when the page is read. Every transaction below the horizon has ended,
so no event can appear later below it, and a cursor (txid, id) is final. Events of a
transaction still running wait (the feed lags by the longest open write transaction).

The horizon is taken from the reader's own snapshot (`pg_current_snapshot()`), minus the
transactions that `pg_stat_activity` shows running in *other* databases of the server: their
ids are in the snapshot too (transaction ids are cluster-wide), but they cannot write our
events, so another team's long transaction does not stall the feed. A transaction that ends
between the snapshot and the look-up is kept in (it only holds the horizon back, for one
read), as are prepared transactions and sessions we may not see.

A transaction that reads the feed sees its own uncommitted events too (as it sees its own
rows). Reading the feed, storing the cursor and writing events in one transaction would let
that cursor pass older transactions still running: readers (the API, the webhook
dispatcher) never write events.

SQLite has a single writer, committing in id order: the id alone is the cursor (txid 0).
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q

from accounts.scoping import scope
from integrations.errors import ErrorCode
from integrations.models import Event, EventType
from o2c_api.errors import ErrorCode as PageCode

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
CURSOR = re.compile(r"^(\d{1,19})_(\d{1,19})$")

HORIZON_SQL = """
SELECT COALESCE(
    (SELECT MIN(x::text::bigint)
       FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE xid(x) NOT IN (
          SELECT backend_xid FROM pg_stat_activity
           WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
    pg_current_xact_id_if_assigned()::text::bigint
"""


@dataclass(frozen=True)
class Page:
    """Events after a cursor, and the cursor to ask with next (the same when none came)."""

    events: list[Event]
    next_cursor: str
    has_more: bool


def parse_cursor(value: str | None) -> tuple[int, int]:
    """(txid, id) of a cursor from a previous page; the start of the feed when empty.

    Raises:
        ValidationError: invalid_cursor.
    """
    if not value:
        return (0, 0)
    match = CURSOR.match(value)
    if match is None:
        raise ValidationError(
            {
                "after": ValidationError(
                    "Pass the `next_cursor` of a previous page, or nothing to start.",
                    ErrorCode.INVALID_CURSOR,
                )
            }
        )
    return int(match[1]), int(match[2])


def parse_types(values: list[str] | None) -> list[str]:
    """The event types asked for (comma-separated or repeated); empty means all.

    Raises:
        ValidationError: unknown_event_type.
    """
    types = [t.strip() for value in values or [] for t in value.split(",") if t.strip()]
    unknown = [t for t in types if t not in EventType.values]
    if unknown:
        raise ValidationError(
            {
                "type": ValidationError(
                    f"Unknown event type {unknown[0]!r}; known: {', '.join(EventType.values)}.",
                    ErrorCode.UNKNOWN_EVENT_TYPE,
                )
            }
        )
    return types


def parse_limit(value) -> int:
    """The page size: 1..500, 100 when absent.

    Raises:
        ValidationError: invalid_limit.
    """
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            {
                "limit": ValidationError(
                    f"limit is a whole number from 1 to {MAX_LIMIT}.", PageCode.INVALID_LIMIT
                )
            }
        )
    return limit


def horizon() -> tuple[int | None, int | None]:
    """The oldest transaction id of this database still running (PostgreSQL), else None, and
    the reader's own transaction id when it has one.

    Events with a txid below the horizon are final. None (SQLite): every committed event is.
    """
    if connection.vendor != "postgresql":
        return None, None
    with connection.cursor() as cursor:
        cursor.execute(HORIZON_SQL)
        return cursor.fetchone()


def page(
    after: str | None = None,
    types: list[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    user=None,
):
    """The events after `after`, in commit order, at most `limit` of them (two queries).

    Args:
        after: a `next_cursor` of a previous page (or an event's cursor); None to start.
        types: only these event types (still in commit order).
        limit: page size, at most 500.
        user: the reader; one limited to their customers (accounts.scoping) gets only their
            customers' events (a subquery, not a query per event). The cursor is the same
            (txid, id) position: filtering, like `types`, only leaves events out.

    Returns:
        Page. `next_cursor` is the last event's cursor, or `after` when the page is empty:
        ask again with it later.

    Raises:
        ValidationError: invalid_cursor.
    """
    txid, event_id = parse_cursor(after)
    events = Event.objects.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=event_id))
    if types:
        events = events.filter(type__in=types)
    events = scope(events, user)
    top, own = horizon()
    if top is not None:
        # A transaction sees its own events, as it sees its own rows (the API's readers write
        # nothing, so for them this adds nothing).
        events = events.filter(Q(txid__lt=top) | Q(txid=own) if own else Q(txid__lt=top))
    rows = list(events.order_by("txid", "id")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = rows[-1].cursor if rows else (after or "")
    return Page(rows, next_cursor, has_more)


def envelope(event: Event) -> dict:
    """An event as the feed and webhooks show it."""
    return {
        "id": event.pk,
        "cursor": event.cursor,
        "type": event.type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.payload,
    }
