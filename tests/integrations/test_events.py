"""The outbox: each service records its events in its own transaction, with exact payloads."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from accounts import services as accounts_services
from accounts.models import Customer
from dunning import services as dunning_services
from integrations import kpi_status
from integrations.models import Event, KPIStatus
from metrics.models import Threshold
from metrics.scope import default_period
from receivables import services
from receivables.cash_application import RemittanceLine, post_batch, post_payment
from receivables.models import Adjustment, Dispute, Order
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    PaymentFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = date.today()


def recorded(since: int = 0) -> list[tuple[str, str, str]]:
    return list(
        Event.objects.filter(id__gt=since)
        .order_by("id")
        .values_list("type", "object_type", "object_id")
    )


def last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_an_open_invoice_records_invoice_issued_with_its_numbers():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-1", amount=D("250.00"))
    event = Event.objects.get()
    assert (event.type, event.object_type, event.object_id) == (
        "invoice.issued",
        "invoice",
        str(invoice.pk),
    )
    assert event.payload == {
        "number": "INV-1",
        "customer": customer.pk,
        "amount": "250.00",
        "open_amount": "250.00",
        "currency": "USD",
        "status": "open",
    }


def test_a_draft_records_nothing_until_issued_then_issued_void_and_delete_tombstone():
    draft = InvoiceFactory(number="INV-D", status="draft")
    assert recorded() == []
    services.issue_invoice(draft)
    services.void_invoice(draft, voided_date=date(2026, 2, 1))
    other = InvoiceFactory(number="INV-E", status="draft")
    services.delete_invoice(other)
    assert recorded() == [
        ("invoice.issued", "invoice", str(draft.pk)),
        ("invoice.voided", "invoice", str(draft.pk)),
        ("record.deleted", "invoice", str(other.pk)),
    ]
    assert Event.objects.get(type="invoice.voided").payload["voided_date"] == "2026-02-01"
    assert Event.objects.get(type="record.deleted").payload == {"number": "INV-E"}


def test_a_posting_records_posted_applied_and_paid_in_its_transaction():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-P", amount=D("100.00"))
    start = last_id()
    with CaptureQueriesContext(connection) as queries:
        result = post_payment(
            customer=customer,
            amount=D("100.00"),
            received_date=date(2026, 1, 20),
            remittance=[RemittanceLine(invoice_number="INV-P", amount=D("100.00"))],
        )
    assert event_inserts(queries.captured_queries) == 1
    payment = result.payment
    assert recorded(start) == [
        ("payment.applied", "payment", str(payment.pk)),
        ("invoice.paid", "invoice", str(invoice.pk)),
        ("payment.posted", "payment", str(payment.pk)),
    ]
    applied = Event.objects.get(type="payment.applied").payload
    assert applied == {
        "application": result.applications[0].pk,
        "payment": payment.pk,
        "invoice": invoice.pk,
        "amount": "100.00",
        "currency": "USD",
        "applied_date": "2026-01-20",
    }
    assert Event.objects.get(type="invoice.paid").payload["paid_date"] == "2026-01-20"
    assert Event.objects.get(type="payment.posted").payload["unapplied_amount"] == "0.00"


def event_inserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith('INSERT INTO "integrations_event"'))


@pytest.mark.parametrize("size", [2, 20])
def test_a_bulk_posting_inserts_its_events_with_one_statement(size):
    customer = CustomerFactory()
    for i in range(size):
        InvoiceFactory(customer=customer, number=f"INV-B{i}", amount=D("10.00"))
    items = [
        {
            "customer": customer,
            "amount": D("10.00"),
            "received_date": date(2026, 1, 20),
            "remittance": [RemittanceLine(invoice_number=f"INV-B{i}", amount=D("10.00"))],
        }
        for i in range(size)
    ]
    start = last_id()
    with CaptureQueriesContext(connection) as queries:
        outcome = post_batch(items)
    assert not outcome.rolled_back
    assert event_inserts(queries.captured_queries) == 1  # applied, paid, posted: one INSERT
    types = [t for t, _, _ in recorded(start)]
    assert types.count("payment.posted") == size
    assert types.count("payment.applied") == size
    assert types.count("invoice.paid") == size


def test_a_rolled_back_write_leaves_no_event():
    customer = CustomerFactory()

    def write_then_fail():
        with transaction.atomic():
            InvoiceFactory(customer=customer)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert Event.objects.count() == 0


def test_unapply_records_unapplied_and_the_application_tombstone():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"))
    payment = PaymentFactory(customer=customer, amount=D("60.00"))
    application = services.apply_payment(
        payment, invoice, D("60.00"), applied_date=date(2026, 1, 20)
    )
    start = last_id()
    services.unapply(application)
    assert recorded(start) == [
        ("payment.unapplied", "payment", str(payment.pk)),
        ("record.deleted", "paymentapplication", str(application.pk)),
        # The invoice, due 2026-01-31, is open again more than 60 days past due.
        ("credit_hold.placed", "customer", str(customer.pk)),
    ]
    assert Event.objects.get(type="payment.unapplied").payload["amount"] == "60.00"


def test_credit_note_dispute_and_promise_events():
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=D("100.00"), issue_date=date(2026, 1, 1))
    start = last_id()
    dispute = services.open_dispute(
        invoice, reason=Dispute.Reason.PRICING, amount=D("20.00"), opened_date=date(2026, 1, 5)
    )
    services.resolve_dispute(
        dispute, resolution="credited", resolved_date=date(2026, 1, 9), credit_amount=D("20.00")
    )
    promise = services.create_promise(
        invoice, promised_date=TODAY + timedelta(days=30), amount=D("80.00"), created_date=TODAY
    )
    assert recorded(start) == [
        ("dispute.opened", "dispute", str(dispute.pk)),
        ("invoice.credited", "invoice", str(invoice.pk)),
        ("dispute.resolved", "dispute", str(dispute.pk)),
        ("promise.made", "promisetopay", str(promise.pk)),
    ]
    credited = Event.objects.get(type="invoice.credited").payload
    assert (credited["kind"], credited["credit_amount"], credited["open_amount"]) == (
        Adjustment.Kind.CREDIT_NOTE,
        "20.00",
        "80.00",
    )
    # Paying the promised amount in time keeps it: promise.kept, once.
    payment = PaymentFactory(customer=customer, amount=D("80.00"))
    start = last_id()
    services.apply_payment(payment, invoice, D("80.00"), applied_date=TODAY)
    assert ("promise.kept", "promisetopay", str(promise.pk)) in recorded(start)
    start = last_id()
    services.refresh_promise_statuses()
    assert recorded(start) == []


def test_a_promise_past_its_date_breaks_once():
    invoice = InvoiceFactory(amount=D("100.00"), issue_date=date(2026, 1, 1))
    promise = services.create_promise(
        invoice, promised_date=TODAY + timedelta(days=3), amount=D("50.00"), created_date=TODAY
    )
    start = last_id()
    services.refresh_promise_statuses(as_of=TODAY + timedelta(days=3))  # due today: still open
    services.refresh_promise_statuses(as_of=TODAY + timedelta(days=4))
    services.refresh_promise_statuses(as_of=TODAY + timedelta(days=5))
    assert recorded(start) == [("promise.broken", "promisetopay", str(promise.pk))]
    assert Event.objects.get(type="promise.broken").payload["status"] == "broken"


def test_customer_created_changed_and_credit_hold_events():
    customer = accounts_services.create_customer(
        name="Acme", external_id="C-1", currency="USD", payment_terms_days=30
    )
    accounts_services.update_customer(customer, name="Acme Inc", payment_terms_days=30)
    accounts_services.update_customer(customer, payment_terms_days=30)  # nothing changed: no event
    dunning_services.place_hold(customer, note="by hand")
    dunning_services.lift_hold(customer)
    assert recorded() == [
        ("customer.created", "customer", str(customer.pk)),
        ("customer.changed", "customer", str(customer.pk)),
        ("credit_hold.placed", "customer", str(customer.pk)),
        ("credit_hold.lifted", "customer", str(customer.pk)),
    ]
    assert Event.objects.get(type="customer.changed").payload["changed"] == ["name"]


def test_an_automatic_hold_is_an_event_too():
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=date.today() - timedelta(days=120))
    start = last_id()
    changes = dunning_services.evaluate_credit_holds()
    assert changes.placed == (customer.pk,)
    assert recorded(start) == [("credit_hold.placed", "customer", str(customer.pk))]


def test_deleting_an_activity_leaves_a_tombstone():
    activity = ActivityFactory()
    pk = activity.pk
    services.delete_activity(activity)
    assert recorded() == [("record.deleted", "collectionactivity", str(pk))]


def test_deleting_an_opportunity_leaves_a_tombstone():
    opportunity = OpportunityFactory()
    pk, customer = opportunity.pk, opportunity.customer_id
    start = last_id()

    accounts_services.delete_opportunity(opportunity)

    assert recorded(start) == [("record.deleted", "opportunity", str(pk))]
    assert Event.objects.get(type="record.deleted").customer_id == customer


def test_deleting_a_customer_leaves_a_tombstone():
    customer = accounts_services.create_customer(name="Typo Ltd", external_id="C-9", currency="USD")
    pk = customer.pk
    start = last_id()

    accounts_services.delete_customer(customer)

    assert recorded(start) == [("record.deleted", "customer", str(pk))]
    event = Event.objects.get(type="record.deleted")
    assert (event.payload, event.customer_id) == ({"name": "Typo Ltd", "external_id": "C-9"}, pk)
    assert not Customer.objects.filter(pk=pk).exists()


def test_a_customer_with_documents_is_not_deleted_and_leaves_no_tombstone():
    invoice = InvoiceFactory()
    start = last_id()

    with pytest.raises(ProtectedError):
        accounts_services.delete_customer(invoice.customer)

    assert recorded(start) == []
    assert Customer.objects.filter(pk=invoice.customer_id).exists()


def test_deleting_an_order_leaves_a_tombstone():
    customer = CustomerFactory()
    order = services.create_order(
        customer=customer, number="SO-1", order_date=date(2026, 1, 2), amount=D("10.00")
    )
    pk = order.pk
    start = last_id()

    services.delete_order(order)

    assert recorded(start) == [("record.deleted", "order", str(pk))]
    event = Event.objects.get(type="record.deleted")
    assert (event.payload, event.customer_id) == ({"number": "SO-1"}, customer.pk)
    assert not Order.objects.filter(pk=pk).exists()


def test_kpi_status_changes_are_detected_for_the_default_scope():
    # An invoice open at the end of the default period (the last full month): AR 100.00.
    period = default_period(date.today())
    InvoiceFactory(amount=D("100.00"), issue_date=period.start)
    Threshold.objects.update_or_create(
        kpi="ar_balance",
        segment=None,
        defaults={"better": "lower", "green_boundary": D("1000"), "red_boundary": D("5000")},
    )
    start = last_id()
    assert kpi_status.detect_changes() == 0  # the first run only stores the statuses
    assert KPIStatus.objects.get(kpi="ar_balance").status == "green"
    Threshold.objects.filter(kpi="ar_balance").update(green_boundary=D("10"), red_boundary=D("50"))
    assert kpi_status.detect_changes() == 1
    assert recorded(start) == [("kpi.status_changed", "kpi", "ar_balance")]
    event = Event.objects.get(type="kpi.status_changed")
    assert event.payload == {
        "kpi": "ar_balance",
        "previous_status": "green",
        "status": "red",
        "value": "100.00",
        "unit": "money",
        "scope": {
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "rep": None,
            "segment": None,
            "customer": None,
            "product_line": None,
            "currency": "USD",
        },
    }
    assert kpi_status.detect_changes() == 0  # no further change, no event


@pytest.mark.postgres
def test_the_json_insert_stores_the_rows_the_orm_insert_stores():
    """PostgreSQL inserts events from one JSON parameter, SQLite through the ORM: on
    PostgreSQL both give the same rows, column for column (the id aside)."""
    from integrations import events
    from integrations.models import EventType

    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, number="INV-J1", amount=D("10.00"))
    when = datetime(2026, 1, 20, 9, 30, 15, 123456, tzinfo=UTC)

    def batch() -> list[Event]:
        rows = [
            events._event(
                EventType.INVOICE_PAID,
                invoice,
                {"amount": D("10.00"), "paid_date": date(2026, 1, 20), "note": 'é "q" \\ n'},
            ),
            events._event(EventType.RECORD_DELETED, ("activity", 17), {"lines": [{"n": 1}]}),
            events._event(EventType.KPI_STATUS_CHANGED, ("kpi", "dso"), None),
        ]
        for row in rows:
            row.occurred_at = when
        return rows

    columns = ["type", "object_type", "object_id", "payload", "occurred_at", "customer_id", "txid"]
    start = last_id()
    events._insert_orm(batch())
    middle = last_id()
    events._insert_json(batch())
    by_orm = list(
        Event.objects.filter(id__gt=start, id__lte=middle).order_by("id").values_list(*columns)
    )
    by_json = list(Event.objects.filter(id__gt=middle).order_by("id").values_list(*columns))
    assert by_json == by_orm
    assert by_orm[0][:6] == (
        "invoice.paid",
        "invoice",
        str(invoice.pk),
        {"amount": "10.00", "paid_date": "2026-01-20", "note": 'é "q" \\ n'},
        when,
        customer.pk,
    )
    assert [row[5] for row in by_orm] == [customer.pk, None, None]
    assert by_orm[0][6] > 0  # the inserting transaction's id
