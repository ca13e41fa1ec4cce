"""The invoice facts: invoices (on their issue day and the day after their due date),
their adjustments and their disputes."""

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce

from metrics.facts.family import (
    Family,
    any_of,
    any_row,
    days_between,
    invoice_key,
    invoice_lookups,
    one_if,
    while_not_due,
)
from o2c_api.expressions import DayAfter
from receivables import predicates
from receivables.models import Adjustment, Dispute, Invoice


class Invoices(Family):
    """Counting invoices on their issue date: AR invoiced (and Current AR if not yet due),
    issued, disputed (ever), first-pass (never disputed, no credit note), with an order and
    the days from order to invoice."""

    invoice = ""

    def __init__(self):
        self.measures = self._measures(probed=False)
        self._probed = self._measures(probed=True)

    @staticmethod
    def _measures(*, probed: bool) -> dict:
        disputes = Dispute.objects.filter(invoice_id=OuterRef("pk"))
        credit_notes = Adjustment.objects.filter(
            invoice_id=OuterRef("pk"), kind=Adjustment.Kind.CREDIT_NOTE
        )
        if not probed:
            disputed, credited = Exists(disputes), Exists(credit_notes)
        else:
            # The same test, one index probe per invoice (the first row found, if any): a
            # user's customers have a few thousand invoices, and PostgreSQL answered each
            # EXISTS by hashing every dispute and credit note (at 1M, 110 ms of a 100-customer
            # book's month; a scalar subquery is never hashed).
            disputed, credited = any_row(disputes), any_row(credit_notes)
        return {
            "ar_invoiced": F("amount"),
            "ar_current": while_not_due("issue_date", "due_date", F("amount")),
            "invoices_issued": Value(1),
            "invoices_disputed": one_if(disputed),
            "invoices_first_pass": one_if(~Q(disputed) & ~Q(credited)),
            "invoices_ordered": one_if(Q(order__isnull=False)),
            "order_days": Coalesce(days_between("issue_date", "order__order_date"), Value(0)),
        }

    def measures_in(self, customers_of: int | None) -> dict:
        return self.measures if customers_of is None else self._probed

    def queryset(self):
        return Invoice.objects.filter(predicates.counting())

    def key(self):
        return invoice_key()

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors))


class InvoicesDue(Family):
    """Counting invoices on the day after their due date: Current AR takes back what the
    invoice added while it was not yet due."""

    invoice = ""

    measures = {"ar_current": while_not_due("issue_date", "due_date", -F("amount"))}

    def queryset(self):
        return Invoice.objects.filter(predicates.counting())

    def key(self):
        return invoice_key(day=DayAfter("due_date"))

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors))


class Adjustments(Family):
    """Adjustments (credit notes, write-offs) of counting invoices on their date: AR
    adjusted (a positive amount), and Current AR lowered if the invoice was not yet due."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {
        "ar_adjusted": F("amount"),
        "ar_current": while_not_due("adjustment_date", "invoice__due_date", -F("amount")),
    }

    def queryset(self):
        return Adjustment.objects.filter(predicates.counting("invoice"))

    def key(self):
        return invoice_key("invoice", "adjustment_date")

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors, "invoice"))


class AdjustmentsDue(Family):
    """Adjustments made while their invoice was not yet due, on the day after the due date."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {"ar_current": while_not_due("adjustment_date", "invoice__due_date", F("amount"))}

    def queryset(self):
        return Adjustment.objects.filter(predicates.counting("invoice"))

    def key(self):
        return invoice_key("invoice", DayAfter("invoice__due_date"))

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors, "invoice"))


class Disputes(Family):
    """Disputes of counting invoices on their resolved date: resolved, days open."""

    customer = "invoice__customer_id"
    invoice = "invoice"

    measures = {
        "disputes_resolved": Value(1),
        "dispute_days": days_between("resolved_date", "opened_date"),
    }

    def queryset(self):
        return Dispute.objects.filter(predicates.counting("invoice"), resolved_date__isnull=False)

    def key(self):
        return invoice_key("invoice", "resolved_date")

    def anchor_q(self, anchors):
        return any_of(*invoice_lookups(anchors, "invoice"))
