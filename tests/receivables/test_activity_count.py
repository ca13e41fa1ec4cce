"""`Invoice.activity_count`: kept by the activity services on create, move and delete, in
the same transaction, out of the audit trail, and right under concurrent writers."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from metrics import engine
from metrics.scope import Scope
from receivables import services
from receivables.models import CollectionActivity, Invoice
from tests.api.test_payments_concurrency import run_threads
from tests.factories import ActivityFactory, CustomerFactory, InvoiceFactory
from tests.invariants import assert_invariants

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def book():
    """Two invoices of one customer, one of another customer."""
    acme = CustomerFactory(name="Acme")
    a = InvoiceFactory(customer=acme, number="A", issue_date=date(2026, 3, 1))
    b = InvoiceFactory(customer=acme, number="B", issue_date=date(2026, 3, 1))
    other = InvoiceFactory(number="OTHER", issue_date=date(2026, 3, 1))
    return acme, a, b, other


def counts() -> dict[str, int]:
    return dict(Invoice.objects.values_list("number", "activity_count"))


def call(customer, invoice, day=date(2026, 4, 2)) -> CollectionActivity:
    return ActivityFactory(customer=customer, invoice=invoice, kind="call", occurred_at=at(day))


def test_creating_counts_on_the_invoice_only(book):
    acme, a, b, _ = book

    call(acme, a)
    call(acme, a, date(2026, 4, 9))
    call(acme, b)
    call(acme, None)  # the customer's, on no invoice

    assert counts() == {"A": 2, "B": 1, "OTHER": 0}
    assert_invariants()


def test_a_refused_activity_counts_nothing(book):
    acme, a, _, other = book
    call(acme, a)

    with pytest.raises(ValidationError) as refused:
        call(acme, other)  # another customer's invoice

    assert refused.value.error_dict["invoice"][0].code == "customer_mismatch"
    assert counts() == {"A": 1, "B": 0, "OTHER": 0}
    assert CollectionActivity.objects.count() == 1


def test_moving_an_activity_moves_its_count_and_redating_it_keeps_it(book):
    acme, a, b, _ = book
    first, second = call(acme, a), call(acme, a)

    services.update_activity(first, invoice=b)
    assert counts() == {"A": 1, "B": 1, "OTHER": 0}
    services.update_activity(second, invoice=None)
    assert counts() == {"A": 0, "B": 1, "OTHER": 0}
    services.update_activity(second, invoice=a, occurred_at=at(date(2026, 5, 1)))
    assert counts() == {"A": 1, "B": 1, "OTHER": 0}
    services.update_activity(first, occurred_at=at(date(2026, 5, 2)), notes="Reached")

    assert counts() == {"A": 1, "B": 1, "OTHER": 0}
    assert_invariants()


def test_deleting_an_activity_uncounts_it(book):
    acme, a, b, _ = book
    first, _ = call(acme, a), call(acme, a)
    loose = call(acme, None)

    services.delete_activity(first)
    services.delete_activity(loose)

    assert counts() == {"A": 1, "B": 0, "OTHER": 0}
    assert_invariants()


def test_counting_leaves_the_invoice_audit_trail_and_change_time_alone(book):
    acme, a, b, _ = book
    history_before = a.history.count()
    updated_at = Invoice.objects.get(pk=a.pk).updated_at

    activity = call(acme, a)
    services.update_activity(activity, invoice=b)
    services.delete_activity(activity)
    call(acme, a)

    assert a.history.count() == history_before
    assert Invoice.objects.get(pk=a.pk).updated_at == updated_at
    assert "activity_count" not in {f.name for f in Invoice.history.model._meta.fields}
    # The invoice's next change of its own keeps the count, and records only that change.
    services.update_invoice(Invoice.objects.get(pk=a.pk), product_line="support")
    assert counts()["A"] == 1
    assert a.history.count() == history_before + 1


@pytest.mark.parametrize("days", [100_000, -100_000], ids=["stored count", "lookups"])
def test_aging_counts_moved_and_deleted_activities_where_they_are_now(monkeypatch, days):
    """As of 30 Apr, three invoices of 100 due 31 Mar (30 days: 1_30). A had calls on 2 Apr
    (x), 5 Apr (y) and 3 May (z, after as_of); x is moved to B, y deleted: A has none by
    30 Apr, B one, OTHER none -> 1_30: 300, 3 invoices, 1 activity, 2 without. Both ways of
    counting (the stored count less those since, and a lookup per invoice) agree."""
    monkeypatch.setattr("metrics.aging.STORED_ACTIVITY_COUNT_DAYS", days)
    acme = CustomerFactory(name="Acme")
    due = {"issue_date": date(2026, 3, 1), "due_date": date(2026, 3, 31)}
    a = InvoiceFactory(customer=acme, number="A", **due)
    b = InvoiceFactory(customer=acme, number="B", **due)
    InvoiceFactory(number="OTHER", **due)
    x, y = call(acme, a, date(2026, 4, 2)), call(acme, a, date(2026, 4, 5))
    call(acme, a, date(2026, 5, 3))
    services.update_activity(x, invoice=b)
    services.delete_activity(y)

    aging = engine.aging(Scope(start=date(2026, 4, 1), end=date(2026, 4, 30), currency="USD"))

    assert counts() == {"A": 1, "B": 1, "OTHER": 0}
    assert [
        (bucket.bucket, bucket.amount, bucket.invoice_count, bucket.activity_count,
         bucket.invoices_without_activity)
        for bucket in aging.buckets
    ] == [
        ("current", 0, 0, 0, 0),
        ("1_30", 300, 3, 1, 2),
        ("31_60", 0, 0, 0, 0),
        ("61_90", 0, 0, 0, 0),
        ("over_90", 0, 0, 0, 0),
    ]  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_invoice_lose_no_count():
    """Twenty threads at once on one invoice: sixteen create an activity, four move one of
    four existing activities away to another invoice. Each UPDATE of the count waits for the
    row lock of the one before: 4 + 16 - 4 = 16 here, 4 there."""
    acme = CustomerFactory(name="Acme")
    a = InvoiceFactory(customer=acme, number="A", issue_date=date(2026, 3, 1))
    b = InvoiceFactory(customer=acme, number="B", issue_date=date(2026, 3, 1))
    existing = [call(acme, a) for _ in range(4)]

    def work(i):
        if i < 4:
            return services.update_activity(existing[i], invoice=b)
        return call(acme, a, date(2026, 4, 10))

    outcomes = run_threads(work, count=20)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert counts() == {"A": 16, "B": 4}
    assert CollectionActivity.objects.filter(invoice=a).count() == 16
    assert_invariants()
