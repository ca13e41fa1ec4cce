"""What the invoice and customer pages show first, computed by the engines that own it.

Balances and aging are `metrics.engine.aging` for one customer (the aging report's buckets
and open amounts), promise reliability is `dunning.promises.promise_reliability`, the credit
hold is `dunning.services.current_hold`, days past due `Invoice.days_past_due_at`. Nothing
here adds money up by itself, and nothing crosses currencies: one aging per currency.
"""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import Customer
from metrics import engine
from metrics.aging import Aging
from metrics.scope import Scope
from receivables import predicates, services
from receivables.models import CollectionActivity, Dispute, Invoice, PromiseToPay

OPEN_INVOICES_SHOWN = 20
ACTIVITIES_SHOWN = 10


@dataclass(frozen=True)
class Balance:
    """A customer's open AR in one currency today, by aging bucket."""

    currency: str
    aging: Aging

    @property
    def open_amount(self):
        return self.aging.total

    @property
    def past_due_amount(self):
        current = next(b for b in self.aging.buckets if b.bucket == "current")
        return self.aging.total - current.amount


def balance(customer_id: int, currency: str, as_of: date) -> Balance:
    """The customer's aging in `currency` at as_of (three queries, `engine.aging`)."""
    scope = Scope(start=as_of, end=as_of, currency=currency, customer=customer_id)
    return Balance(currency, engine.aging(scope, as_of))


def open_currencies(customer_id: int, as_of: date) -> list[str]:
    """The currencies the customer has invoices open in at as_of (one query)."""
    return list(
        Invoice.objects.filter(predicates.open_at(as_of), customer_id=customer_id)
        .order_by("currency")
        .values_list("currency", flat=True)
        .distinct()
    )


def latest_promise(invoice: Invoice) -> PromiseToPay | None:
    """The invoice's latest promise (as the API's `latest_promise_status` picks it)."""
    return invoice.promises.order_by("-created_date", "-id").first()


def record_links(invoice: Invoice, today: date) -> dict[str, str]:
    """Add forms pre-filled for this invoice: a promise, a dispute, a call, a credit note."""
    open_amount = f"{invoice.open_amount:f}"

    def add(model: str, **initial) -> str:
        return reverse(f"admin:receivables_{model}_add") + "?" + urlencode(initial)

    return {
        "promise": add(
            "promisetopay", invoice=invoice.pk, amount=open_amount, created_date=today.isoformat()
        ),
        "dispute": add(
            "dispute", invoice=invoice.pk, amount=open_amount, opened_date=today.isoformat()
        ),
        "call": add(
            "collectionactivity", customer=invoice.customer_id, invoice=invoice.pk, kind="call"
        ),
        "credit_note": add(
            "adjustment",
            invoice=invoice.pk,
            kind="credit_note",
            amount=open_amount,
            adjustment_date=today.isoformat(),
        ),
        "void": reverse("admin:receivables_invoice_void", args=[invoice.pk]),
    }


def invoice_summary(invoice: Invoice) -> dict:
    """Days past due, the customer's open and past-due balance in the invoice's currency,
    the latest promise, the open disputes, and the links to record what happened."""
    today = services.today()
    return {
        "invoice": invoice,
        "today": today,
        "days_past_due": invoice.days_past_due_at(today),
        "balance": balance(invoice.customer_id, invoice.currency, today),
        "latest_promise": latest_promise(invoice),
        "open_disputes": list(invoice.disputes.filter(status=Dispute.Status.OPEN)),
        "links": record_links(invoice, today) if invoice.counts else {},
        "customer_url": reverse("admin:accounts_customer_change", args=[invoice.customer_id]),
    }


def customer_summary(customer: Customer) -> dict:
    """Open balance and aging per currency, open invoices, recent activity, promise
    reliability over the last 365 days, and the credit hold with its reasons."""
    from dunning import promises
    from dunning import services as dunning

    today = services.today()
    balances = [
        balance(customer.pk, currency, today) for currency in open_currencies(customer.pk, today)
    ]
    open_invoices = Invoice.objects.filter(predicates.open_at(today), customer=customer).order_by(
        "due_date", "id"
    )
    shown = list(open_invoices[:OPEN_INVOICES_SHOWN])
    hold = dunning.current_hold(customer)
    reasons = list(hold.reasons.filter(cleared_at__isnull=True)) if hold is not None else []
    invoices_url = reverse("admin:receivables_invoice_changelist")
    return {
        "customer": customer,
        "today": today,
        "balances": balances,
        "open_invoices": [(invoice, invoice.days_past_due_at(today)) for invoice in shown],
        "open_invoice_count": open_invoices.count()
        if len(shown) == OPEN_INVOICES_SHOWN
        else len(shown),
        "open_invoices_url": invoices_url
        + "?"
        + urlencode({"customer__id__exact": customer.pk, "status__exact": "open"}),
        "activities": list(
            CollectionActivity.objects.filter(customer=customer)
            .select_related("invoice", "created_by")
            .order_by("-occurred_at", "-id")[:ACTIVITIES_SHOWN]
        ),
        "reliability": promises.reliability_by_customer([customer.pk]).get(customer.pk),
        "hold": hold,
        "hold_reasons": reasons,
        "now": timezone.now(),
    }
