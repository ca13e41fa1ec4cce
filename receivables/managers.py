"""QuerySet methods: the one home of the receivables' query logic."""

from collections.abc import Sequence
from datetime import date

from django.db import models

from receivables import predicates


class InvoiceQuerySet(models.QuerySet):
    # The date d of `open_at(d)` (or `past_due_at(d)`), kept through later filters, so that
    # `count()` reads the two parts of "open at d" apart, each from its index.
    _open_at_date: date | None = None

    def _clone(self) -> "InvoiceQuerySet":
        clone = super()._clone()
        clone._open_at_date = self._open_at_date
        return clone

    def __or__(self, other) -> "InvoiceQuerySet":
        # Rows outside "open at d" may join: the parts no longer cover the result.
        combined = super().__or__(other)
        combined._open_at_date = None
        return combined

    def __xor__(self, other) -> "InvoiceQuerySet":
        combined = super().__xor__(other)
        combined._open_at_date = None
        return combined

    def counting(self) -> "InvoiceQuerySet":
        """Invoices that count for KPIs (not draft, not void)."""
        return self.filter(predicates.counting())

    def open_at(self, d: date) -> "InvoiceQuerySet":
        """Invoices with an open amount at the end of day d."""
        return self._open_at_marked(self.filter(predicates.open_at(d)), d)

    @staticmethod
    def _open_at_marked(rows: "InvoiceQuerySet", d: date) -> "InvoiceQuerySet":
        rows._open_at_date = d
        return rows

    def count(self) -> int:
        """The number of rows; filtered by `open_at(d)`, the two parts of "open at d" counted
        apart (`count_open_at`): the list filtered by `open=true` or `past_due=true` counts a
        segment's open invoices from the index of unsettled invoices, where the OR read
        every candidate from the table (60 ms -> 20 ms at 1M invoices). Grouped, distinct,
        sliced or combined querysets are counted as they are: the parts would not add up."""
        query = self.query
        if (
            self._open_at_date is None
            or self._result_cache is not None
            or query.is_sliced
            or query.distinct
            or query.group_by is not None
            or query.combinator
        ):
            return super().count()
        return self.count_open_at(self._open_at_date)

    def open_at_first(self, d: date, ordering: Sequence[str], limit: int) -> "InvoiceQuerySet":
        """The first `limit` of these invoices open at d in `ordering`, ordered (unsliced).

        Each of `predicates.open_at_parts` gives the keys of its first `limit` by its own
        index (two small queries); the result reads those (at most 2 × limit) by primary key.
        One walk of the due-date index for the OR of the parts read every settled invoice
        due before the first open ones (700k at 1M invoices, 1.3 s), and so did the OR of
        two subqueries.
        """
        keys = [
            pk
            for part in predicates.open_at_parts(d)
            for pk in self.filter(part).order_by(*ordering).values_list("pk", flat=True)[:limit]
        ]
        return self.model.objects.filter(pk__in=keys).order_by(*ordering)

    def count_open_at(self, d: date) -> int:
        """How many of these invoices are open at d: the two parts counted apart (two
        queries), each from its index, where the OR reads every candidate from the table."""
        parts = predicates.open_at_parts(d)
        return sum(models.QuerySet.count(self.filter(part)) for part in parts)

    def past_due_at(self, d: date) -> "InvoiceQuerySet":
        """Invoices open at the end of day d and due before it."""
        return self._open_at_marked(self.filter(predicates.past_due_at(d)), d)

    def issued_between(self, start: date, end: date) -> "InvoiceQuerySet":
        return self.filter(issue_date__gte=start, issue_date__lte=end)

    def in_dimensions(self, **dimensions) -> "InvoiceQuerySet":
        return self.filter(predicates.invoice_dimensions(**dimensions))

    def disputed(self) -> "InvoiceQuerySet":
        """Invoices with an open dispute."""
        return self.filter(predicates.disputed())

    def with_collection_state(self) -> "InvoiceQuerySet":
        """Annotate `has_open_dispute` and `latest_promise_status` (null without promises).

        Two correlated subqueries, so a page of invoices costs one query whatever its length.
        """
        return self.annotate(**collection_state())

    def activity_count_wrong(self) -> "InvoiceQuerySet":
        """Invoices whose stored `activity_count` is not their number of activities: none while
        activities are written through their services (the check of the tests' invariants and
        the benchmark's derived data). One count per invoice, from the (invoice, occurred_at)
        index."""
        from receivables.models import CollectionActivity

        activities = (
            CollectionActivity.objects.filter(invoice_id=models.OuterRef("pk"))
            .order_by()
            .values("invoice_id")
            .annotate(n=models.Count("*"))
            .values("n")
        )
        counted = models.functions.Coalesce(
            models.Subquery(activities), 0, output_field=models.IntegerField()
        )
        return self.alias(kpi_counted=counted).exclude(activity_count=models.F("kpi_counted"))


def collection_state() -> dict[str, models.Expression]:
    """The annotations of `InvoiceQuerySet.with_collection_state`, by name.

    GraphQL's `hasOpenDispute` / `latestPromiseStatus` annotate with the same expressions.
    """
    from receivables.models import PromiseToPay

    latest_promise = PromiseToPay.objects.filter(invoice_id=models.OuterRef("pk")).order_by(
        "-created_date", "-id"
    )
    return {
        "has_open_dispute": models.ExpressionWrapper(
            predicates.disputed(), output_field=models.BooleanField()
        ),
        "latest_promise_status": models.Subquery(latest_promise.values("status")[:1]),
    }


class PaymentQuerySet(models.QuerySet):
    def received_between(self, start: date, end: date) -> "PaymentQuerySet":
        return self.filter(received_date__gte=start, received_date__lte=end)

    def in_dimensions(self, **dimensions) -> "PaymentQuerySet":
        return self.filter(predicates.customer_dimensions(**dimensions))


class ApplicationQuerySet(models.QuerySet):
    def applied_between(self, start: date, end: date) -> "ApplicationQuerySet":
        return self.filter(applied_date__gte=start, applied_date__lte=end)

    def in_dimensions(self, **dimensions) -> "ApplicationQuerySet":
        return self.filter(predicates.invoice_dimensions("invoice", **dimensions))


class DisputeQuerySet(models.QuerySet):
    def open(self) -> "DisputeQuerySet":
        return self.filter(status="open")

    def in_dimensions(self, **dimensions) -> "DisputeQuerySet":
        return self.filter(predicates.invoice_dimensions("invoice", **dimensions))


class PromiseQuerySet(models.QuerySet):
    def in_dimensions(self, **dimensions) -> "PromiseQuerySet":
        return self.filter(predicates.invoice_dimensions("invoice", **dimensions))


class ActivityQuerySet(models.QuerySet):
    def reminders(self) -> "ActivityQuerySet":
        return self.filter(kind="reminder")

    def in_dimensions(
        self,
        *,
        rep: int | None = None,
        segment: int | None = None,
        customer: int | None = None,
        product_line: str | None = None,
        currency: str | None = None,
    ) -> "ActivityQuerySet":
        qs = self.filter(predicates.customer_dimensions(segment=segment, customer=customer))
        if rep is not None:
            qs = qs.filter(predicates.activity_rep(rep))
        if product_line is not None:
            qs = qs.filter(invoice__product_line=product_line)
        if currency is not None:
            qs = qs.filter(invoice__currency=currency)
        return qs
