"""The audit trail of money records (issue 12): who changed what, when, from where, and why.

django-simple-history keeps one history row per change of an audited model (invoices,
payments, applications, adjustments, disputes, promises, customers): every field's value after
the change, `history_type` (+ created, ~ changed, - deleted), `history_date`, `history_user`
(the request's user: token, session or admin), `history_change_reason` (a reversal's reason)
and `source`, which API or tool made it (`Source`). The admin shows it on each object's
History page and in the "audit" lists (receivables/admin/audit.py).

Model saves and deletes are recorded by simple-history itself. Set-based writes (bulk_create,
QuerySet.update, bulk_update) bypass it: the services that make them call `record_rows` or
`record_bulk` (one INSERT ... SELECT of the stored rows) right after, in the same
transaction, so they are recorded too (docs/security.md lists them).

Where a change comes from is set per request by `AuditSourceMiddleware` (from the path) and
is `command` otherwise (management commands, the shell, jobs); `reason(...)` sets the reason
of the changes made inside it.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

from django.db import connections, models, router
from django.utils import timezone
from simple_history.models import HistoricalRecords, ModelChange, ModelDelta


class Source(StrEnum):
    """Which way a change came in."""

    REST = "rest"
    GRAPHQL = "graphql"
    ADMIN = "admin"
    DASHBOARD = "dashboard"
    COMMAND = "command"


_source: ContextVar[str] = ContextVar("audit_source", default=Source.COMMAND.value)
_reason: ContextVar[str] = ContextVar("audit_reason", default="")

# A reason longer than this is cut (REST refuses one; a GraphQL string is not bounded).
MAX_REASON = 500

PATH_SOURCES = (
    ("/api/", Source.REST),
    ("/graphql/", Source.GRAPHQL),
    ("/admin/", Source.ADMIN),
    ("/dashboard/", Source.DASHBOARD),
)


def current_source() -> str:
    """The source of the changes being made now (a history row's default)."""
    return _source.get()


@contextmanager
def source(value: Source) -> Iterator[None]:
    """Changes made inside are recorded as coming from `value`."""
    token = _source.set(value.value)
    try:
        yield
    finally:
        _source.reset(token)


@contextmanager
def reason(text: str | None) -> Iterator[None]:
    """Changes made inside are recorded with this reason (e.g. why cash was unapplied)."""
    token = _reason.set((text or "")[:MAX_REASON])
    try:
        yield
    finally:
        _reason.reset(token)


class AuditSourceMiddleware:
    """Sets the source of a request's changes from its path (REST, GraphQL, admin, ...)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        for prefix, value in PATH_SOURCES:
            if request.path.startswith(prefix):
                with source(value):
                    return self.get_response(request)
        return self.get_response(request)


class AuditedChange(models.Model):
    """The fields every history row adds to simple-history's own."""

    source = models.CharField(
        max_length=16,
        default=current_source,
        choices=[(s.value, s.value) for s in Source],
        help_text="Which way the change came in: rest, graphql, admin, dashboard or command.",
    )

    class Meta:
        abstract = True


class AuditTrail(HistoricalRecords):
    """HistoricalRecords with a `source` column and the reason taken from `reason(...)`."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("bases", [AuditedChange])
        kwargs.setdefault("history_change_reason_field", models.TextField(null=True))
        super().__init__(**kwargs)

    def get_change_reason_for_object(self, instance, history_type, using):
        given = super().get_change_reason_for_object(instance, history_type, using)
        return given or _reason.get() or None


def diff(newer, older, **kwargs) -> ModelDelta:
    """What changed from history row `older` to `newer`, as simple-history's `ModelDelta`.

    Every tracked field, those the services keep included: simple-history's own
    `diff_against` compares only editable fields, and `open_amount`, `status`, `paid_date`,
    `unapplied_amount`, ... are not editable. Foreign keys are compared by id; the
    `updated_at` stamp is left out. `kwargs` (simple-history's options) are ignored.
    """
    changes = [
        ModelChange(field.name, getattr(older, field.attname), getattr(newer, field.attname))
        for field in newer.tracked_fields
        if field.name != "updated_at"
        and getattr(older, field.attname) != getattr(newer, field.attname)
    ]
    return ModelDelta(changes, [change.field for change in changes], older, newer)


def record_rows(rows: Sequence[models.Model], *, created: bool = False) -> None:
    """History rows for objects a set-based write just stored (bulk_create or an update whose
    values the objects hold): one INSERT, with the request's user, source and reason."""
    if not rows:
        return
    type(rows[0]).history.bulk_history_create(
        rows, update=not created, default_change_reason=_reason.get() or None
    )


def record_bulk(model: type[models.Model], pks: Iterable[int], *, created: bool = False) -> None:
    """History rows for `model` rows `pks` as they are now stored (after a set-based write,
    or for rows created in this transaction: `created`), with the request's user, source and
    reason: one INSERT ... SELECT, so no row is read into Python.

    A service that creates a row and sets some of its fields later in the same transaction
    (posting a payment, then its unapplied amount and outcome) records it once, created
    with its final values: the trail shows what the transaction did, not its steps.
    """
    pks = sorted(set(pks))
    if not pks:
        return
    history = model.history.model
    connection = connections[router.db_for_write(history)]
    quote = connection.ops.quote_name
    tracked = history.tracked_fields
    user = history.get_default_history_user(model())
    extra = {
        "history_date": connection.ops.adapt_datetimefield_value(timezone.now()),
        "history_change_reason": _reason.get() or None,
        "history_type": "+" if created else "~",
        "history_user_id": getattr(user, "pk", None),
        "source": current_source(),
    }
    columns = [history._meta.get_field(field.name).column for field in tracked] + list(extra)
    sources = [quote(field.column) for field in tracked] + ["%s"] * len(extra)
    id_column = quote(model._meta.pk.column)
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(sources)} FROM {quote(model._meta.db_table)} "
        f"WHERE {id_column} IN ({', '.join(['%s'] * len(pks))}) ORDER BY {id_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra.values(), *pks])
