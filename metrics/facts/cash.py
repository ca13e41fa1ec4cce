"""The cash facts: applications (on their date and the day after their invoice's due date),
payments, promises to pay and the reminders that ask for the cash."""

from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate

from metrics.facts.family import (
    Anchors,
    Family,
    any_of,
    invoice_key,
    invoice_lookups,
    one_if,
    while_not_due,
)
from o2c_api.expressions import DayAfter
from receivables import predicates
from receivables.models import CollectionActivity, Payment, PaymentApplication, PromiseToPay


def _movement_lookups(anchors: Anchors) -> tuple:
    """The anchors that reach an application: its invoice's, and its payment."""
    return (*invoice_lookups(anchors, "invoice"), ("payment_id", anchors.payments))


class Applications(Family):
    """Cash applied to counting invoices, on its date: AR applied (a positive amount), and
    Current AR lowered if the invoice was not yet due."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {
        "ar_applied": F("amount"),
        "ar_current": while_not_due("applied_date", "invoice__due_date", -F("amount")),
    }

    def queryset(self):
        return PaymentApplication.objects.filter(predicates.counting("invoice"))

    def key(self):
        return invoice_key("invoice", "applied_date")

    def anchor_q(self, anchors):
        return any_of(*_movement_lookups(anchors))


class ApplicationsDue(Family):
    """Applications made while their invoice was not yet due, on the day after the due date:
    Current AR gets back what they took off (the invoice's take-back covers its whole amount)."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {"ar_current": while_not_due("applied_date", "invoice__due_date", F("amount"))}

    def queryset(self):
        return PaymentApplication.objects.filter(predicates.counting("invoice"))

    def key(self):
        return invoice_key("invoice", DayAfter("invoice__due_date"))

    def anchor_q(self, anchors):
        return any_of(*_movement_lookups(anchors))


class Promises(Family):
    """Promises on counting invoices on their promised date: due, kept (the invoice got
    applications dated from the promise's creation to its date, inclusive, of at least the
    promised amount)."""

    # The promise's own customer, which is its invoice's (`services.create_promise`; an
    # invariant, tests/invariants.py): a scope of customers reads the (customer, promised
    # date) index instead of joining every promise of the period to its invoice.
    customer = "customer_id"
    invoice = "invoice"

    def __init__(self):
        self.measures = {
            "promises_due": Value(1),
            "promises_kept": one_if(predicates.promise_kept()),
        }

    def queryset(self):
        return PromiseToPay.objects.filter(predicates.counting("invoice"))

    def key(self):
        return invoice_key("invoice", "promised_date")

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors, "invoice"))


class Reminders(Family):
    """Reminders on the day they were sent: sent, clicked, paid (their invoice got an
    application dated from that day to 7 days after). One on an invoice takes the invoice's
    rep, product line and currency; one without, its customer's rep and currency."""

    timestamp = "occurred_at"

    def __init__(self):
        paid = predicates.reminder_paid("kpi_day")
        self.measures = {
            "reminders_sent": Value(1),
            "reminders_clicked": one_if(Q(clicked_at__isnull=False)),
            "reminders_paid": one_if(Q(invoice__isnull=False) & Q(paid)),
        }

    def queryset(self):
        return CollectionActivity.objects.reminders().annotate(kpi_day=TruncDate("occurred_at"))

    def key(self):
        on_invoice = Q(invoice__isnull=False)
        return {
            "kpi_rep": Coalesce(predicates.activity_rep_id(), Value(0)),
            "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
            "kpi_pl": Coalesce(F("invoice__product_line"), Value("")),
            "kpi_currency": Case(
                When(on_invoice, then=F("invoice__currency")), default=F("customer__currency")
            ),
        }

    def anchor_q(self, anchors):
        return any_of(
            *invoice_lookups(anchors, "invoice"),
            ("customer_id", anchors.customers),
            ("pk", anchors.activities),
        )


class Payments(Family):
    """Payments on their received date: received, matched (nothing unapplied and no manual
    application). A payment takes its customer's current rep and has no product line."""

    product_lines = False

    def __init__(self):
        manual = Exists(
            PaymentApplication.objects.filter(payment_id=OuterRef("pk"), automatic=False)
        )
        self.measures = {
            "payments_received": Value(1),
            "payments_matched": one_if(Q(unapplied_amount=0) & ~Q(manual)),
        }

    def queryset(self):
        return Payment.objects.all()

    def key(self):
        return {
            "kpi_day": F("received_date"),
            "kpi_rep": Coalesce(F("customer__rep_id"), Value(0)),
            "kpi_segment": Coalesce(F("customer__segment_id"), Value(0)),
            "kpi_pl": Value(""),
            "kpi_currency": F("currency"),
        }

    def anchor_q(self, anchors):
        return any_of(("pk", anchors.payments), ("customer_id", anchors.customers))
